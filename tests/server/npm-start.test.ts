import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type ServerProcess } from '../helpers/server-process.ts'

/**
 * Declares a body of `bytes`, sends its first MiB and then waits: a server that
 * honours its body limit answers from the declared length alone. Returns the
 * status line's code, the content type and the body of that answer.
 */
function postHuge(url: string, bytes: number, key: string) {
  const { hostname, port } = new URL(url)
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let raw = ''
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no answer; got ${JSON.stringify(raw)}`))), 60_000)
    socket.on('error', reject)
    socket.on('data', (d) => {
      raw += d
      const split = raw.indexOf('\r\n\r\n')
      if (split < 0) return
      const head = raw.slice(0, split)
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? NaN)
      const body = raw.slice(split + 4)
      if (Buffer.byteLength(body) < length) return
      clearTimeout(timer)
      socket.destroy()
      resolve({ status: Number(head.split(' ')[1]), type: /content-type: *([^\r\n]+)/i.exec(head)?.[1] ?? '', body })
    })
    socket.write(`POST /api/v1/units/import HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${key}\r\nContent-Length: ${bytes}\r\n\r\n`)
    socket.write(Buffer.alloc(1024 * 1024, ' '))
  })
}

describe('npm start on the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'zhiwang-start-'))
  let server: ServerProcess
  let adminKey: string
  beforeAll(async () => {
    // The first admin key, made with the CLI as the README says, before the first start.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/api-keys.ts', 'create', '--name', 'first-admin', '--role', 'admin', '--json'],
      { cwd: fileURLToPath(new URL('../../', import.meta.url)), env: { ...process.env, ZHIWANG_DATA_DIR: dataDir, DATABASE_URL: '' } },
    )
    adminKey = JSON.parse(stdout).secret
    server = await startServer({ ZHIWANG_DATA_DIR: dataDir })
  })
  afterAll(async () => {
    await server?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('comes up with the Dongguan demo city loaded', async () => {
    const health = await (await fetch(`${server.url}/health`)).json()
    expect(health).toMatchObject({ status: 'ok', backend: 'pglite', generation: { label: 'Dongguan demo city' } })
    const grids = await (await fetch(`${server.url}/api/v1/units?level=grid&limit=10000&simplify=20`)).json()
    expect(grids.numberMatched).toBeGreaterThanOrEqual(2900)
    expect(grids.features).toHaveLength(grids.numberMatched)
    const admins = await (await fetch(`${server.url}/api/v1/administrators?limit=1`)).json()
    expect(admins.numberMatched).toBeGreaterThan(9000)
    // Its two years of incidents end at the city's (UTC+8) midnight of the day it was made: the newest is from the day before.
    const newest = (await (await fetch(`${server.url}/api/v1/incidents?limit=1&sort=-reported_at`, { headers: { authorization: `Bearer ${adminKey}` } })).json()).items[0]
    expect(Date.parse(newest.reportedAt)).toBeLessThan(Date.now())
    expect(Date.parse(newest.reportedAt)).toBeGreaterThan(Date.now() - 49 * 3_600_000)
  })

  it('refuses a 200 MB body with 413 problem+json without storing anything', async () => {
    const before = await (await fetch(`${server.url}/api/v1/generations`)).json()
    const res = await postHuge(server.url, 200 * 1024 * 1024, adminKey)
    expect(res.status).toBe(413)
    expect(res.type).toMatch(/^application\/problem\+json/)
    expect(JSON.parse(res.body)).toMatchObject({ type: '/problems/payload-too-large', status: 413 })
    expect(await (await fetch(`${server.url}/api/v1/generations`)).json()).toEqual(before)
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
  })

  it('stops on SIGTERM and reuses its data on the next start', async () => {
    expect(await server.stop()).toBe(0)
    server = await startServer({ ZHIWANG_DATA_DIR: dataDir })
    expect(server.output()).not.toContain('Generating the Dongguan demo city')
    const gens = await (await fetch(`${server.url}/api/v1/generations`)).json()
    expect(gens.items).toHaveLength(1)
    expect(gens.items[0].label).toBe('Dongguan demo city')
  })
})
