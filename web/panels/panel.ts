/**
 * A view of the console: a panel beside the map that adds its layers and map
 * handlers in onAdd and takes them all away in onRemove (MapLibre's control
 * pattern), so views never leak into each other.
 */
import type * as maplibregl from 'maplibre-gl'
import type { TileSupport } from '../api.ts'
import type { FilterState } from '../filters.ts'
import type { GridSourceRef } from '../map/layers/units.ts'

export const VIEWS = ['overview', 'lookup', 'incidents', 'hotspots', 'coverage', 'supervision', 'studio'] as const
export type ViewId = (typeof VIEWS)[number]

export interface ConsoleContext {
  map: maplibregl.Map
  filters: FilterState
  tiles: TileSupport
  grids: GridSourceRef
  /** Whether an API key is set (views that need one ask for it otherwise). */
  hasKey(): boolean
  askKey(): void
  /** Flies to a unit by code and outlines it. */
  showUnit(code: string): Promise<void>
  flyTo(lonLat: [number, number], zoom?: number): void
  /** Shows a message in the status line (null clears it). */
  status(message: string | null, kind?: 'info' | 'error'): void
}

export interface Panel {
  readonly id: ViewId
  onAdd(ctx: ConsoleContext, el: HTMLElement): void
  onRemove(): void
  /** Re-renders texts after a language switch. */
  onLangChange(): void
  /** Resolves when the view shows the data it last asked for (tests, playback). */
  settled(): Promise<void>
}
