/**
 * A bulk intake client for the crash suites: posts NDJSON lines as one
 * streamed request, a few at a time, and reads the answer line by line as it
 * arrives, as a loader would.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { expect } from 'vitest'

export interface BulkAnswer { row: number; id?: number; created?: boolean; error?: string; summary?: Record<string, number> }

/**
 * Streams `lines` to POST /api/v1/incidents/bulk, `perChunk` lines at a time
 * with `pauseMs` between; each answer line goes to `onAnswer`, which may hold
 * the reading of the answer by returning a promise. Resolves with the answers
 * and whether the answer was cut off (the server died under the request).
 */
export async function streamBulk(url: string, headers: Record<string, string>, lines: string[],
  opts: { perChunk: number; pauseMs: number; onAnswer?: (a: BulkAnswer) => void | Promise<void> }): Promise<{ answers: BulkAnswer[]; cutOff: boolean; error?: unknown }> {
  async function* body() {
    for (let k = 0; k < lines.length; k += opts.perChunk) {
      yield new TextEncoder().encode(lines.slice(k, k + opts.perChunk).join('\n') + '\n')
      if (opts.pauseMs > 0) await sleep(opts.pauseMs)
    }
  }
  const answers: BulkAnswer[] = []
  let rest = ''
  try {
    const res = await fetch(`${url}/api/v1/incidents/bulk`, {
      method: 'POST', headers: { ...headers, 'content-type': 'application/x-ndjson' }, body: body() as unknown as BodyInit, duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(200)
    const decoder = new TextDecoder()
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const got = (rest + decoder.decode(chunk, { stream: true })).split('\n')
      rest = got.pop()!
      for (const line of got) {
        const answer = JSON.parse(line) as BulkAnswer
        answers.push(answer)
        await opts.onAnswer?.(answer)
      }
    }
    return { answers, cutOff: rest !== '' }
  } catch (error) {
    // Expected when the server was killed (the socket closes under the request and its answer).
    return { answers, cutOff: true, error }
  }
}
