/**
 * The map console in a real browser (Debian's Chromium, WebGL on
 * SwiftShader) against the real server on a fresh embedded database with the
 * demo city and a few thousand incidents: it opens as a new user would, draws
 * what the API holds, and fetches nothing from outside the machine.
 * Screenshots of every view go to test-artifacts/ (not committed).
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, ensureBrowser } from '../../scripts/ensure-browser.ts'
import { startServer, type ServerProcess } from '../helpers/server-process.ts'
import { ensureConsoleBuilt } from './console-build.ts'
import { clickLonLat, mapIdle, openConsole, readPixels, shareChanged, shareUnlike, viewSettled, type GuardedPage } from './console-page.ts'
import { CLUSTER_CENTRE, seedIncidents } from './seed-incidents.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ARTIFACTS = join(ROOT, 'test-artifacts')
const BACKGROUND: [number, number, number] = [0xee, 0xf0, 0xeb]
const VIEWS = ['overview', 'lookup', 'incidents', 'hotspots', 'coverage', 'supervision'] as const

describe('map console in Chromium', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'zhiwang-console-'))
  let server: ServerProcess
  let browser: Browser
  let key: string
  let demoKey: string | null
  let g: GuardedPage
  let page: Page

  beforeAll(async () => {
    const executablePath = ensureBrowser()
    ensureConsoleBuilt()
    mkdirSync(ARTIFACTS, { recursive: true })
    // A key made with the CLI, as the README says, to post the test incidents.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/api-keys.ts', 'create', '--name', 'console-test', '--role', 'admin', '--json'],
      { cwd: ROOT, env: { ...process.env, ZHIWANG_DATA_DIR: dataDir, DATABASE_URL: '' } },
    )
    key = JSON.parse(stdout).secret
    // The demo city without its two years of incidents (slow to load here); the tests post their own.
    server = await startServer({ ZHIWANG_DATA_DIR: dataDir, DATABASE_URL: '', ZHIWANG_DEMO_INCIDENTS: '0' }, 540_000)
    expect(await seedIncidents(server.url, key, 3000)).toBe(3000)
    demoKey = ((await (await fetch(`${server.url}/console/config.json`)).json()) as { demoKey: string | null }).demoKey
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
    // A new user: nothing stored. Where the server hands out no demo key, the user has typed one in before.
    g = await openConsole(browser, { localStorage: demoKey ? {} : { 'zhiwang.apiKey': JSON.stringify({ secret: key, source: 'user' }) } })
    page = g.page
  }, 900_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const openView = async (view: string) => {
    await page.evaluate((v) => window.zhiwang!.openView(v), view)
    await page.waitForFunction((v) => window.zhiwang!.view() === v, view)
    await viewSettled(page)
  }
  const jumpTo = async (center: [number, number], zoom: number) => {
    await page.evaluate(([c, z]) => window.zhiwang!.map.jumpTo({ center: c as [number, number], zoom: z as number }), [center, zoom] as const)
    await mapIdle(page)
  }

  it('loads with Chinese labels, no console errors and no request leaving the machine', async () => {
    await page.goto(server.url)
    await page.waitForFunction(() => window.zhiwang !== undefined, null, { timeout: 60_000 })
    const firstIdle = await page.evaluate(() => window.zhiwang!.firstIdle)
    console.log(`[console] first idle ${Math.round(firstIdle)} ms after navigation`)
    await viewSettled(page)
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN')
    expect(await page.textContent('nav#views')).toContain('概览')
    const labels = await page.evaluate(() => {
      const map = window.zhiwang!.map
      return { field: map.getLayoutProperty('zw-town-label', 'text-field'), shown: map.queryRenderedFeatures({ layers: ['zw-town-label'] }).map((f) => String(f.properties.name)) }
    })
    expect(labels.field).toEqual(['get', 'name'])
    expect(labels.shown.length).toBeGreaterThan(10)
    expect(labels.shown.every((name) => /\p{Script=Han}/u.test(name))).toBe(true)
    await page.screenshot({ path: join(ARTIFACTS, 'console-overview-zh.png') })
    expect(g.errors).toEqual([])
    expect(g.outside).toEqual([])
  })

  it('really draws the grid layer, coloured by workload', async () => {
    await openView('overview')
    await jumpTo([113.8, 22.95], 10)
    const coloured = await readPixels(page)
    await page.selectOption('aside select', 'none')
    await mapIdle(page)
    const plain = await readPixels(page)
    await page.selectOption('aside select', 'deviation')
    await mapIdle(page)
    const deviation = await readPixels(page)
    await page.selectOption('aside select', 'load')
    await mapIdle(page)
    // The city fills most of the canvas; coloured grids cover it, outlines alone do not.
    expect(shareUnlike(coloured, BACKGROUND)).toBeGreaterThan(0.5)
    expect(shareUnlike(plain, BACKGROUND)).toBeLessThan(0.25)
    expect(shareChanged(coloured, deviation)).toBeGreaterThan(0.2)
    const rendered = await page.evaluate(() => window.zhiwang!.map.queryRenderedFeatures({ layers: ['zw-grid-fill'] }).length)
    expect(rendered).toBeGreaterThan(500)
  })

  it('clicking a known point shows the grid the lookup API returns for it', async () => {
    const point: [number, number] = [113.7615, 23.0138]
    const expected = (await (await fetch(`${server.url}/api/v1/lookup?lon=${point[0]}&lat=${point[1]}`)).json()) as { grid: { code: string; name: string } | null; administrators: { name: string }[] }
    expect(expected.grid).not.toBeNull()
    await openView('lookup')
    await jumpTo(point, 15)
    await clickLonLat(page, point)
    await page.waitForFunction((code) => document.getElementById('lookup-card')?.dataset.grid === code, expected.grid!.code, { timeout: 20_000 })
    const card = await page.textContent('#lookup-card')
    expect(card).toContain(expected.grid!.code)
    expect(card).toContain(expected.grid!.name)
    for (const a of expected.administrators) expect(card).toContain(a.name)
    await viewSettled(page)
    await page.screenshot({ path: join(ARTIFACTS, 'console-lookup.png') })
  })

  it('shows a heatmap that changes with the time slider, points at street zoom and their history', async () => {
    await openView('incidents')
    await jumpTo([113.78, 23.0], 10.5)
    const recent = await readPixels(page)
    const countRecent = await page.textContent('#incident-count')
    // Half a year back: the planted cluster (last 45 days) is gone from the window.
    await page.$eval('#time-slider', (el) => {
      const input = el as HTMLInputElement
      input.value = String(Number(input.max) - 180)
      input.dispatchEvent(new Event('input', { bubbles: true }))
    })
    await viewSettled(page)
    const earlier = await readPixels(page)
    expect(await page.textContent('#incident-count')).not.toBe(countRecent)
    expect(shareChanged(recent, earlier)).toBeGreaterThan(0.005)
    await page.screenshot({ path: join(ARTIFACTS, 'console-incidents-heatmap-earlier.png') })

    // Back to the last 90 days, then to street level over the cluster: single points, one of them clicked.
    await page.$eval('#time-slider', (el) => {
      const input = el as HTMLInputElement
      input.value = input.max
      input.dispatchEvent(new Event('input', { bubbles: true }))
    })
    await viewSettled(page)
    expect(await page.locator('#incident-chart svg polygon').count()).toBeGreaterThan(0)
    await jumpTo(CLUSTER_CENTRE, 15)
    await page.waitForFunction(() => window.zhiwang!.map.queryRenderedFeatures({ layers: ['zw-incident-point'] }).length > 0, null, { timeout: 30_000 })
    const target = await page.evaluate(() => {
      const map = window.zhiwang!.map
      const f = map.queryRenderedFeatures({ layers: ['zw-incident-point'] })[0]!
      return (f.geometry as unknown as { coordinates: [number, number] }).coordinates
    })
    await clickLonLat(page, target)
    await page.waitForFunction(() => document.getElementById('incident-card')?.dataset.incident, null, { timeout: 20_000 })
    expect(await page.locator('#incident-card ol.history li').count()).toBeGreaterThan(0)
    await page.screenshot({ path: join(ARTIFACTS, 'console-incidents-points.png') })
  })

  it('opens every view without errors and saves a screenshot of each', async () => {
    await jumpTo([113.8, 22.95], 10)
    for (const view of VIEWS) {
      await openView(view)
      expect(await page.locator('aside#panel h2').first().textContent()).toBeTruthy()
      expect(await page.locator('aside#panel .error').count(), `${view}: ${await page.textContent('aside#panel')}`).toBe(0)
      await page.screenshot({ path: join(ARTIFACTS, `console-${view}.png`) })
    }
    // Hotspots found the planted cluster; supervision rows lead to the map.
    await openView('hotspots')
    expect(await page.textContent('#hotspot-status')).toMatch(/[1-9]/)
    await openView('supervision')
    await page.locator('#score-table tr.link').first().click()
    // The row's grid is fetched, then the map flies there.
    await page.waitForFunction(() => window.zhiwang!.map.getZoom() > 11 && !window.zhiwang!.map.isMoving(), null, { timeout: 20_000 })
    await mapIdle(page)
    await page.screenshot({ path: join(ARTIFACTS, 'console-supervision-row.png') })
    expect(g.errors).toEqual([])
    expect(g.outside).toEqual([])
  })

  it('switches the interface and the map labels to English and back', async () => {
    await openView('overview')
    await jumpTo([113.8, 22.95], 10)
    const zh = await readPixels(page)
    await page.click('#lang')
    await mapIdle(page)
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en')
    expect(await page.textContent('nav#views')).toContain('Overview')
    expect(await page.textContent('aside#panel h2')).toBe('Overview')
    const shown = await page.evaluate(() => window.zhiwang!.map.queryRenderedFeatures({ layers: ['zw-town-label'] }).map((f) => String(f.properties.name_en ?? '')))
    expect(shown.filter((n) => /^[A-Za-z]/.test(n)).length).toBeGreaterThan(10)
    expect(shareChanged(zh, await readPixels(page))).toBeGreaterThan(0.002)
    await page.screenshot({ path: join(ARTIFACTS, 'console-overview-en.png') })
    await page.click('#lang')
    await mapIdle(page)
    expect(await page.textContent('nav#views')).toContain('概览')
    expect(g.errors).toEqual([])
    expect(g.outside).toEqual([])
  })
})
