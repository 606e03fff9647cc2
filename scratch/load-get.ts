import { load, lookupPaths } from '../scripts/bench-lookup-http.ts'
import { processCpu } from '../scripts/bench-cpu.ts'
const url = process.argv[2]!
const secs = Number(process.argv[3] ?? 10)
const pid = Number(process.argv[4] ?? 0)
const n = 10000
const pts = new Float64Array(2 * n)
let s = 12345
const r = () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648)
for (let i = 0; i < n; i++) (pts[2 * i] = 113.5 + r() * 0.6), (pts[2 * i + 1] = 22.6 + r() * 0.5)
const paths = lookupPaths(pts)
await load(url, paths, 1)
const c0 = pid ? processCpu(pid) : 0
const res = await load(url, paths, secs)
const cpu = pid ? ((processCpu(pid) - c0) * 1e6) / res.total : 0
console.log(`${res.tool} ${Math.round(res.rate)} req/s p99 ${res.p99Ms} ms failed ${res.failed} server ${cpu.toFixed(1)} µs/req`)
