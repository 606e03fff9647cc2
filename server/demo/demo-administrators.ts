import { personName } from './names.ts'
import type { Rng } from './prng.ts'

export interface DemoAdministrator {
  employee_no: string
  name: string
  phone: string
  active: boolean
  grids: string[]
}

const MAX_PER_GRID = 5

/**
 * 2–5 administrators per grid (about 3.3 on average, as in Dongguan), some of
 * whom also serve the next grid of their community while that grid stays
 * within 5. Phone numbers are synthetic.
 */
export function demoAdministrators(gridCodes: readonly string[], rng: Rng): DemoAdministrator[] {
  const out: DemoAdministrator[] = []
  const perTown = new Map<string, number>()
  const own = gridCodes.map(() => {
    const u = rng.next()
    return u < 0.22 ? 2 : u < 0.6 ? 3 : u < 0.87 ? 4 : 5
  })
  const shared = new Int32Array(gridCodes.length)
  gridCodes.forEach((grid, g) => {
    const n = own[g]!
    const next = gridCodes[g + 1]
    for (let i = 0; i < n; i++) {
      const town = grid.slice(6, 9)
      const seq = (perTown.get(town) ?? 0) + 1
      perTown.set(town, seq)
      const grids = [grid]
      if (next && next.slice(0, 12) === grid.slice(0, 12) && rng.next() < 0.06 && own[g + 1]! + shared[g + 1]! < MAX_PER_GRID) {
        grids.push(next)
        shared[g + 1]!++
      }
      out.push({
        employee_no: `DG${town}${String(seq).padStart(5, '0')}`,
        name: personName(rng),
        phone: `1${rng.pick(['35', '37', '38', '39', '58', '88'])}0769${String(rng.int(10000)).padStart(4, '0')}`,
        active: rng.next() < 0.97,
        grids,
      })
    }
  })
  return out
}
