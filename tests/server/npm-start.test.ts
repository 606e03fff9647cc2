import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type ServerProcess } from '../helpers/server-process.ts'

/** Sends a body of `bytes` in 1 MiB chunks until the server answers; resolves with what it answered. */
function postHuge(url: string, bytes: number) {
  return new Promise<{ status: number; type: string; body: string; sent: number }>((resolve, reject) => {
    let sent = 0
    const req = request(`${url}/api/v1/units/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(bytes) },
    })
    req.on('response', (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body, sent }))
    })
    // The server may close the socket after answering: that is the point.
    req.on('error', (err) => (sent > 0 ? undefined : reject(err)))
    const chunk = Buffer.alloc(1024 * 1024, ' ')
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length
        if (!req.write(chunk)) return req.once('drain', pump)
      }
      req.end()
    }
    pump()
  })
}

describe('npm start on the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'zhiwang-start-'))
  let server: ServerProcess
  beforeAll(async () => {
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
  })

  it('refuses a 200 MB body with 413 problem+json without storing anything', async () => {
    const before = await (await fetch(`${server.url}/api/v1/generations`)).json()
    const res = await postHuge(server.url, 200 * 1024 * 1024)
    expect(res.status).toBe(413)
    expect(res.type).toMatch(/^application\/problem\+json/)
    expect(JSON.parse(res.body)).toMatchObject({ type: '/problems/payload-too-large', status: 413 })
    // It answered from the declared length, long before the body was sent.
    expect(res.sent).toBeLessThan(200 * 1024 * 1024)
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
