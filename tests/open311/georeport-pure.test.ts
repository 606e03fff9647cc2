/** The database-free parts of the Open311 endpoint: dates, default windows, form bodies, XML text. */
import { describe, expect, it } from 'vitest'
import { parseForm } from '../../server/open311/form-body.ts'
import { readRequestFilter } from '../../server/open311/request-filters.ts'
import { formatW3c, parseW3c } from '../../server/open311/w3c-datetime.ts'
import { xmlDocument } from '../../server/open311/xml.ts'
import { parseXml } from './xml-parse.ts'

const CST = 480
const DAY = 86_400_000

describe('W3C date-times', () => {
  it('writes local time with the offset and reads every common spelling back', () => {
    const at = new Date('2024-05-01T01:30:00.700Z')
    expect(formatW3c(at, CST)).toBe('2024-05-01T09:30:00+08:00')
    expect(formatW3c(at, -480)).toBe('2024-04-30T17:30:00-08:00')
    for (const text of ['2024-05-01T09:30:00+08:00', '2024-05-01T09:30:00+0800', '2024-05-01T01:30:00Z', '2024-05-01T09:30:00', '2024-05-01T09:30', '2024-05-01T09:30:00 08:00', '2024-04-30T17:30:00-08:00']) {
      expect(parseW3c(text, CST)?.toISOString(), text).toBe('2024-05-01T01:30:00.000Z')
    }
    expect(parseW3c('2024-05-01', CST)?.toISOString()).toBe('2024-04-30T16:00:00.000Z')
    for (const bad of ['2024-02-30', '2024-13-01T00:00:00Z', '2024-05-01T24:00:00Z', 'yesterday', '1714527000', '']) expect(parseW3c(bad, CST), bad).toBeNull()
  })
})

describe('GET /requests filters', () => {
  const now = new Date('2024-06-01T00:00:00Z')
  const read = (query: Record<string, unknown>) => {
    const r = readRequestFilter(query, now, CST)
    if (!r.ok) throw new Error(r.errors.join('; '))
    return r.filter
  }

  it('defaults to the last 90 days, open-ended, and completes a window given by one end', () => {
    expect(read({})).toEqual({ ids: null, codes: null, start: new Date(now.getTime() - 90 * DAY), end: null, statuses: null })
    const start = new Date('2024-01-01T00:00:00Z')
    expect(read({ start_date: '2024-01-01T00:00:00Z' })).toMatchObject({ start, end: new Date(start.getTime() + 90 * DAY) })
    expect(read({ end_date: '2024-01-01T00:00:00Z' })).toMatchObject({ start: new Date(start.getTime() - 90 * DAY), end: start })
  })

  it('maps open and closed to workflow states, takes repeated parameters as one list, and lets ids override the rest', () => {
    expect(read({ status: 'closed' }).statuses).toEqual(['closed', 'rejected'])
    expect(read({ status: ['open', 'closed'] }).statuses).toHaveLength(8)
    expect(read({ service_code: ['ENV-01,FAC-02', ' FAC-03 '] }).codes).toEqual(['ENV-01', 'FAC-02', 'FAC-03'])
    expect(read({ service_request_id: '3, 5', status: 'nonsense', start_date: 'nonsense' })).toEqual({ ids: [3, 5], codes: null, start: null, end: null, statuses: null })
    const bad = readRequestFilter({ end_date: '2024-01-01T00:00:00Z', start_date: '2024-02-01T00:00:00Z' }, now, CST)
    expect(bad).toEqual({ ok: false, errors: ['end_date is before start_date'] })
  })
})

describe('form bodies and XML text', () => {
  it('keeps repeated fields as lists and a field named __proto__ as a field', () => {
    const fields = parseForm('a=1&attribute%5Bx%5D%5B%5D=p&attribute%5Bx%5D%5B%5D=q&__proto__=z&d=%E4%BA%8C+%E6%A5%BC')
    expect(fields).toEqual({ a: '1', 'attribute[x][]': ['p', 'q'], ['__proto__']: 'z', d: '二 楼' })
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype)
  })

  it('keeps a document well-formed whatever its text holds', () => {
    const nasty = 'a\u0000b\u001Fc\uD800d\uDC00e🙂f]]>g</x>&amp;\r\n'
    const doc = xmlDocument('errors', [{ code: 400, description: nasty }], { errors: 'error' })
    const text = parseXml(doc).children[0]!.children[1]!.text
    expect(text).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFDe🙂f]]>g</x>&amp;\r\n')
  })
})
