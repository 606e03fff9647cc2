/** One CSV line at a time (RFC 4180 quoting, no embedded newlines), for streaming endpoints. */

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

/** Splits a byte stream into lines (without their \r\n), lazily. */
export async function* streamLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let rest = ''
  for await (const chunk of stream) {
    const lines = (rest + chunk.toString()).split('\n')
    rest = lines.pop()!
    for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line
  }
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest
}
