/**
 * The embedded database is opened by one process at a time: a second opener
 * (another server, the keys CLI while the server runs) is refused with a clear
 * message instead of working on its own copy, whose writes would be lost or
 * would corrupt the directory. A lock whose holder has gone is taken over.
 */
import { execFile, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { openDb, type Db } from '../../server/db/client.ts'
import { DataDirInUse, lockDataDir } from '../../server/db/data-dir-lock.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const template = () => new Blob([readFileSync(inject('pgliteTemplate'))])

describe('one process at a time on an embedded data directory', () => {
  let base: string
  let dir: string
  const open: Db[] = []
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'zhiwang-lock-'))
    dir = join(base, 'pgdata')
  })
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close().catch(() => {})
    rmSync(base, { recursive: true, force: true })
  })

  it('refuses a second opener while the first holds the directory, names the holder, and opens again once it has closed', async () => {
    const first = await openDb({ dataDir: dir, loadDataDir: template() })
    open.push(first)
    await first.query(`INSERT INTO incident_category (code, name_zh, name_en, class, department, sla_hours, effort_weight)
      VALUES ('LOCK_TEST', '锁', 'Lock', 'test', 'none', 24, 1)`)
    const second = openDb({ dataDir: dir })
    await expect(second).rejects.toBeInstanceOf(DataDirInUse)
    await expect(openDb({ dataDir: dir })).rejects.toThrow(new RegExp(`in use by process ${process.pid} on `))
    expect(existsSync(`${dir}.lock`)).toBe(true)

    await first.close()
    open.pop()
    expect(existsSync(`${dir}.lock`), 'closing releases the lock').toBe(false)
    const again = await openDb({ dataDir: dir })
    open.push(again)
    const { rows } = await again.query<{ n: number }>(`SELECT count(*)::int AS n FROM incident_category WHERE code = 'LOCK_TEST'`)
    expect(rows[0]!.n, 'what the first process wrote is there').toBe(1)
  })

  it('opens a data directory reached through a symbolic link, and locks the directory itself', async () => {
    const first = await openDb({ dataDir: dir, loadDataDir: template() })
    await first.query(`INSERT INTO incident_category (code, name_zh, name_en, class, department, sla_hours, effort_weight)
      VALUES ('LINK_TEST', '链', 'Link', 'test', 'none', 24, 1)`)
    await first.close()
    const link = join(base, 'current')
    symlinkSync(dir, link)
    const linked = await openDb({ dataDir: link })
    open.push(linked)
    expect((await linked.query<{ n: number }>(`SELECT count(*)::int AS n FROM incident_category WHERE code = 'LINK_TEST'`)).rows[0]!.n).toBe(1)
    // One directory, one lock, by whichever name it is opened.
    await expect(openDb({ dataDir: dir })).rejects.toBeInstanceOf(DataDirInUse)
  })

  it('the keys CLI refuses the directory of a running process with one clear line, and stores nothing', async () => {
    const server = await openDb({ dataDir: dir, loadDataDir: template() })
    open.push(server)
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/api-keys.ts', 'create', '--name', 'while-running', '--role', 'admin'], {
      cwd: ROOT, env: { ...process.env, ZHIWANG_DATA_DIR: dir, DATABASE_URL: '' },
    })
    const failure = await run.then(() => null, (err: { code: number; stderr: string; stdout: string }) => err)
    expect(failure, 'the CLI must fail').not.toBeNull()
    expect(failure!.code).toBe(1)
    expect(failure!.stderr).toMatch(new RegExp(`in use by process ${process.pid}`))
    expect(failure!.stderr).toMatch(/stop that process first/)
    expect(failure!.stderr, 'a message, not a stack trace').not.toMatch(/^\s+at /m)
    expect(failure!.stdout).not.toMatch(/secret/i)
    const { rows } = await server.query<{ n: number }>(`SELECT count(*)::int AS n FROM api_key WHERE name = 'while-running'`)
    expect(rows[0]!.n).toBe(0)
  })

  it('takes over a lock whose holder has exited, or whose pid now belongs to another process', () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid!
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: gone, host: hostname(), started: '1', since: '2020-01-01T00:00:00Z' }))
    const lock = lockDataDir(dir)
    expect(JSON.parse(readFileSync(lock.file, 'utf8')).pid).toBe(process.pid)
    lock.release()
    expect(existsSync(lock.file)).toBe(false)

    // Our own pid, but a different start time: the pid was reused after the holder died.
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), started: '1', since: '2020-01-01T00:00:00Z' }))
    const reused = lockDataDir(dir)
    expect(() => lockDataDir(dir), 'and it is held again').toThrow(DataDirInUse)
    reused.release()
  })

  it('keeps out a holder it cannot check (another host, or a lock file being written), and says how to clear it', () => {
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: 1, host: `not-${hostname()}`, started: null, since: '2020-01-01T00:00:00Z' }))
    expect(() => lockDataDir(dir)).toThrow(/in use by process 1 on not-.*delete .*pgdata\.lock/s)
    writeFileSync(`${dir}.lock`, '')
    expect(() => lockDataDir(dir)).toThrow(DataDirInUse)
  })

  it('a process that exits without closing leaves no lock behind', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e',
      `import { lockDataDir } from './server/db/data-dir-lock.ts'; lockDataDir(${JSON.stringify(dir)}); console.log('locked'); process.exit(0)`], { cwd: ROOT, encoding: 'utf8' })
    expect(child.stdout).toContain('locked')
    expect(existsSync(`${dir}.lock`)).toBe(false)
  })
})
