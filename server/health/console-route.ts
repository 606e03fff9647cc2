/**
 * The map console at `/`: the files Vite built into web/dist (`npm run
 * build:web`, run by `npm start`), and `/console/config.json`, which tells the
 * console the demo key (if the demo is on), an optional basemap style and
 * the vector tile layers it can ask for.
 *
 * Hashed files under /assets/ never change, so browsers keep them for a year;
 * index.html is revalidated on every load (ETag), so a new build shows at once.
 * Text files are compressed once per build and kept in memory (the whole
 * console is a few MB).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { extname, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib'
import { AppError } from '../errors.ts'
import { EVERYONE } from '../auth/roles.ts'
import { LAYERS } from '../tiles/layers.ts'

export interface ConsoleRouteOptions {
  /**
   * Secret of the `console-demo` key handed to every visitor; null: visitors
   * enter their own key. A function is asked on each request, so the key can
   * be made after the app is built (it needs the migrated database).
   */
  demoKey?: string | null | (() => string | null)
  /** Secret of the demo's planner key for the planning studio (same rules as demoKey). */
  demoPlannerKey?: string | null | (() => string | null)
  /** URL of a MapLibre style drawn under the console's layers; null: no basemap (fully offline). */
  basemapStyle?: string | null
  /** Where the built console lives (default web/dist). */
  distDir?: string
}

export const DEFAULT_DIST_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url))

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}
const COMPRESSIBLE = /^(text\/|application\/json|image\/svg)/
const IMMUTABLE = 'public, max-age=31536000, immutable'

interface CachedFile {
  mtimeMs: number
  size: number
  type: string
  etag: string
  body: Buffer
  gzip: Buffer | null
  br: Buffer | null
}

export default async function consoleRoute(app: FastifyInstance, opts: ConsoleRouteOptions = {}) {
  const dist = resolve(opts.distDir ?? DEFAULT_DIST_DIR)
  const assets = resolve(dist, 'assets')
  const demoKey = typeof opts.demoKey === 'function' ? opts.demoKey : () => (opts.demoKey as string | null | undefined) ?? null
  const demoPlannerKey = typeof opts.demoPlannerKey === 'function' ? opts.demoPlannerKey : () => (opts.demoPlannerKey as string | null | undefined) ?? null
  const basemapStyle = opts.basemapStyle ?? null
  const cache = new Map<string, CachedFile>()

  app.get('/', { config: { roles: EVERYONE } }, async (request, reply) => {
    const file = load(cache, resolve(dist, 'index.html'))
    if (!file) {
      throw new AppError('service-unavailable', 'The map console has not been built (no web/dist/index.html): run `npm run build:web`; `npm start` does it before starting')
    }
    return send(request, reply, file, 'no-cache')
  })

  app.get<{ Params: { '*': string } }>('/assets/*', { config: { roles: EVERYONE } }, async (request, reply) => {
    const path = resolve(assets, request.params['*'])
    const file = path.startsWith(assets + sep) ? load(cache, path) : null
    if (!file) throw new AppError('not-found', `No console file ${request.url.split('?')[0]}; the console may have been rebuilt: reload the page`)
    return send(request, reply, file, IMMUTABLE)
  })

  // `tiles`: the vector tile layers and their zooms when this server has tile
  // routes (null: the console draws units from GeoJSON), so the console needs
  // no TileJSON round trip before it can draw.
  app.get('/console/config.json', { config: { roles: EVERYONE } }, async (_request, reply) => {
    reply.header('cache-control', 'no-store')
    const hasTiles = (app.routeRoles ?? []).some((r) => r.url.startsWith('/tiles/'))
    const tiles = hasTiles ? Object.fromEntries(Object.values(LAYERS).map((l) => [l.name, { minzoom: l.minzoom, maxzoom: l.maxzoom }])) : null
    return { demoKey: demoKey(), demoPlannerKey: demoPlannerKey(), basemapStyle, tiles }
  })
}

/** The file, read and compressed once per version; null when it does not exist. */
function load(cache: Map<string, CachedFile>, path: string): CachedFile | null {
  let stat
  try {
    stat = statSync(path)
  } catch {
    return null
  }
  if (!stat.isFile()) return null
  const hit = cache.get(path)
  if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit
  const body = readFileSync(path)
  const type = TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
  const squeeze = COMPRESSIBLE.test(type) && body.length > 1024
  const file: CachedFile = {
    mtimeMs: stat.mtimeMs,
    size: stat.size,
    type,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    body,
    gzip: squeeze ? gzipSync(body, { level: 6 }) : null,
    br: squeeze ? brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5 } }) : null,
  }
  cache.set(path, file)
  return file
}

function send(request: FastifyRequest, reply: FastifyReply, file: CachedFile, cacheControl: string) {
  reply.header('cache-control', cacheControl).header('etag', file.etag).header('vary', 'accept-encoding').type(file.type)
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send()
  const accepts = String(request.headers['accept-encoding'] ?? '')
  if (file.br && /\bbr\b/.test(accepts)) return reply.header('content-encoding', 'br').send(file.br)
  if (file.gzip && /\bgzip\b/.test(accepts)) return reply.header('content-encoding', 'gzip').send(file.gzip)
  return reply.send(file.body)
}
