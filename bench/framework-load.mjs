// One autocannon run in its own process (so the load generator does not share the server's event loop):
// node bench/framework-load.mjs '{"url":"http://127.0.0.1:PORT","duration":5,"connections":50}'
// Requests GET /users/{id} with ids cycling 1..1000 over keep-alive connections; prints one JSON line.
import autocannon from 'autocannon'

const spec = JSON.parse(process.argv[2])
let n = 0
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.duration,
  pipelining: 1,
  requests: [
    {
      setupRequest: (request) => {
        n++
        request.path = `/users/${(n % 1000) + 1}`
        return request
      },
    },
  ],
})
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  })}\n`,
)
