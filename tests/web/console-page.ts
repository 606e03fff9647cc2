/**
 * Drives the console in headless Chromium for the browser tests and the
 * benchmark: every request that would leave the machine is refused and
 * recorded, console errors are collected, and the map's canvas is read back
 * (the map keeps its drawing buffer) to tell what was really drawn.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

export interface GuardedPage {
  context: BrowserContext
  page: Page
  /** URLs the page tried to fetch from anywhere but this machine (refused). */
  outside: string[]
  /** Console errors and uncaught exceptions. */
  errors: string[]
}

export async function openConsole(browser: Browser, { localStorage = {} as Record<string, string>, viewport = { width: 1280, height: 800 } } = {}): Promise<GuardedPage> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' })
  const outside: string[] = []
  const errors: string[] = []
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url())
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !LOCAL_HOSTS.has(url.hostname)) {
      outside.push(url.href)
      return route.abort('blockedbyclient')
    }
    return route.continue()
  })
  if (Object.keys(localStorage).length > 0) {
    await context.addInitScript((entries) => {
      for (const [k, v] of Object.entries(entries)) window.localStorage.setItem(k, v)
    }, localStorage)
  }
  const page = await context.newPage()
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`)
  })
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`))
  return { context, page, outside, errors }
}

/** Waits until the map has drawn everything it is waiting for (a repaint first: it may already be idle). */
export async function mapIdle(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(() => window.zhiwang !== undefined, null, { timeout: timeoutMs })
  await page.evaluate(
    (ms) =>
      new Promise<void>((resolve, reject) => {
        const map = window.zhiwang!.map
        const timer = setTimeout(() => reject(new Error(`map not idle after ${ms} ms`)), ms)
        map.once('idle', () => (clearTimeout(timer), resolve()))
        map.triggerRepaint()
      }),
    timeoutMs,
  )
}

/** Waits for the current view's data, then for the map to draw it. */
export async function viewSettled(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.evaluate(() => window.zhiwang!.settled())
  await mapIdle(page, timeoutMs)
}

export interface Pixels {
  width: number
  height: number
  /** RGB bytes, row by row. */
  rgb: number[]
}

/** The map canvas, scaled down to `width` pixels across. */
export function readPixels(page: Page, width = 240): Promise<Pixels> {
  return page.evaluate((w) => {
    const src = window.zhiwang!.map.getCanvas()
    const h = Math.round((src.height * w) / src.width)
    const c = document.createElement('canvas')
    c.width = w
    c.height = h
    const g = c.getContext('2d')!
    g.drawImage(src, 0, 0, w, h)
    const d = g.getImageData(0, 0, w, h).data
    const rgb: number[] = []
    for (let i = 0; i < d.length; i += 4) rgb.push(d[i]!, d[i + 1]!, d[i + 2]!)
    return { width: w, height: h, rgb }
  }, width)
}

/** Share of pixels that differ from a colour by more than `tolerance` (sum of channel differences). */
export function shareUnlike(p: Pixels, [r, g, b]: [number, number, number], tolerance = 24): number {
  let n = 0
  for (let i = 0; i < p.rgb.length; i += 3) if (Math.abs(p.rgb[i]! - r) + Math.abs(p.rgb[i + 1]! - g) + Math.abs(p.rgb[i + 2]! - b) > tolerance) n++
  return n / (p.rgb.length / 3)
}

/** Share of pixels that differ between two reads of the same size. */
export function shareChanged(a: Pixels, b: Pixels, tolerance = 24): number {
  if (a.rgb.length !== b.rgb.length) throw new Error(`Unexpected sizes: ${a.width}×${a.height} and ${b.width}×${b.height}`)
  let n = 0
  for (let i = 0; i < a.rgb.length; i += 3) if (Math.abs(a.rgb[i]! - b.rgb[i]!) + Math.abs(a.rgb[i + 1]! - b.rgb[i + 1]!) + Math.abs(a.rgb[i + 2]! - b.rgb[i + 2]!) > tolerance) n++
  return n / (a.rgb.length / 3)
}

/** Where a longitude/latitude is on the page (for real mouse events on the map). */
export function screenPoint(page: Page, lonLat: [number, number]): Promise<{ x: number; y: number }> {
  return page.evaluate((ll) => {
    const map = window.zhiwang!.map
    const p = map.project(ll)
    const r = map.getCanvas().getBoundingClientRect()
    return { x: r.left + p.x, y: r.top + p.y }
  }, lonLat)
}

/** Clicks the map at a longitude/latitude. */
export async function clickLonLat(page: Page, lonLat: [number, number]): Promise<void> {
  const at = await screenPoint(page, lonLat)
  await page.mouse.click(at.x, at.y)
}

declare global {
  interface Window {
    /** Set by web/main.ts. */
    zhiwang?: {
      map: import('maplibre-gl').Map
      firstIdle: Promise<number>
      view(): string
      openView(id: string): void
      settled(): Promise<void>
    }
  }
}
