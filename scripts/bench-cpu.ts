/**
 * CPU time spent by each side of a benchmark — this process (the client), the
 * server child, and the PostgreSQL cluster (postmaster, live backends, and the
 * backends that already exited) — read from /proc. On a machine shared with
 * other work, wall-clock rates swing with the load; CPU seconds per row barely
 * do, so they compare runs made under different loads. Linux only: elsewhere
 * every figure is NaN.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'

export interface CpuSample { client: number; server: number; postgres: number }

const TICK = 100 // USER_HZ: /proc counts in hundredths of a second on every Linux we run on

/** utime, stime, cutime, cstime of a process (seconds), and its parent's pid. */
function stat(pid: number): { self: number; children: number; ppid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
    // After "(comm) ": state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
    return { ppid: Number(f[1]), self: (Number(f[11]) + Number(f[12])) / TICK, children: (Number(f[13]) + Number(f[14])) / TICK }
  } catch {
    return null
  }
}

/** The cluster's CPU: the postmaster with its reaped children, plus every live child. */
function clusterCpu(postmaster: number): number {
  const root = stat(postmaster)
  if (!root) return NaN
  let total = root.self + root.children
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const s = stat(Number(name))
    if (s?.ppid === postmaster) total += s.self
  }
  return total
}

/** The postmaster's pid from the data directory's postmaster.pid, or null. */
export function postmasterOf(dataDirectory: string): number | null {
  const file = `${dataDirectory}/postmaster.pid`
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : null
}

/** CPU seconds a process has used so far (NaN when it cannot be read). */
export function processCpu(pid: number | undefined): number {
  return pid === undefined ? NaN : (stat(pid)?.self ?? NaN)
}

export function sampleCpu(serverPid: number | undefined, postmaster: number | null): CpuSample {
  const own = process.cpuUsage()
  return {
    client: (own.user + own.system) / 1e6,
    server: processCpu(serverPid),
    postgres: postmaster === null ? NaN : clusterCpu(postmaster),
  }
}

/** CPU milliseconds per `per` rows between two samples, each side and in all. */
export function cpuPer(before: CpuSample, after: CpuSample, rows: number, per = 1000) {
  const ms = (k: keyof CpuSample) => ((after[k] - before[k]) * 1000 * per) / rows
  const sides = { client: ms('client'), server: ms('server'), postgres: ms('postgres') }
  return { ...sides, total: sides.client + sides.server + sides.postgres }
}
