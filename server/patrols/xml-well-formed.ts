/**
 * Whether a GPX document is well-formed XML as far as a track reader cares:
 * every element closed in order, one root named gpx, nothing cut off. A GPX
 * file truncated in transfer would otherwise be read up to its last complete
 * <trkpt> and stored as a shorter patrol without a word. Returns the first
 * problem with its line, or null.
 */
const MARKUP = /<(\?[\s\S]*?\?>|!--[\s\S]*?-->|!\[CDATA\[[\s\S]*?\]\]>|![^>]*>|\/?([A-Za-z_][\w.:-]*)[^>]*>)/g

export function xmlProblem(xml: string): string | null {
  const open: string[] = []
  let root: string | null = null
  let end = 0
  const lineAt = (offset: number) => xml.slice(0, offset).split('\n').length
  for (const m of xml.matchAll(MARKUP)) {
    const name = m[2]
    const at = m.index
    if (xml.slice(end, at).includes('<')) return `the XML is not well-formed at line ${lineAt(end + xml.slice(end, at).indexOf('<'))}: a '<' that starts no tag`
    end = at + m[0].length
    if (!name) continue
    const tag = m[0]
    if (tag.startsWith('</')) {
      const expected = open.pop()
      if (expected !== name) return `the XML is not well-formed at line ${lineAt(at)}: </${name}> closes ${expected ? `<${expected}>` : 'nothing'}`
    } else if (!tag.endsWith('/>')) {
      if (open.length === 0 && root !== null) return `the XML is not well-formed at line ${lineAt(at)}: a second root element <${name}>`
      root ??= name
      open.push(name)
    } else root ??= name
  }
  if (xml.slice(end).includes('<')) return `the XML is cut off at line ${lineAt(end)}: an unfinished tag`
  if (open.length > 0) return `the XML is cut off: <${open.at(-1)}> (line ${lineAt(xml.length)}) is never closed`
  if (root !== 'gpx' && !root?.endsWith(':gpx')) return `expected a GPX document (root element <gpx>), got ${root ? `<${root}>` : 'no element'}`
  return null
}
