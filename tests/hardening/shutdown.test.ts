import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { openDb } from '../../server/db/client.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { startServer, type ServerProcess } from '../helpers/server-process.ts'
import { squareCity } from '../helpers/square-city.ts'

/**
 * The real server (server/main.ts) in a child process, on an embedded
 * database holding a 4 × 4 square city. A batch lookup is left half-sent,
 * so it is in flight when SIGTERM comes: it must still be answered 200, while
 * readiness says 503 and, once the listener closes, new connections are
 * refused; then the process exits 0. A second signal ends it at once.
 */
const POINTS = Array.from({ length: 2000 }, (_, k) => [113.7 + ((k * 37) % 400) / 10_000, 22.9 + ((k * 91) % 400) / 10_000])
const G = (n: number) => `441900003001${String(n).padStart(3, '0')}`

interface RawAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

/** Sends the head and the first part of a POST; returns the socket, the rest to send, and the answer once the socket closes. */
function halfSentPost(url: string, path: string, body: string, firstBytes: number) {
  const { hostname, port } = new URL(url)
  const socket: Socket = connect(Number(port), hostname)
  const chunks: Buffer[] = []
  socket.on('data', (d) => chunks.push(d))
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    socket.on('error', reject)
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      const split = raw.indexOf('\r\n\r\n')
      if (split < 0) return reject(new Error(`connection closed without an answer: ${JSON.stringify(raw)}`))
      const [statusLine, ...lines] = raw.slice(0, split).split('\r\n')
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]))
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: raw.slice(split + 4) })
    })
  })
  const bytes = Buffer.from(body)
  socket.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${bytes.length}\r\n\r\n`)
  socket.write(bytes.subarray(0, firstBytes))
  return { socket, rest: bytes.subarray(firstBytes), answer }
}

/** Whether a new TCP connection to the server is refused. */
const refused = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url)
    const s = connect(Number(port), hostname)
    s.once('connect', () => (s.destroy(), resolve(false)))
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'))
  })

const exitOf = (server: ServerProcess) =>
  new Promise<number | null>((resolve) => (server.child.exitCode !== null ? resolve(server.child.exitCode) : server.child.once('exit', (code) => resolve(code))))

describe('graceful shutdown of the real server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'zhiwang-shutdown-'))
  const env = { ZHIWANG_DATA_DIR: dataDir, DATABASE_URL: '', ZHIWANG_DEMO: '0', ZHIWANG_SHUTDOWN_DELAY_MS: '1500' }
  let server: ServerProcess | undefined

  beforeAll(async () => {
    // From the migrated template (PostGIS's first CREATE EXTENSION alone takes ~10 s), then a small city.
    const db = await openDb({ dataDir, loadDataDir: new Blob([readFileSync(inject('pgliteTemplate'))]) })
    await importUnits(db, squareCity({ nx: 4, ny: 4 }), { validFrom: new Date('2020-01-01T00:00:00Z') })
    await db.close()
  })
  afterAll(async () => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('finishes the in-flight request, reports not ready, refuses new connections and exits 0', async () => {
    server = await startServer(env)
    const { url } = server
    const ready = await fetch(`${url}/health`)
    expect(ready.status, await ready.clone().text()).toBe(200)
    const exit = exitOf(server)

    const body = JSON.stringify({ points: POINTS })
    const inFlight = halfSentPost(url, '/api/v1/lookup/batch', body, Math.floor(body.length / 2))
    await sleep(300) // the server has the head and half the body
    server.child.kill('SIGTERM')
    for (let waited = 0; !/SIGTERM: finishing in-flight requests/.test(server.output()) && waited < 10_000; waited += 50) await sleep(50)

    // During the delay: not ready (problem+json), still alive, connections still taken.
    const health = await fetch(`${url}/health`)
    expect(health.status).toBe(503)
    expect(health.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(health.headers.get('connection')).toBe('close')
    expect((await health.json()).detail).toMatch(/shutting down/)
    expect((await fetch(`${url}/health/live`)).status).toBe(200)

    // Then the listener closes while the half-sent request is still open.
    let closed = false
    for (let waited = 0; !closed && waited < 10_000; waited += 100) {
      closed = await refused(url)
      if (!closed) await sleep(100)
    }
    expect(closed, 'new connections were still accepted 10 s after SIGTERM').toBe(true)
    expect(inFlight.socket.destroyed).toBe(false)
    expect(server.child.exitCode).toBeNull()

    inFlight.socket.write(inFlight.rest)
    const answer = await inFlight.answer
    expect(answer.status).toBe(200)
    expect(answer.headers.connection).toBe('close')
    const result = JSON.parse(answer.body)
    expect(result.count).toBe(POINTS.length)
    expect(result.results[0]).toMatchObject({ grid: G(13), onBoundary: true }) // (113.7, 22.9): the city's south-west corner
    expect(result.results.filter((r: { grid: string | null }) => r.grid !== null)).toHaveLength(POINTS.length)

    expect(await exit).toBe(0)
    expect(server.output()).toMatch(/Closed/)
  })

  it('exits at once, non-zero, on a second signal', async () => {
    server = await startServer({ ...env, ZHIWANG_SHUTDOWN_DELAY_MS: '60000' })
    const exit = exitOf(server)
    const inFlight = halfSentPost(server.url, '/api/v1/lookup/batch', JSON.stringify({ points: POINTS }), 100)
    const outcome = inFlight.answer.then(() => 'answered', () => 'cut off')
    await sleep(300)
    server.child.kill('SIGTERM')
    for (let waited = 0; !/SIGTERM: finishing/.test(server.output()) && waited < 10_000; waited += 50) await sleep(50)
    const started = Date.now()
    server.child.kill('SIGINT')
    expect(await exit).toBe(1)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(server.output()).toMatch(/SIGINT again: exiting without waiting/)
    expect(await outcome).toBe('cut off')
  })
})
