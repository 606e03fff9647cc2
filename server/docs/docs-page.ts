/**
 * The API description as one self-contained HTML page, rendered on the
 * server from the OpenAPI document: no script, no font or file from anywhere,
 * one inline style allowed by its hash. Operations are grouped by tag, each
 * with who may call it, its parameters, body and answers with their examples.
 */
import { createHash } from 'node:crypto'

type Json = Record<string, unknown>

const STYLE = `
body{font:15px/1.5 system-ui,"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:0;color:#1d2733;background:#f6f8fa}
header{background:#12345a;color:#fff;padding:16px 32px}header a{color:#cfe3ff}
main{max-width:1100px;margin:0 auto;padding:8px 32px 64px}nav ul{columns:2;padding-left:18px}
h2{margin-top:40px;border-bottom:2px solid #d0d7de}details{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:8px 0}
summary{cursor:pointer;padding:8px 12px;font-family:ui-monospace,monospace}summary span.s{font-family:system-ui,sans-serif;color:#57606a;margin-left:8px}
.m{display:inline-block;min-width:58px;font-weight:bold}.get{color:#0a6d2c}.post{color:#8a4b00}.put{color:#6f42c1}.delete{color:#b3261e}.head{color:#57606a}
.body{padding:0 16px 12px}table{border-collapse:collapse;width:100%}td,th{border-top:1px solid #eaeef2;padding:4px 8px;text-align:left;vertical-align:top}
td code{word-break:break-all}pre{background:#f3f5f7;padding:8px;overflow:auto;max-height:320px;font-size:13px}code{font-size:13px}`

export const DOCS_STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`
export const DOCS_CSP = `default-src 'none'; style-src ${DOCS_STYLE_HASH}; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2))
/** Long examples (a page of features) cut to what a reader looks at. */
const clip = (s: string) => (s.length > 4000 ? `${s.slice(0, 4000)}\n…` : s)

export function renderDocsPage(doc: Json): string {
  const info = doc.info as Json
  const paths = doc.paths as Record<string, Record<string, Json>>
  const tags = (doc.tags as { name: string; description: string }[]) ?? []
  const shared = ((doc.components as Json | undefined)?.responses ?? {}) as Record<string, Json>
  const byTag = new Map<string, string[]>(tags.map((t) => [t.name, []]))
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = ((op.tags as string[] | undefined) ?? ['other'])[0]!
      if (!byTag.has(tag)) byTag.set(tag, [])
      byTag.get(tag)!.push(operation(method, path, op, shared))
    }
  }
  const sections = [...byTag].filter(([, ops]) => ops.length > 0)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title)} — API</title><link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body><header><h1>${esc(info.title)} <small>${esc(info.version)}</small></h1>
<p>${esc(info.description ?? '')} Machine-readable: <a href="/docs/openapi.json">/docs/openapi.json</a> (OpenAPI ${esc(doc.openapi)}).</p></header>
<main><nav><ul>${sections.map(([tag, ops]) => `<li><a href="#${esc(tag)}">${esc(tag)}</a> (${ops.length})</li>`).join('')}</ul></nav>
${sections.map(([tag, ops]) => `<h2 id="${esc(tag)}">${esc(tag)}</h2><p>${esc(tags.find((t) => t.name === tag)?.description ?? '')}</p>${ops.join('\n')}`).join('\n')}
</main></body></html>`
}

function operation(method: string, path: string, op: Json, shared: Record<string, Json>): string {
  const params = (op.parameters as Json[] | undefined) ?? []
  const body = op.requestBody as { content: Record<string, Json> } | undefined
  const responses = op.responses as Record<string, Json>
  return `<details id="${esc(op.operationId)}"><summary><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span>${esc(path)}<span class="s">${esc(op.summary ?? '')}</span></summary><div class="body">
<p>${esc(op.description ?? '')}</p>
${params.length ? `<table><tr><th>parameter</th><th>in</th><th>schema</th><th>description</th></tr>${params.map(param).join('')}</table>` : ''}
${body ? `<h4>Body</h4>${media(body.content)}` : ''}
<h4>Answers</h4><table>${Object.entries(responses).map(([status, r]) => response(status, r, shared)).join('')}</table>
</div></details>`
}

function param(p: Json): string {
  const schema = { ...(p.schema as Json) }
  return `<tr><td><code>${esc(p.name)}</code>${p.required ? ' *' : ''}</td><td>${esc(p.in)}</td><td><code>${esc(JSON.stringify(schema))}</code></td><td>${esc(p.description ?? schema.description ?? '')}</td></tr>`
}

function media(content: Record<string, Json> | undefined): string {
  if (!content) return ''
  return Object.entries(content)
    .map(([type, m]) => `<p><code>${esc(type)}</code></p>${m.example !== undefined ? `<pre>${esc(clip(shown(m.example)))}</pre>` : ''}`)
    .join('')
}

function response(status: string, r: Json, shared: Record<string, Json>): string {
  const ref = typeof r.$ref === 'string' ? r.$ref.split('/').pop()! : null
  const description = ref ? `problem+json: ${shared[ref]?.description ?? ref}` : (r.description ?? '')
  return `<tr><td>${esc(status)}</td><td>${esc(description)}${ref ? '' : media(r.content as Record<string, Json> | undefined)}</td></tr>`
}
