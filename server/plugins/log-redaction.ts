/**
 * What the access log may show of a request's URL: never an API key or a
 * receipt token. Open311 clients put `api_key` in the query string, spelt as
 * they like (`API_KEY`, `api%5Fkey`, which the query parser decodes to
 * api_key), and callers misname it (`apikey`, `key`); anything that looks like
 * one of our secrets (`zw_` + base64url) is masked wherever it appears. A
 * receipt token lets anyone follow and rate its report, so its path segment
 * is masked too.
 */
const SECRET = /zw_[A-Za-z0-9_-]{8,}/g
const KEY_PARAM = /^(api[_-]?key|key|token|access[_-]?token)$/i
const TOKEN_PATH = /(\/(?:by-token|tokens)\/)[^/?#]+/g

export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  const path = (q < 0 ? url : url.slice(0, q)).replace(TOKEN_PATH, '$1***')
  if (q < 0) return path.replace(SECRET, 'zw_***')
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=')
      if (eq < 0) return pair
      let name = pair.slice(0, eq)
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '))
      } catch {
        // a malformed escape: judge the name as written
      }
      return KEY_PARAM.test(name) ? `${pair.slice(0, eq)}=***` : pair
    })
    .join('&')
  return `${path}?${query}`.replace(SECRET, 'zw_***')
}
