/**
 * OGC API – Features Part 1 at /ogc: landing page, conformance, OpenAPI
 * definition, collections and their items. Public reads (the incidents
 * collection shows only what Open311 shows anyone). Errors are the API's
 * problem+json.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { EVERYONE } from '../auth/roles.ts'
import type { Db } from '../db/client.ts'
import { AppError } from '../errors.ts'
import { readExtent, readItem, readItems } from './collection-data.ts'
import { COLLECTIONS, findCollection, type Collection } from './collections.ts'
import { CONFORMS_TO, MEDIA, OGC_ROOT, collectionDocument, itemsLinks, landingPage } from './documents.ts'
import { FormatParam, itemsQuerySchema, readItemsQuery } from './items-query.ts'
import { openApiDocument } from './openapi.ts'

export interface OgcRoutesOptions {
  db: Db
}

const FormatOnly = Type.Object({ f: Type.Optional(FormatParam) })
const config = { roles: EVERYONE }

export default async function ogcRoutes(app: FastifyInstance, opts: OgcRoutesOptions) {
  const { db } = opts
  const base = (request: FastifyRequest) => `${request.protocol}://${request.host}`
  const describe = async (request: FastifyRequest, c: Collection) => collectionDocument(base(request), c, await readExtent(db, c))
  // A Buffer, so that Fastify sends the media type exactly as written (GDAL matches its `version=3.0`).
  const openApi = Buffer.from(JSON.stringify(openApiDocument()))

  app.get(OGC_ROOT, { schema: { querystring: FormatOnly }, config }, async (request) => landingPage(base(request)))

  app.get(`${OGC_ROOT}/conformance`, { schema: { querystring: FormatOnly }, config }, async () => ({ conformsTo: CONFORMS_TO }))

  app.get(`${OGC_ROOT}/api`, { schema: { querystring: FormatOnly }, config }, async (_request, reply) => {
    reply.type(MEDIA.openapi)
    return openApi
  })

  app.get(`${OGC_ROOT}/collections`, { schema: { querystring: FormatOnly }, config }, async (request) => ({
    links: [{ href: `${base(request)}${OGC_ROOT}/collections`, rel: 'self', type: MEDIA.json, title: 'This document' }],
    collections: await Promise.all(COLLECTIONS.map((c) => describe(request, c))),
  }))

  app.get<{ Params: { collectionId: string } }>(`${OGC_ROOT}/collections/:collectionId`, { schema: { querystring: FormatOnly }, config }, async (request) =>
    describe(request, findCollection(request.params.collectionId) ?? unknownCollection(request.params.collectionId)),
  )

  // Unknown collections; the known ones have routes of their own below, which find-my-way prefers.
  for (const suffix of ['/items', '/items/:featureId']) {
    app.get<{ Params: { collectionId: string } }>(`${OGC_ROOT}/collections/:collectionId${suffix}`, { config }, async (request) => {
      unknownCollection(request.params.collectionId)
    })
  }

  for (const collection of COLLECTIONS) {
    const path = `${OGC_ROOT}/collections/${collection.id}/items`

    app.get<{ Querystring: Record<string, unknown> }>(path, { schema: { querystring: itemsQuerySchema(collection) }, config }, async (request, reply) => {
      const query = readItemsQuery(collection, request.query)
      const page = await readItems(db, collection, query)
      const search = new URL(request.url, 'http://x').searchParams
      const links = itemsLinks(base(request), collection, search, { ...query, returned: page.features.length, matched: page.numberMatched })
      reply.type(MEDIA.geojson)
      // The features are already GeoJSON text: joined, not parsed and serialised again.
      const head = { type: 'FeatureCollection', numberMatched: page.numberMatched, numberReturned: page.features.length, timeStamp: new Date().toISOString(), links }
      return `${JSON.stringify(head).slice(0, -1)},"features":[${page.features.join(',')}]}`
    })

    app.get<{ Params: { featureId: string } }>(`${path}/:featureId`, { schema: { querystring: FormatOnly }, config }, async (request, reply) => {
      const { featureId } = request.params
      const feature = await readItem(db, collection, featureId)
      if (feature === null) throw new AppError('not-found', `No feature ${JSON.stringify(featureId)} in collection ${collection.id}`)
      const href = `${base(request)}${path}`
      const links = [
        { href: `${href}/${encodeURIComponent(featureId)}`, rel: 'self', type: MEDIA.geojson, title: 'This feature' },
        { href: href.slice(0, -'/items'.length), rel: 'collection', type: MEDIA.json, title: collection.title },
      ]
      reply.type(MEDIA.geojson)
      return `${feature.slice(0, -1)},"links":${JSON.stringify(links)}}`
    })
  }
}

function unknownCollection(id: string): never {
  throw new AppError('not-found', `No collection ${JSON.stringify(id)}; the collections are ${COLLECTIONS.map((c) => c.id).join(', ')}`)
}
