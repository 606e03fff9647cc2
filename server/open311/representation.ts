/**
 * One answer, two formats: XML (the spec's mandatory one) and JSON. The same
 * plain value is serialised both ways; JSON drops the XML root, so a list is
 * a top-level array and a service definition one object.
 */
import type { FastifyReply } from 'fastify'
import { xmlDocument, type XmlValue } from './xml.ts'

export const FORMATS = ['xml', 'json'] as const
export type Format = (typeof FORMATS)[number]

export const isFormat = (value: unknown): value is Format => (FORMATS as readonly unknown[]).includes(value)

export type Root = 'services' | 'service_definition' | 'service_requests' | 'errors' | 'discovery'

const ITEM_TAGS: Record<string, string> = {
  services: 'service',
  service_requests: 'request',
  attributes: 'attribute',
  values: 'value',
  errors: 'error',
  endpoints: 'endpoint',
  formats: 'format',
}

export function render(reply: FastifyReply, format: Format, root: Root, body: XmlValue): string | XmlValue {
  if (format === 'json') {
    reply.type('application/json; charset=utf-8')
    return body
  }
  reply.type('application/xml; charset=utf-8')
  return xmlDocument(root, body, ITEM_TAGS)
}

/** The format a URL asks for by its extension; XML (the mandatory one) when it names none we serve. */
export function formatOfUrl(url: string): Format {
  const ext = /\.([A-Za-z0-9]+)$/.exec(url.split('?')[0]!)?.[1]?.toLowerCase()
  return isFormat(ext) ? ext : 'xml'
}
