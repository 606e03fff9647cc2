/**
 * The binary form of POST /api/v1/lookup/batch, for clients that move
 * millions of points: no number is printed or parsed on either side.
 *
 * Request, `Content-Type: application/octet-stream`: lon, lat, lon, lat, …
 * as IEEE 754 Float64 little-endian, 16 bytes a point.
 *
 * Answer, `application/octet-stream`: one line of JSON, then one Int32
 * little-endian per point, in input order. The line is
 * `{"generation":{…},"count":n,"invalid":k,"codes":["…",…]}` padded with
 * spaces so that, with its "\n", it fills a multiple of 4 bytes (the Int32s
 * are aligned). Each Int32 `v` reads:
 *   v ≥ 0   the grid `codes[v >> 1]`, on its boundary when `v & 1` is 1;
 *   v = −1  no grid covers the point;
 *   v = −2  not a point (NaN, or lon/lat outside WGS84 range).
 */
import type { GenerationInfo } from './indexed-generation.ts'

export const BINARY_TYPE = 'application/octet-stream'
export const NO_GRID = -1
export const NOT_A_POINT = -2

export interface BinaryHeader {
  generation: GenerationInfo
  count: number
  invalid: number
  codes: string[]
}

/** The body's points as interleaved lon/lat; null when its length is not a whole number of points. */
export function readBinaryPoints(body: Buffer): Float64Array | null {
  if (body.length % 16 !== 0) return null
  const n = body.length / 8
  // Aligned on a little-endian machine: read in place. Otherwise one copy, byte order explicit.
  if (body.byteOffset % 8 === 0 && LITTLE_ENDIAN) return new Float64Array(body.buffer, body.byteOffset, n)
  const out = new Float64Array(n)
  const view = new DataView(body.buffer, body.byteOffset, body.length)
  for (let k = 0; k < n; k++) out[k] = view.getFloat64(8 * k, true)
  return out
}

/** The answer: header line, then `answers` (already encoded as above). */
export function encodeBinaryAnswer(header: BinaryHeader, answers: Int32Array): Buffer {
  let line = JSON.stringify(header)
  line += ' '.repeat((4 - ((Buffer.byteLength(line) + 1) % 4)) % 4) + '\n'
  const head = Buffer.from(line)
  const out = Buffer.allocUnsafe(head.length + 4 * answers.length)
  head.copy(out, 0)
  if (LITTLE_ENDIAN) out.set(new Uint8Array(answers.buffer, answers.byteOffset, 4 * answers.length), head.length)
  else for (let k = 0; k < answers.length; k++) out.writeInt32LE(answers[k]!, head.length + 4 * k)
  return out
}

/** Reads an answer (a client's side of the format; the benchmark and the tests use it). */
export function decodeBinaryAnswer(bytes: ArrayBuffer): { header: BinaryHeader; answers: Int32Array } {
  const all = new Uint8Array(bytes)
  const end = all.indexOf(0x0a)
  if (end < 0 || (end + 1) % 4 !== 0) throw new Error(`Unexpected binary lookup answer: no aligned header line (newline at ${end})`)
  const header = JSON.parse(new TextDecoder().decode(all.subarray(0, end))) as BinaryHeader
  if (bytes.byteLength - (end + 1) !== 4 * header.count) throw new Error(`Unexpected binary lookup answer: ${bytes.byteLength - end - 1} bytes for ${header.count} points`)
  let answers = new Int32Array(bytes, end + 1, header.count)
  if (!LITTLE_ENDIAN) {
    const view = new DataView(bytes, end + 1)
    answers = Int32Array.from({ length: header.count }, (_, k) => view.getInt32(4 * k, true))
  }
  return { header, answers }
}

/** The points as a request body (a client's side of the format). */
export function encodeBinaryPoints(coords: Float64Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(coords.buffer, coords.byteOffset, coords.byteLength)
  const out = new DataView(new ArrayBuffer(coords.byteLength))
  coords.forEach((v, k) => out.setFloat64(8 * k, v, true))
  return new Uint8Array(out.buffer)
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
