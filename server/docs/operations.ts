/**
 * What the route schemas cannot say: a summary per operation, its tag, the
 * bodies of routes that read their body themselves (streams, GeoJSON
 * imports, binary batches), and answers other than a JSON 200. Keys are
 * `METHOD /openapi/{path}`; an operation missing here still appears, with a
 * summary made from its path (see complete-document.ts).
 */

export interface MediaDoc {
  schema?: object
  example?: unknown
}

export interface OperationDoc {
  summary: string
  description?: string
  /** Request bodies by media type, for routes without a body schema. */
  body?: Record<string, MediaDoc>
  /** The success answer when it is not `200` with JSON. */
  ok?: { status: number; description: string; content?: Record<string, MediaDoc> }
}

/** Tags in the order the docs page lists them, each with the paths it takes. */
export const TAGS: { name: string; description: string; paths: RegExp }[] = [
  { name: 'lookup', description: 'Which grid, community and town cover a point', paths: /^\/api\/v1\/(lookup|point|my-grid)/ },
  { name: 'units', description: 'Towns, communities and grids, their generations and coverage', paths: /^\/api\/v1\/(units|generations)/ },
  { name: 'administrators', description: 'Grid administrators', paths: /^\/api\/v1\/administrators/ },
  { name: 'incidents', description: 'Incident reports, their workflow and supervision', paths: /^\/api\/v1\/(incident|incidents|supervision)/ },
  { name: 'analytics', description: 'Hot spots, workload, balance and supervision figures', paths: /^\/api\/v1\/analytics/ },
  { name: 'patrols', description: 'Patrol tracks and coverage', paths: /^\/api\/v1\/patrols/ },
  { name: 'plans', description: 'Boundary planning', paths: /^\/api\/v1\/plans/ },
  { name: 'tiles', description: 'Vector tiles and TileJSON', paths: /^\/tiles\// },
  { name: 'open311', description: 'Open311 GeoReport v2', paths: /^\/open311\// },
  { name: 'keys', description: 'API keys, roles and the audit log', paths: /^\/api\/v1\/(keys|me|audit)/ },
  { name: 'service', description: 'Health, problem types, this description and the console', paths: /^\// },
]

const POINTS = { type: 'object', required: ['points'], properties: { points: { type: 'array', items: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 } } } }
const FEATURES = { type: 'object', required: ['type', 'features'], properties: { type: { const: 'FeatureCollection' }, features: { type: 'array', items: { type: 'object' } } } }
const binary = { type: 'string', contentMediaType: 'application/octet-stream' }
const text = (mediaType: string) => ({ type: 'string', contentMediaType: mediaType })
const incident = { category: 'ENV-01', lon: 113.7512, lat: 23.0205, channel: 'citizen', description: '垃圾堆积' }
const streamOk = (what: string) => ({
  status: 200,
  description: what,
  content: { 'application/x-ndjson': { schema: text('application/x-ndjson') }, 'text/csv': { schema: text('text/csv') } },
})

export const OPERATIONS: Record<string, OperationDoc> = {
  'GET /health': { summary: 'Readiness: database reachable and a current generation; 503 while shutting down' },
  'GET /health/live': { summary: 'Liveness: the process answers' },
  'GET /problems/{code}': { summary: 'What a problem type means' },
  'GET /': { summary: 'The map console', ok: { status: 200, description: 'The console page', content: { 'text/html': { schema: text('text/html'), example: '<!doctype html><html lang="zh-CN">…' } } } },
  'GET /console/config.json': { summary: "The console's settings: demo keys, basemap and tile layers" },
  'GET /docs': { summary: 'This API description as a page', ok: { status: 200, description: 'HTML', content: { 'text/html': { schema: text('text/html'), example: '<!doctype html><html lang="en">…' } } } },
  'GET /docs/openapi.json': { summary: 'This API description (OpenAPI 3.1)' },

  'GET /api/v1/lookup': { summary: 'Which grid, community and town cover a point, and who serves the grid' },
  'GET /api/v1/my-grid': { summary: "For citizens: my grid and its administrators' public contact" },
  'GET /api/v1/point/4326/{point}': { summary: 'MapIt-style: every unit covering the point, city first' },
  'POST /api/v1/lookup/batch': {
    summary: 'Many points at once: JSON, Float64 binary, or NDJSON / CSV streams of any size',
    description: 'JSON and binary bodies hold up to 1,000,000 points (64 MiB); NDJSON and CSV are streamed row by row in constant memory, with no size limit. ' +
      'The binary answer is a JSON header line padded to a multiple of 4 bytes, then one Int32 little-endian per point: 2 × grid index + onBoundary, −1 no grid, −2 not a point.',
    body: {
      'application/json': { schema: POINTS, example: { points: [[113.7512, 23.0205], [113.9, 22.8]] } },
      'application/octet-stream': { schema: binary, example: '(Float64 little-endian lon, lat pairs: 16 bytes a point)' },
      'application/x-ndjson': { schema: text('application/x-ndjson'), example: '{"lon":113.7512,"lat":23.0205,"id":"a"}\n[113.9,22.8]\n' },
      'text/csv': { schema: text('text/csv'), example: 'id,lon,lat\na,113.7512,23.0205\n' },
    },
  },

  'GET /api/v1/units': { summary: 'Units as a GeoJSON FeatureCollection, filtered and paged' },
  'GET /api/v1/units/{code}': { summary: 'One unit with its ancestors, children and administrators' },
  'GET /api/v1/units/{code}/coverage': { summary: 'Gaps and overlaps among the children of a unit' },
  'POST /api/v1/units/import': {
    summary: 'Import a FeatureCollection of units as a new generation (all checks, one transaction)',
    body: { 'application/geo+json': { schema: FEATURES }, 'application/json': { schema: FEATURES, example: { type: 'FeatureCollection', features: [] } } },
  },
  'GET /api/v1/generations': { summary: 'The boundary generations with their validity' },
  'GET /api/v1/administrators': { summary: 'Grid administrators with the grids they serve' },
  'POST /api/v1/administrators': {
    summary: "Create or replace a city's list of administrators at once",
    description: 'Each entry is the whole new state of one administrator (phone omitted: none; active omitted: true). One transaction: an unknown grid or a repeated employee number refuses the whole list and nothing is stored. Answers how many were created, updated and left unchanged.',
  },
  'GET /api/v1/administrators/{employeeNo}': {
    summary: 'One administrator, with the periods they served each grid',
    description: '`assignments` lists every period the administrator served a grid while active (`from` null: since before records were kept; `to` null: still serving). Lookups with `at` name the administrators of that moment from these periods.',
  },
  'PUT /api/v1/administrators/{employeeNo}': {
    summary: 'Create (201) or replace (200) one administrator',
    description: 'The body is the whole new state: grids are exactly the ones given (codes of grids of the current generation). Lookups on this server name the new administrators when the answer arrives; grid_admin keys see their new grids at once.',
    ok: { status: 201, description: 'Created, with Location; replacing an existing administrator answers 200 with the same body' },
  },
  'PATCH /api/v1/administrators/{employeeNo}': {
    summary: "Change some of an administrator's fields (name, phone, active, grids)",
    description: '`active: false` records that the administrator no longer serves: lookups stop naming them and their assignment periods end, the history stays.',
  },

  'GET /api/v1/incident-categories': { summary: 'The incident category catalogue' },
  'PUT /api/v1/incident-categories/{code}': { summary: 'Create or change an incident category' },
  'POST /api/v1/incidents': {
    summary: 'Report one incident; routed to the grid covering the point',
    body: { 'application/json': { schema: { type: 'object', required: ['category', 'lon', 'lat', 'channel'] }, example: incident } },
    ok: { status: 201, description: 'Stored (200 with the stored incident when the same channel and external_id were reported before)' },
  },
  'POST /api/v1/incidents/bulk': {
    summary: 'Bulk intake: NDJSON or CSV of any size, one answer line per row',
    body: {
      'application/x-ndjson': { schema: text('application/x-ndjson'), example: JSON.stringify({ ...incident, external_id: 'x-1' }) + '\n' },
      'text/csv': { schema: text('text/csv'), example: 'category,lon,lat,channel,external_id\nENV-01,113.7512,23.0205,hotline,x-1\n' },
    },
    ok: streamOk('One line per row, in row order: its id, or its row number and the reason'),
  },
  'GET /api/v1/incidents': { summary: 'Incidents, filtered, sorted and paged; JSON, GeoJSON or CSV' },
  'GET /api/v1/incidents/{id}': { summary: 'One incident with its history and probable duplicates' },
  'POST /api/v1/incidents/{id}/transitions': { summary: 'A workflow step: accept, dispatch, handle, verify, close, reject, merge, reopen' },
  'GET /api/v1/incidents/by-token/{token}': { summary: 'A reporter follows their report by its receipt token' },
  'POST /api/v1/incidents/by-token/{token}/rating': { summary: "The reporter's satisfaction once the incident is closed" },
  'GET /api/v1/supervision/queue': { summary: 'Dispatched incidents past their deadline, most escalated first' },

  'POST /api/v1/patrols': {
    summary: "Store a patrol track (GPX or GeoJSON) of an administrator",
    body: {
      'application/gpx+xml': { schema: text('application/gpx+xml'), example: '<gpx version="1.1"><trk><trkseg><trkpt lat="23.02" lon="113.75"><time>2025-01-01T08:00:00Z</time></trkpt></trkseg></trk></gpx>' },
      'application/geo+json': { schema: { type: 'object' } },
    },
    ok: { status: 201, description: 'The stored track: positions, length and cells' },
  },
  'GET /api/v1/patrols': { summary: 'Patrol tracks as GeoJSON, newest first: by administrator, grid crossed and period (a grid administrator sees their own)' },
  'GET /api/v1/patrols/coverage': { summary: 'Patrol coverage of grids' },

  'GET /api/v1/analytics/h3': { summary: 'Counts and load per H3 cell' },
  'GET /api/v1/analytics/hotspots': { summary: "Hot spots: Getis-Ord Gi* or local Moran's I" },
  'GET /api/v1/analytics/emerging': { summary: 'Emerging hot spots: Gi* over a space-time cube and Mann–Kendall trends' },
  'GET /api/v1/analytics/series': { summary: 'Incidents over time by category, channel or status' },
  'GET /api/v1/analytics/workload': { summary: 'Workload per grid under a parent unit' },
  'GET /api/v1/analytics/balance': { summary: 'How evenly a measure is spread over grids (Gini, CV, …)' },
  'GET /api/v1/analytics/supervision': { summary: 'On-time closure, step times, reopen rate and satisfaction, ranked' },

  'GET /api/v1/me': { summary: 'Who the presented key is (public without one)' },
  'POST /api/v1/keys': { summary: 'Create an API key; its secret is shown only in this answer', ok: { status: 201, description: 'The new key with its secret' } },
  'GET /api/v1/keys': { summary: 'Every key with its role, prefix, scope and revocation (never a secret)' },
  'DELETE /api/v1/keys/{id}': { summary: 'Revoke a key, at once on this server' },
  'GET /api/v1/audit': { summary: 'The audit log, newest first' },

  'POST /api/v1/plans': { summary: 'Start a boundary plan for a town or community', ok: { status: 201, description: 'The new plan' } },
  'GET /api/v1/plans': { summary: 'Plans, filtered and paged' },
  'GET /api/v1/plans/{id}': { summary: 'One plan with its metrics and checks; its version is the ETag' },
  'DELETE /api/v1/plans/{id}': { summary: 'Discard a plan' },
  'POST /api/v1/plans/{id}/edits': { summary: 'Edit a plan, on the version named by `version` or If-Match (409 when another change came first, 428 when no version is named)' },
  'POST /api/v1/plans/{id}/undo': { summary: 'Undo the last edit' },
  'POST /api/v1/plans/{id}/redo': { summary: 'Redo the last undone edit' },
  'GET /api/v1/plans/{id}/blocks': { summary: "The plan's blocks and the grid each is assigned to" },
  'GET /api/v1/plans/{id}/export': { summary: 'The plan as GeoJSON or a cell,grid CSV' },
  'PUT /api/v1/plans/{id}/assignment': {
    summary: 'Replace the block assignment from a cell,grid CSV or GeoJSON',
    body: { 'text/csv': { schema: text('text/csv'), example: 'cell,grid\n8a41a8a0c0b7fff,441900003001001\n' }, 'application/geo+json': { schema: FEATURES } },
  },
  'GET /api/v1/plans/{id}/compare': { summary: 'Compare a plan with another or with the current boundaries' },
  'POST /api/v1/plans/{id}/publish': { summary: 'Publish a plan as a new boundary generation' },
  'POST /api/v1/plans/{id}/rebase': { summary: 'Move a plan onto the current generation' },

  'GET /open311/v2/services.{format}': { summary: 'Open311: service list' },
  'GET /open311/v2/services/{code}.{format}': { summary: 'Open311: service definition' },
  'POST /open311/v2/requests.{format}': {
    summary: 'Open311: submit a service request (api_key required)',
    body: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { api_key: { type: 'string' }, service_code: { type: 'string' }, lat: { type: 'number' }, long: { type: 'number' } } }, example: 'api_key=…&service_code=ENV-01&lat=23.0205&long=113.7512' } },
  },
  'GET /open311/v2/requests.{format}': { summary: 'Open311: service requests' },
  'GET /open311/v2/requests/{id}.{format}': { summary: 'Open311: one service request' },
  'GET /open311/v2/tokens/{token}.{format}': { summary: 'Open311: the request id behind a token' },
}

/** Tiles and TileJSON: one summary for every layer's routes. */
export function tileDoc(path: string): OperationDoc | null {
  const m = /^\/tiles\/([^/.]+)(\/\{z\}\/\{x\}\/\{y\}\.mvt|\.json)$/.exec(path)
  if (!m) return null
  const layer = m[1] === '{layer}' ? 'an unknown layer (404)' : `layer ${m[1]}`
  if (m[2] === '.json') return { summary: `TileJSON 3.0 of ${layer}` }
  return {
    summary: `Vector tile of ${layer}`,
    ok: { status: 200, description: 'Mapbox Vector Tile (204 when empty, 304 for a matching If-None-Match)', content: { 'application/vnd.mapbox-vector-tile': { schema: binary, example: '(protobuf bytes)' } } },
  }
}
