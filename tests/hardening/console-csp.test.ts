import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/ensure-browser.ts'
import { buildApp } from '../../server/app.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { freshDb } from '../helpers/backends.ts'
import { squareCity } from '../helpers/square-city.ts'

/**
 * The console under the Content-Security-Policy the server sends with it:
 * MapLibre's module worker starts, tiles are fetched and drawn, and Chromium
 * reports no violation. Uses the console as built in web/dist (the browser
 * tests build it); without a build or a browser there is nothing to check.
 */
const BUILT = fileURLToPath(new URL('../../web/dist/index.html', import.meta.url))
const ready = existsSync(BUILT) && existsSync(CHROMIUM)

describe.skipIf(!ready)('the console under its CSP in Chromium', () => {
  it('starts the map, its worker and its tiles without a violation', async () => {
    const db = await freshDb('pglite')
    await importUnits(db, squareCity({ nx: 4, ny: 4 }), { validFrom: new Date('2020-01-01T00:00:00Z') })
    const app = await buildApp({ db })
    let browser: Browser | undefined
    try {
      const url = await app.listen({ port: 0, host: '127.0.0.1' })
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
      const page = await browser.newPage()
      const problems: string[] = []
      const tiles: number[] = []
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content.Security.Policy|violates/i.test(m.text())) problems.push(m.text())
      })
      page.on('response', (r) => {
        if (new URL(r.url()).pathname.startsWith('/tiles/')) tiles.push(r.status())
      })
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`))
      })
      const res = await page.goto(url)
      expect(res?.headers()['content-security-policy']).toMatch(/worker-src 'self' blob:/)
      await page.waitForFunction(() => (window as { zhiwang?: unknown }).zhiwang !== undefined, null, { timeout: 60_000 })
      // The map reaches idle only if its worker runs: it parses every tile.
      await page.evaluate(() =>
        new Promise<void>((resolve, reject) => {
          const map = (window as unknown as { zhiwang: { map: { once(e: string, f: () => void): void; triggerRepaint(): void } } }).zhiwang.map
          const timer = setTimeout(() => reject(new Error('map not idle after 60 s')), 60_000)
          map.once('idle', () => (clearTimeout(timer), resolve()))
          map.triggerRepaint()
        }),
      )
      expect(problems).toEqual([])
      expect(tiles.filter((s) => s === 200 || s === 204).length).toBeGreaterThan(0)
    } finally {
      await browser?.close()
      await app.close()
      await db.close()
    }
  }, 180_000)
})
