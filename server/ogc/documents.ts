/**
 * The JSON resources of OGC API – Features Part 1 (OGC 17-069r4): landing
 * page, conformance declaration, collection descriptions and the links of a
 * page of items. Links are absolute: clients such as GDAL follow them as given.
 */
import type { Collection } from './collections.ts'
import type { Extent } from './collection-data.ts'

export const OGC_ROOT = '/ogc'

export const MEDIA = {
  json: 'application/json',
  geojson: 'application/geo+json',
  openapi: 'application/vnd.oai.openapi+json;version=3.0',
} as const

export const CONFORMS_TO = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
]

const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'
const GREGORIAN = 'http://www.opengis.net/def/uom/ISO-8601/0/Gregorian'

export interface Link {
  href: string
  rel: string
  type: string
  title?: string
}

export function landingPage(base: string) {
  const root = base + OGC_ROOT
  return {
    title: 'Zhiwang 智网 — OGC API – Features',
    description: 'Towns, communities and grids of the grid-governance registry, and reported incidents, as GeoJSON features.',
    links: [
      { href: root, rel: 'self', type: MEDIA.json, title: 'This document' },
      { href: `${root}/api`, rel: 'service-desc', type: MEDIA.openapi, title: 'The API definition (OpenAPI 3.0)' },
      { href: `${root}/conformance`, rel: 'conformance', type: MEDIA.json, title: 'Conformance classes implemented' },
      { href: `${root}/collections`, rel: 'data', type: MEDIA.json, title: 'The feature collections' },
    ],
  }
}

export function collectionDocument(base: string, collection: Collection, extent: Extent) {
  const href = `${base}${OGC_ROOT}/collections/${collection.id}`
  const [first, last] = extent.interval
  return {
    id: collection.id,
    title: collection.title,
    description: collection.description,
    itemType: 'feature',
    crs: [CRS84],
    extent: {
      ...(extent.bbox ? { spatial: { bbox: [extent.bbox], crs: CRS84 } } : {}),
      ...(first || last ? { temporal: { interval: [[first?.toISOString() ?? null, last?.toISOString() ?? null]], trs: GREGORIAN } } : {}),
    },
    links: [
      { href, rel: 'self', type: MEDIA.json, title: 'This collection' },
      { href: `${href}/items`, rel: 'items', type: MEDIA.geojson, title: `${collection.title} as GeoJSON` },
    ],
  }
}

/**
 * Links of a page of items: self (as requested), the collection, and prev and
 * next with the same parameters at another offset; next only while features remain.
 */
export function itemsLinks(base: string, collection: Collection, search: URLSearchParams, page: { limit: number; offset: number; returned: number; matched: number }): Link[] {
  const path = `${base}${OGC_ROOT}/collections/${collection.id}`
  const at = (offset: number) => {
    const params = new URLSearchParams(search)
    params.set('limit', String(page.limit))
    params.set('offset', String(offset))
    return `${path}/items?${params}`
  }
  const self = search.size > 0 ? `${path}/items?${search}` : `${path}/items`
  const links: Link[] = [
    { href: self, rel: 'self', type: MEDIA.geojson, title: 'This page' },
    { href: path, rel: 'collection', type: MEDIA.json, title: collection.title },
  ]
  // Past the end, the previous page is the last one that holds features.
  if (page.offset > 0) links.push({ href: at(Math.max(0, Math.min(page.offset - page.limit, page.matched - page.limit))), rel: 'prev', type: MEDIA.geojson, title: 'Previous page' })
  if (page.offset + page.returned < page.matched) links.push({ href: at(page.offset + page.limit), rel: 'next', type: MEDIA.geojson, title: 'Next page' })
  return links
}
