/**
 * Where a JSON text first breaks, as offset, line and column. Node's JSON.parse
 * only sometimes says where; a client sending megabytes of GeoJSON needs to
 * know. Runs only after JSON.parse has failed, so it favours clarity over speed.
 */
export interface JsonErrorPosition {
  offset: number
  line: number
  column: number
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y
const LITERAL = /true|false|null/y

export function jsonErrorPosition(text: string): JsonErrorPosition | null {
  const offset = firstError(text)
  if (offset < 0) return null
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) (line++, (lineStart = i + 1))
  return { offset, line, column: offset - lineStart + 1 }
}

function firstError(text: string): number {
  const stack: string[] = []
  let i = 0
  let expect: 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'comma-or-close' | 'end' = 'value'
  const after = () => (stack.length > 0 ? 'comma-or-close' : 'end')
  for (;;) {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++
    if (i >= text.length) return expect === 'end' ? -1 : i
    const c = text[i]!
    const top = stack[stack.length - 1]
    if (expect === 'end') return i
    if (expect === 'colon') {
      if (c !== ':') return i
      i++
      expect = 'value'
    } else if (expect === 'comma-or-close' || ((expect === 'value-or-close' || expect === 'key-or-close') && (c === ']' || c === '}'))) {
      if ((c === '}' && top === '{') || (c === ']' && top === '[')) {
        stack.pop()
        i++
        expect = after()
      } else if (c === ',' && expect === 'comma-or-close') {
        i++
        expect = top === '{' ? 'key' : 'value'
      } else return i
    } else if (expect === 'key' || expect === 'key-or-close') {
      if (c !== '"') return i
      const end = stringEnd(text, i)
      if (end < 0) return -end - 1
      i = end
      expect = 'colon'
    } else if (c === '{' || c === '[') {
      stack.push(c)
      i++
      expect = c === '{' ? 'key-or-close' : 'value-or-close'
    } else if (c === '"') {
      const end = stringEnd(text, i)
      if (end < 0) return -end - 1
      i = end
      expect = after()
    } else {
      const re = c === '-' || (c >= '0' && c <= '9') ? NUMBER : LITERAL
      re.lastIndex = i
      if (!re.test(text)) return i
      i = re.lastIndex
      expect = after()
    }
  }
}

/** Offset just past the string starting at `start`, or −(offset of the fault) − 1. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34) return i + 1
    if (c < 32) return -i - 1
    if (c === 92) {
      const e = text[i + 1]
      if (e === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return -i - 1
        i += 5
      } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++
      else return -i - 1
    }
  }
  return -text.length - 1
}
