/**
 * The framework's cost per request without sockets: a bare transport handler (same Router, same JSON answer)
 * against an `App` handling `GET /users/{id}`, both called directly with a request object. Complements
 * bench/framework.bench.ts, whose loopback numbers swing with whatever else the machine is doing.
 *
 * Run: node --import tsx bench/framework-handler.bench.ts
 */
import { bench, do_not_optimize, run, summary } from 'mitata'
import { App, requestId } from '../src/framework/index.ts'
import { HeaderFields } from '../src/protocol/headers.ts'
import { Router } from '../src/router/index.ts'
import {
  type Handler,
  IncomingRequest,
  type Response,
  silentLogger,
} from '../src/transport/index.ts'

const JSON_HEADERS = [['content-type', 'application/json']] as const

function bare(): Handler {
  const router = new Router<(id: string) => Response>()
  router.add('GET', '/users/{id}', (id) => ({
    status: 200,
    headers: JSON_HEADERS,
    body: JSON.stringify({ id: Number(id), name: `user ${id}` }),
  }))
  const notFound: Response = { status: 404, headers: JSON_HEADERS, body: '{"error":"Not Found"}' }
  return (request) => {
    const match = router.match(request.method, request.path)
    return match.kind === 'found' ? match.value(match.params.id!) : notFound
  }
}

const app = new App({ logger: silentLogger })
app.get('/users/{id}', (c) => ({ id: Number(c.params.id), name: `user ${c.params.id}` }))

const withMiddleware = new App({ logger: silentLogger })
withMiddleware.use(requestId())
withMiddleware.get('/users/{id}', (c) => ({ id: Number(c.params.id), name: `user ${c.params.id}` }))

const headers = new HeaderFields(['Host', '127.0.0.1:8000', 'Accept', '*/*', 'User-Agent', 'bench'])
const peer = { transport: 'tcp', address: '127.0.0.1', port: 1, family: 'IPv4' } as const
const hooks = { onWantBody: () => {}, onDrain: () => {} }
const requests = Array.from(
  { length: 1000 },
  (_, i) =>
    new IncomingRequest(
      {
        type: 'request',
        method: 'GET',
        target: `/users/${i + 1}`,
        version: '1.1',
        headers,
        contentLength: 0,
        chunked: false,
      },
      peer,
      hooks,
      1024 * 1024,
    ),
)

const bareHandler = bare()
for (const handler of [bareHandler, app.handler]) {
  const response = handler(requests[6]!) as Response
  if (response.body !== '{"id":7,"name":"user 7"}')
    throw new Error(`unexpected ${String(response.body)}`)
}

let i = 0
summary(() => {
  bench('bare transport handler', () => do_not_optimize(bareHandler(requests[i++ % 1000]!)))
  bench('framework App (sync route)', () => do_not_optimize(app.handler(requests[i++ % 1000]!)))
  bench('framework App + requestId() middleware', async () =>
    do_not_optimize(await withMiddleware.handler(requests[i++ % 1000]!)),
  )
})

await run()
