import { describe, expect, it } from 'vitest'
import { redactUrl } from '../../server/plugins/log-redaction.ts'

const SECRET = 'zw_JyauI8LaT0kq3vXn5Rb2QmW7sYc9dFh1gEi4oUp6aZ0'

describe('access log URLs', () => {
  it('masks an API key however the query names or escapes it, and keeps the rest readable', () => {
    for (const name of ['api_key', 'API_KEY', 'api%5Fkey', 'api%5fKey', 'apikey', 'api-key', 'key', 'access_token']) {
      const url = `/open311/v2/requests.json?service_code=ENV-01&${name}=${SECRET}&lat=22.9`
      expect(redactUrl(url), name).toBe(`/open311/v2/requests.json?service_code=ENV-01&${name}=***&lat=22.9`)
    }
  })

  it('masks anything shaped like a secret wherever it is, and receipt tokens in paths', () => {
    expect(redactUrl(`/api/v1/me?q=${SECRET}`)).toBe('/api/v1/me?q=zw_***')
    expect(redactUrl(`/api/v1/keys/${SECRET}`)).toBe('/api/v1/keys/zw_***')
    expect(redactUrl('/api/v1/incidents/by-token/Ab3dEf9hIj?fields=status')).toBe('/api/v1/incidents/by-token/***?fields=status')
    expect(redactUrl('/api/v1/incidents/by-token/Ab3dEf9hIj/rating')).toBe('/api/v1/incidents/by-token/***/rating')
    expect(redactUrl('/open311/v2/tokens/Ab3dEf9hIj.json')).toBe('/open311/v2/tokens/***')
  })

  it('leaves URLs without secrets as they are, malformed escapes included', () => {
    for (const url of ['/api/v1/lookup?lon=113.7&lat=22.9', '/api/v1/incidents?town=441900003&keyword=x', '/x?%E0%A4%A=1&b', '/health']) {
      expect(redactUrl(url)).toBe(url)
    }
  })
})
