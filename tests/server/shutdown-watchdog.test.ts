/**
 * Shutdown on the embedded database: statements run on the server's thread,
 * so the deadline must hold while one does, and queued statements must leave
 * the event loop a turn between them (signals, timers, /health/live).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { openDb } from '../../server/db/client.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

describe('shutdown deadline and the embedded database', () => {
  it('kills a process whose thread is held past the deadline, saying why', async () => {
    // The main thread never comes back (as during a long embedded statement): only the watchdog can end it.
    const script = `
      import { startShutdownWatchdog } from './server/shutdown-watchdog.ts'
      startShutdownWatchdog(400, 'deadline passed while held')
      const until = Date.now() + 20000
      while (Date.now() < until) {}
      process.exit(0)`
    const started = Date.now()
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])))
    const took = Date.now() - started
    expect(signal).toBe('SIGKILL')
    expect(code).toBeNull()
    expect(took).toBeLessThan(10_000)
    expect(JSON.parse(stderr.trim().split('\n').at(-1)!)).toMatchObject({ level: 50, msg: 'deadline passed while held' })
  }, 30_000)

  it('lets timers run between queued statements instead of after all of them', async () => {
    const db = await openDb({ dataDir: 'memory://' })
    try {
      const slow = `SELECT count(*) FROM generate_series(1, 2000000)`
      await db.query(slow) // warm
      const done: number[] = []
      let timerAt = 0
      const t0 = performance.now()
      const queued = Array.from({ length: 4 }, () => db.query(slow).then(() => done.push(performance.now() - t0)))
      setTimeout(() => (timerAt = performance.now() - t0), 0)
      await Promise.all(queued)
      // The timer ran before the last statement ended: the loop got a turn in between.
      expect(timerAt).toBeGreaterThan(0)
      expect(timerAt).toBeLessThan(done[3]!)
      expect(timerAt).toBeLessThanOrEqual(done[1]!)
    } finally {
      await db.close()
    }
  }, 60_000)
})
