/**
 * Writes the Dongguan demo city to data/demo/ (git-ignored):
 *   dongguan-units.geojson        city, towns, communities and grids
 *   dongguan-administrators.json  grid administrators and the grids they serve
 * Usage: npm run demo:generate -- [--seed N] [--out DIR]
 * Runs on DATABASE_URL when set, else on an in-memory embedded PostGIS.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openDb } from '../server/db/client.ts'
import { migrate } from '../server/db/migrate.ts'
import { generateDongguan } from '../server/demo/dongguan.ts'

const { values } = parseArgs({
  options: { seed: { type: 'string', default: '2016' }, out: { type: 'string', default: 'data/demo' } },
})
const started = Date.now()
const db = await openDb({ databaseUrl: process.env.DATABASE_URL })
try {
  await migrate(db)
  const seed = /^\d+$/.test(values.seed!) ? Number(values.seed) : values.seed!
  const city = await generateDongguan(db, { seed })
  mkdirSync(values.out!, { recursive: true })
  writeFileSync(join(values.out!, 'dongguan-units.geojson'), JSON.stringify(city.units))
  writeFileSync(join(values.out!, 'dongguan-administrators.json'), JSON.stringify(city.administrators, null, 1))
  const count = (level: string) => city.units.features.filter((f) => f.properties.level === level).length
  console.log(
    `Dongguan demo (seed ${seed}): ${count('town')} towns, ${count('community')} communities, ${count('grid')} grids, ` +
      `${city.administrators.length} administrators → ${values.out} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  )
} finally {
  await db.close()
}
