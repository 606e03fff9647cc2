/**
 * A deliberately strict little XML reader for the tests: elements, text and
 * the five named entities plus character references — what GeoReport v2
 * documents hold. Anything else (attributes, CDATA, comments, a stray `<` or
 * `&`, a mismatched end tag) throws, so a malformed answer fails the test.
 */
export interface XmlElement {
  name: string
  children: XmlElement[]
  text: string
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

export function parseXml(doc: string): XmlElement {
  let at = 0
  const decl = /^<\?xml version="1\.0" encoding="utf-8"\?>\s*/.exec(doc)
  if (!decl) throw new Error('no XML declaration')
  at = decl[0].length

  const decode = (raw: string) => {
    if (/<|&(?!(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);)/.test(raw)) throw new Error(`unescaped markup in text at ${at}: ${JSON.stringify(raw.slice(0, 40))}`)
    return raw.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|[a-z]+);/g, (_, e: string) =>
      e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : NAMED[e]!)
  }

  const element = (): XmlElement => {
    const open = /^<([A-Za-z_][A-Za-z0-9_.-]*)(\/?)>/.exec(doc.slice(at))
    if (!open) throw new Error(`expected an element at ${at}: ${JSON.stringify(doc.slice(at, at + 40))}`)
    at += open[0].length
    const el: XmlElement = { name: open[1]!, children: [], text: '' }
    if (open[2]) return el
    let text = ''
    for (;;) {
      const lt = doc.indexOf('<', at)
      if (lt < 0) throw new Error(`<${el.name}> is never closed`)
      text += doc.slice(at, lt)
      at = lt
      if (doc.startsWith('</', at)) {
        const close = `</${el.name}>`
        if (!doc.startsWith(close, at)) throw new Error(`expected ${close} at ${at}, got ${JSON.stringify(doc.slice(at, at + 40))}`)
        at += close.length
        if (el.children.length > 0 && text.trim() !== '') throw new Error(`mixed content in <${el.name}>`)
        el.text = decode(text)
        return el
      }
      el.children.push(element())
    }
  }

  const root = element()
  if (doc.slice(at).trim() !== '') throw new Error(`content after the root element: ${JSON.stringify(doc.slice(at, at + 40))}`)
  return root
}

/**
 * The element as the JSON it should mirror: lists (named by `lists`) become
 * arrays, other elements with children objects, leaves their text (empty → null).
 */
export function xmlToValue(el: XmlElement, lists: readonly string[]): unknown {
  if (lists.includes(el.name)) return el.children.map((c) => xmlToValue(c, lists))
  if (el.children.length === 0) return el.text === '' ? null : el.text
  return Object.fromEntries(el.children.map((c) => [c.name, xmlToValue(c, lists)]))
}

/** JSON as XML can carry it: numbers and booleans as text, empty strings as absent. */
export function asXmlText(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asXmlText)
  if (value === null || value === '') return null
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asXmlText(v)]))
  return String(value)
}
