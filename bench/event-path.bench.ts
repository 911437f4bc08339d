/**
 * The observatory's per-event CPU work on a hook body, in process: what app.ts does between reading the body and
 * publishing the line (readPayload → enrichEvent → encodeJson), the way it was (parse, copy into a new map,
 * encode the whole event) against the way it is (one parse that also checks the payload is already in the
 * encoder's form, then the metadata spliced in front of its text), and the pieces each trick replaced.
 *
 *   node --import tsx bench/event-path.bench.ts [--rounds 7] [--iterations 20000]
 *
 * Arms run interleaved (A B C … per round, several rounds) and the median ns/event of each is reported with its
 * ratio to the first arm of its group, so a noisy, shared machine moves all arms of a round together. The same
 * ~400-byte PreToolUse body as bench/observatory.ts.
 *
 * The "before" arm runs today's encoder and timestamp (both cheaper than they were: a shared scratch array, a
 * cached second), so it understates what the whole change saved; the other groups measure those pieces.
 */
import { isAscii } from 'node:buffer'
import { parseArgs } from 'node:util'
import {
  decodeJsonBytes,
  encodeJson,
  JsonNumber,
  parseJsonBytes,
  quoteJsonString,
} from '../src/observatory/encoding/index.ts'
import { enrichEvent, formatTimestamp, readPayload } from '../src/observatory/server/event.ts'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    iterations: { type: 'string', default: '20000' },
  },
})
const ROUNDS = Number(values.rounds)
const N = Number(values.iterations)

const SESSION = '3f5e8a9c-1b2d-4e6f-8a0b-1c2d3e4f5a6b'
const BODY = Buffer.from(
  `{"id":"r0-123","session_id":"${SESSION}","transcript_path":"/home/user/.claude/projects/-home-user-project/${SESSION}.jsonl",` +
    `"cwd":"/home/user/project","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash",` +
    `"tool_input":{"command":"git status --short && npm test -- --run","description":"Show changes and run the tests","timeout":120000},` +
    `"tool_use_id":"toolu_01ABCDEFGHJKLMNPQRSTUVWX"}`,
)
const RFC = { nonFinite: false }
const meta = () => ({
  ts: new Date(),
  event: 'PreToolUse',
  peer: { pid: 4242, uid: 1000, gid: 100 },
})

let sink = 0
type Arm = { name: string; run: () => void }
const groups: { title: string; arms: Arm[] }[] = [
  {
    title: 'parse → enrich → encode, one 400-byte body',
    arms: [
      {
        // The previous path: parseJsonBytes, a plain-Map event, the whole event encoded.
        name: 'before: parse + copy + encode',
        run: () => {
          const payload = parseJsonBytes(BODY, RFC) as Map<string, never>
          sink += encodeJson(enrichEvent(meta(), payload)).length
        },
      },
      {
        name: 'after: canonical parse + splice',
        run: () => {
          const { payload: read, text } = readPayload(BODY)
          sink += encodeJson(enrichEvent(meta(), read, text)).length
        },
      },
    ],
  },
  {
    title: 'decoding the body',
    arms: [
      {
        name: 'detect encoding + strict UTF-8 TextDecoder',
        run: () => {
          sink += decodeJsonBytes(BODY).length
        },
      },
      {
        name: 'isAscii + latin1 slice',
        run: () => {
          sink += isAscii(BODY) ? BODY.toString('latin1', 0, BODY.length).length : 0
        },
      },
    ],
  },
  {
    title: 'the metadata',
    arms: [
      {
        name: 'timestamp formatted per event (padStart ×6)',
        run: () => {
          const d = new Date()
          const two = (n: number) => String(n).padStart(2, '0')
          sink +=
            `${String(d.getUTCFullYear()).padStart(4, '0')}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}+00:00`
              .length
        },
      },
      {
        name: 'timestamp cached per second',
        run: () => {
          sink += formatTimestamp(new Date()).length
        },
      },
      {
        name: 'JsonNumber from a pid, checked by regexp',
        run: () => {
          sink += new JsonNumber(String(4242)).text.length
        },
      },
      {
        name: 'JsonNumber.of a pid (safe integer, unchecked)',
        run: () => {
          sink += JsonNumber.of(4242).text.length
        },
      },
      {
        name: 'quoteJsonString(event name)',
        run: () => {
          sink += quoteJsonString('PreToolUse').length
        },
      },
    ],
  },
]

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]!
}

const results = new Map<string, number[]>()
for (let round = 0; round <= ROUNDS; round++) {
  for (const group of groups) {
    for (const arm of group.arms) {
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < N; i++) arm.run()
      const ns = Number(process.hrtime.bigint() - t0) / N
      if (round === 0) continue // warm-up round
      const list = results.get(arm.name) ?? []
      list.push(ns)
      results.set(arm.name, list)
    }
  }
}
for (const group of groups) {
  process.stdout.write(`\n${group.title}\n`)
  const base = median(results.get(group.arms[0]!.name)!)
  for (const arm of group.arms) {
    const m = median(results.get(arm.name)!)
    process.stdout.write(
      `  ${arm.name.padEnd(48)} ${m.toFixed(0).padStart(7)} ns  ${(m / base).toFixed(2)}×\n`,
    )
  }
}
if (sink === 42) process.stdout.write('\n')
