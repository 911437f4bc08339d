// Runs one autocannon load in its own process (so it can be pinned with taskset like wrk) and prints the result
// as one JSON line. Argument: a JSON object {url, connections, duration, pipelining, method, path, headers,
// bodyFile, usersCycle}. Used by bench/run.ts when wrk is not installed.
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'

const spec = JSON.parse(process.argv[2])
const options = {
  url: spec.url + (spec.path ?? '/'),
  connections: spec.connections,
  duration: spec.duration,
  pipelining: spec.pipelining ?? 1,
  timeout: spec.timeout ?? 4,
  headers: spec.headers ?? {},
}
if (spec.method) options.method = spec.method
if (spec.bodyFile) options.body = readFileSync(spec.bodyFile)
if (spec.usersCycle) {
  let n = 0
  options.requests = [
    {
      setupRequest: (req) => {
        n++
        req.path = `/users/${(n % 1000) + 1}`
        return req
      },
    },
  ]
}

const result = await autocannon(options)
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    duration: result.duration,
  })}\n`,
)
