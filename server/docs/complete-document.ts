/**
 * Turns what @fastify/swagger makes of the route schemas into a description a
 * client author can use: every operation gets a summary, a tag, an
 * operationId, who may call it, its body when the route reads the body
 * itself, a success answer with an example per media type, and the
 * problem+json answers it can give. Examples come from real answers
 * (examples.json, kept by tests/docs/examples.test.ts) where there is one,
 * from the route's response schema otherwise, else a generic one per type.
 */
import type { RouteOptions } from 'fastify'
import { readFileSync } from 'node:fs'
import { exampleFor, exampleFromSchema } from './examples.ts'
import { OPERATIONS, TAGS, tileDoc, type MediaDoc, type OperationDoc } from './operations.ts'
import { PROBLEM_RESPONSES, problemRefs } from './problem-responses.ts'

/** Left out: OGC API – Features describes itself at /ogc/api; /assets/* are the console's files. */
export const EXCLUDED = /^\/(ogc|assets)(\/|$)/

export interface CapturedExample {
  status: number
  type: string
  example: unknown
}

const EXAMPLES_FILE = new URL('./examples.json', import.meta.url)

/** The captured answers, by `METHOD /path`; none when the file is missing. */
export function loadExamples(): Record<string, CapturedExample> {
  try {
    return JSON.parse(readFileSync(EXAMPLES_FILE, 'utf8')) as Record<string, CapturedExample>
  } catch {
    return {}
  }
}

/** Fastify's `/a/:b.:c` as OpenAPI's `/a/{b}.{c}`. */
export const openapiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')

export function docOf(method: string, path: string): OperationDoc | null {
  return OPERATIONS[`${method} ${path}`] ?? tileDoc(path) ?? (method === 'HEAD' ? docOf('GET', path) : null)
}

/** The `transform` of @fastify/swagger: per route, what its schema lacks. */
export function describeRoute(route: RouteOptions, schema: Record<string, unknown> | undefined, defaultBodyLimit: number) {
  const method = String(route.method).toUpperCase()
  const path = openapiPath(route.url)
  const roles = (route.config?.roles ?? []) as readonly string[]
  // Open311 takes its key as api_key and checks it in the route: public to the auth plugin, but keyed.
  const isPublic = roles.includes('public') && !route.config?.apiKeyParam
  const doc = docOf(method, path)
  const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH'
  const limit = route.bodyLimit ?? defaultBodyLimit
  const description = [
    doc?.description,
    method === 'HEAD' ? 'The headers of the GET answer, without its body.' : null,
    isPublic ? 'Public: no key needed.' : `Needs an API key with role ${roles.filter((r) => r !== 'public').join(', ')}${route.config?.apiKeyParam ? ' (as api_key in the form or query string, or a header)' : ''}.`,
    hasBody ? `Largest body: ${formatBytes(limit)}${doc?.body && Object.keys(doc.body).some(isStream) ? ' (NDJSON and CSV streams: no limit)' : ''}.` : null,
  ].filter(Boolean).join(' ')
  return {
    ...schema,
    hide: EXCLUDED.test(route.url) || Boolean(schema?.hide),
    summary: doc?.summary ?? `${method} ${path}`,
    description,
    tags: [TAGS.find((t) => t.paths.test(path))!.name],
    operationId: operationId(method, path),
    security: (isPublic ? [{}, { bearer: [] }, { apiKey: [] }] : [{ bearer: [] }, { apiKey: [] }]) as Record<string, string[]>[],
    'x-roles': roles,
    ...(hasBody ? { 'x-body-limit': limit } : {}),
  }
}

const isStream = (type: string) => type === 'application/x-ndjson' || type === 'text/csv'

type Operation = {
  parameters?: { in: string; name: string; required?: boolean; schema?: Record<string, unknown> }[]
  requestBody?: { required?: boolean; content: Record<string, MediaDoc> }
  responses: Record<string, object>
  'x-roles'?: readonly string[]
}

/** The `transformObject` of @fastify/swagger: completes every operation and adds the shared parts. */
export function completeDocument(document: Record<string, unknown>, examples: Record<string, CapturedExample>) {
  const paths = document.paths as Record<string, Record<string, Operation>>
  for (const [path, operations] of Object.entries(paths)) {
    for (const [lower, op] of Object.entries(operations)) {
      const method = lower.toUpperCase()
      const doc = docOf(method, path)
      for (const p of op.parameters ?? []) {
        // A query parameter with a default is not required, whatever the validation schema says.
        if (p.in === 'query' && p.schema?.default !== undefined) p.required = false
      }
      if (!op.requestBody && doc?.body) op.requestBody = { required: true, content: structuredClone(doc.body) }
      for (const media of Object.values(op.requestBody?.content ?? {})) media.example ??= exampleFromSchema(media.schema)

      const ok = successOf(method, path, op, doc, examples)
      op.responses = { [String(ok.status)]: ok.response, ...problemRefs(path, op) }
    }
  }
  const components = (document.components ??= {}) as Record<string, Record<string, unknown>>
  components.responses = { ...components.responses, ...PROBLEM_RESPONSES.responses }
  components.schemas = { ...components.schemas, ...PROBLEM_RESPONSES.schemas }
  document.tags = TAGS.map(({ name, description }) => ({ name, description }))
  return document
}

function successOf(method: string, path: string, op: Operation, doc: OperationDoc | null, examples: Record<string, CapturedExample>) {
  const generated = (op.responses['200'] ?? op.responses['201']) as { description?: string; content?: Record<string, MediaDoc> } | undefined
  const generatedContent = generated?.content
  const status = doc?.ok?.status ?? 200
  const description = doc?.ok?.description ?? (generated?.description && generated.description !== 'Default Response' ? generated.description : 'OK')
  if (method === 'HEAD') return { status, response: { description } }

  const captured = examples[`${method} ${path}`]
  const content: Record<string, MediaDoc> = structuredClone(doc?.ok?.content ?? generatedContent ?? {})
  if (captured && !content[captured.type]) content[captured.type] = {}
  if (!doc?.ok?.content) for (const type of answerTypes(path, op)) content[type] ??= {}
  for (const [type, media] of Object.entries(content)) {
    media.example ??= captured?.type === type ? captured.example : exampleFor(type, media.schema)
  }
  return { status, response: { description, content } }
}

/** What a route answers besides what its docs say: JSON, and the formats its `format` parameter offers. */
function answerTypes(path: string, op: Operation): string[] {
  if (path.startsWith('/open311/')) return ['application/json', 'application/xml']
  const format = op.parameters?.find((p) => p.in === 'query' && p.name === 'format')?.schema?.enum as string[] | undefined
  const types = ['application/json']
  if (format?.includes('geojson')) types.push('application/geo+json')
  if (format?.includes('csv')) types.push('text/csv')
  return types
}

function operationId(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean)
  return method.toLowerCase() + (words.length ? words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('') : 'Root')
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`
  return `${n} bytes`
}
