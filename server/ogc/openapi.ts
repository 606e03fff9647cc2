/**
 * The OpenAPI 3.0 definition of /ogc (conformance class oas30). Items paths
 * are spelled out per collection so that each lists its own attribute
 * filters, taken from the same schemas that validate the requests.
 */
import { COLLECTIONS, type Collection } from './collections.ts'
import { DEFAULT_LIMIT, MAX_LIMIT } from './items-query.ts'
import { MEDIA, OGC_ROOT } from './documents.ts'

const ref = (name: string) => ({ $ref: `#/components/parameters/${name}` })

/** The standard's parameter definitions (OGC 17-069r4, §7.15 and Annex B), with what this server does. */
const PARAMETERS = {
  f: { name: 'f', in: 'query', required: false, description: 'Answer format; json (GeoJSON for features) is the only one and the default.', schema: { type: 'string', enum: ['json'] } },
  collectionId: { name: 'collectionId', in: 'path', required: true, schema: { type: 'string', enum: COLLECTIONS.map((c) => c.id) } },
  featureId: { name: 'featureId', in: 'path', required: true, description: 'Unit code (code@generation for a version of an earlier generation, as items with a datetime name it), or incident id.', schema: { type: 'string' } },
  bbox: {
    name: 'bbox', in: 'query', required: false, style: 'form', explode: false,
    description: 'minLon,minLat,maxLon,maxLat in CRS84 (or six numbers with heights minLon,minLat,minZ,maxLon,maxLat,maxZ; heights are ignored): only features whose geometry intersects the box. minLon > maxLon is a box across the antimeridian.',
    schema: { type: 'array', oneOf: [{ minItems: 4, maxItems: 4 }, { minItems: 6, maxItems: 6 }], items: { type: 'number' } },
  },
  limit: {
    name: 'limit', in: 'query', required: false, style: 'form', explode: false,
    description: `Features per page. A value above ${MAX_LIMIT} is clamped to ${MAX_LIMIT}; follow the next link for the rest.`,
    schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
  },
  offset: { name: 'offset', in: 'query', required: false, description: 'Features to skip; the next and prev links set it.', schema: { type: 'integer', minimum: 0, default: 0 } },
  datetime: {
    name: 'datetime', in: 'query', required: false, style: 'form', explode: false,
    description: 'RFC 3339 date-time, or interval start/end with .. for an open end. Incidents: reported_at. Units: the boundary generation(s) valid then (default: the current one).',
    schema: { type: 'string' },
  },
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/problem' } } } })

const ok = (description: string, type: string = MEDIA.json) => ({ description, content: { [type]: { schema: { type: 'object' } } } })

function get(operationId: string, summary: string, response: object, parameters: object[] = [ref('f')]) {
  return { get: { operationId, summary, parameters, responses: { 200: response, 400: problem('Invalid parameter'), 404: problem('Not found') } } }
}

function itemPaths(c: Collection) {
  const filters = Object.entries(c.filters).map(([name, schema]) => {
    const { description, ...rest } = schema as { description?: string }
    return { name, in: 'query', required: false, description, schema: rest }
  })
  const common = ['f', 'bbox', 'limit', 'offset', 'datetime'].map(ref)
  return {
    [`/collections/${c.id}/items`]: get(`get${c.id}Features`, `${c.title}: features`, ok('A page of features', MEDIA.geojson), [...common, ...filters]),
    [`/collections/${c.id}/items/{featureId}`]: get(`get${c.id}Feature`, `${c.title}: one feature`, ok('The feature', MEDIA.geojson), [ref('featureId'), ref('f')]),
  }
}

export function openApiDocument() {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Zhiwang 智网 — OGC API – Features',
      version: '1.0.0',
      description: 'OGC API – Features Part 1 (Core, GeoJSON, OpenAPI 3.0). Unknown query parameters are refused with 400.',
    },
    servers: [{ url: OGC_ROOT }],
    paths: {
      '/': get('getLandingPage', 'Landing page', ok('Links to the API definition, conformance and collections')),
      '/conformance': get('getConformanceDeclaration', 'Conformance classes implemented', ok('conformsTo')),
      '/api': get('getAPIDefinition', 'This API definition', ok('OpenAPI 3.0', MEDIA.openapi)),
      '/collections': get('getCollections', 'The feature collections', ok('Collections with extents and links')),
      '/collections/{collectionId}': get('describeCollection', 'One collection', ok('The collection'), [ref('collectionId'), ref('f')]),
      ...Object.assign({}, ...COLLECTIONS.map(itemPaths)),
    },
    components: {
      parameters: PARAMETERS,
      schemas: {
        problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, instance: { type: 'string' } },
        },
      },
    },
  }
}
