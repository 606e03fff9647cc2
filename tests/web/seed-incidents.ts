/**
 * A few thousand incidents for the browser tests, posted through the bulk
 * intake: spread over the towns of the demo city and the last year, plus one
 * dense cluster in the last 45 days, so that a heatmap differs between time
 * windows and Gi* finds a hot spot. Seeded, so every run sees the same data.
 */
interface Town {
  properties: { centroid: [number, number] }
}

function prng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const CLUSTER_CENTRE: [number, number] = [113.7518, 23.0207]

export async function seedIncidents(baseUrl: string, key: string, n = 3000): Promise<number> {
  const auth = { authorization: `Bearer ${key}` }
  const towns = ((await (await fetch(`${baseUrl}/api/v1/units?level=town&simplify=5000&limit=100`)).json()) as { features: Town[] }).features
  const categories = ((await (await fetch(`${baseUrl}/api/v1/incident-categories`)).json()) as { items: { code: string; active: boolean }[] }).items.filter((c) => c.active).map((c) => c.code)
  const channels = ['patrol', 'citizen', 'hotline', 'sensor', 'system']
  const random = prng(20251126)
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  const now = Date.now()
  const lines: string[] = []
  for (let i = 0; i < n; i++) {
    const clustered = i % 4 === 0
    const [cx, cy] = clustered ? CLUSTER_CENTRE : towns[Math.floor(random() * towns.length)]!.properties.centroid
    const spread = clustered ? 0.006 : 0.02
    const daysAgo = clustered ? random() * 45 : random() * 365
    lines.push(JSON.stringify({
      external_id: `console-test-${i}`,
      category: categories[Math.floor(random() * categories.length)],
      channel: channels[Math.floor(random() * channels.length)],
      lon: cx + gauss() * spread,
      lat: cy + gauss() * spread,
      reported_at: new Date(now - daysAgo * 86_400_000 - 60_000).toISOString(),
      description: `Console test incident ${i}`,
    }))
  }
  const res = await fetch(`${baseUrl}/api/v1/incidents/bulk`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body: lines.join('\n') + '\n' })
  const answer = await res.text()
  if (!res.ok) throw new Error(`bulk intake answered ${res.status}: ${answer.slice(0, 500)}`)
  const summary = JSON.parse(answer.trim().split('\n').at(-1)!) as { summary: { stored: number; retried: number; errors: number } }
  if (summary.summary.errors > 0) throw new Error(`bulk intake refused rows: ${answer.split('\n').filter((l) => l.includes('"error"')).slice(0, 3).join('\n')}`)
  return summary.summary.stored + summary.summary.retried
}
