/**
 * A small XML writer for GeoReport v2 documents. The element names are ours
 * (never a request value), so only text needs escaping; arrays become one
 * child element per item, named by `itemTags` after their parent
 * (`services` → `service`).
 */
export type XmlValue = string | number | boolean | null | undefined | XmlValue[] | { [name: string]: XmlValue }

/** `<?xml …?><root>…</root>` for `value`. */
export function xmlDocument(root: string, value: XmlValue, itemTags: Readonly<Record<string, string>>): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n${element(root, value, itemTags)}\n`
}

function element(tag: string, value: XmlValue, itemTags: Readonly<Record<string, string>>): string {
  if (value === null || value === undefined) return `<${tag}/>`
  if (Array.isArray(value)) {
    const item = itemTags[tag]
    if (item === undefined) throw new Error(`Unexpected list in <${tag}>: no item tag for it`)
    return `<${tag}>${value.map((v) => element(item, v, itemTags)).join('')}</${tag}>`
  }
  if (typeof value === 'object') {
    return `<${tag}>${Object.entries(value).map(([name, v]) => element(name, v, itemTags)).join('')}</${tag}>`
  }
  return `<${tag}>${escapeText(String(value))}</${tag}>`
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' }

/**
 * Escapes markup characters and keeps the document well-formed whatever the
 * text holds: characters XML 1.0 forbids (most C0 controls, U+FFFE/U+FFFF)
 * and lone surrogates become U+FFFD; a carriage return is written as `&#13;`
 * so that a parser's line-end normalisation does not eat it.
 */
export function escapeText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/[&<>"'\r]/g, (c) => ESCAPES[c]!)
}
