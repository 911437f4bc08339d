import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, describe, it } from 'node:test'
import { runInstall } from '../../src/cli/install.ts'
import { JsonObject, JsonSyntaxError, parseJson } from '../../src/observatory/encoding/index.ts'
import type { CommandIO } from '../../src/observatory/install/command-io.ts'
import { unifiedDiff } from '../../src/observatory/install/diff.ts'
import {
  hookCommand,
  isObservatoryCommand,
  isObservatoryHook,
  shellQuote,
  shellTokens,
} from '../../src/observatory/install/hooks.ts'
import { SETTINGS_JSON, settingsText } from '../../src/observatory/install/settings-file.ts'
import { defaultSocketPath } from '../../src/observatory/server/socket-path.ts'

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const scratch: string[] = []
after(() => {
  for (const dir of scratch) {
    try {
      chmodSync(dir, 0o755)
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true })
  }
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'obs-install-'))
  scratch.push(dir)
  return dir
}

interface Run {
  code: number
  stdout: string
  stderr: string
}

interface Env {
  home: string
  project: string
  /** `<project>/.claude/settings.json` */
  settings: string
  run(
    argv: string[],
    opts?: { tty?: boolean; input?: string; env?: NodeJS.ProcessEnv },
  ): Promise<Run>
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  return () => Buffer.concat(chunks).toString('utf8')
}

function makeEnv(): Env {
  const root = tempDir()
  const home = join(root, 'home')
  const project = join(root, 'project')
  mkdirSync(home)
  mkdirSync(project)
  return {
    home,
    project,
    settings: join(project, '.claude', 'settings.json'),
    async run(argv, opts = {}) {
      const stdin = new PassThrough() as PassThrough & { isTTY?: boolean }
      stdin.isTTY = opts.tty === true
      if (opts.input !== undefined) stdin.write(opts.input)
      stdin.end()
      const stdout = new PassThrough()
      const stderr = new PassThrough()
      const out = collect(stdout)
      const err = collect(stderr)
      const io: CommandIO = {
        stdin,
        stdout,
        stderr,
        env: opts.env ?? {},
        cwd: project,
        homedir: home,
      }
      const code = await runInstall(argv, io)
      return { code, stdout: out(), stderr: err() }
    },
  }
}

// The default socket is private to the user (not the original's /tmp/claude-observatory.sock): see socket-path.ts.
const SOCK = defaultSocketPath({})
const unixCommand = (event: string, socket = SOCK): string =>
  `curl -s --connect-timeout 0.5 --max-time 1 --unix-socket ${socket} -X POST -H 'Content-Type: application/json' -d @- 'http://localhost/hook?event=${event}' || true`
const tcpCommand = (event: string, host = '127.0.0.1', port = 23518): string =>
  `curl -s --connect-timeout 0.5 --max-time 1 -X POST -H 'Content-Type: application/json' -d @- 'http://${host}:${port}/hook?event=${event}' || true`

const ALL_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'PostToolUseFailure',
  'PermissionRequest',
  'Notification',
  'Stop',
  'SubagentStop',
  'SubagentStart',
  'PreCompact',
  'SessionEnd',
]
const MATCHER: Record<string, string | undefined> = {
  SessionStart: '',
  UserPromptSubmit: undefined,
  PreToolUse: '*',
  PostToolUse: '*',
  PostToolUseFailure: '*',
  PermissionRequest: '*',
  Notification: '',
  Stop: undefined,
  SubagentStop: '*',
  SubagentStart: '*',
  PreCompact: '',
  SessionEnd: '',
}

type Plain = Record<string, unknown>

function group(event: string, hook: Plain): Plain {
  const matcher = MATCHER[event]
  return matcher === undefined ? { hooks: [hook] } : { matcher, hooks: [hook] }
}

function unixGroup(event: string, socket = SOCK): Plain {
  return group(event, { type: 'command', command: unixCommand(event, socket) })
}

function allUnixHooks(socket = SOCK): Plain {
  return Object.fromEntries(ALL_EVENTS.map((e) => [e, [unixGroup(e, socket)]]))
}

const pretty = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`

function backups(file: string): string[] {
  const dir = join(file, '..')
  return readdirSync(dir).filter((name) => /^settings\.json\.bak-\d{8}-\d{6}(-\d+)?$/.test(name))
}

function writeSettings(env: Env, text: string): void {
  mkdirSync(join(env.project, '.claude'), { recursive: true })
  writeFileSync(env.settings, text)
}

/** Foreign content: other keys, foreign hooks on our events and on other events. */
const FOREIGN: Plain = {
  model: 'opus',
  '10': 'integer-like key stays in place',
  permissions: { allow: ['Bash(npm test)'], deny: [] },
  hooks: {
    PreToolUse: [
      {
        matcher: 'Bash',
        hooks: [{ type: 'command', command: '/usr/local/bin/audit.sh', timeout: 5 }],
      },
    ],
    Stop: [
      {
        hooks: [
          {
            type: 'command',
            command:
              "curl -s -X POST -d @- 'https://collector.example.com/hook?event=Stop' || true",
          },
          { type: 'http', url: 'http://192.0.2.9:23518/hook?event=Stop' },
        ],
      },
    ],
    CustomThing: [{ matcher: '', hooks: [{ type: 'command', command: 'echo custom' }] }],
  },
  statusLine: { type: 'command', command: 'status.sh' },
}

describe('observatory install', () => {
  it('creates .claude/settings.json with every default hook when nothing exists', async () => {
    const env = makeEnv()
    const r = await env.run(['--project', '--yes'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    assert.equal(readFileSync(env.settings, 'utf8'), pretty({ hooks: allUnixHooks() }))
    assert.deepEqual(backups(env.settings), [], 'no backup for a new file')
    assert.match(r.stdout, /^--- \/dev\/null$/m)
    assert.match(r.stdout, /^\+\+\+ .*settings\.json$/m)
    assert.match(r.stdout, /^@@ -0,0 \+1,\d+ @@$/m)
    assert.match(r.stdout, /Installed 12 hooks/)
  })

  it('writes to ~/.claude/settings.json with --global', async () => {
    const env = makeEnv()
    const r = await env.run(['--global', '--yes', '--events', 'Stop'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(
      readFileSync(join(env.home, '.claude', 'settings.json'), 'utf8'),
      pretty({ hooks: { Stop: [unixGroup('Stop')] } }),
    )
    assert.equal(existsSync(env.settings), false)
  })

  it('fills an empty {} and backs it up', async () => {
    const env = makeEnv()
    writeSettings(env, '{}\n')
    const r = await env.run(['--project', '--yes'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(readFileSync(env.settings, 'utf8'), pretty({ hooks: allUnixHooks() }))
    const made = backups(env.settings)
    assert.equal(made.length, 1)
    assert.equal(readFileSync(join(env.project, '.claude', made[0]!), 'utf8'), '{}\n')
    assert.match(r.stdout, /^Backup: .*settings\.json\.bak-\d{8}-\d{6}$/m)
  })

  it('keeps foreign keys, events, groups and hooks in place and appends its own', async () => {
    const env = makeEnv()
    writeSettings(env, pretty(FOREIGN))
    const r = await env.run(['--project', '--yes', '--events', 'PreToolUse,Stop,SessionEnd'])
    assert.equal(r.code, 0, r.stderr)
    const foreignHooks = FOREIGN.hooks as Record<string, unknown[]>
    const expected = {
      ...FOREIGN,
      hooks: {
        PreToolUse: [...foreignHooks.PreToolUse!, unixGroup('PreToolUse')],
        Stop: [...foreignHooks.Stop!, unixGroup('Stop')],
        CustomThing: foreignHooks.CustomThing,
        SessionEnd: [unixGroup('SessionEnd')],
      },
    }
    assert.equal(readFileSync(env.settings, 'utf8'), pretty(expected))
  })

  it('keeps key order exactly, including integer-like keys JSON.parse would move', async () => {
    const env = makeEnv()
    const text = '{\n  "b": 1.0,\n  "10": 12345678901234567890,\n  "a": [],\n  "hooks": {}\n}\n'
    writeSettings(env, text)
    const r = await env.run(['--project', '--yes', '--events', 'Stop'])
    assert.equal(r.code, 0, r.stderr)
    const stop = JSON.stringify([unixGroup('Stop')], null, 2).replaceAll('\n', '\n    ')
    assert.equal(
      readFileSync(env.settings, 'utf8'),
      `{\n  "b": 1.0,\n  "10": 12345678901234567890,\n  "a": [],\n  "hooks": {\n    "Stop": ${stop}\n  }\n}\n`,
    )
  })

  it('keeps a key written twice, and strings as typed', async () => {
    const env = makeEnv()
    const text =
      '{\n  "model": "opus",\n  "env": {"A": "caf\\u00e9 😀", "A": "\\/x"},\n  "model": "sonnet"\n}\n'
    writeSettings(env, text)
    const r = await env.run(['--project', '--yes', '--events', 'Stop'])
    assert.equal(r.code, 0, r.stderr)
    const stop = JSON.stringify([unixGroup('Stop')], null, 2).replaceAll('\n', '\n    ')
    assert.equal(
      readFileSync(env.settings, 'utf8'),
      '{\n  "model": "opus",\n  "env": {\n    "A": "café 😀",\n    "A": "/x"\n  },\n  "model": "sonnet",\n' +
        `  "hooks": {\n    "Stop": ${stop}\n  }\n}\n`,
    )
    const again = await env.run(['--project', '--yes', '--events', 'Stop'])
    assert.match(again.stdout, /already installed, nothing to change/i)
  })

  it('replaces its entries from another transport in place instead of duplicating', async () => {
    const env = makeEnv()
    const old = {
      hooks: {
        PreToolUse: [
          { matcher: 'Bash', hooks: [{ type: 'command', command: 'audit.sh' }] },
          group('PreToolUse', { type: 'command', command: tcpCommand('PreToolUse') }),
          { matcher: 'Edit', hooks: [{ type: 'command', command: 'fmt.sh' }] },
        ],
        Stop: [
          {
            hooks: [
              { type: 'command', command: 'notify-send done' },
              { type: 'http', url: 'http://localhost:9999/hook?event=Stop' },
            ],
          },
        ],
        Notification: [
          group('Notification', {
            type: 'command',
            command: unixCommand('Notification', '/run/old.sock'),
          }),
        ],
      },
    }
    writeSettings(env, pretty(old))
    const r = await env.run(['--project', '--yes', '--events', 'PreToolUse,Stop'])
    assert.equal(r.code, 0, r.stderr)
    const expected = {
      hooks: {
        PreToolUse: [
          { matcher: 'Bash', hooks: [{ type: 'command', command: 'audit.sh' }] },
          unixGroup('PreToolUse'),
          { matcher: 'Edit', hooks: [{ type: 'command', command: 'fmt.sh' }] },
        ],
        Stop: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }, unixGroup('Stop')],
      },
    }
    assert.equal(readFileSync(env.settings, 'utf8'), pretty(expected))
    assert.match(r.stdout, /replaced 3 older hooks/)
  })

  it('is idempotent: a second run changes nothing and makes no second backup', async () => {
    const env = makeEnv()
    writeSettings(env, pretty(FOREIGN))
    const first = await env.run(['--project', '--yes'])
    assert.equal(first.code, 0, first.stderr)
    const afterFirst = readFileSync(env.settings)
    assert.equal(backups(env.settings).length, 1)
    const second = await env.run(['--project', '--yes'])
    assert.equal(second.code, 0, second.stderr)
    assert.match(second.stdout, /already installed, nothing to change/i)
    assert.doesNotMatch(second.stdout, /^@@/m)
    assert.deepEqual(readFileSync(env.settings), afterFirst)
    assert.equal(backups(env.settings).length, 1)
  })

  it('--dry-run shows the diff and writes nothing', async () => {
    const env = makeEnv()
    const absent = await env.run(['--project', '--dry-run'])
    assert.equal(absent.code, 0, absent.stderr)
    assert.match(absent.stdout, /Dry run: nothing written/)
    assert.equal(existsSync(join(env.project, '.claude')), false)

    writeSettings(env, '{\n  "model": "opus"\n}\n')
    const before = statSync(env.settings).mtimeMs
    const r = await env.run(['--project', '--dry-run', '--events', 'Stop'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(
      r.stdout.slice(r.stdout.indexOf('---')),
      [
        `--- ${env.settings}`,
        `+++ ${env.settings} (new)`,
        '@@ -1,3 +1,15 @@',
        ' {',
        '-  "model": "opus"',
        '+  "model": "opus",',
        '+  "hooks": {',
        '+    "Stop": [',
        '+      {',
        '+        "hooks": [',
        '+          {',
        '+            "type": "command",',
        `+            "command": ${JSON.stringify(unixCommand('Stop'))}`,
        '+          }',
        '+        ]',
        '+      }',
        '+    ]',
        '+  }',
        ' }',
        'Dry run: nothing written.',
        '',
      ].join('\n'),
    )
    assert.equal(readFileSync(env.settings, 'utf8'), '{\n  "model": "opus"\n}\n')
    assert.equal(statSync(env.settings).mtimeMs, before)
    assert.deepEqual(backups(env.settings), [])
  })

  it('--uninstall leaves exactly the foreign content', async () => {
    const env = makeEnv()
    const original = pretty(FOREIGN)
    writeSettings(env, original)
    assert.equal((await env.run(['--project', '--yes'])).code, 0)
    const r = await env.run(['--project', '--yes', '--uninstall'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Removed 12 observatory hooks/)
    assert.equal(readFileSync(env.settings, 'utf8'), original)
    const again = await env.run(['--project', '--yes', '--uninstall'])
    assert.equal(again.code, 0)
    assert.match(again.stdout, /No observatory hooks in .*, nothing to change/)
  })

  it('--uninstall drops the hooks object it emptied, but keeps empty foreign containers', async () => {
    const env = makeEnv()
    writeSettings(env, pretty({ model: 'x', hooks: allUnixHooks() }))
    const r = await env.run(['--project', '--yes', '--uninstall'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(readFileSync(env.settings, 'utf8'), pretty({ model: 'x' }))

    writeSettings(env, pretty({ hooks: { Stop: [], PreToolUse: [unixGroup('PreToolUse')] } }))
    const r2 = await env.run(['--project', '--yes', '--uninstall'])
    assert.equal(r2.code, 0, r2.stderr)
    assert.equal(readFileSync(env.settings, 'utf8'), pretty({ hooks: { Stop: [] } }))
  })

  it('--uninstall --events removes only those events', async () => {
    const env = makeEnv()
    writeSettings(env, pretty({ hooks: allUnixHooks() }))
    const r = await env.run(['--project', '--yes', '--uninstall', '--events', 'Stop,PreToolUse'])
    assert.equal(r.code, 0, r.stderr)
    const rest = allUnixHooks()
    delete rest.Stop
    delete rest.PreToolUse
    assert.equal(readFileSync(env.settings, 'utf8'), pretty({ hooks: rest }))
  })

  it('installing a subset removes its hooks from the other events', async () => {
    const env = makeEnv()
    writeSettings(env, pretty({ hooks: allUnixHooks() }))
    const r = await env.run(['--project', '--yes', '--events', 'Stop'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(
      readFileSync(env.settings, 'utf8'),
      pretty({ hooks: { Stop: [unixGroup('Stop')] } }),
    )
  })

  it('writes tcp command hooks and native http hooks', async () => {
    const env = makeEnv()
    const tcp = await env.run(
      ['--project', '--yes', '--transport', 'tcp', '--events', 'PreToolUse'],
      { env: { CLAUDE_REST_HOOK_WATCHER: '4000' } },
    )
    assert.equal(tcp.code, 0, tcp.stderr)
    assert.equal(
      readFileSync(env.settings, 'utf8'),
      pretty({
        hooks: {
          PreToolUse: [
            group('PreToolUse', {
              type: 'command',
              command: tcpCommand('PreToolUse', '127.0.0.1', 4000),
            }),
          ],
        },
      }),
    )
    const http = await env.run([
      '--project',
      '--yes',
      '--transport',
      'http',
      '--bind',
      '::1',
      '--port',
      '9000',
      '--events',
      'PreToolUse,Stop',
    ])
    assert.equal(http.code, 0, http.stderr)
    assert.equal(
      readFileSync(env.settings, 'utf8'),
      pretty({
        hooks: {
          PreToolUse: [
            group('PreToolUse', { type: 'http', url: 'http://[::1]:9000/hook?event=PreToolUse' }),
          ],
          Stop: [group('Stop', { type: 'http', url: 'http://[::1]:9000/hook?event=Stop' })],
        },
      }),
    )
  })

  it('recognises hooks on a non-loopback --bind when the same --bind is given again', async () => {
    const env = makeEnv()
    const args = [
      '--project',
      '--yes',
      '--transport',
      'tcp',
      '--bind',
      '192.0.2.7',
      '--events',
      'Stop',
    ]
    assert.equal((await env.run(args)).code, 0)
    const second = await env.run(args)
    assert.match(second.stdout, /already installed/i)
    const removed = await env.run(['--project', '--yes', '--uninstall', '--bind', '192.0.2.7'])
    assert.equal(removed.code, 0, removed.stderr)
    assert.equal(readFileSync(env.settings, 'utf8'), '{}\n')
  })

  it('takes the socket from $CLAUDE_UNIX_HOOK_WATCHER and shell-quotes odd paths', async () => {
    const env = makeEnv()
    const r = await env.run(['--project', '--yes', '--events', 'Stop'], {
      env: { CLAUDE_UNIX_HOOK_WATCHER: "/tmp/my obs's.sock" },
    })
    assert.equal(r.code, 0, r.stderr)
    const parsed = JSON.parse(readFileSync(env.settings, 'utf8'))
    assert.equal(
      parsed.hooks.Stop[0].hooks[0].command,
      unixCommand('Stop', `'/tmp/my obs'\\''s.sock'`),
    )
    const again = await env.run([
      '--project',
      '--yes',
      '--events',
      'Stop',
      '--socket',
      '/tmp/x.sock',
    ])
    assert.equal(again.code, 0)
    assert.equal(
      readFileSync(env.settings, 'utf8'),
      pretty({ hooks: { Stop: [unixGroup('Stop', '/tmp/x.sock')] } }),
    )
  })

  it('installs the private default socket and warns about a socket in a shared directory', async () => {
    const env = makeEnv()
    const r = await env.run(['--project', '--yes', '--events', 'Stop'])
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /warning/)
    assert.equal(
      JSON.parse(readFileSync(env.settings, 'utf8')).hooks.Stop[0].hooks[0].command,
      unixCommand('Stop'),
    )
    // /tmp is writable by every user (mode 1777): another user could bind the path first.
    const shared = await env.run([
      '--project',
      '--yes',
      '--events',
      'Stop',
      '--socket',
      '/tmp/claude-observatory.sock',
    ])
    assert.equal(shared.code, 0)
    assert.match(
      shared.stderr,
      /^observatory install: warning: \/tmp is writable by every local user: one of them could create \/tmp\/claude-observatory\.sock first/m,
    )
  })

  it('keeps the file mode, a 4-space indentation and a symbolic link', async () => {
    const env = makeEnv()
    const realDir = join(env.project, 'dotfiles')
    mkdirSync(realDir)
    const real = join(realDir, 'claude-settings.json')
    writeFileSync(real, '{\n    "model": "opus"\n}\n', { mode: 0o600 })
    chmodSync(real, 0o600)
    mkdirSync(join(env.project, '.claude'))
    symlinkSync(real, env.settings)
    const r = await env.run(['--project', '--yes', '--events', 'Stop'])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(lstatSync(env.settings).isSymbolicLink(), 'link kept')
    assert.equal(statSync(real).mode & 0o777, 0o600)
    const text = readFileSync(real, 'utf8')
    assert.ok(text.startsWith('{\n    "model": "opus",\n    "hooks": {\n        "Stop": ['), text)
    assert.equal(readdirSync(realDir).filter((n) => n.includes('.bak-')).length, 1)
    assert.deepEqual(
      readdirSync(realDir).filter((n) => n.includes('.tmp-')),
      [],
      'no temporary file left',
    )
  })

  it('refuses a symbolic link to a missing file instead of replacing the link', async () => {
    const env = makeEnv()
    mkdirSync(join(env.project, '.claude'))
    symlinkSync(join(env.project, 'nowhere.json'), env.settings)
    const r = await env.run(['--project', '--yes'])
    assert.equal(r.code, 1)
    assert.match(
      r.stderr,
      /^observatory install: .*settings\.json is a symbolic link that cannot be followed \(no such file or directory \(ENOENT\)\); fix or remove the link first\n$/,
    )
    assert.ok(lstatSync(env.settings).isSymbolicLink())
  })

  it('refuses a file that is not valid JSON, with line and column, leaving it untouched', async () => {
    const env = makeEnv()
    const bad = '{\n  "model": "opus",\n  "hooks": {,}\n}\n'
    writeSettings(env, bad)
    const r = await env.run(['--project', '--yes'])
    assert.equal(r.code, 1)
    assert.equal(
      r.stderr,
      `observatory install: ${env.settings} is not valid JSON (line 3, column 13): expected a property name in double quotes but found ',' — fix or move it first\n`,
    )
    assert.equal(readFileSync(env.settings, 'utf8'), bad)
    assert.deepEqual(backups(env.settings), [])
  })

  it('refuses a top level that is not an object, and a hooks value that is not one', async () => {
    const env = makeEnv()
    writeSettings(env, '[1, 2]\n')
    const r = await env.run(['--project', '--yes'])
    assert.equal(r.code, 1)
    assert.equal(
      r.stderr,
      `observatory install: ${env.settings} holds an array at the top level, not an object — fix or move it first\n`,
    )
    assert.equal(readFileSync(env.settings, 'utf8'), '[1, 2]\n')

    writeSettings(env, '{"hooks": []}')
    const r2 = await env.run(['--project', '--yes'])
    assert.equal(r2.code, 1)
    assert.match(
      r2.stderr,
      /^observatory install: .* has a "hooks" value that is not an object — fix or move it first\n$/,
    )
    assert.equal(readFileSync(env.settings, 'utf8'), '{"hooks": []}')

    writeSettings(env, '{"hooks": {"Stop": {"x": 1}}}')
    const r3 = await env.run(['--project', '--yes', '--events', 'Stop'])
    assert.equal(r3.code, 1)
    assert.match(r3.stderr, /"hooks\.Stop" value that is not an array/)
  })

  it('refuses a read-only file (even as root) and leaves it untouched', async () => {
    const env = makeEnv()
    writeSettings(env, '{}\n')
    chmodSync(env.settings, 0o444)
    const r = await env.run(['--project', '--yes'])
    assert.equal(r.code, 1)
    assert.equal(
      r.stderr,
      `observatory install: cannot write ${env.settings}: the file is read-only (mode 0444); make it writable first\n`,
    )
    assert.equal(readFileSync(env.settings, 'utf8'), '{}\n')
    assert.deepEqual(backups(env.settings), [])
  })

  it('reports the OS reason when the directory cannot be created (a parent is a file)', async () => {
    const env = makeEnv()
    const fileHome = join(env.project, 'not-a-dir')
    writeFileSync(fileHome, 'x')
    const stdin = new PassThrough()
    stdin.end()
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    const err = collect(stderr)
    const code = await runInstall(['--global', '--yes'], {
      stdin,
      stdout,
      stderr,
      env: {},
      cwd: env.project,
      homedir: fileHome,
    })
    assert.equal(code, 1)
    const message = err()
    assert.equal(message.split('\n').length, 2, message)
    assert.match(
      message,
      /^observatory install: cannot create .*not-a-dir\/\.claude: .*\((ENOTDIR|EEXIST)\)\n$/,
    )
  })

  it('reports the OS reason when the directory is read-only', {
    skip: isRoot ? 'running as root, which ignores directory permissions' : false,
  }, async () => {
    const env = makeEnv()
    writeSettings(env, '{}\n')
    chmodSync(join(env.project, '.claude'), 0o555)
    try {
      const r = await env.run(['--project', '--yes'])
      assert.equal(r.code, 1)
      assert.match(r.stderr, /^observatory install: cannot write .*: permission denied \(EACCES\)/)
      assert.equal(readFileSync(env.settings, 'utf8'), '{}\n')
    } finally {
      chmodSync(join(env.project, '.claude'), 0o755)
    }
  })

  it('reports usage mistakes as one line with exit code 2', async () => {
    const env = makeEnv()
    const cases: Array<[string[], string]> = [
      [['--x'], 'observatory install: unknown option --x\n'],
      [
        ['--project', '--transport', 'udp'],
        "observatory install: --transport must be unix, tcp or http (got 'udp')\n",
      ],
      [
        ['--project', '--events', 'Pre-Tool'],
        "observatory install: --events: 'Pre-Tool' is not an event name (letters only)\n",
      ],
      [
        ['--project', '--events', 'Stop,,PreToolUse'],
        "observatory install: --events has an empty name in 'Stop,,PreToolUse'\n",
      ],
      [
        ['--project', '--transport', 'tcp', '--port', '70000'],
        'observatory install: --port must be between 1 and 65535 (got 70000)\n',
      ],
      [
        ['--project', '--socket', 'rel.sock'],
        "observatory install: --socket must be an absolute path (got 'rel.sock')\n",
      ],
      [
        ['--global', '--project'],
        'observatory install: --global and --project exclude each other\n',
      ],
      [['--project', '--port'], 'observatory install: option --port needs a value\n'],
      [['stray'], "observatory install: unexpected argument 'stray'\n"],
      [
        ['--yes'],
        'observatory install: no target given and stdin is not a terminal: pass --global or --project\n',
      ],
    ]
    for (const [argv, message] of cases) {
      const r = await env.run(argv)
      assert.equal(r.stderr, message, argv.join(' '))
      assert.equal(r.code, 2, argv.join(' '))
    }
    assert.equal(existsSync(join(env.project, '.claude')), false)
  })

  it('prints help', async () => {
    const env = makeEnv()
    const r = await env.run(['--help'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, /^Usage: observatory install/)
  })

  it('asks for the target and for confirmation on a terminal', async () => {
    const env = makeEnv()
    const r = await env.run(['--events', 'Stop'], { tty: true, input: 'x\np\ny\n' })
    assert.equal(r.code, 0, r.stderr)
    assert.match(
      r.stderr,
      /Install hooks globally \(~\/\.claude\/settings\.json\) or for this project \(\.claude\/settings\.json\)\? \[g\/p\] Please answer 'g' or 'p'\./,
    )
    assert.match(r.stderr, /Apply\? \[y\/N\] $/)
    assert.equal(
      readFileSync(env.settings, 'utf8'),
      pretty({ hooks: { Stop: [unixGroup('Stop')] } }),
    )

    const declined = await env.run(['--project'], { tty: true, input: 'n\n' })
    assert.equal(declined.code, 1)
    assert.match(declined.stderr, /observatory install: aborted, nothing written\n$/)
    assert.equal(
      readFileSync(env.settings, 'utf8'),
      pretty({ hooks: { Stop: [unixGroup('Stop')] } }),
    )

    const eof = await env.run([], { tty: true, input: '' })
    assert.equal(eof.code, 2)
    assert.match(eof.stderr, /no target chosen: pass --global or --project\n$/)
  })

  it('applies without asking when stdin is not a terminal', async () => {
    const env = makeEnv()
    const r = await env.run(['--project', '--events', 'Stop'])
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /Apply\?/)
    assert.ok(existsSync(env.settings))
  })
})

describe('recognising observatory hooks', () => {
  it('accepts what it generates and the original project configs, for any socket/port', () => {
    for (const event of ALL_EVENTS) {
      assert.ok(isObservatoryCommand(unixCommand(event), []))
      assert.ok(isObservatoryCommand(unixCommand(event, "'/tmp/a b.sock'"), []))
      assert.ok(isObservatoryCommand(tcpCommand(event, '127.0.0.1', 1234), []))
      assert.ok(isObservatoryCommand(tcpCommand(event, 'localhost', 80), []))
      assert.ok(isObservatoryCommand(tcpCommand(event, '[::1]', 80), []))
    }
    assert.ok(
      isObservatoryHook(
        new JsonObject([
          ['type', 'http'],
          ['url', 'http://127.0.0.1:23518/hook?event=Stop'],
          ['timeout', 3 as unknown as string],
        ]),
        [],
      ),
    )
  })

  it('rejects foreign commands and URLs', () => {
    const foreign = [
      'echo "/hook?event=Stop --unix-socket /x"',
      "curl -s -d @- 'https://localhost/hook?event=Stop' || true",
      "curl -s -d @- 'http://example.com/hook?event=Stop' || true",
      "curl -s -d @- 'http://127.0.0.1:1/hook?event=Stop&x=1' || true",
      "curl -s -d @- 'http://127.0.0.1:1/hooks?event=Stop' || true",
      "curl -s -d @- 'http://user:pw@127.0.0.1:1/hook?event=Stop' || true",
      "curl -s --unix-socket /x 'http://localhost/hook?event=Stop' ; rm -rf ~",
      "curl -s --unix-socket /x 'http://localhost/hook?event=Stop' && logger sent",
      "curl -s --unix-socket $SOCK 'http://localhost/hook?event=Stop' || true",
      "curl -s --unix-socket /x 'http://localhost/hook?event=Stop' > /tmp/out",
      "wget --post-file=- 'http://localhost/hook?event=Stop'",
      "curl 'http://localhost/hook?event=Stop' 'http://localhost/hook?event=Pre'",
      "curl -s --unix-socket '/x 'http://localhost/hook?event=Stop' || true",
    ]
    for (const command of foreign) assert.equal(isObservatoryCommand(command, []), false, command)
    assert.equal(
      isObservatoryHook(
        new JsonObject([
          ['type', 'http'],
          ['url', 'http://192.0.2.9:23518/hook?event=Stop'],
        ]),
        [],
      ),
      false,
    )
    assert.equal(
      isObservatoryHook(
        new JsonObject([
          ['type', 'prompt'],
          ['prompt', unixCommand('Stop')],
        ]),
        [],
      ),
      false,
    )
  })

  it('shell-quotes paths and tokenizes them back', () => {
    for (const path of [
      '/tmp/plain.sock',
      '/tmp/a b',
      "/tmp/it's",
      '/tmp/$HOME',
      '/tmp/`x`',
      '/tmp/"q"',
    ]) {
      const tokens = shellTokens(`curl --unix-socket ${shellQuote(path)} x`)
      assert.deepEqual(tokens, [
        { word: 'curl' },
        { word: '--unix-socket' },
        { word: path },
        { word: 'x' },
      ])
    }
    assert.equal(shellQuote('/tmp/plain.sock'), '/tmp/plain.sock')
    assert.equal(
      hookCommand({ transport: 'unix', socketPath: '/tmp/a b', host: '', port: 0 }, 'Stop'),
      unixCommand('Stop', "'/tmp/a b'"),
    )
  })
})

describe('settings JSON', () => {
  it('reports syntax errors with line and column', () => {
    const cases: Array<[string, number, number, string]> = [
      ['{\n  "a": 1,\n}', 3, 1, "trailing comma before '}'"],
      ['{"a" 1}', 1, 6, "expected ':' after a property name but found '1'"],
      ['{"a": tru}', 1, 7, "unexpected 't'"],
      ['', 1, 1, 'unexpected end of input'],
      ['{"a": 1} x', 1, 10, "unexpected 'x' after the end of the JSON value"],
      ['{"a": "x\ny"}', 1, 9, 'unescaped control character U+000a in a string'],
      ['[1, 2', 1, 6, "expected ',' or ']' but found end of input"],
    ]
    for (const [text, line, column, reason] of cases) {
      assert.throws(
        () => parseJson(text, SETTINGS_JSON),
        (err: unknown) =>
          err instanceof JsonSyntaxError &&
          err.line === line &&
          err.column === column &&
          err.reason === reason,
        JSON.stringify(text),
      )
    }
  })

  it('round-trips like JSON.stringify(value, null, 2) while keeping numbers and key order', () => {
    const samples = [
      { a: 1, b: [true, false, null], c: { d: 'é\u2028"\\', e: [] }, f: {} },
      [1.5, -0.25, 1e21, 'x'],
      'plain',
      null,
    ]
    for (const sample of samples) {
      const text = JSON.stringify(sample, null, 2)
      assert.equal(settingsText(parseJson(text, SETTINGS_JSON)), text)
    }
    assert.equal(
      settingsText(parseJson('{"2":1,"1":2.50,"x":1E+2}', SETTINGS_JSON), ''),
      '{\n"2": 1,\n"1": 2.50,\n"x": 1E+2\n}',
    )
  })
})

describe('unified diff', () => {
  it('matches diff -u for a change in the middle and a missing final newline', () => {
    const a = 'a\nb\nc\nd\ne\nf\ng\nh\n'
    const b = 'a\nb\nc\nD\ne\nf\ng\nh'
    assert.equal(
      unifiedDiff(a, b, 'old', 'new'),
      [
        '--- old',
        '+++ new',
        '@@ -1,8 +1,8 @@',
        ' a',
        ' b',
        ' c',
        '-d',
        '+D',
        ' e',
        ' f',
        ' g',
        '-h',
        '+h',
        '\\ No newline at end of file',
        '',
      ].join('\n'),
    )
    assert.equal(unifiedDiff('same\n', 'same\n', 'x', 'y'), '')
    assert.equal(
      unifiedDiff(
        '1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n',
        '1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n',
        'x',
        'y',
      ),
      '--- x\n+++ y\n@@ -8,3 +8,4 @@\n 8\n 9\n 10\n+11\n',
    )
  })
})

function onPath(name: string): boolean {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((d) => d !== '' && existsSync(join(d, name)))
}

describe('end to end: the installed command reaches a Unix-socket listener', () => {
  const noCurl = onPath('curl') ? false : 'curl is not installed'
  if (noCurl) console.log(`# end-to-end hook test skipped: ${noCurl}`)

  it('posts the hook payload to /hook?event=PreToolUse', { skip: noCurl }, async () => {
    const env = makeEnv()
    const dir = tempDir()
    const socketPath = join(dir, "obs sock's.sock")
    const r = await env.run(['--project', '--yes', '--socket', socketPath])
    assert.equal(r.code, 0, r.stderr)
    const settings = JSON.parse(readFileSync(env.settings, 'utf8'))
    const command: string = settings.hooks.PreToolUse[0].hooks[0].command

    let resolveRequest: (raw: Buffer) => void = () => undefined
    const received = new Promise<Buffer>((resolve) => {
      resolveRequest = resolve
    })
    const server = createServer((socket) => {
      let data = Buffer.alloc(0)
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk])
        const end = data.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = data.subarray(0, end).toString('latin1')
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? '0')
        if (data.length < end + 4 + length) return
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')
        resolveRequest(data)
      })
    })
    server.listen(socketPath)
    await once(server, 'listening')
    try {
      const payload = JSON.stringify({
        session_id: 'abc',
        hook_event_name: 'PreToolUse',
        tool_name: 'Bash',
        tool_input: { command: "echo 'hi' && ls" },
      })
      const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] })
      child.stdin.end(payload)
      const [exitCode] = (await once(child, 'exit')) as [number]
      assert.equal(exitCode, 0)
      let timer: NodeJS.Timeout | undefined
      const raw = await Promise.race([
        received,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no request within 5 s')), 5000)
        }),
      ]).finally(() => clearTimeout(timer))
      const text = raw.toString('utf8')
      const end = text.indexOf('\r\n\r\n')
      assert.match(text, /^POST \/hook\?event=PreToolUse HTTP\/1\.1\r\n/)
      assert.match(text.slice(0, end), /\r\nContent-Type: application\/json/i)
      assert.equal(text.slice(end + 4), payload)
    } finally {
      server.close()
    }
  })
})
