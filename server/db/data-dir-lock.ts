/**
 * One process at a time on an embedded data directory. PGlite runs PostgreSQL
 * inside this process, with no postmaster to keep a second one out: two
 * processes on one directory (a second `npm start`, the keys CLI while the
 * server runs) each work on their own copy in memory, and whatever one of them
 * writes the other overwrites or corrupts. So the directory is claimed by a
 * lock file beside it (`<dir>.lock`, outside the directory, which PGlite may
 * dump and copy whole), naming its holder. A holder that has gone — killed,
 * crashed, or its machine restarted — no longer counts: its lock is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { resolve } from 'node:path'

export class DataDirInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly lockFile: string,
    readonly holder: Holder | null,
  ) {
    const who = holder ? `process ${holder.pid} on ${holder.host}, since ${holder.since}` : 'another process (its lock file is being written)'
    super(
      `The embedded database ${dataDir} is in use by ${who}. It can be opened by one process at a time: ` +
        `stop that process first (the server, or a script such as npm run keys), or set DATABASE_URL to share a PostgreSQL server. ` +
        `If no such process exists, delete ${lockFile}.`,
    )
    this.name = 'DataDirInUse'
  }
}

interface Holder {
  pid: number
  host: string
  /** The process's start time in clock ticks since boot (/proc/PID/stat), so a reused pid is not taken for the holder. */
  started: string | null
  since: string
}

/** The lock of one data directory, held until released (or until this process exits). */
export interface DataDirLock {
  readonly file: string
  release(): void
}

export function lockDataDir(dataDir: string): DataDirLock {
  const file = `${resolve(dataDir)}.lock`
  const me: Holder = { pid: process.pid, host: hostname(), started: startTicks(process.pid), since: new Date().toISOString() }
  const text = JSON.stringify(me) + '\n'
  let tookOver = false
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644)
      try {
        writeSync(fd, text)
      } finally {
        closeSync(fd)
      }
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const seen = readHolder(file)
      if (seen === undefined && attempt < 5) continue // released between our two steps: try again
      if (seen === undefined || tookOver || seen.holder === null || alive(seen.holder)) throw new DataDirInUse(dataDir, file, seen?.holder ?? null)
      // Stale: taken over, unless someone else took it over meanwhile.
      tookOver = true
      if (readHolder(file)?.text === seen.text) unlinkQuietly(file)
    }
  }
  let held = true
  const release = () => {
    if (!held) return
    held = false
    process.off('exit', release)
    if (readHolder(file)?.text === text) unlinkQuietly(file)
  }
  process.on('exit', release)
  return { file, release }
}

/** The lock file's holder (null: not parseable yet) and text; undefined when there is no lock file. */
function readHolder(file: string): { holder: Holder | null; text: string } | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  try {
    const h = JSON.parse(text) as Holder
    return { holder: Number.isInteger(h.pid) && typeof h.host === 'string' ? h : null, text }
  } catch {
    return { holder: null, text }
  }
}

/** Whether the holder may still be running. A holder on another host cannot be checked, so it counts as alive. */
function alive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true
  try {
    process.kill(holder.pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  const started = startTicks(holder.pid)
  if (started === 'zombie') return false
  return started === null || holder.started === null || started === holder.started
}

/** Field 22 of /proc/PID/stat (start time), 'zombie' for a process that has exited, null where /proc is unavailable. */
function startTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[0] === 'Z' || fields[0] === 'X' ? 'zombie' : (fields[19] ?? null)
  } catch {
    return null
  }
}

function unlinkQuietly(file: string) {
  try {
    unlinkSync(file)
  } catch {
    // already gone
  }
}
