/**
 * `observatory query --sessions` on a store with Claude Code's telemetry: the table gains COST (`$0.0123`, `-`
 * without) and TOKENS (input + output), CSV the usage columns, JSON lines each summary's `usage` (null without).
 * Without any usage the output is as before (query-store.test.ts). A session known only from telemetry is listed.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, describe, it } from 'node:test'
import { runQuery } from '../../src/cli/query.ts'
import { type HookEvent, SessionModel } from '../../src/observatory/sessions/index.ts'
import { fieldsOfLine, Store } from '../../src/observatory/store/index.ts'

const dir = mkdtempSync(join(tmpdir(), 'obs-query-usage-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const BASE = Date.parse('2026-02-09T10:00:00Z')

function line(second: number, session: string, event: string, payload = {}): string {
  const ts = new Date(BASE + second * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00')
  return JSON.stringify({ _ts: ts, _event: event, session_id: session, ...payload })
}

async function query(argv: string[], path: string): Promise<string> {
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean }
  stdin.isTTY = true
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const out: Buffer[] = []
  stdout.on('data', (c: Buffer) => out.push(c))
  const code = await runQuery(
    argv,
    { stdin, stdout, stderr, env: { OBSERVATORY_DB: path }, cwd: dir, homedir: dir },
    { now: () => BASE + 60_000 },
  )
  assert.equal(code, 0)
  return Buffer.concat(out).toString('utf8')
}

describe('observatory query --sessions with telemetry', () => {
  it('shows cost and tokens per session from the store', async () => {
    const path = join(dir, 'usage.db')
    const store = Store.open({ path, retainMs: 0, log: () => undefined })
    const model = new SessionModel()
    for (const item of [
      line(0, 'with-usage-1', 'SessionStart', { cwd: '/work/app' }),
      line(1, 'no-usage-22', 'SessionStart', { cwd: '/work/lib' }),
    ]) {
      const fields = fieldsOfLine(item)!
      const result = model.apply(JSON.parse(item) as HookEvent, fields.ts)
      store.append(item, fields)
      store.putSession(model.summary(result.session_id, fields.ts)!)
    }
    const request = (cost: number, input: number, output: number) => ({
      ts: BASE,
      session_id: 'with-usage-1',
      prompt_id: 'p',
      model: 'm',
      cost_usd: cost,
      input_tokens: input,
      output_tokens: output,
      cache_read_tokens: 1000,
      cache_creation_tokens: 7,
      duration_ms: 10,
    })
    await store.putApiRequests([request(0.01, 100, 20), request(0.0023, 3, 4)])
    await store.close()

    assert.equal(
      await query(['--sessions', '--table'], path),
      [
        'SESSION   STATE     FOR  TOOL  EVENTS  LAST ACTIVITY        AGO     COST  TOKENS  PROJECT',
        'no-usage  starting  59s             1  2026-02-09 10:00:01  59s        -       -  lib',
        'with-usa  starting   1m             1  2026-02-09 10:00:00   1m  $0.0123     127  app',
        '',
      ].join('\n'),
    )
    const csv = (await query(['--sessions', '--csv'], path)).split('\r\n')
    assert.equal(
      csv[0],
      'session_id,state,state_since,tool,last_event,events,last_activity,project,cwd,' +
        'cost_usd,input_tokens,output_tokens,cache_read_tokens,cache_creation_tokens',
    )
    assert.match(csv[1]!, /^no-usage-22,.*,lib,\/work\/lib,,,,,$/)
    assert.match(csv[2]!, /^with-usage-1,.*,app,\/work\/app,0\.0123,103,24,2000,14$/)
    const json = (await query(['--sessions', '--jsonl'], path))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { session_id: string; usage: Record<string, unknown> | null })
    assert.equal(json[0]?.usage, null)
    assert.equal(json[1]?.session_id, 'with-usage-1')
    assert.ok(Math.abs(Number(json[1]?.usage?.cost_usd) - 0.0123) < 1e-12)
    assert.equal(json[1]?.usage?.input_tokens, 103)
    assert.equal(json[1]?.usage?.output_tokens, 24)
    assert.equal(json[1]?.usage?.cache_read_tokens, 2000)
    assert.equal(json[1]?.usage?.cache_creation_tokens, 14)
  })

  it('lists a session known only from telemetry, as the API does', async () => {
    const path = join(dir, 'telemetry-only.db')
    const store = Store.open({ path, retainMs: 0, log: () => undefined })
    const item = line(0, 'hooked-1', 'SessionStart', { cwd: '/work/app' })
    const fields = fieldsOfLine(item)!
    const model = new SessionModel()
    const result = model.apply(JSON.parse(item) as HookEvent, fields.ts)
    store.append(item, fields)
    store.putSession(model.summary(result.session_id, fields.ts)!)
    await store.putApiRequests([
      {
        ts: BASE + 30_000,
        session_id: 'telemetry-only-9',
        prompt_id: 'p',
        model: 'm',
        cost_usd: 0.5,
        input_tokens: 10,
        output_tokens: 5,
        cache_read_tokens: 0,
        cache_creation_tokens: 0,
        duration_ms: 10,
      },
    ])
    await store.close()
    const json = (await query(['--sessions', '--jsonl'], path))
      .trimEnd()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            session_id: string
            state: string
            usage: { cost_usd: number } | null
          },
      )
    assert.deepEqual(
      json.map((x) => [x.session_id, x.state, x.usage?.cost_usd ?? null]),
      [
        ['telemetry-only-9', 'idle', 0.5],
        ['hooked-1', 'starting', null],
      ],
      'most recently active first',
    )
    const one = await query(['--sessions', '--jsonl', '--session', 'hooked'], path)
    assert.deepEqual(
      one
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { session_id: string }).session_id),
      ['hooked-1'],
      'the --session prefix applies to them too',
    )
  })
})
