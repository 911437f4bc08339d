/**
 * The echo row's body path without sockets: a 1 KB JSON POST pushed into a request the way the driver does
 * (head, one data piece, end), read by an async transport handler (`await req.body()`, JSON.parse, stringify)
 * and by the framework (`async (c) => c.json(await c.json())`). With `--base DIR` (a copy of an older src/, e.g.
 * `git archive HEAD src | tar -x -C DIR`) the same arms run on that copy too, interleaved in one process.
 *
 *   node --import tsx bench/body.bench.ts [--base /tmp/base]
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { bench, do_not_optimize, run, summary } from 'mitata'
import { ECHO_BODY_FILE } from './lib/load.ts'

const { values } = parseArgs({ options: { base: { type: 'string' } } })
const BODY = readFileSync(ECHO_BODY_FILE)
const JSON_HEADERS = [['content-type', 'application/json']] as const

interface Sources {
  readonly label: string
  readonly transport: typeof import('../src/transport/index.ts')
  readonly framework: typeof import('../src/framework/index.ts')
  readonly protocol: typeof import('../src/protocol/index.ts')
}

async function load(label: string, root: string): Promise<Sources> {
  const url = (p: string) => pathToFileURL(join(root, 'src', p, 'index.ts')).href
  return {
    label,
    transport: await import(url('transport')),
    framework: await import(url('framework')),
    protocol: await import(url('protocol')),
  }
}

const sources = [await load('now', join(import.meta.dirname, '..'))]
if (values.base !== undefined) sources.push(await load('base', values.base))

summary(() => {
  for (const s of sources) {
    const headers = new s.protocol.HeaderFields([
      'Host',
      '127.0.0.1',
      'Content-Type',
      'application/json',
      'Content-Length',
      String(BODY.length),
    ])
    const peer = { transport: 'tcp', address: '127.0.0.1', port: 1, family: 'IPv4' } as const
    const hooks = { onWantBody: () => {}, onDrain: () => {} }
    const event = {
      type: 'request',
      method: 'POST',
      target: '/echo',
      version: '1.1',
      headers,
      contentLength: BODY.length,
      chunked: false,
    } as const
    /** Calls the handler on a fresh request, then delivers the body as the driver does (copied piece, end). */
    const deliver = (handler: (r: InstanceType<typeof s.transport.IncomingRequest>) => unknown) => {
      const request = new s.transport.IncomingRequest(event, peer, hooks, 1024 * 1024)
      const result = handler(request)
      request.push(Buffer.from(BODY))
      request.end()
      return result
    }
    const raw = async (req: InstanceType<typeof s.transport.IncomingRequest>) => {
      const body = await req.body()
      const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
      return { status: 200, headers: JSON_HEADERS, body: JSON.stringify(JSON.parse(text)) }
    }
    const app = new s.framework.App({ logger: s.transport.silentLogger })
    app.post('/echo', async (c) => c.json(await c.json()))
    bench(`${s.label}: async transport handler, await req.body()`, async () =>
      do_not_optimize(await deliver(raw)),
    )
    bench(`${s.label}: framework, c.json(await c.json())`, async () =>
      do_not_optimize(await deliver(app.handler as never)),
    )
  }
})

await run()
