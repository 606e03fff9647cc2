/**
 * Names people read — of grids, plans, generations, keys, administrators,
 * categories: one line of text, no control characters (a bell, an escape
 * sequence that recolours a terminal), no line or paragraph separators and no
 * bidirectional overrides or isolates (U+202A–U+202E, U+2066–U+2069, which
 * make a name display as something other than what it is).
 */
import { Type } from 'typebox'

const FORBIDDEN = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069'

/** JSON-schema pattern (Ajv reads it with the u flag): something that is not blank, none of the characters above. */
export const NAME_PATTERN = `^(?=[^${FORBIDDEN}]*\\S)[^${FORBIDDEN}]+$`

const FORBIDDEN_RE = new RegExp(`[${FORBIDDEN}]`, 'u')

/** In words, for problem documents. */
export const NAME_RULE = 'must be a name on one line: not blank, no control characters, line breaks or bidirectional overrides'

/** The first character a name may not hold, described (U+001B), or null. */
export function forbiddenInName(name: string): string | null {
  const m = FORBIDDEN_RE.exec(name)
  return m ? `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} at character ${m.index + 1}` : null
}

export const DisplayName = (maxLength: number, options: { description?: string } = {}) => Type.String({ minLength: 1, maxLength, pattern: NAME_PATTERN, ...options })
