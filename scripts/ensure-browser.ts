/**
 * Makes sure the machine can run the console's browser tests and benchmark:
 * Debian's `chromium` (driven by playwright-core, never a downloaded browser
 * build) and a CJK font, so that Chinese map labels, which MapLibre draws
 * locally, have glyphs. Installs what is missing with apt-get when running as
 * root; otherwise says what to install. Usage: `tsx scripts/ensure-browser.ts`.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

export const CHROMIUM = '/usr/bin/chromium'
const CJK_FONT = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc'
const PACKAGES = { chromium: CHROMIUM, 'fonts-wqy-microhei': CJK_FONT } as const

/** Flags that make Debian's Chromium run WebGL 2 on SwiftShader, headless, without phoning home. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

/** The Debian packages whose files are not on the machine. */
export function missingPackages(): string[] {
  return Object.entries(PACKAGES)
    .filter(([, file]) => !existsSync(file))
    .map(([name]) => name)
}

/** Returns Chromium's path once it and the CJK font are installed; throws when they cannot be. */
export function ensureBrowser(log: (msg: string) => void = (m) => console.error(m)): string {
  const missing = missingPackages()
  if (missing.length === 0) return CHROMIUM
  if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) {
    throw new Error(`Browser tests need ${missing.join(' and ')} (Debian packages; files ${missing.map((m) => PACKAGES[m as keyof typeof PACKAGES]).join(', ')}); install them with your system's package manager`)
  }
  if (process.getuid?.() !== 0) {
    throw new Error(`Browser tests need the Debian packages ${missing.join(' ')}; run as root: apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`)
  }
  log(`[browser] installing ${missing.join(' ')} with apt-get (once per machine; chromium is ~480 MB)`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  // Another apt run (a parallel test file, CI's PostgreSQL install) may hold the lock: wait for it.
  const lock = ['-o', 'DPkg::Lock::Timeout=600']
  execFileSync('apt-get', [...lock, 'update', '-q'], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  execFileSync('apt-get', [...lock, 'install', '-y', '-q', '--no-install-recommends', ...missing], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  const still = missingPackages()
  if (still.length > 0) throw new Error(`apt-get install ${missing.join(' ')} finished but ${still.join(', ')} is still missing`)
  return CHROMIUM
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(ensureBrowser())
}
