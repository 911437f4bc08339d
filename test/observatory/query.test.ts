import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parseSince, runQuery as runQueryWith } from '../../src/cli/query.ts'
import type { CommandIO } from '../../src/observatory/install/command-io.ts'
import { csvField } from '../../src/observatory/query/format.ts'
import type { QueryRunOptions } from '../../src/observatory/query/query.ts'

const scratch: string[] = []
after(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'obs-query-'))
  scratch.push(dir)
  return dir
}

interface Captured {
  io: CommandIO
  stdout: () => string
  stderr: () => string
}

function capture(
  opts: {
    input?: string
    tty?: boolean
    columns?: number
    stdinTty?: boolean
    env?: NodeJS.ProcessEnv
  } = {},
): Captured {
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean }
  // A terminal on stdin: flagged as one, and never ends (nobody types).
  if (opts.stdinTty === true) stdin.isTTY = true
  else stdin.end(opts.input ?? '')
  const stdout = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number }
  if (opts.tty === true) stdout.isTTY = true
  if (opts.columns !== undefined) stdout.columns = opts.columns
  const stderr = new PassThrough()
  const out: Buffer[] = []
  const err: Buffer[] = []
  stdout.on('data', (c: Buffer) => out.push(c))
  stderr.on('data', (c: Buffer) => err.push(c))
  return {
    io: { stdin, stdout, stderr, env: opts.env ?? {}, cwd: tmpdir(), homedir: tmpdir() },
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
  }
}

async function query(
  argv: string[],
  opts: {
    input?: string
    tty?: boolean
    columns?: number
    stdinTty?: boolean
    run?: QueryRunOptions
  } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = capture(opts)
  const code = await runQueryWith(argv, c.io, opts.run ?? {})
  return { code, stdout: c.stdout(), stderr: c.stderr() }
}

const BASE = Date.parse('2026-02-09T10:00:00Z')

/** One log line in the observatory's layout (`_ts`, `_event`, `_client`, then the payload). */
function line(second: number, event: string, payload: Record<string, unknown> = {}): string {
  const ts = new Date(BASE + second * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00')
  return JSON.stringify({
    _ts: ts,
    _event: event,
    _client: '127.0.0.1',
    session_id: 'sess-aaaa-1111',
    hook_event_name: event,
    cwd: '/work/proj',
    ...payload,
  })
}

const lines = (...items: string[]): string => items.map((l) => `${l}\n`).join('')

describe('observatory query: reading', () => {
  it('reads rotated siblings oldest first, in numeric order (FILE.10 before FILE.9)', async () => {
    const dir = tempDir()
    const log = join(dir, 'hooks.log')
    const order = ['hooks.log.10', 'hooks.log.9', 'hooks.log.2', 'hooks.log.1', 'hooks.log']
    order.forEach((name, i) => {
      writeFileSync(join(dir, name), lines(line(i, 'Stop', { n: i })))
    })
    writeFileSync(join(dir, 'hooks.log.3.gz'), 'not read')
    writeFileSync(join(dir, 'hooks.logx'), 'not read either\n')
    const r = await query(['--log', log])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    assert.deepEqual(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).n),
      [0, 1, 2, 3, 4],
    )
  })

  it('prints the original lines unchanged with --jsonl (default when stdout is not a terminal)', async () => {
    const dir = tempDir()
    const log = join(dir, 'h.log')
    const odd = '{"_ts": "2026-02-09T10:00:00+00:00",  "_event":"Stop", "session_id":"s", "x": 1.0}'
    writeFileSync(log, `${odd}\r\n${line(1, 'Stop')}\n`)
    const r = await query(['--log', log])
    assert.equal(r.stdout, `${odd}\n${line(1, 'Stop')}\n`)
  })

  it('reads stdin when no --log is given', async () => {
    const input = lines(line(0, 'Stop'), line(1, 'PreToolUse', { tool_name: 'Bash' }))
    const r = await query(['--event', 'Stop'], { input })
    assert.equal(r.code, 0)
    assert.equal(r.stdout, `${line(0, 'Stop')}\n`)
  })

  it('a terminal on stdin and no store: usage error (exit 2) saying where it looked, instead of waiting', async () => {
    // Since the store became the default source, a terminal on stdin means "read the store"; with no store
    // there, the command says where it looked and what to pass (before: "no --log given and stdin is a terminal").
    const missing = join(tempDir(), 'none.db')
    const c = capture({ stdinTty: true, env: { OBSERVATORY_DB: missing } })
    let timer: NodeJS.Timeout | undefined
    const code = await Promise.race([
      runQueryWith(['--event', 'Stop'], c.io),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('still waiting on stdin'), 10_000)
      }),
    ])
    clearTimeout(timer)
    assert.equal(code, 2)
    assert.equal(c.stdout(), '')
    assert.equal(
      c.stderr(),
      `observatory query: nothing piped in and no store at ${missing} ($OBSERVATORY_DB); give --log FILE, --db PATH, or pipe a log in (… | observatory query)\n`,
    )
    // With --log the terminal on stdin does not matter.
    const dir = tempDir()
    const log = join(dir, 'hooks.log')
    writeFileSync(log, lines(line(0, 'Stop')))
    const withLog = await query(['--log', log], { stdinTty: true })
    assert.equal(withLog.code, 0)
    assert.equal(withLog.stdout, `${line(0, 'Stop')}\n`)
    // --help still works from a terminal.
    assert.equal((await query(['--help'], { stdinTty: true })).code, 0)
  })

  it('a real terminal on stdin (script(1) pseudo-terminal) and no store: one line on stderr, exit 2', async (t) => {
    const script = ['/usr/bin/script', '/bin/script'].find((path) => existsSync(path))
    if (script === undefined) {
      t.skip('script(1) from util-linux is not installed: no pseudo-terminal to test with')
      return
    }
    const root = fileURLToPath(new URL('../..', import.meta.url))
    const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`
    const command = [process.execPath, '--import', 'tsx', join(root, 'src/cli/main.ts'), 'query']
      .map(quote)
      .join(' ')
    // No store where it looks (whatever the machine's default store holds): the usage error, not a table.
    const missing = join(tempDir(), 'none.db')
    // script runs the command on a new pseudo-terminal (stdin, stdout and stderr all on it); -e: its exit code.
    const child = spawn(script, ['-qec', command, '/dev/null'], {
      cwd: root,
      env: { ...process.env, OBSERVATORY_DB: missing },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (data: string) => {
      output += data
    })
    // Unfixed, the query waits for input forever: bound the wait, then stop it.
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    clearTimeout(killer)
    child.stdin.destroy()
    assert.equal(code, 2, `exit code; the terminal showed: ${JSON.stringify(output)}`)
    assert.match(
      output,
      /^observatory query: nothing piped in and no store at .*none\.db \(\$OBSERVATORY_DB\); give --log FILE, --db PATH, or pipe a log in .*\r?\n$/,
    )
  })

  it('interleaves several --log files by time', async () => {
    const dir = tempDir()
    const a = join(dir, 'unix.log')
    const b = join(dir, 'tcp.log')
    writeFileSync(
      a,
      lines(
        line(0, 'Stop', { n: 'a0' }),
        line(2, 'Stop', { n: 'a2' }),
        line(2, 'Stop', { n: 'a2b' }),
      ),
    )
    writeFileSync(
      b,
      lines(
        line(1, 'Stop', { n: 'b1' }),
        line(2, 'Stop', { n: 'b2' }),
        line(3, 'Stop', { n: 'b3' }),
      ),
    )
    const r = await query(['--log', a, '--log', b])
    assert.deepEqual(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).n),
      ['a0', 'b1', 'a2', 'a2b', 'b2', 'b3'],
    )
  })

  it('skips and counts unreadable lines, never crashing', async () => {
    const dir = tempDir()
    const log = join(dir, 'h.log')
    writeFileSync(
      log,
      `${line(0, 'Stop')}\ngarbage here\n\n[1,2,3]\n${line(1, 'Stop')}\n{"_ts": "2026-02-09T10:00:02+00:00", "_eve`,
    )
    const r = await query(['--log', log])
    assert.equal(r.code, 0)
    assert.equal(r.stdout, lines(line(0, 'Stop'), line(1, 'Stop')))
    assert.equal(r.stderr, 'observatory query: skipped 3 unreadable lines\n')

    const one = await query([], { input: 'nope\n' })
    assert.equal(one.stderr, 'observatory query: skipped 1 unreadable line\n')
  })

  it('fails with one line when a log file is missing', async () => {
    const dir = tempDir()
    const r = await query(['--log', join(dir, 'missing.log')])
    assert.equal(r.code, 1)
    assert.equal(
      r.stderr,
      `observatory query: cannot read ${join(dir, 'missing.log')}: no such file or directory (ENOENT)\n`,
    )
    assert.equal(r.stdout, '')
    const isDir = await query(['--log', dir])
    assert.equal(isDir.code, 1)
    assert.equal(isDir.stderr, `observatory query: cannot read ${dir}: it is a directory\n`)
  })
})

describe('observatory query: filters and formats', () => {
  const dir = tempDir()
  const log = join(dir, 'h.log')
  const all = [
    line(0, 'SessionStart', { source: 'startup' }),
    line(1, 'UserPromptSubmit', { prompt: 'fix the tests' }),
    line(2, 'PreToolUse', { tool_name: 'Bash', tool_input: { command: 'npm test' } }),
    line(3, 'PostToolUse', { tool_name: 'Bash', tool_input: { command: 'npm test' } }),
    line(4, 'PreToolUse', {
      tool_name: 'Read',
      tool_input: { file_path: '/work/proj/a.ts' },
      session_id: 'other-2222',
    }),
    line(5, 'Stop'),
  ]
  writeFileSync(log, lines(...all))

  it('filters by event (repeatable and comma lists), tool and session prefix', async () => {
    const byEvent = await query([
      '--log',
      log,
      '--event',
      'PreToolUse,Stop',
      '--event',
      'SessionStart',
    ])
    assert.equal(byEvent.stdout, lines(all[0]!, all[2]!, all[4]!, all[5]!))
    const byTool = await query(['--log', log, '--tool', 'Bash'])
    assert.equal(byTool.stdout, lines(all[2]!, all[3]!))
    const bySession = await query(['--log', log, '--session', 'oth'])
    assert.equal(bySession.stdout, lines(all[4]!))
  })

  it('filters by --since, as a timestamp or a duration before now', async () => {
    const iso = await query(['--log', log, '--since', '2026-02-09T10:00:04Z'])
    assert.equal(iso.stdout, lines(all[4]!, all[5]!))
    const offset = await query(['--log', log, '--since', '2026-02-09T11:00:03+01:00'])
    assert.equal(offset.stdout, lines(all[3]!, all[4]!, all[5]!))
    const ago = await query(['--log', log, '--since', '10s'], { run: { now: () => BASE + 14_000 } })
    assert.equal(ago.stdout, lines(all[4]!, all[5]!))
    assert.equal(parseSince('1h30m', 10_000_000), 10_000_000 - 5_400_000)
    assert.equal(parseSince('2d', 200_000_000), 200_000_000 - 172_800_000)
  })

  it('-n keeps the last N matching events', async () => {
    const r = await query([
      '--log',
      log,
      '-n',
      '2',
      '--event',
      'PreToolUse,PostToolUse,SessionStart',
    ])
    assert.equal(r.stdout, lines(all[3]!, all[4]!))
    const zero = await query(['--log', log, '-n', '0'])
    assert.equal(zero.stdout, '')
    const many = await query(['--log', log, '--last', '100'])
    assert.equal(many.stdout, lines(...all))
  })

  it('writes CSV with RFC 4180 quoting', async () => {
    const csvLog = join(dir, 'csv.log')
    writeFileSync(
      csvLog,
      lines(
        line(0, 'UserPromptSubmit', { prompt: 'say "hi", then\nleave' }),
        line(1, 'PreToolUse', { tool_name: 'Bash', tool_input: { command: 'ls -l' } }),
      ),
    )
    const r = await query(['--log', csvLog, '--csv'])
    assert.equal(
      r.stdout,
      'ts,event,session_id,tool_name,summary\r\n' +
        '2026-02-09T10:00:00+00:00,UserPromptSubmit,sess-aaaa-1111,,"say ""hi"", then leave"\r\n' +
        '2026-02-09T10:00:01+00:00,PreToolUse,sess-aaaa-1111,Bash,ls -l\r\n',
    )
    assert.equal(csvField('a\nb'), '"a\nb"')
    assert.equal(csvField('plain'), 'plain')
    assert.equal(csvField('x\ry'), '"x\ry"')
  })

  it('prints an aligned table without colours when stdout is not a terminal', async () => {
    const r = await query(['--log', log, '--table', '-n', '3'])
    assert.equal(
      r.stdout,
      [
        'TIME                 EVENT               SESSION   TOOL          SUMMARY',
        '2026-02-09 10:00:03  PostToolUse         sess-aaa  Bash          npm test',
        '2026-02-09 10:00:04  PreToolUse          other-22  Read          /work/proj/a.ts',
        '2026-02-09 10:00:05  Stop                sess-aaa',
        '',
      ].join('\n'),
    )
    assert.doesNotMatch(r.stdout, /\u001b\[/)
  })

  it('defaults to a coloured table on a terminal, fitted to its width', async () => {
    const r = await query(['--log', log, '--event', 'UserPromptSubmit'], { tty: true, columns: 90 })
    assert.match(r.stdout, /\u001b\[/)
    const plain = r.stdout.replace(/\u001b\[[0-9;]*m/g, '')
    assert.match(plain, /UserPromptSubmit {4}sess-aaa {16}fix the tests\n$/)
  })

  it('truncates long summaries and strips control characters in tables', async () => {
    const tableLog = join(dir, 'long.log')
    writeFileSync(
      tableLog,
      lines(line(0, 'UserPromptSubmit', { prompt: `\u001b[31mred\u001b[0m ${'x'.repeat(200)}` })),
    )
    const r = await query(['--log', tableLog, '--table'], { columns: 100 })
    const row = r.stdout.split('\n')[1]!
    assert.equal(Array.from(row).length, 100)
    assert.ok(row.endsWith('…'))
    assert.doesNotMatch(row, /\u001b/)
  })

  it('reports usage mistakes with exit code 2', async () => {
    const cases: Array<[string[], string]> = [
      [['--x'], 'observatory query: unknown option --x\n'],
      [['-n', 'ten'], "observatory query: -n must be a whole number (got 'ten')\n"],
      [
        ['--since', 'yesterday'],
        "observatory query: --since: 'yesterday' is neither a time (2026-02-09T10:00:00Z) nor a duration (10m, 2h, 1d)\n",
      ],
      [
        ['--csv', '--jsonl'],
        'observatory query: choose one output format (got --jsonl and --csv)\n',
      ],
      [['--sessions', '--watch'], 'observatory query: --sessions and --watch exclude each other\n'],
      [
        ['--sessions', '--tool', 'Bash'],
        'observatory query: --sessions works on all events; --event, --tool and --search do not apply to it\n',
      ],
      [
        ['--log', 'x.log', '--search', 'npm'],
        'observatory query: --search needs the store (full-text search); with --log, use grep\n',
      ],
      [
        ['--log', 'x.log', '--db', 'x.db'],
        'observatory query: --log and --db exclude each other: read the logs or the store\n',
      ],
      [['--state', 'idle'], 'observatory query: --state goes with --sessions\n'],
      [
        ['--sessions', '--state', 'idle,busy'],
        "observatory query: --state: 'busy' is not one of starting, thinking, running tool, waiting for permission, waiting for input, compacting, idle, stale, ended\n",
      ],
      [['--log'], 'observatory query: option --log needs a value\n'],
    ]
    for (const [argv, message] of cases) {
      const r = await query(argv)
      assert.equal(r.stderr, message, argv.join(' '))
      assert.equal(r.code, 2, argv.join(' '))
    }
  })

  it('prints help', async () => {
    const r = await query(['--help'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, /^Usage: observatory query/)
  })
})

describe('observatory query --sessions', () => {
  const s = (
    id: string,
    second: number,
    event: string,
    payload: Record<string, unknown> = {},
  ): string => line(second, event, { session_id: id, cwd: `/work/${id}`, ...payload })
  const dir = tempDir()
  const log = join(dir, 's.log')
  writeFileSync(
    log,
    lines(
      s('run', 0, 'SessionStart'),
      s('run', 1, 'UserPromptSubmit', { prompt: 'go' }),
      s('run', 2, 'PreToolUse', { tool_name: 'Bash', tool_use_id: 't1' }),
      s('par', 3, 'PreToolUse', { tool_name: 'Read', tool_use_id: 'a' }),
      s('par', 4, 'PreToolUse', { tool_name: 'Grep', tool_use_id: 'b' }),
      s('par', 5, 'PostToolUse', { tool_name: 'Read', tool_use_id: 'a' }),
      s('perm', 6, 'PreToolUse', { tool_name: 'Write', tool_use_id: 'w' }),
      s('perm', 7, 'PermissionRequest', { tool_name: 'Write' }),
      s('note', 8, 'Notification', {
        notification_type: 'permission_prompt',
        message: 'Claude needs your permission to use Bash',
      }),
      s('input', 9, 'Stop'),
      s('idlen', 10, 'Notification', { message: 'Claude is waiting for your input' }),
      s('think', 11, 'PreToolUse', { tool_name: 'Edit', tool_use_id: 'e' }),
      s('think', 12, 'PostToolUse', { tool_name: 'Edit', tool_use_id: 'e' }),
      s('think', 13, 'Notification', { notification_type: 'auth_success', message: 'ok' }),
      s('ended', 14, 'SessionEnd', { reason: 'exit' }),
      s('fresh', 15, 'SessionStart', { source: 'startup' }),
      s('compact', 16, 'PreCompact', { trigger: 'auto' }),
      s('permx', 17, 'PreToolUse', {
        tool_name: 'mcp__github__create_issue',
        tool_use_id: 'm',
        tool_input: { title: 'x' },
      }),
      s('permx', 18, 'PermissionRequest', {
        tool_name: 'mcp__github__create_issue',
        tool_input: { title: 'x' },
      }),
      s('permx', 19, 'SomethingNew'),
    ),
  )
  const at = { now: () => BASE + 76_000 }
  const json = (stdout: string): Array<Record<string, unknown>> =>
    stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)

  it('derives one state per session with the session model', async () => {
    const r = await query(['--log', log, '--sessions'], { run: at })
    assert.equal(r.code, 0, r.stderr)
    const rows = json(r.stdout)
    const states = Object.fromEntries(rows.map((row) => [row.session_id, row.state]))
    // The session model's states (the old tracker said idle for SessionStart and an unknown event, thinking for
    // PreCompact): starting, compacting, and a pending permission outlasts events that do not answer it.
    assert.deepEqual(states, {
      permx: 'waiting for permission',
      compact: 'compacting',
      fresh: 'starting',
      ended: 'ended',
      think: 'thinking',
      idlen: 'waiting for input',
      input: 'waiting for input',
      note: 'waiting for permission',
      perm: 'waiting for permission',
      par: 'running tool',
      run: 'running tool',
    })
    assert.deepEqual(
      rows.map((row) => row.session_id),
      [
        'permx',
        'compact',
        'fresh',
        'ended',
        'think',
        'idlen',
        'input',
        'note',
        'perm',
        'par',
        'run',
      ],
      'most recent first',
    )
    // JSON lines: the model's whole summary, as the API gives it.
    assert.deepEqual(
      rows.find((row) => row.session_id === 'run'),
      {
        session_id: 'run',
        state: 'running tool',
        state_since: BASE + 2000,
        state_tool: 'Bash',
        state_reason: null,
        current_tool: {
          tool_use_id: 't1',
          tool_name: 'Bash',
          input_summary: '',
          since: BASE + 2000,
        },
        cwd: '/work/run',
        project: 'run',
        model: null,
        permission_mode: null,
        source: null,
        transcript_path: null,
        started: BASE,
        last_event: 'PreToolUse',
        last_event_time: BASE + 2000,
        last_prompt: 'go',
        counts: {
          events: 3,
          turns: 1,
          tool_calls: 1,
          tool_failures: 0,
          subagents: 0,
          pending_permissions: 0,
        },
      },
    )
    assert.equal(rows.find((row) => row.session_id === 'par')?.state_tool, 'Grep')
  })

  it('reads as stale when a working session has had no event for 10 minutes', async () => {
    const r = await query(['--log', log, '--sessions', '--state', 'stale'], {
      run: { now: () => BASE + 16_000 + 11 * 60_000 },
    })
    assert.deepEqual(
      json(r.stdout).map((row) => [row.session_id, row.state]),
      [
        ['compact', 'stale'],
        ['fresh', 'stale'],
        ['think', 'stale'],
        ['par', 'stale'],
        ['run', 'stale'],
      ],
    )
  })

  it('filters by --state, --session and --since (sessions active since then)', async () => {
    const waiting = await query(
      ['--log', log, '--sessions', '--state', 'waiting-for-permission', '--state', 'ENDED'],
      { run: at },
    )
    assert.deepEqual(
      json(waiting.stdout).map((row) => row.session_id),
      ['permx', 'ended', 'note', 'perm'],
    )
    const prefix = await query(['--log', log, '--sessions', '--session', 'p'], { run: at })
    assert.deepEqual(
      json(prefix.stdout).map((row) => row.session_id),
      ['permx', 'perm', 'par'],
    )
    const since = await query(['--log', log, '--sessions', '--since', '2026-02-09T10:00:16Z'], {
      run: at,
    })
    const rows = json(since.stdout)
    assert.deepEqual(
      rows.map((row) => row.session_id),
      ['permx', 'compact'],
    )
    // The whole session counts, not only its events since then.
    assert.deepEqual(rows[0]?.counts, {
      events: 3,
      turns: 0,
      tool_calls: 1,
      tool_failures: 0,
      subagents: 0,
      pending_permissions: 1,
    })
  })

  it('prints a sessions table (tool names in full) and CSV, and -n limits to the latest sessions', async () => {
    const r = await query(['--log', log, '--sessions', '--table', '-n', '4'], { run: at })
    assert.equal(
      r.stdout,
      [
        'SESSION  STATE                   FOR  TOOL                       EVENTS  LAST ACTIVITY        AGO  PROJECT',
        'permx    waiting for permission  58s  mcp__github__create_issue       3  2026-02-09 10:00:19  57s  permx',
        'compact  compacting               1m                                  1  2026-02-09 10:00:16   1m  compact',
        'fresh    starting                 1m                                  1  2026-02-09 10:00:15   1m  fresh',
        'ended    ended                    1m                                  1  2026-02-09 10:00:14   1m  ended',
        '',
      ].join('\n'),
    )
    const csv = await query(['--log', log, '--sessions', '--csv', '-n', '2'], { run: at })
    assert.equal(
      csv.stdout,
      'session_id,state,state_since,tool,last_event,events,last_activity,project,cwd,cost_usd,input_tokens,output_tokens,cache_read_tokens,cache_creation_tokens\r\n' +
        'permx,waiting for permission,2026-02-09T10:00:18.000Z,mcp__github__create_issue,SomethingNew,3,2026-02-09T10:00:19.000Z,permx,/work/permx,,,,,\r\n' +
        'compact,compacting,2026-02-09T10:00:16.000Z,,PreCompact,1,2026-02-09T10:00:16.000Z,compact,/work/compact,,,,,\r\n',
    )
  })
})

describe('observatory query --watch', () => {
  async function waitFor(check: () => boolean, what: string, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  it('follows new lines, partial lines and a rotation (FILE -> FILE.1, new FILE)', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'logs'))
    const log = join(dir, 'logs', 'hooks.log')
    writeFileSync(join(dir, 'logs', 'hooks.log.1'), lines(line(0, 'Stop', { n: 'old' })))
    writeFileSync(log, `${line(1, 'Stop', { n: 'start' })}\n{"garbage`)
    const c = capture()
    const controller = new AbortController()
    const ns = (): unknown[] =>
      c
        .stdout()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l).n)
    const done = runQueryWith(['--log', log, '--watch', '--jsonl'], c.io, {
      signal: controller.signal,
      pollIntervalMs: 25,
    })
    try {
      await waitFor(() => ns().length === 2, 'the initial lines')
      assert.deepEqual(ns(), ['old', 'start'])

      // The incomplete "{"garbage" is not an event yet; finish it as a real line.
      appendFileSync(
        log,
        `": 1, "_event": "Stop", "n": "completed"}\n${line(2, 'Stop', { n: 'appended' })}\n`,
      )
      await waitFor(() => ns().length === 4, 'appended lines')

      // A partial line, then rotation; the writer finishes the line in the renamed file.
      const partial = line(3, 'Stop', { n: 'split' })
      appendFileSync(log, partial.slice(0, 20))
      await new Promise((resolve) => setTimeout(resolve, 60))
      renameSync(log, `${log}.1`)
      appendFileSync(`${log}.1`, `${partial.slice(20)}\n${line(4, 'Stop', { n: 'late-old' })}\n`)
      writeFileSync(log, lines(line(5, 'Stop', { n: 'new-file' })))
      await waitFor(() => ns().length === 7, 'lines across the rotation')
      appendFileSync(log, lines(line(6, 'Stop', { n: 'after' })))
      await waitFor(() => ns().length === 8, 'a line in the new file')
    } finally {
      controller.abort()
    }
    assert.equal(await done, 0)
    assert.deepEqual(ns(), [
      'old',
      'start',
      'completed',
      'appended',
      'split',
      'late-old',
      'new-file',
      'after',
    ])
    assert.equal(c.stderr(), '')
  })

  it('starts over after truncation, keeps filters, and -n applies to the initial lines', async () => {
    const dir = tempDir()
    const log = join(dir, 'hooks.log')
    writeFileSync(
      log,
      lines(line(0, 'Stop', { n: 1 }), line(1, 'Stop', { n: 2 }), line(2, 'PreToolUse', { n: 3 })),
    )
    const c = capture()
    const controller = new AbortController()
    const ns = (): unknown[] =>
      c
        .stdout()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l).n)
    const done = runQueryWith(['--log', log, '--watch', '--event', 'Stop', '-n', '1'], c.io, {
      signal: controller.signal,
      pollIntervalMs: 25,
    })
    try {
      await waitFor(() => ns().length === 1, 'the last initial line')
      writeFileSync(log, lines(line(3, 'Stop', { n: 4 })))
      await waitFor(() => ns().length === 2, 'the line after truncation')
      appendFileSync(
        log,
        `${lines(line(4, 'PreToolUse', { n: 5 }))}not json\n${lines(line(5, 'Stop', { n: 6 }))}`,
      )
      await waitFor(() => ns().length === 3, 'the filtered line')
    } finally {
      controller.abort()
    }
    assert.equal(await done, 0)
    assert.deepEqual(ns(), [2, 4, 6])
    assert.equal(c.stderr(), 'observatory query: skipped 1 unreadable line\n')
  })
})
