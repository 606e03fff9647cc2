import { readFileSync } from 'node:fs'
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const windowUs = Number(process.argv[4] ?? 10) * 1e6
const nodes = new Map(p.nodes.map((n) => [n.id, n]))
const parent = new Map()
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const end = p.endTime
let t = p.startTime
const selfT = new Map(), inclT = new Map()
let total = 0
const key = (n) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*node_modules\//, '').replace(/.*\/main\//, '')}:${n.callFrame.lineNumber}`
for (let i = 0; i < p.samples.length; i++) {
  t += p.timeDeltas[i]
  if (t < end - windowUs - 2e6 || t > end - 2e6) continue
  const d = p.timeDeltas[i + 1] ?? 0
  let n = nodes.get(p.samples[i])
  total += d
  selfT.set(key(n), (selfT.get(key(n)) ?? 0) + d)
  const seen = new Set()
  for (let id = n.id; id !== undefined; id = parent.get(id)) { const k = key(nodes.get(id)); if (!seen.has(k)) { seen.add(k); inclT.set(k, (inclT.get(k) ?? 0) + d) } }
}
const top = (m, k) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k).map(([k, v]) => `${(100 * v / total).toFixed(1).padStart(5)} % ${k}`).join('\n')
console.log('SELF\n' + top(selfT, Number(process.argv[3] ?? 40)))
console.log('INCLUSIVE\n' + top(inclT, Number(process.argv[3] ?? 40)))
