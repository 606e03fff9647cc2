import Fastify from 'fastify'
import { expect, it } from 'vitest'
import problems from '../../server/plugins/problems.ts'

it('answers a write PostgreSQL aborted as deadlocked or unserializable with a 409 that says to send it again, not a 500', async () => {
  const app = Fastify()
  await app.register(problems)
  for (const code of ['40P01', '40001']) {
    app.post(`/write-${code}`, async () => {
      throw Object.assign(new Error('deadlock detected'), { code })
    })
  }
  app.post('/other', async () => {
    throw Object.assign(new Error('connection lost'), { code: '08006' })
  })
  for (const code of ['40P01', '40001']) {
    const res = await app.inject({ method: 'POST', url: `/write-${code}` })
    expect(res.statusCode).toBe(409)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({ status: 409, retry: true })
    expect(res.json().detail).toMatch(/nothing of it was stored/)
  }
  expect((await app.inject({ method: 'POST', url: '/other' })).statusCode).toBe(500)
  await app.close()
})
