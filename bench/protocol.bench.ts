/**
 * Parser throughput: our sans-IO ServerConnection against llhttp (node:http's parser), on the same bytes.
 *
 *   node --import tsx --expose-gc bench/protocol.bench.ts
 *
 * Two requests: a typical browser GET (~300 bytes, 7 header lines) and a small chunked POST (curl-like head,
 * a 2-chunk JSON body). Rows:
 *   ours parse        a fresh ServerConnection per request: receiveData + nextEvent until NEED_DATA
 *   ours cycle        one kept-alive connection: receiveData, nextEvent until PAUSED, respond(200, 13 bytes),
 *                     i.e. parse + the state machine + response serialization, the per-request work of a server
 *   llhttp            node's HTTPParser, from node:_http_common (where node:http takes it; undocumented but
 *                     loadable) or else process.binding('http_parser') (deprecated); one parser reused, with callbacks that build what node:http receives (method, url,
 *                     header array, body slices). Parse only: no response.
 * llhttp is C compiled to native code and hands JS a flat array; ours builds a HeaderFields object and checks
 * every RFC rule on the way. The ratio is the price of doing that in JS.
 */
import { createRequire } from 'node:module'
import { bench, do_not_optimize, group, run, summary } from 'mitata'
import { NEED_DATA, PAUSED, ServerConnection } from '../src/protocol/index.ts'

const GET = Buffer.from(
  [
    'GET /events?since=1700000000 HTTP/1.1',
    'Host: localhost:8765',
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0',
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'Accept-Language: en-US,en;q=0.9',
    'Accept-Encoding: gzip, deflate, br',
    'Connection: keep-alive',
    '',
    '',
  ].join('\r\n'),
  'latin1',
)

const JSON_BODY =
  '{"session_id":"3f2b9c1e-8d4a-4c6b-9a1f-5e7d2c8b0a14","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"npm test","description":"Run the tests"}}'
const half = JSON_BODY.length >> 1
const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`
const POST = Buffer.from(
  [
    'POST /hook HTTP/1.1',
    'Host: 127.0.0.1:8765',
    'User-Agent: curl/8.5.0',
    'Accept: */*',
    'Content-Type: application/json',
    'Transfer-Encoding: chunked',
    '',
    `${chunk(JSON_BODY.slice(0, half))}${chunk(JSON_BODY.slice(half))}0\r\n\r\n`,
  ].join('\r\n'),
  'latin1',
)

const HELLO = Buffer.from('Hello, World!')
const HEADERS = [['Content-Type', 'text/plain; charset=utf-8']] as const

// ---- ours ---------------------------------------------------------------------------------------------------

/** Parses one request on a fresh connection; returns the number of events (so nothing is optimized away). */
function oursParse(bytes: Buffer): number {
  const conn = new ServerConnection()
  conn.receiveData(bytes)
  let n = 0
  for (;;) {
    const ev = conn.nextEvent()
    if (ev === NEED_DATA || ev === PAUSED) return n
    n++
  }
}

const kept = new ServerConnection()
/** One whole exchange on a kept-alive connection: parse, then answer 200 "Hello, World!". */
function oursCycle(bytes: Buffer): number {
  kept.receiveData(bytes)
  let n = 0
  for (;;) {
    const ev = kept.nextEvent()
    if (ev === NEED_DATA || ev === PAUSED) break
    n++
  }
  return n + kept.respond({ type: 'response', status: 200, headers: HEADERS }, HELLO).length
}

// ---- llhttp -------------------------------------------------------------------------------------------------

interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number): void
  execute(data: Buffer): number | Error
  [index: number]: unknown
}
interface LlhttpBinding {
  HTTPParser: {
    new (): LlhttpParser
    REQUEST: number
    kOnHeaders: number
    kOnHeadersComplete: number
    kOnBody: number
    kOnMessageComplete: number
    kOnExecute: number
  }
  methods: string[]
}

function loadLlhttp(): LlhttpBinding | undefined {
  // node:_http_common is the module node:http itself takes its parser from; it is not documented but is
  // loadable from user code on Node 20-24, without a warning.
  try {
    const require = createRequire(import.meta.url)
    const common = require('node:_http_common') as Partial<LlhttpBinding>
    if (typeof common.HTTPParser === 'function' && Array.isArray(common.methods))
      return { HTTPParser: common.HTTPParser, methods: common.methods }
  } catch {}
  // Fallback: process.binding is deprecated (DEP0111); silence its one warning.
  process.noDeprecation = true
  try {
    const binding = (process as unknown as { binding?: (name: string) => unknown }).binding
    const b = binding?.('http_parser') as LlhttpBinding | undefined
    if (b !== undefined && typeof b.HTTPParser === 'function') return b
  } catch {}
  return undefined
}

const llhttp = process.env.BENCH_NO_LLHTTP === '1' ? undefined : loadLlhttp()

let llhttpEvents = 0
let llhttpParser: LlhttpParser | undefined
if (llhttp !== undefined) {
  const { HTTPParser, methods } = llhttp
  const p = new HTTPParser()
  p[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
    // Only called when a head has more than 32 fields (then kOnHeadersComplete gets the rest).
    llhttpEvents += headers.length + url.length
  }
  p[HTTPParser.kOnHeadersComplete] = (
    _major: number,
    _minor: number,
    headers: string[],
    method: number,
    url: string,
  ) => {
    // What node:http does first with these: the method name and a headers array it keeps.
    const name = methods[method]!
    llhttpEvents += name.length + url.length + headers.length
    return 0
  }
  p[HTTPParser.kOnBody] = (data: Buffer) => {
    llhttpEvents += data.length
  }
  p[HTTPParser.kOnMessageComplete] = () => {
    llhttpEvents++
  }
  p[HTTPParser.kOnExecute] = () => {}
  p.initialize(HTTPParser.REQUEST, {}, 0, 0)
  llhttpParser = p
}

function llhttpParse(bytes: Buffer): number {
  const r = llhttpParser!.execute(bytes)
  if (typeof r !== 'number') throw r
  return llhttpEvents
}

// ---- sanity: both parsers really parse these bytes ---------------------------------------------------------

if (oursParse(GET) !== 2 || oursParse(POST) !== 4) throw new Error('ours: unexpected event count')
if (oursCycle(GET) <= 2 || oursCycle(POST) <= 4) throw new Error('ours: cycle failed')
if (llhttpParser !== undefined) {
  const before = llhttpEvents
  llhttpParse(GET)
  llhttpParse(POST)
  if (llhttpEvents - before < JSON_BODY.length) throw new Error('llhttp: callbacks did not run')
}

// ---- the benchmarks ---------------------------------------------------------------------------------------

const cases = [
  { name: `GET, ${GET.length} bytes`, bytes: GET },
  { name: `chunked POST, ${POST.length} bytes`, bytes: POST },
]

for (const c of cases) {
  group(c.name, () => {
    summary(() => {
      if (llhttpParser !== undefined)
        bench(`llhttp (${c.name})`, () => do_not_optimize(llhttpParse(c.bytes))).baseline(true)
      bench(`ours parse (${c.name})`, () => do_not_optimize(oursParse(c.bytes)))
      bench(`ours cycle (${c.name})`, () => do_not_optimize(oursCycle(c.bytes)))
    })
  })
}

const result = await run()

// ---- a plain table: ns per request, MB/s, requests/s --------------------------------------------------------

const rows: string[] = []
for (const trial of result.benchmarks) {
  const stats = trial.runs[0]?.stats
  if (stats === undefined) continue
  const bytes = cases.find((c) => trial.alias.includes(c.name))!.bytes.length
  const ns = stats.avg
  rows.push(
    `| ${trial.alias} | ${ns.toFixed(0)} | ${(ns === 0 ? 0 : (1e9 / ns / 1e6) * bytes).toFixed(0)} | ${Math.round(1e9 / ns).toLocaleString('en-US')} |`,
  )
}
process.stdout.write(
  `\n| benchmark | ns/request (avg) | MB/s | requests/s (one core) |\n| --- | ---: | ---: | ---: |\n${rows.join('\n')}\n`,
)
if (llhttpParser === undefined) {
  process.stdout.write(
    '\nllhttp was not reachable in this Node.js (process.binding("http_parser") is gone): only our rows ran.\n' +
      'Compare with node:http end to end instead: node --import tsx bench/run.ts --only ours-raw,node-http --scenarios hello,pipelined\n',
  )
}
