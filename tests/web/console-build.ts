/**
 * Builds the console with Vite when web/dist is missing or older than any
 * source file of web/ (or the Vite config), so browser tests always see the
 * code under test and a warm run skips the build.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const WEB = join(ROOT, 'web')
const BUILT = join(WEB, 'dist', 'index.html')

function newestSource(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

export function consoleIsStale(): boolean {
  if (!existsSync(BUILT)) return true
  const sources = Math.max(newestSource(WEB), statSync(join(ROOT, 'vite.config.ts')).mtimeMs, statSync(join(ROOT, 'package-lock.json')).mtimeMs)
  return statSync(BUILT).mtimeMs < sources
}

export function ensureConsoleBuilt(): void {
  if (!consoleIsStale()) return
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
}
