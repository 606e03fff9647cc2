import { describe, expect, it } from 'vitest'
import { DEFAULT_RATE_LIMIT_ALLOW, loadConfig } from '../../server/config.ts'

describe('hardening settings from the environment', () => {
  it('defaults to limits on keyless callers, loopback exempt, no CORS, finite timeouts and back-pressure', () => {
    const config = loadConfig({})
    expect(config.rateLimit).toEqual({ max: 1200, windowMs: 60_000, keyedMax: 0, allowList: DEFAULT_RATE_LIMIT_ALLOW })
    expect(config.corsOrigins).toEqual([])
    expect(config.trustProxy).toBe(false)
    expect(config.bodyLimit).toBe(1024 * 1024)
    expect(config).toMatchObject({ connectionTimeoutMs: 120_000, requestTimeoutMs: 300_000, maxEventLoopDelayMs: 0, shutdownDelayMs: 0, shutdownTimeoutMs: 30_000 })
    // Back-pressure by default only on a PostgreSQL server: the embedded database's queries lag the loop by design.
    expect(loadConfig({ DATABASE_URL: 'postgres://db/x' }).maxEventLoopDelayMs).toBe(1000)
    expect(loadConfig({ ZHIWANG_MAX_EVENT_LOOP_DELAY_MS: '800' }).maxEventLoopDelayMs).toBe(800)
  })

  it('reads lists, `none`, proxies and numbers, and names a bad value', () => {
    const config = loadConfig({
      ZHIWANG_CORS_ORIGINS: 'https://ops.example.org, http://localhost:5173',
      ZHIWANG_RATE_LIMIT_ALLOW: 'none',
      ZHIWANG_RATE_LIMIT: '0',
      ZHIWANG_RATE_LIMIT_KEYED: '6000',
      ZHIWANG_TRUST_PROXY: 'loopback, 10.0.0.0/8',
      ZHIWANG_MAX_EVENT_LOOP_DELAY_MS: '0',
    })
    expect(config.corsOrigins).toEqual(['https://ops.example.org', 'http://localhost:5173'])
    expect(config.rateLimit).toMatchObject({ max: 0, keyedMax: 6000, allowList: [] })
    expect(config.trustProxy).toBe('loopback, 10.0.0.0/8')
    expect(config.maxEventLoopDelayMs).toBe(0)
    expect(loadConfig({ ZHIWANG_TRUST_PROXY: 'true' }).trustProxy).toBe(true)
    expect(() => loadConfig({ ZHIWANG_REQUEST_TIMEOUT_MS: '5s' })).toThrow('Unexpected ZHIWANG_REQUEST_TIMEOUT_MS value: 5s')
  })
})
