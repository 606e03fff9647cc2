import { describe, expect, it } from 'vitest'
import { jsonErrorPosition } from '../../server/plugins/json-error-position.ts'

describe('jsonErrorPosition', () => {
  it('finds no error in valid JSON of every kind', () => {
    for (const text of ['{}', '[]', ' {"a": [1, -2.5e+3, true, false, null, "x\\u00e9\\n"], "b": {}} ', '"s"', '0', '[[[]]]']) {
      expect(() => JSON.parse(text)).not.toThrow()
      expect(jsonErrorPosition(text)).toBeNull()
    }
  })

  it('points at the first character JSON.parse rejects', () => {
    const cases: [string, number][] = [
      ['{"features": [}', 14],
      ['{"a": 1,}', 8],
      ['[1, 2', 5],
      ['{"a" 1}', 5],
      ['{"a": NaN}', 6],
      ['{"a": 01}', 7],
      ['[1] x', 4],
      ['{"a": "b\nc"}', 8],
      ['{a: 1}', 1],
      ['', 0],
    ]
    for (const [text, offset] of cases) {
      expect(() => JSON.parse(text)).toThrow()
      expect(jsonErrorPosition(text)?.offset, text).toBe(offset)
    }
  })

  it('counts lines and columns from 1', () => {
    expect(jsonErrorPosition('{\n  "a": 1,\n  "b": ]\n}')).toEqual({ offset: 19, line: 3, column: 8 })
  })
})
