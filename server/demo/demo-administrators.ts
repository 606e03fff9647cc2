import { personName } from './names.ts'
import type { Rng } from './prng.ts'

export interface DemoAdministrator {
  employee_no: string
  name: string
  phone: string
  active: boolean
  grids: string[]
}

/**
 * 2–5 administrators per grid (about 3.3 on average, as in Dongguan), some of
 * whom also serve the next grid of their community. Phone numbers are synthetic.
 */
export function demoAdministrators(gridCodes: readonly string[], rng: Rng): DemoAdministrator[] {
  const out: DemoAdministrator[] = []
  const perTown = new Map<string, number>()
  gridCodes.forEach((grid, g) => {
    const u = rng.next()
    const n = u < 0.22 ? 2 : u < 0.6 ? 3 : u < 0.87 ? 4 : 5
    const next = gridCodes[g + 1]
    for (let i = 0; i < n; i++) {
      const town = grid.slice(6, 9)
      const seq = (perTown.get(town) ?? 0) + 1
      perTown.set(town, seq)
      const grids = [grid]
      if (next && next.slice(0, 12) === grid.slice(0, 12) && rng.next() < 0.06) grids.push(next)
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
