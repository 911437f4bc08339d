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
  opts: { input?: string; tty?: boolean; columns?: number; stdinTty?: boolean } = {},
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
    io: { stdin, stdout, stderr, env: {}, cwd: tmpdir(), homedir: tmpdir() },
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

  it('refuses a terminal on stdin without --log (usage error, exit 2) instead of waiting silently', async () => {
    const c = capture({ stdinTty: true })
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
      'observatory query: no --log given and stdin is a terminal; pipe a log in (… | observatory query) or give --log FILE (see --help)\n',
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

  it('a real terminal on stdin (script(1) pseudo-terminal): one line on stderr, exit 2', async (t) => {
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
    // script runs the command on a new pseudo-terminal (stdin, stdout and stderr all on it); -e: its exit code.
    const child = spawn(script, ['-qec', command, '/dev/null'], {
      cwd: root,
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
      /^observatory query: no --log given and stdin is a terminal; .*\(see --help\)\r?\n$/,
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
        'observatory query: --sessions works on all events; --event and --tool do not apply to it\n',
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
    ),
  )

  it('derives one state per session from its latest events', async () => {
    const r = await query(['--log', log, '--sessions'])
    assert.equal(r.code, 0, r.stderr)
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
    const states = Object.fromEntries(rows.map((row) => [row.session_id, row.state]))
    assert.deepEqual(states, {
      compact: 'thinking',
      fresh: 'idle',
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
      ['compact', 'fresh', 'ended', 'think', 'idlen', 'input', 'note', 'perm', 'par', 'run'],
      'most recent first',
    )
    assert.deepEqual(
      rows.find((row) => row.session_id === 'run'),
      {
        session_id: 'run',
        state: 'running tool',
        last_event: 'PreToolUse',
        last_tool: 'Bash',
        events: 3,
        last_activity: '2026-02-09T10:00:02+00:00',
        cwd: '/work/run',
      },
    )
    assert.equal(rows.find((row) => row.session_id === 'think').last_event, 'PostToolUse')
  })

  it('prints a sessions table and CSV, and -n limits to the latest sessions', async () => {
    const r = await query(['--log', log, '--sessions', '--table', '-n', '3'], {
      run: { now: () => BASE + 76_000 },
    })
    assert.equal(
      r.stdout,
      [
        'SESSION  STATE     LAST TOOL  EVENTS  LAST ACTIVITY        AGO  CWD',
        'compact  thinking                  1  2026-02-09 10:00:16   1m  /work/compact',
        'fresh    idle                      1  2026-02-09 10:00:15   1m  /work/fresh',
        'ended    ended                     1  2026-02-09 10:00:14   1m  /work/ended',
        '',
      ].join('\n'),
    )
    const csv = await query(['--log', log, '--sessions', '--csv', '-n', '1'])
    assert.equal(
      csv.stdout,
      'session_id,state,last_event,last_tool,events,last_activity,cwd\r\n' +
        'compact,thinking,PreCompact,,1,2026-02-09T10:00:16+00:00,/work/compact\r\n',
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
