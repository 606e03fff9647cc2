import Fastify from 'fastify'
import { beforeAll, expect, it } from 'vitest'
import { INSERT_ADMINISTRATORS, INSERT_ASSIGNMENTS } from '../../server/administrators/queries.ts'
import { buildApp } from '../../server/app.ts'
import { createApiKey, hashSecret, revokeApiKey } from '../../server/auth/api-keys.ts'
import auth from '../../server/auth/auth-plugin.ts'
import { keyFromRequest } from '../../server/auth/key-from-request.ts'
import { EVERYONE, KEY_ROLES } from '../../server/auth/roles.ts'
import problems from '../../server/plugins/problems.ts'
import { describeBackends } from '../helpers/backends.ts'
import { squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>
type Headers = Record<string, string>

const bearer = (secret: string): Headers => ({ authorization: `Bearer ${secret}` })

/**
 * Every "METHOD /path" the router holds, read back from printRoutes' tree
 * (a child's line holds only its own segment, indented 4 per level).
 */
function routerRoutes(app: App): string[] {
  const stack: string[] = []
  const routes: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (!m) continue
    const depth = m[1]!.length / 4
    stack[depth] = (depth > 0 ? stack[depth - 1]! : '') + m[2]!
    stack.length = depth + 1
    for (const method of m[3]?.split(', ') ?? []) routes.push(`${method} ${stack[depth]}`)
  }
  return routes
}

/** A concrete URL for a route pattern, good enough to reach its hooks. */
function sampleUrl(pattern: string): string {
  return pattern
    .replace(':code', '441900')
    .replace(':point', '113.7,22.9')
    .replace(':token', 'abcdefgh12')
    .replace(/:[A-Za-z]+/g, '1')
}

describeBackends('People and roles', ({ db }) => {
  let app: App
  let admin: string
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, headers: Headers = {}, body?: unknown) =>
    app.inject({
      method,
      url,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    })
  /** A key made by the admin through the API. */
  const makeKey = async (body: Record<string, unknown>) => {
    const res = await call('POST', '/api/v1/keys', bearer(admin), body)
    expect(res.statusCode, res.body).toBe(201)
    return res.json() as { id: number; name: string; role: string; prefix: string; secret: string }
  }

  beforeAll(async () => {
    await db().query(INSERT_ADMINISTRATORS, [['A001', 'A002'], ['王芳', '李强'], ['13800000001', null], [true, true]])
    await db().query(INSERT_ASSIGNMENTS, [['A001', 'A001', 'A002'], ['441900003001002', '441900003001001', '441900003001003']])
    // The first admin key comes from the CLI's code path; everything else goes through the API.
    admin = (await createApiKey(db(), { name: 'root', role: 'admin' }, 'cli:test')).secret
    app = await buildApp({ db: db() })
    return () => app.close()
  })

  it('answers 401 problem+json with WWW-Authenticate: Bearer when a key is needed and missing, naming the roles', async () => {
    const res = await call('GET', '/api/v1/keys')
    expect(res.statusCode).toBe(401)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="zhiwang"')
    expect(res.json()).toMatchObject({ type: '/problems/unauthorized', status: 401, requiredRoles: ['admin'], instance: '/api/v1/keys' })
    expect(res.json().detail).toContain('GET /api/v1/keys needs an API key with role admin')

    const before = (await db().query<{ n: number }>('SELECT count(*)::int AS n FROM generation')).rows[0]!.n
    const imp = await call('POST', '/api/v1/units/import', {}, squareCity({ nx: 1, ny: 1 }))
    expect(imp.statusCode).toBe(401)
    expect(imp.json().detail).toContain('role admin or planner')
    expect((await db().query<{ n: number }>('SELECT count(*)::int AS n FROM generation')).rows[0]!.n).toBe(before)
  })

  it('answers 401 for an unknown key or a malformed Authorization header, on public routes too', async () => {
    const unknown = await call('GET', '/api/v1/keys', bearer('zw_' + 'x'.repeat(43)))
    expect(unknown.statusCode).toBe(401)
    expect(unknown.headers['www-authenticate']).toBe('Bearer realm="zhiwang", error="invalid_token"')
    expect(unknown.json().detail).toMatch(/not valid/)
    expect(unknown.json().detail).not.toContain('x'.repeat(20)) // never echoes the secret

    const basic = await call('GET', '/api/v1/keys', { authorization: 'Basic cm9vdDpyb290' })
    expect(basic.statusCode).toBe(401)
    expect(basic.json().detail).toContain('Bearer')

    // Public reads need no key, but a bad key is refused rather than taken as anonymous.
    expect((await call('GET', '/api/v1/generations')).statusCode).toBe(200)
    expect((await call('GET', '/api/v1/generations', { 'x-api-key': 'nonsense' })).statusCode).toBe(401)
    expect((await call('GET', '/health/live', {})).statusCode).toBe(200)
    expect((await call('GET', '/problems/forbidden')).json()).toMatchObject({ status: 403 })
  })

  it('answers 403 problem+json for a role the route does not admit', async () => {
    const analyst = await makeKey({ name: 'analyst-1', role: 'analyst' })
    const res = await call('GET', '/api/v1/keys', { 'x-api-key': analyst.secret })
    expect(res.statusCode).toBe(403)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({ type: '/problems/forbidden', status: 403, requiredRoles: ['admin'], role: 'analyst' })
    expect(res.json().detail).toBe('GET /api/v1/keys needs role admin; the key "analyst-1" has role analyst')
    expect((await call('POST', '/api/v1/units/import', bearer(analyst.secret), squareCity({ nx: 1, ny: 1 }))).statusCode).toBe(403)
    // The same key reads public routes.
    expect((await call('GET', '/api/v1/administrators', bearer(analyst.secret))).statusCode).toBe(200)
  })

  it('lets an admin create, list and revoke keys: the secret is shown once, never listed, and revocation is immediate', async () => {
    const created = await makeKey({ name: 'planner-1', role: 'planner' })
    expect(created.secret).toMatch(/^zw_[A-Za-z0-9_-]{43}$/)
    expect(created.prefix).toBe(created.secret.slice(0, 8))
    expect(created).toMatchObject({ role: 'planner', createdBy: 'root', revokedAt: null })

    const list = await call('GET', '/api/v1/keys', bearer(admin))
    expect(list.statusCode).toBe(200)
    expect(list.body).not.toContain(created.secret)
    expect(list.body).not.toContain(hashSecret(created.secret))
    const listed = list.json().items.find((k: { id: number }) => k.id === created.id)
    expect(listed).toEqual({ ...created, secret: undefined, note: undefined })
    expect(Object.keys(listed)).not.toContain('secret')
    expect(JSON.stringify((await db().query('SELECT * FROM api_key')).rows)).not.toContain(created.secret)

    // Used once, so the key is in the server's cache when it is revoked.
    expect((await call('GET', '/api/v1/me', bearer(created.secret))).json()).toMatchObject({ role: 'planner', keyId: created.id, name: 'planner-1' })
    const revoked = await call('DELETE', `/api/v1/keys/${created.id}`, bearer(admin))
    expect(revoked.statusCode).toBe(200)
    expect(revoked.json().revokedAt).toEqual(expect.any(String))
    const after = await call('GET', '/api/v1/me', bearer(created.secret))
    expect(after.statusCode).toBe(401)
    expect(after.json().detail).toContain('("planner-1") was revoked at')
    expect(after.json().detail).toContain(created.prefix)

    expect((await call('DELETE', `/api/v1/keys/${created.id}`, bearer(admin))).json().revokedAt).toBe(revoked.json().revokedAt)
    expect((await call('DELETE', '/api/v1/keys/999999', bearer(admin))).statusCode).toBe(404)
    // The name of a revoked key is free again.
    expect((await makeKey({ name: 'planner-1', role: 'planner' })).id).not.toBe(created.id)
  })

  it('refuses bad key requests with a reason', async () => {
    const bad = async (body: unknown, status: number, pattern: RegExp) => {
      const res = await call('POST', '/api/v1/keys', bearer(admin), body)
      expect(res.statusCode, JSON.stringify(body)).toBe(status)
      expect(res.json().detail).toMatch(pattern)
    }
    await bad({ name: 'x', role: 'boss' }, 400, new RegExp(`"boss".*${KEY_ROLES.join(', ')}`))
    await bad({ name: 'x', role: 'public' }, 400, /"public"/)
    await bad({ name: 'x', role: 'grid_admin' }, 400, /administratorEmployeeNo/)
    await bad({ name: 'x', role: 'grid_admin', administratorEmployeeNo: 'NOPE' }, 400, /No administrator with employee number "NOPE"/)
    await bad({ name: 'x', role: 'planner', department: 'water_affairs' }, 400, /Only department keys/)
    await bad({ name: 'x', role: 'department' }, 400, /needs department/)
    await bad({ name: 'x', role: 'planner', secret: 'mine' }, 400, /additional properties/)
    await bad({ name: 'root', role: 'planner' }, 409, /already named "root"/)
  })

  it('gives a grid_admin key its administrator and their grids, a department key its department, and anonymous callers the public role', async () => {
    const grid = await makeKey({ name: 'wang', role: 'grid_admin', administratorEmployeeNo: 'A001' })
    const { id } = (await db().query<{ id: number }>(`SELECT id FROM administrator WHERE employee_no = 'A001'`)).rows[0]!
    expect((await call('GET', '/api/v1/me', bearer(grid.secret))).json()).toEqual({
      role: 'grid_admin',
      keyId: grid.id,
      name: 'wang',
      administratorId: id,
      grids: ['441900003001001', '441900003001002'],
    })
    const dept = await makeKey({ name: 'water', role: 'department', department: 'water_affairs' })
    expect((await call('GET', '/api/v1/me', bearer(dept.secret))).json()).toEqual({ role: 'department', keyId: dept.id, name: 'water', department: 'water_affairs' })
    expect((await call('GET', '/api/v1/me')).json()).toEqual({ role: 'public', keyId: null, name: 'anonymous' })

    // An administrator who leaves keeps no access through their key.
    const li = await makeKey({ name: 'li', role: 'grid_admin', administratorEmployeeNo: 'A002' })
    await db().query(`UPDATE administrator SET active = false WHERE employee_no = 'A002'`)
    const res = await call('GET', '/api/v1/me', bearer(li.secret))
    expect(res.statusCode).toBe(403)
    expect(res.json().detail).toContain('no longer active')
  })

  it('audits key changes and imports (who, when, before/after), readable by admins only', async () => {
    const planner = await makeKey({ name: 'importer', role: 'planner' })
    const started = new Date().toISOString()
    const imported = await call('POST', '/api/v1/units/import', bearer(planner.secret), squareCity({ nx: 2, ny: 2 }))
    expect(imported.statusCode).toBe(201)
    const generation = imported.json().generation.id
    expect((await call('GET', '/api/v1/generations')).json().items[0]).toMatchObject({ id: generation, createdBy: 'importer' })

    const imports = await call('GET', `/api/v1/audit?action=units.import&from=${encodeURIComponent(started)}`, bearer(admin))
    expect(imports.statusCode).toBe(200)
    expect(imports.json()).toMatchObject({ numberMatched: 1, numberReturned: 1 })
    expect(imports.json().items[0]).toMatchObject({
      actor: 'importer',
      action: 'units.import',
      subject: `generation:${generation}`,
      detail: { before: null, after: { generation }, source: 'api', counts: { grid: 4 } },
    })
    expect(Date.parse(imports.json().items[0].at)).toBeGreaterThanOrEqual(Date.parse(started))

    const revoked = (await call('DELETE', `/api/v1/keys/${planner.id}`, bearer(admin))).json()
    const trail = await call('GET', `/api/v1/audit?subject=api_key:${planner.id}`, bearer(admin))
    expect(trail.body).not.toContain(planner.secret)
    expect(trail.body).not.toContain(hashSecret(planner.secret))
    const [revoke, create] = trail.json().items // newest first
    expect(create).toMatchObject({ actor: 'root', action: 'key.create', detail: { before: null, after: { id: planner.id, name: 'importer', role: 'planner', revokedAt: null } } })
    expect(revoke).toMatchObject({
      actor: 'root',
      action: 'key.revoke',
      detail: { before: { id: planner.id, revokedAt: null }, after: { id: planner.id, revokedAt: revoked.revokedAt } },
    })

    // Filters and paging.
    const byActor = (await call('GET', '/api/v1/audit?actor=root&action=key.create&limit=1', bearer(admin))).json()
    expect(byActor.numberReturned).toBe(1)
    expect(byActor.numberMatched).toBeGreaterThan(1)
    expect(byActor.links.find((l: { rel: string }) => l.rel === 'next').href).toContain('offset=1')
    expect((await call('GET', '/api/v1/audit?from=2999-01-01T00:00:00Z', bearer(admin))).json().numberMatched).toBe(0)
    expect((await call('GET', '/api/v1/audit?from=2020-01-02T00:00:00Z&to=2020-01-01T00:00:00Z', bearer(admin))).statusCode).toBe(400)

    const analyst = await makeKey({ name: 'auditor?', role: 'analyst' })
    expect((await call('GET', '/api/v1/audit', bearer(analyst.secret))).statusCode).toBe(403)
    expect((await call('GET', '/api/v1/audit')).statusCode).toBe(401)
  })

  it('declares roles on every route: non-public ones refuse anonymous callers', async () => {
    const known = routerRoutes(app)
    expect(known.length).toBeGreaterThan(20)
    // find-my-way prints a wildcard route without the static part before it
    // under its parent node ('/assets/*' shows as '*' under '/'): compare in that form.
    const printed = (url: string) => url.replace(/\/[^/:]+\/\*$/, '/*')
    const declared = new Map(app.routeRoles.map((r) => [`${r.method} ${printed(r.url)}`, r.roles]))
    for (const route of known) expect(declared.get(route), route).toEqual(expect.arrayContaining([expect.any(String)]))
    expect(new Set(declared.keys())).toEqual(new Set(known))

    expect(declared.get('POST /api/v1/units/import')).toEqual(['admin', 'planner'])
    for (const route of ['POST /api/v1/keys', 'GET /api/v1/keys', 'DELETE /api/v1/keys/:id', 'GET /api/v1/audit']) {
      expect(declared.get(route), route).toEqual(['admin'])
    }
    for (const route of ['GET /api/v1/units', 'GET /api/v1/units/:code', 'GET /api/v1/generations', 'GET /api/v1/administrators',
      'GET /api/v1/lookup', 'GET /api/v1/point/4326/:point', 'POST /api/v1/lookup/batch', 'GET /api/v1/units/:code/coverage', 'GET /health', 'GET /problems/:code']) {
      expect(declared.get(route), route).toEqual(EVERYONE)
    }

    for (const { method, url, roles } of app.routeRoles) {
      if (roles.includes('public') || method === 'HEAD') continue
      const res = await app.inject({ method: method as 'GET', url: sampleUrl(url) })
      expect(res.statusCode, `${method} ${url}`).toBe(401)
    }
  })

  it('refuses to register a route without roles, or with an unknown one', async () => {
    for (const config of [undefined, { roles: [] }, { roles: ['admin', 'root'] }]) {
      const bare = Fastify()
      await bare.register(auth, { db: db() })
      await expect(bare.register(async (scope) => void scope.get('/api/v1/open', { config }, async () => 'oops')).ready()).rejects.toThrow(
        config?.roles?.length ? /unknown role: "root"/ : /Route GET \/api\/v1\/open declares no roles/,
      )
      await bare.close().catch(() => {})
    }
  })

  it('keeps presented keys briefly: a key revoked outside the API (the CLI) is refused once its cache entry expires', async () => {
    const ttl = 1500
    const cached = await buildApp({ db: db(), keyCacheTtlMs: ttl })
    try {
      const key = await makeKey({ name: 'short-lived', role: 'system' })
      expect((await cached.inject({ url: '/api/v1/me', headers: bearer(key.secret) })).statusCode).toBe(200)
      const seen = Date.now() // the entry expires by seen + ttl
      await revokeApiKey(db(), key.id, 'cli:test')
      expect((await cached.inject({ url: '/api/v1/me', headers: bearer(key.secret) })).statusCode).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, ttl - (Date.now() - seen) + 50))
      expect((await cached.inject({ url: '/api/v1/me', headers: bearer(key.secret) })).statusCode).toBe(401)
    } finally {
      await cached.close()
    }
  })

  it('takes an Open311 api_key from the query or body on routes that ask for it, and only there', async () => {
    const open = Fastify()
    await open.register(auth, { db: db() })
    await open.register(problems)
    open.post('/requests.json', { config: { roles: ['system', 'admin'], apiKeyParam: true } }, async (request) => request.principal.name)
    open.get('/plain', { config: { roles: ['admin'] } }, async (request) => keyFromRequest(request))
    try {
      const system = await makeKey({ name: 'open311-gateway', role: 'system' })
      const viaBody = await open.inject({ method: 'POST', url: '/requests.json', payload: { api_key: system.secret } })
      expect(viaBody.statusCode, viaBody.body).toBe(200)
      expect(viaBody.body).toBe('open311-gateway')
      const viaQuery = await open.inject({ method: 'POST', url: `/requests.json?api_key=${system.secret}`, payload: {} })
      expect(viaQuery.body).toBe('open311-gateway')
      expect((await open.inject({ method: 'POST', url: '/requests.json', payload: {} })).statusCode).toBe(401)
      expect((await open.inject({ url: `/plain?api_key=${admin}` })).statusCode).toBe(401)
      expect((await open.inject({ url: '/plain', headers: bearer(admin) })).body).toBe(admin)
    } finally {
      await open.close()
    }
  })
})
