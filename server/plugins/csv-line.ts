/**
 * Streams of rows (NDJSON or CSV, RFC 4180 quoting) for the streaming
 * endpoints: records split off text that arrives in chunks of any size.
 */
import { StringDecoder } from 'node:string_decoder'

export function splitCsv(line: string): string[] {
  const cells: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cell += '"'), i++
      else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') cells.push(cell), (cell = '')
    else cell += c
  }
  cells.push(cell)
  return cells
}

export function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/**
 * A cell of a CSV export of stored text (what others typed: descriptions,
 * names). Text a spreadsheet would run as a formula — starting with = + - @,
 * a tab or a carriage return (OWASP, CSV injection) — gets a leading
 * apostrophe, which spreadsheets show as text; numbers stay numbers.
 */
export function csvText(v: string): string {
  return csvCell(/^[=+\-@\t\r]/.test(v) && !NUMBER.test(v) ? `'${v}` : v)
}

/** A record longer than the limit: its text is dropped as it arrives, and it is answered as an error in its place. */
export const OVERSIZE = Symbol('oversize record')
/** A CSV record whose quoted cell never closes: everything after its opening quote was read into it. */
export const UNCLOSED = Symbol('unclosed quote')
export type StreamRecord = string | typeof OVERSIZE | typeof UNCLOSED
export const UNCLOSED_MESSAGE = 'the row opens a quoted cell that never closes, so every line after it was read into that cell; close the quote (write "" for a quote inside a cell)'

/**
 * Splits text arriving in chunks into records: UTF-8 decoded across chunk
 * edges (a character split between two chunks stays whole), a leading
 * byte-order mark dropped, lines ended by \n or \r\n. For CSV, a line break
 * inside a quoted cell belongs to the record (as in the files our own CSV
 * exports write). A record over `maxRecord` characters is not kept in memory:
 * it comes out as OVERSIZE, and the records after it are unaffected.
 */
export class RecordSplitter {
  private readonly decoder = new StringDecoder('utf8')
  private rest = ''
  private started = false
  /** A CSV record whose quoted cell is still open at the end of a line. */
  private open: string | null = null
  /** Inside an oversize record: dropping text up to its end. */
  private dropping = false

  constructor(
    private readonly csv: boolean,
    readonly maxRecord = 1 << 20,
  ) {}

  push(chunk: Buffer | string): StreamRecord[] {
    return this.split(typeof chunk === 'string' ? chunk : this.decoder.write(chunk), false)
  }

  end(): StreamRecord[] {
    return this.split(this.decoder.end(), true)
  }

  private split(text: string, last: boolean): StreamRecord[] {
    if (!this.started && text.length > 0) {
      this.started = true
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    const out: StreamRecord[] = []
    let from = 0
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      this.line(text.slice(from, nl), out)
      from = nl + 1
    }
    const tail = text.slice(from)
    if (this.dropping) {
      if (last) this.finishDropping(out)
    } else if (this.rest.length + tail.length + (this.open?.length ?? 0) > this.maxRecord) {
      this.rest = ''
      this.open = null
      this.dropping = true
      if (last) this.finishDropping(out)
    } else {
      this.rest += tail
      if (last) {
        const rest = this.rest
        this.rest = ''
        if (rest !== '') this.line(rest, out)
        if (this.open !== null) out.push(UNCLOSED) // its lines are not guessed at: the row is answered with why
        this.open = null
      }
    }
    return out
  }

  private finishDropping(out: StreamRecord[]) {
    this.dropping = false
    out.push(OVERSIZE)
  }

  private line(piece: string, out: StreamRecord[]) {
    if (this.dropping) return this.finishDropping(out)
    let line = this.rest + piece
    this.rest = ''
    if (line.endsWith('\r')) line = line.slice(0, -1)
    if (this.open !== null) line = `${this.open}\n${line}`
    this.open = null
    if (line.length > this.maxRecord) return void out.push(OVERSIZE)
    if (this.csv && quotesOpen(line)) this.open = line
    else out.push(line)
  }
}

/** Whether a CSV text ends inside a quoted cell (an odd number of quote characters: "" escapes keep the parity). */
function quotesOpen(text: string): boolean {
  let open = false
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) open = !open
  return open
}

/** The records of a byte stream, lazily (see RecordSplitter). */
export async function* streamRecords(stream: AsyncIterable<Buffer | string>, csv: boolean, maxRecord?: number): AsyncGenerator<StreamRecord> {
  const splitter = new RecordSplitter(csv, maxRecord)
  for await (const chunk of stream) yield* splitter.push(chunk)
  yield* splitter.end()
}
