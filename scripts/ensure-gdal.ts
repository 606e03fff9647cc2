/**
 * Makes sure the machine has GDAL's command-line tools, so the OGC API –
 * Features test can read the server with a real client (`ogrinfo` and its
 * OAPIF driver) rather than with our own idea of the standard. Installs
 * Debian's `gdal-bin` with apt-get when running as root; otherwise says what
 * to install. Usage: `tsx scripts/ensure-gdal.ts`.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

export const OGRINFO = '/usr/bin/ogrinfo'
const PACKAGE = 'gdal-bin'

/** Returns ogrinfo's path once gdal-bin is installed; throws when it cannot be. */
export function ensureGdal(log: (msg: string) => void = (m) => console.error(m)): string {
  if (existsSync(OGRINFO)) return OGRINFO
  if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) {
    throw new Error(`The OGC API test needs GDAL's ogrinfo (${OGRINFO}, Debian package ${PACKAGE}); install GDAL with your system's package manager`)
  }
  if (process.getuid?.() !== 0) {
    throw new Error(`The OGC API test needs GDAL's ogrinfo (${OGRINFO}); run as root: apt-get update && apt-get install -y --no-install-recommends ${PACKAGE}`)
  }
  log(`[gdal] installing ${PACKAGE} with apt-get (once per machine)`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  // Another apt run (a parallel test file, the PostgreSQL install) may hold the lock: wait for it.
  const lock = ['-o', 'DPkg::Lock::Timeout=600']
  execFileSync('apt-get', [...lock, 'update', '-q'], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  execFileSync('apt-get', [...lock, 'install', '-y', '-q', '--no-install-recommends', PACKAGE], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  if (!existsSync(OGRINFO)) throw new Error(`apt-get install ${PACKAGE} finished but ${OGRINFO} is still missing`)
  return OGRINFO
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(ensureGdal())
}
