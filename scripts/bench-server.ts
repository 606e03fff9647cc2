/**
 * Child processes for the benchmarks: the real server (`server/main.ts`), so
 * that it runs beside the load generator rather than inside it, and bare
 * servers answering a constant, the ceilings of what this machine's HTTP stack
 * allows under the same load.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { SERVER_NODE_FLAGS } from '../server/node-flags.ts'

export interface ChildServer { url: string; child: ChildProcess }

const ROOT = fileURLToPath(new URL('../', import.meta.url))

/** The real server on a free port; LOG_LEVEL=warn: no access log line per request. `timeoutMs` covers a first start that loads the demo city. */
export async function startChildServer(env: Record<string, string>, timeoutMs = 240_000): Promise<ChildServer> {
  const port = await freePort()
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, '--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
  })
  const url = `http://127.0.0.1:${port}`
  await waitFor(`${url}/health/live`, child, 'Server', timeoutMs)
  return { url, child }
}

/**
 * A server answering every GET with `body` and nothing else: a bare Fastify (no
 * plugins, hooks or validation), or Node's own HTTP server, the ceiling of what
 * this machine's HTTP stack allows under the same load.
 */
export async function startCeilingServer(body: string, kind: 'fastify' | 'node' = 'fastify'): Promise<ChildServer> {
  const port = await freePort()
  const code = kind === 'fastify'
    ? `import Fastify from 'fastify'
const app = Fastify()
const body = process.env.ANSWER
app.get('/*', (_request, reply) => { reply.type('application/json; charset=utf-8').send(body) })
await app.listen({ port: ${port}, host: '127.0.0.1' })`
    : `import { createServer } from 'node:http'
const body = process.env.ANSWER
const length = Buffer.byteLength(body)
createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': length }); res.end(body) }).listen(${port}, '127.0.0.1')`
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ANSWER: body } })
  const url = `http://127.0.0.1:${port}`
  await waitFor(`${url}/ready`, child, 'Ceiling server', 60_000)
  return { url, child }
}

export const stopChild = (child: ChildProcess | undefined) =>
  // A child ended by a signal keeps exitCode null: signalCode says it has gone too.
  child && child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM')) : Promise.resolve()

function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

async function waitFor(url: string, child: ChildProcess, what: string, timeoutMs: number) {
  for (let waited = 0; child.exitCode === null && waited < timeoutMs; waited += 200) {
    if (await fetch(url).then((r) => r.ok, () => false)) return
    await new Promise((r) => setTimeout(r, 200))
  }
  child.kill()
  throw new Error(`${what} did not start (exit code ${child.exitCode})`)
}
