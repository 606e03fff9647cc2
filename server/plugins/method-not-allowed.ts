/**
 * 405 instead of 404 when the path exists but not for this method, with the
 * `Allow` header RFC 9110 asks for. Fastify's router answers both with its
 * not-found handler, so the routes' paths (every route is listed with its
 * roles by the auth plugin: app.routeRoles) are matched here as patterns, and
 * the not-found handler asks `allowedMethods` before saying 404.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

export class RouteMethods {
  private readonly routes: { pattern: RegExp; methods: Set<string> }[] = []
  private readonly byUrl = new Map<string, Set<string>>()

  add(url: string, method: string | string[]): void {
    let methods = this.byUrl.get(url)
    if (!methods) {
      methods = new Set()
      this.byUrl.set(url, methods)
      this.routes.push({ pattern: patternOf(url), methods })
    }
    for (const m of [method].flat()) methods.add(m.toUpperCase())
  }

  /** The methods any route takes for this path (without its query), sorted; empty when no route has the path. */
  allowedMethods(path: string): string[] {
    const allowed = new Set<string>()
    for (const r of this.routes) if (r.pattern.test(path)) for (const m of r.methods) allowed.add(m)
    return [...allowed].sort()
  }
}

/** find-my-way's syntax: `:name` one segment (also `:name.ext` inside one), `*` the rest. */
function patternOf(url: string): RegExp {
  const body = url.split(/(:[A-Za-z_]\w*|\*)/).map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))).join('')
  return new RegExp(`^${body}/?$`)
}

/**
 * Sets `app`'s not-found handler: `answer` gets the methods the path takes other than the one asked
 * (the Allow header already set: a 405), or none (a 404). Routes are read from app.routeRoles on first
 * use, when all are known.
 */
export function setNotFoundOrNotAllowed(
  app: FastifyInstance,
  answer: (request: FastifyRequest, reply: FastifyReply, path: string, allowed: string[]) => unknown,
): void {
  let routes: RouteMethods | null = null
  app.setNotFoundHandler((request, reply) => {
    if (!routes) {
      routes = new RouteMethods()
      for (const r of app.routeRoles ?? []) routes.add(r.url, r.method)
    }
    const path = request.url.split('?')[0]!
    const allowed = routes.allowedMethods(path).filter((m) => m !== request.method)
    if (allowed.length > 0) reply.header('allow', allowed.join(', '))
    return answer(request, reply, path, allowed)
  })
}
