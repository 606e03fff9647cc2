/**
 * Analytics tables as CSV (RFC 4180: CRLF line ends, fields with a comma,
 * quote or line break quoted, quotes doubled) when the caller asks with
 * `format=csv` or `Accept: text/csv`. An explicit `format=json` wins over the
 * Accept header. A UTF-8 byte order mark (`bom=true`) lets Excel read Chinese
 * names; it is off by default because most CSV readers keep it in the first
 * header.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { csvText } from '../plugins/csv-line.ts'

export interface Column<T> {
  name: string
  value: (row: T) => unknown
}

export function wantsCsv(request: FastifyRequest): boolean {
  const format = (request.query as { format?: string } | undefined)?.format
  if (format) return format === 'csv'
  return /(^|,)\s*text\/csv\b/i.test(request.headers.accept ?? '')
}

export function toCsv<T>(columns: readonly Column<T>[], rows: readonly T[], options: { bom?: boolean } = {}): string {
  const lines = [columns.map((c) => csvText(c.name)).join(',')]
  for (const row of rows) lines.push(columns.map((c) => csvText(text(c.value(row)))).join(','))
  return (options.bom ? '\uFEFF' : '') + lines.join('\r\n') + '\r\n'
}

/**
 * Answers `rows` as a CSV attachment. The parameters the answer was computed
 * with travel in the `Zhiwang-Params` header (a query string), since CSV has
 * no place for them.
 */
export function sendCsv<T>(reply: FastifyReply, name: string, params: Record<string, unknown>, columns: readonly Column<T>[], rows: readonly T[], bom = false): string {
  const query = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) query.set(k, String(v))
  reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .header('zhiwang-params', query.toString())
  return toCsv(columns, rows, { bom })
}

function text(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (v instanceof Date) return v.toISOString()
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}
