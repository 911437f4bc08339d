/**
 * `observatory query` on the store: which source is read (--log, --db, stdin, $OBSERVATORY_DB, the default path),
 * the filters and formats on the store, --search, --sessions from the stored summaries, --watch polling the store,
 * and the errors (no store, a file that is not a store).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { runQuery } from '../../src/cli/query.ts'
import type { CommandIO } from '../../src/observatory/install/command-io.ts'
import type { QueryRunOptions } from '../../src/observatory/query/query.ts'
import { type HookEvent, SessionModel } from '../../src/observatory/sessions/index.ts'
import { fieldsOfLine, Store } from '../../src/observatory/store/index.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = join(ROOT, 'src/cli/main.ts')

const scratch: string[] = []
const fds: number[] = []
after(() => {
  for (const fd of fds) closeSync(fd)
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'obs-query-store-'))
  scratch.push(dir)
  return dir
}

const BASE = Date.parse('2026-02-09T10:00:00Z')

/** A line as the server writes it: compact JSON, `_ts` to the second with `+00:00`, `_event`, then the payload. */
function line(second: number, event: string, payload: Record<string, unknown> = {}): string {
  const ts = new Date(BASE + second * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00')
  return JSON.stringify({ _ts: ts, _event: event, session_id: 'sess-aaaa-1111', ...payload })
}

/**
 * Records lines into the store as the server's recorder does: the session model moves on, the store gets the
 * event and the session's new summary (the time: the line's `_ts`).
 */
async function record(path: string, items: readonly string[]): Promise<void> {
  const store = Store.open({ path, retainMs: 0, log: () => undefined })
  const model = new SessionModel()
  try {
    for (const item of items) {
      const fields = fieldsOfLine(item)
      assert.ok(fields !== undefined, item)
      const result = model.apply(JSON.parse(item) as HookEvent, fields.ts)
      store.append(item, fields)
      const summary = model.summary(result.session_id, fields.ts)
      if (summary !== undefined) store.putSession(summary)
      for (const call of result.tool_calls) store.putToolCall(call)
    }
  } finally {
    await store.close()
  }
}

type Stdin = 'tty' | 'devnull' | { input: string; fd?: number }

interface Captured {
  io: CommandIO
  stdout: () => string
  stderr: () => string
}

function capture(stdinKind: Stdin, env: NodeJS.ProcessEnv, cwd = tmpdir()): Captured {
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean; fd?: number }
  if (stdinKind === 'tty') stdin.isTTY = true
  else if (stdinKind === 'devnull') {
    // What a shell gives with `< /dev/null`, and a service without input: a character device.
    const fd = openSync('/dev/null', 'r')
    fds.push(fd)
    stdin.fd = fd
    stdin.end()
  } else {
    if (stdinKind.fd !== undefined) stdin.fd = stdinKind.fd
    stdin.end(stdinKind.input)
  }
  const stdout = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number }
  const stderr = new PassThrough()
  const out: Buffer[] = []
  const err: Buffer[] = []
  stdout.on('data', (c: Buffer) => out.push(c))
  stderr.on('data', (c: Buffer) => err.push(c))
  return {
    io: { stdin, stdout, stderr, env, cwd, homedir: join(cwd, 'home') },
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
  }
}

async function query(
  argv: string[],
  opts: { stdin?: Stdin; env?: NodeJS.ProcessEnv; run?: QueryRunOptions; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = capture(opts.stdin ?? 'tty', opts.env ?? {}, opts.cwd)
  const code = await runQuery(argv, c.io, opts.run ?? {})
  return { code, stdout: c.stdout(), stderr: c.stderr() }
}

const lines = (...items: string[]): string => items.map((l) => `${l}\n`).join('')

// One store for the read-only tests.
const dir = tempDir()
const db = join(dir, 'events.db')
const all = [
  line(0, 'SessionStart', { source: 'startup', cwd: '/work/app' }),
  line(1, 'UserPromptSubmit', { prompt: 'open an issue about the flaky test', cwd: '/work/app' }),
  line(2, 'PreToolUse', {
    tool_name: 'mcp__github__create_issue',
    tool_use_id: 'm1',
    tool_input: { title: 'Flaky test in CI', body: 'It fails one run in ten' },
  }),
  line(3, 'PermissionRequest', {
    tool_name: 'mcp__github__create_issue',
    tool_input: { title: 'Flaky test in CI', body: 'It fails one run in ten' },
  }),
  line(4, 'ConfigChange', { source: 'user_settings' }),
  line(5, 'PreToolUse', {
    session_id: 'other-2222',
    tool_name: 'Bash',
    tool_use_id: 'b1',
    tool_input: { command: 'npm test -- --grep café' },
    cwd: '/work/lib',
  }),
  line(6, 'PostToolUse', {
    session_id: 'other-2222',
    tool_name: 'Bash',
    tool_use_id: 'b1',
    tool_input: { command: 'npm test -- --grep café' },
  }),
  line(7, 'Stop', { session_id: 'other-2222' }),
  line(8, 'PreToolUse', {
    session_id: 'third-3333',
    tool_name: 'bash',
    tool_use_id: 'c1',
    tool_input: { command: 'ls' },
  }),
]
const ready = record(db, all)

describe('observatory query: which source', () => {
  it('reads the store at $OBSERVATORY_DB when nothing is piped in (terminal or /dev/null on stdin)', async () => {
    await ready
    for (const stdin of ['tty', 'devnull'] as const) {
      const r = await query(['--jsonl'], { stdin, env: { OBSERVATORY_DB: db } })
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stderr, '')
      // The stored lines exactly, oldest first.
      assert.equal(r.stdout, lines(...all), stdin)
    }
  })

  it('reads the default store ($XDG_STATE_HOME/hooks-observatory/events.db) when $OBSERVATORY_DB is unset', async () => {
    await ready
    const state = tempDir()
    mkdirSync(join(state, 'hooks-observatory'))
    await record(join(state, 'hooks-observatory', 'events.db'), [all[0]!])
    const r = await query(['--jsonl'], { env: { XDG_STATE_HOME: state } })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, lines(all[0]!))
  })

  it('--db PATH (relative to the working directory) wins over stdin and $OBSERVATORY_DB', async () => {
    await ready
    const r = await query(['--db', 'events.db', '--jsonl', '-n', '1'], {
      cwd: dir,
      stdin: { input: lines(line(9, 'Stop', { from: 'stdin' })) },
      env: { OBSERVATORY_DB: join(dir, 'elsewhere.db') },
    })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, lines(all[8]!))
  })

  it('a log piped or redirected into stdin is read, not the store', async () => {
    await ready
    const piped = lines(line(9, 'Stop', { from: 'stdin' }), line(10, 'Stop', { from: 'stdin' }))
    const r = await query(['--jsonl', '-n', '1'], {
      stdin: { input: piped },
      env: { OBSERVATORY_DB: db },
    })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, lines(line(10, 'Stop', { from: 'stdin' })))
    // A regular file on stdin (`< hooks.log`) is input too.
    const log = join(tempDir(), 'hooks.log')
    writeFileSync(log, piped)
    const fd = openSync(log, 'r')
    fds.push(fd)
    const file = await query(['--jsonl'], {
      stdin: { input: piped, fd },
      env: { OBSERVATORY_DB: db },
    })
    assert.equal(file.stdout, piped)
  })

  it('through the real CLI: a file on stdin is read; /dev/null on stdin means the store', async () => {
    await ready
    const log = join(tempDir(), 'hooks.log')
    writeFileSync(log, lines(line(9, 'Stop', { from: 'file' })))
    const run = async (stdin: number | 'ignore'): Promise<{ code: number | null; out: string }> => {
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'query', '--jsonl'], {
        cwd: ROOT,
        env: { ...process.env, OBSERVATORY_DB: db },
        stdio: [stdin, 'pipe', 'pipe'],
      })
      let out = ''
      for (const stream of [child.stdout, child.stderr]) {
        stream?.setEncoding('utf8').on('data', (data: string) => {
          out += data
        })
      }
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
      clearTimeout(killer)
      return { code, out }
    }
    const fd = openSync(log, 'r')
    fds.push(fd)
    const fromFile = await run(fd)
    assert.equal(fromFile.code, 0, fromFile.out)
    assert.equal(fromFile.out, lines(line(9, 'Stop', { from: 'file' })))
    const fromStore = await run('ignore')
    assert.equal(fromStore.code, 0, fromStore.out)
    assert.equal(fromStore.out, lines(...all))
  })

  it('no store and nothing piped in: one line saying where it looked and what to pass, exit 2', async () => {
    const missing = join(tempDir(), 'none.db')
    const r = await query(['--sessions'], { env: { OBSERVATORY_DB: missing } })
    assert.equal(r.code, 2)
    assert.equal(r.stdout, '')
    assert.equal(
      r.stderr,
      `observatory query: nothing piped in and no store at ${missing} ($OBSERVATORY_DB); give --log FILE, --db PATH, or pipe a log in (… | observatory query)\n`,
    )
    const state = tempDir()
    const byDefault = await query([], { stdin: 'devnull', env: { XDG_STATE_HOME: state } })
    assert.equal(byDefault.code, 2)
    assert.equal(
      byDefault.stderr,
      `observatory query: nothing piped in and no store at ${join(state, 'hooks-observatory', 'events.db')} (the default; $OBSERVATORY_DB is not set); give --log FILE, --db PATH, or pipe a log in (… | observatory query)\n`,
    )
    const noDb = await query(['--db', missing])
    assert.equal(noDb.code, 2)
    assert.equal(
      noDb.stderr,
      `observatory query: no store at ${missing} (--db); check the path, or give --log FILE\n`,
    )
  })

  it('a file that is not a store: the store’s one-line error, exit 1, no stack trace', async () => {
    const bad = join(tempDir(), 'bad.db')
    writeFileSync(bad, 'not a database, only text. '.repeat(300))
    const r = await query(['--db', bad])
    assert.equal(r.code, 1)
    assert.equal(r.stdout, '')
    assert.equal(
      r.stderr,
      `observatory query: ${bad} is not a valid database (file is not a database); move it away or use --db PATH\n`,
    )
    const empty = join(tempDir(), 'empty.db')
    writeFileSync(empty, '')
    const none = await query([], { env: { OBSERVATORY_DB: empty } })
    assert.equal(none.code, 1)
    assert.equal(
      none.stderr,
      `observatory query: ${empty} is not a hooks-observatory store (no schema); use --db PATH\n`,
    )
  })

  it('--search on a log or on stdin is a usage error (full-text search needs the store)', async () => {
    const piped = await query(['--search', 'npm'], { stdin: { input: lines(all[0]!) } })
    assert.equal(piped.code, 2)
    assert.equal(
      piped.stderr,
      'observatory query: --search needs the store (full-text search); with a log, drop --search or use grep\n',
    )
  })

  it('query --log never loads SQLite; the store does, only when used', async () => {
    const log = join(tempDir(), 'hooks.log')
    writeFileSync(log, lines(all[0]!))
    const script = `
      import { createRequire } from 'node:module'
      import { PassThrough } from 'node:stream'
      const { runQuery } = await import(${JSON.stringify(join(ROOT, 'src/cli/query.ts'))})
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('better-sqlite3'))
      const io = (env) => ({ stdin: Object.assign(new PassThrough(), { isTTY: true }), stdout: new PassThrough().resume(), stderr: new PassThrough().resume(), env, cwd: process.cwd(), homedir: process.cwd() })
      const a = await runQuery(['--log', ${JSON.stringify(log)}], io({}))
      const before = loaded()
      const b = await runQuery(['--db', ${JSON.stringify(db)}], io({}))
      console.log(JSON.stringify([a, before, b, loaded()]))
    `
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (data: string) => {
      out += data
    })
    child.stderr.setEncoding('utf8').on('data', (data: string) => {
      out += data
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    assert.equal(code, 0, out)
    assert.deepEqual(JSON.parse(out), [0, false, 0, true])
  })
})

describe('observatory query: filters and formats on the store', () => {
  it('--tool is case-insensitive and whole; MCP tool names are shown in full in the table', async () => {
    await ready
    const r = await query(['--tool', 'MCP__GitHub__Create_Issue', '--table'], {
      env: { OBSERVATORY_DB: db },
    })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(
      r.stdout,
      [
        'TIME                 EVENT               SESSION   TOOL          SUMMARY',
        '2026-02-09 10:00:02  PreToolUse          sess-aaa  mcp__github__create_issue  Flaky test in CI',
        '2026-02-09 10:00:03  PermissionRequest   sess-aaa  mcp__github__create_issue  Flaky test in CI',
        '',
      ].join('\n'),
    )
    const whole = await query(['--tool', 'mcp__github'], { env: { OBSERVATORY_DB: db } })
    assert.equal(whole.stdout, '')
    const bash = await query(['--tool', 'BASH', '--jsonl'], { env: { OBSERVATORY_DB: db } })
    assert.equal(bash.stdout, lines(all[5]!, all[6]!, all[8]!))
  })

  it('--tool is case-insensitive on logs too', async () => {
    const r = await query(['--tool', 'BASH'], { stdin: { input: lines(...all) } })
    assert.equal(r.stdout, lines(all[5]!, all[6]!, all[8]!))
  })

  it('--search finds words and phrases in the stored lines (escapes decoded)', async () => {
    await ready
    const env = { OBSERVATORY_DB: db }
    const flaky = await query(['--search', 'flaky'], { env })
    assert.equal(flaky.stdout, lines(all[1]!, all[2]!, all[3]!))
    const phrase = await query(['--search', '"fails one run"', '--event', 'PreToolUse'], { env })
    assert.equal(phrase.stdout, lines(all[2]!))
    const accent = await query(['--search', 'café', '--csv'], { env })
    assert.equal(
      accent.stdout,
      'ts,event,session_id,tool_name,summary\r\n' +
        '2026-02-09T10:00:05+00:00,PreToolUse,other-2222,Bash,npm test -- --grep café\r\n' +
        '2026-02-09T10:00:06+00:00,PostToolUse,other-2222,Bash,npm test -- --grep café\r\n',
    )
    const none = await query(['--search', 'nowhere'], { env })
    assert.equal(none.code, 0)
    assert.equal(none.stdout, '')
  })

  it('-n: the newest N, printed oldest first; with --event, --session and --since', async () => {
    await ready
    const env = { OBSERVATORY_DB: db }
    assert.equal((await query(['-n', '2'], { env })).stdout, lines(all[7]!, all[8]!))
    assert.equal(
      (await query(['-n', '2', '--session', 'sess', '--event', 'PreToolUse,SessionStart'], { env }))
        .stdout,
      lines(all[0]!, all[2]!),
    )
    assert.equal(
      (await query(['--since', '2026-02-09T10:00:06Z', '--session', 'oth'], { env })).stdout,
      lines(all[6]!, all[7]!),
    )
    assert.equal((await query(['-n', '0'], { env })).stdout, '')
    assert.equal((await query(['--last', '100'], { env })).stdout, lines(...all))
  })
})

describe('observatory query --sessions on the store', () => {
  it('shows the stored summaries: states of the session model, stale derived now', async () => {
    await ready
    const env = { OBSERVATORY_DB: db }
    const at = (second: number): QueryRunOptions => ({ now: () => BASE + second * 1000 })
    const r = await query(['--sessions'], { env, run: at(60) })
    assert.equal(r.code, 0, r.stderr)
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    assert.deepEqual(
      rows.map((row) => [row.session_id, row.state, row.state_tool]),
      [
        ['third-3333', 'running tool', 'bash'],
        ['other-2222', 'waiting for input', null],
        // ConfigChange after the PermissionRequest does not answer it.
        ['sess-aaaa-1111', 'waiting for permission', 'mcp__github__create_issue'],
      ],
    )
    // Eleven minutes on, the running call has gone stale; the waits have not.
    const later = await query(['--sessions', '--csv'], { env, run: at(8 + 11 * 60) })
    assert.equal(
      later.stdout,
      'session_id,state,state_since,tool,last_event,events,last_activity,project,cwd,cost_usd,input_tokens,output_tokens,cache_read_tokens,cache_creation_tokens\r\n' +
        'third-3333,stale,2026-02-09T10:10:08.000Z,bash,PreToolUse,1,2026-02-09T10:00:08.000Z,,,,,,,\r\n' +
        'other-2222,waiting for input,2026-02-09T10:00:07.000Z,,Stop,3,2026-02-09T10:00:07.000Z,lib,/work/lib,,,,,\r\n' +
        'sess-aaaa-1111,waiting for permission,2026-02-09T10:00:03.000Z,mcp__github__create_issue,ConfigChange,5,2026-02-09T10:00:04.000Z,app,/work/app,,,,,\r\n',
    )
    const table = await query(
      ['--sessions', '--table', '--state', 'stale,waiting for permission'],
      {
        env,
        run: at(8 + 11 * 60),
      },
    )
    assert.equal(
      table.stdout,
      [
        'SESSION   STATE                   FOR  TOOL                       EVENTS  LAST ACTIVITY        AGO  PROJECT',
        'third-33  stale                    1m  bash                            1  2026-02-09 10:00:08  11m',
        'sess-aaa  waiting for permission  11m  mcp__github__create_issue       5  2026-02-09 10:00:04  11m  app',
        '',
      ].join('\n'),
    )
    const since = await query(['--sessions', '--since', '2026-02-09T10:00:07Z', '-n', '1'], {
      env,
      run: at(60),
    })
    assert.deepEqual(
      since.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).session_id),
      ['third-3333'],
    )
  })
})

describe('observatory query --watch on the store', () => {
  async function waitFor(check: () => boolean, what: string, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  it('prints, then picks up events another handle appends, with the filters; stops on abort', async () => {
    const path = join(tempDir(), 'events.db')
    await record(path, [line(0, 'Stop', { n: 1 }), line(1, 'PreToolUse', { n: 2 })])
    const c = capture('tty', { OBSERVATORY_DB: path })
    const controller = new AbortController()
    const ns = (): unknown[] =>
      c
        .stdout()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l).n)
    const done = runQuery(['--watch', '--event', 'Stop', '--jsonl'], c.io, {
      signal: controller.signal,
      pollIntervalMs: 20,
    })
    const writer = Store.open({ path, retainMs: 0, log: () => undefined })
    try {
      await waitFor(() => ns().length === 1, 'the stored event')
      for (const [second, event, n] of [
        [2, 'PreToolUse', 3],
        [3, 'Stop', 4],
      ] as const) {
        const item = line(second, event, { n })
        writer.append(item, fieldsOfLine(item)!)
      }
      await writer.flush()
      await waitFor(() => ns().length === 2, 'the appended Stop')
      // More than a page (1,000) at once arrives whole and in order.
      for (let i = 0; i < 1500; i++) {
        const item = line(4, 'Stop', { n: 100 + i })
        writer.append(item, fieldsOfLine(item)!)
      }
      await writer.flush()
      await waitFor(() => ns().length === 1502, 'a burst of events')
    } finally {
      controller.abort()
      await writer.close()
    }
    assert.equal(await done, 0)
    const seen = ns()
    assert.deepEqual(seen.slice(0, 3), [1, 4, 100])
    assert.deepEqual(
      seen.slice(2),
      Array.from({ length: 1500 }, (_, i) => 100 + i),
    )
    assert.equal(c.stderr(), '')
  })

  it('stops at once when aborted before anything new arrives', async () => {
    const path = join(tempDir(), 'events.db')
    await record(path, [line(0, 'Stop')])
    const c = capture('devnull', { OBSERVATORY_DB: path })
    const controller = new AbortController()
    const done = runQuery(['--watch', '--jsonl'], c.io, { signal: controller.signal })
    await waitFor(() => c.stdout() !== '', 'the stored event')
    const started = Date.now()
    controller.abort()
    assert.equal(await done, 0)
    assert.ok(Date.now() - started < 1000, 'stopped promptly')
  })
})
