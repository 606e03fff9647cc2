import { describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { freshDb } from '../helpers/backends.ts'

describe('start page', () => {
  it('serves the lookup page at / and every API link on it answers', async () => {
    const db = await freshDb('postgres')
    const app = await buildApp({ db })
    try {
      const page = await app.inject('/')
      expect(page.statusCode).toBe(200)
      expect(page.headers['content-type']).toMatch(/^text\/html/)
      expect(page.body).toContain('/api/v1/my-grid?')
      const links = [...page.body.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'))
      expect(links.length).toBeGreaterThan(2)
      for (const href of links) {
        // An empty database has no generation yet: 404 problem documents are fine, server errors are not.
        const res = await app.inject(href)
        expect(res.statusCode, href).toBeLessThan(500)
        expect(res.statusCode, href).not.toBe(401)
      }
    } finally {
      await app.close()
      await db.close()
    }
  })
})
