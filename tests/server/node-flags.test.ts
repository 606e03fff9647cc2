import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { SERVER_NODE_FLAGS } from '../../server/node-flags.ts'

describe('the server process', () => {
  it('starts with the same Node flags under npm start as under the tests and benchmarks', () => {
    const start: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).scripts.start
    expect(start.split(/\s+/)).toEqual(['node', ...SERVER_NODE_FLAGS, '--import', 'tsx', 'server/main.ts'])
  })
})
