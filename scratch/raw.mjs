import http from 'node:http'
const body = process.env.ANSWER
const port = Number(process.argv[2])
if (process.argv[3] === 'fastify') {
  const { default: Fastify } = await import('fastify')
  const app = Fastify()
  app.get('/*', (_request, reply) => { reply.type('application/json; charset=utf-8').send(body) })
  await app.listen({ port, host: '127.0.0.1' })
} else {
  http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }).listen(port, '127.0.0.1')
}
