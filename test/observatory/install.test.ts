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
import {
  ALL_EVENTS,
  closestEvent,
  DEFAULT_EVENTS,
  EVENT_CATALOGUE,
  eventInfo,
  isKnownEvent,
} from '../../src/observatory/events/index.ts'
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
    opts?: { tty?: boolean; input?: string; env?: NodeJS.ProcessEnv; cwd?: string },
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
        cwd: opts.cwd ?? project,
        homedir: home,
      }
      const code = await runInstall(argv, io)
      return { code, stdout: out(), stderr: err() }
    },
  }
}

// The default socket is private to the user (not the original's /tmp/claude-observatory.sock): see socket-path.ts.
const SOCK = defaultSocketPath({})
// curl's --max-time is the hooks' timeout: 3 s unless --timeout says otherwise (the original project had 1).
const unixCommand = (event: string, socket = SOCK, maxTime = 3): string =>
  `curl -s --connect-timeout 0.5 --max-time ${maxTime} --unix-socket ${socket} -X POST -H 'Content-Type: application/json' -d @- 'http://localhost/hook?event=${event}' || true`
const tcpCommand = (event: string, host = '127.0.0.1', port = 23518, maxTime = 3): string =>
  `curl -s --connect-timeout 0.5 --max-time ${maxTime} -X POST -H 'Content-Type: application/json' -d @- 'http://${host}:${port}/hook?event=${event}' || true`

/**
 * The default events, in the order they are written (the catalogue's). Written out rather than imported, so that
 * a change to the catalogue's defaults shows up here.
 */
const DEFAULT_SET = [
  'SessionStart',
  'Setup',
  'UserPromptSubmit',
  'UserPromptExpansion',
  'PreToolUse',
  'PermissionRequest',
  'PermissionDenied',
  'PostToolUse',
  'PostToolUseFailure',
  'Notification',
  'SubagentStart',
  'SubagentStop',
  'TaskCreated',
  'TaskCompleted',
  'TeammateIdle',
  'Stop',
  'StopFailure',
  'InstructionsLoaded',
  'ConfigChange',
  'CwdChanged',
  'DirectoryAdded',
  'PreCompact',
  'PostCompact',
  'PostModelSwitch',
  'Elicitation',
  'SessionEnd',
]
/** The passive events beyond the default ones, which `--events all` adds (in catalogue order). */
const ALL_EXTRA = ['PostToolBatch', 'FileChanged', 'ElicitationResult']
/** Known events that `all` leaves out. */
const NEVER_BY_SET = ['MessageDisplay', 'WorktreeCreate', 'WorktreeRemove', 'PreModelSwitch']
/** The matcher of each event's group; absent (undefined): no `matcher` key. */
const MATCHER: Record<string, string | undefined> = {
  SessionStart: '',
  Setup: '',
  UserPromptExpansion: '',
  PreToolUse: '*',
  PermissionRequest: '*',
  PermissionDenied: '*',
  PostToolUse: '*',
  PostToolUseFailure: '*',
  Notification: '',
  SubagentStart: '*',
  SubagentStop: '*',
  StopFailure: '',
  InstructionsLoaded: '',
  ConfigChange: '',
  DirectoryAdded: '',
  PreCompact: '',
  PostCompact: '',
  PreModelSwitch: '',
  PostModelSwitch: '',
  Elicitation: '',
  ElicitationResult: '',
  SessionEnd: '',
}

type Plain = Record<string, unknown>

function group(event: string, hook: Plain): Plain {
  const matcher = MATCHER[event]
  return matcher === undefined ? { hooks: [hook] } : { matcher, hooks: [hook] }
}

function unixGroup(event: string, socket = SOCK, maxTime = 3): Plain {
  return group(event, { type: 'command', command: unixCommand(event, socket, maxTime) })
}

function allUnixHooks(socket = SOCK): Plain {
  return Object.fromEntries(DEFAULT_SET.map((e) => [e, [unixGroup(e, socket)]]))
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
    assert.match(r.stdout, /Installed 26 hooks/)
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
    assert.match(r.stdout, /Removed 26 observatory hooks/)
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
            group('PreToolUse', {
              type: 'http',
              url: 'http://[::1]:9000/hook?event=PreToolUse',
              timeout: 3,
            }),
          ],
          Stop: [
            group('Stop', { type: 'http', url: 'http://[::1]:9000/hook?event=Stop', timeout: 3 }),
          ],
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
        'observatory install: no target given and stdin is not a terminal: pass --global, --project or --local\n',
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
      /Install hooks globally \(~\/\.claude\/settings\.json\), for this project \(\.claude\/settings\.json\) or for this project on this machine only \(\.claude\/settings\.local\.json\)\? \[g\/p\/l\] Please answer 'g', 'p' or 'l'\./,
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
    assert.match(eof.stderr, /no target chosen: pass --global, --project or --local\n$/)
  })

  it('applies without asking when stdin is not a terminal', async () => {
    const env = makeEnv()
    const r = await env.run(['--project', '--events', 'Stop'])
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /Apply\?/)
    assert.ok(existsSync(env.settings))
  })
})

describe('observatory install: events, http fallback, timeouts, scopes', () => {
  const readHooks = (path: string): Record<string, Plain[]> =>
    JSON.parse(readFileSync(path, 'utf8')).hooks as Record<string, Plain[]>
  const httpHook = (event: string, base = 'http://127.0.0.1:23518', timeout = 3): Plain => ({
    type: 'http',
    url: `${base}/hook?event=${event}`,
    timeout,
  })

  it('--transport http: curl commands for SessionStart and Setup, http hooks with timeouts for the rest', async () => {
    const env = makeEnv()
    writeSettings(env, pretty(FOREIGN))
    const args = ['--project', '--yes', '--transport', 'http', '--port', '9100']
    const r = await env.run(args)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    assert.match(
      r.stdout,
      /^Hooks: native HTTP hooks to http:\/\/127\.0\.0\.1:9100, timeout 3 s; curl to http:\/\/127\.0\.0\.1:9100 for SessionStart, Setup, where Claude Code runs no HTTP hooks \(26 events\)$/m,
    )
    const hooks = readHooks(env.settings)
    for (const event of ['SessionStart', 'Setup']) {
      assert.deepEqual(hooks[event], [
        group(event, { type: 'command', command: tcpCommand(event, '127.0.0.1', 9100) }),
      ])
    }
    for (const event of DEFAULT_SET.filter((e) => e !== 'SessionStart' && e !== 'Setup')) {
      const ours = hooks[event]!.at(-1)
      assert.deepEqual(ours, group(event, httpHook(event, 'http://127.0.0.1:9100')), event)
    }

    const again = await env.run(args)
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /already installed, nothing to change/i)
    assert.equal(backups(env.settings).length, 1)

    const removed = await env.run(['--project', '--yes', '--uninstall'])
    assert.equal(removed.code, 0, removed.stderr)
    assert.match(removed.stdout, /Removed 26 observatory hooks/)
    assert.equal(readFileSync(env.settings, 'utf8'), pretty(FOREIGN))
  })

  it('switching transports replaces both kinds in place; --bind is honoured for the curl fallback', async () => {
    const env = makeEnv()
    const events = ['--events', 'SessionStart,Stop']
    assert.equal((await env.run(['--project', '--yes', ...events])).code, 0)
    const http = ['--transport', 'http', '--bind', '192.0.2.7', '--port', '4000']
    const r = await env.run(['--project', '--yes', ...http, ...events])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /replaced 2 older hooks/)
    assert.equal(
      readFileSync(env.settings, 'utf8'),
      pretty({
        hooks: {
          SessionStart: [
            group('SessionStart', {
              type: 'command',
              command: tcpCommand('SessionStart', '192.0.2.7', 4000),
            }),
          ],
          Stop: [group('Stop', httpHook('Stop', 'http://192.0.2.7:4000'))],
        },
      }),
    )
    assert.match((await env.run(['--project', '--yes', ...http, ...events])).stdout, /already/i)
    const removed = await env.run(['--project', '--yes', '--uninstall', '--bind', '192.0.2.7'])
    assert.equal(removed.code, 0, removed.stderr)
    assert.equal(readFileSync(env.settings, 'utf8'), '{}\n')
  })

  it("--timeout sets the http hooks' timeout and curl's --max-time; bad values are usage errors", async () => {
    const env = makeEnv()
    const r = await env.run([
      '--project',
      '--yes',
      '--transport',
      'http',
      '--timeout',
      '7',
      '--events',
      'Setup,PreToolUse',
    ])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(
      readFileSync(env.settings, 'utf8'),
      pretty({
        hooks: {
          Setup: [
            group('Setup', {
              type: 'command',
              command: tcpCommand('Setup', '127.0.0.1', 23518, 7),
            }),
          ],
          PreToolUse: [group('PreToolUse', httpHook('PreToolUse', undefined, 7))],
        },
      }),
    )
    const unix = await env.run(['--project', '--yes', '--timeout', '10', '--events', 'Stop'])
    assert.equal(unix.code, 0, unix.stderr)
    assert.equal(
      readFileSync(env.settings, 'utf8'),
      pretty({ hooks: { Stop: [unixGroup('Stop', SOCK, 10)] } }),
    )
    for (const bad of ['0', '1.5', 'abc', '601', '-3']) {
      const e = await env.run(['--project', '--yes', `--timeout=${bad}`])
      assert.equal(e.code, 2, bad)
      assert.equal(
        e.stderr,
        `observatory install: --timeout must be a whole number of seconds from 1 to 600 (got '${bad}')\n`,
      )
    }
  })

  it('--events +X,-Y starts from the default; default,+X and all,-X from the set named', async () => {
    const env = makeEnv()
    const relative = await env.run(['--project', '--yes', '--events', '+FileChanged,-Notification'])
    assert.equal(relative.code, 0, relative.stderr)
    assert.equal(relative.stderr, '')
    const expected = [...DEFAULT_SET.filter((e) => e !== 'Notification'), 'FileChanged']
    assert.deepEqual(Object.keys(readHooks(env.settings)), expected)
    assert.deepEqual(readHooks(env.settings).FileChanged, [
      { hooks: [{ type: 'command', command: unixCommand('FileChanged') }] },
    ])

    // A value starting with a dash is the value of --events (-y and -h stay options).
    const dashed = await env.run(['--project', '--dry-run', '--events', '-Notification,-Stop'])
    assert.equal(dashed.code, 0, dashed.stderr)
    assert.match(dashed.stdout, /\(24 events\)/)
    const forgotten = await env.run(['--project', '--events', '-y'])
    assert.equal(forgotten.code, 2)
    assert.equal(forgotten.stderr, 'observatory install: option --events needs a value\n')

    const named = await env.run(['--project', '--yes', '--events', 'default,+PostToolBatch'])
    assert.equal(named.code, 0, named.stderr)
    assert.deepEqual(
      Object.keys(readHooks(env.settings)).sort(),
      [...DEFAULT_SET, 'PostToolBatch'].sort(),
    )

    const all = await env.run(['--project', '--yes', '--events', 'all'])
    assert.equal(all.code, 0, all.stderr)
    const allKeys = Object.keys(readHooks(env.settings))
    assert.equal(allKeys.length, 29)
    assert.deepEqual([...allKeys].sort(), [...DEFAULT_SET, ...ALL_EXTRA].sort())
    for (const event of NEVER_BY_SET) assert.ok(!allKeys.includes(event), event)

    const allBut = await env.run(['--project', '--yes', '--events', 'ALL,-PostToolBatch,-Stop'])
    assert.equal(allBut.code, 0, allBut.stderr)
    assert.equal(Object.keys(readHooks(env.settings)).length, 27)

    const exact = await env.run(['--project', '--yes', '--events', 'Stop,WorktreeCreate,-Stop'])
    assert.equal(exact.code, 0, exact.stderr)
    assert.deepEqual(Object.keys(readHooks(env.settings)), ['WorktreeCreate'])

    for (const [spec, message] of [
      ['Stop,-Stop', "--events 'Stop,-Stop' leaves no events to install"],
      ['-default', "--events '-default' leaves no events to install"],
      ['Stop,+', "--events has an empty name in 'Stop,+'"],
      ['+Pre-Tool', "--events: 'Pre-Tool' is not an event name (letters only)"],
    ] as const) {
      const e = await env.run(['--project', '--yes', '--events', spec])
      assert.equal(e.code, 2, spec)
      assert.equal(e.stderr, `observatory install: ${message}\n`, spec)
    }
  })

  it('accepts unknown event names with a one-line warning naming the closest known one', async () => {
    const env = makeEnv()
    const r = await env.run(['--project', '--yes', '--events', 'Stop,Stp,+SessionStarted,-stop'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(
      r.stderr,
      "observatory install: warning: unknown event 'Stp' (closest known: Stop); used as given\n" +
        "observatory install: warning: unknown event 'SessionStarted' (closest known: SessionStart); used as given\n" +
        "observatory install: warning: unknown event 'stop' (closest known: Stop); used as given\n",
    )
    assert.equal(
      readFileSync(env.settings, 'utf8'),
      pretty({
        hooks: {
          Stop: [unixGroup('Stop')],
          Stp: [{ hooks: [{ type: 'command', command: unixCommand('Stp') }] }],
          SessionStarted: [
            { hooks: [{ type: 'command', command: unixCommand('SessionStarted') }] },
          ],
        },
      }),
    )
    // Every current event is known: no warning, not even for those outside the default set.
    const known = await env.run([
      '--project',
      '--dry-run',
      '--events',
      [...DEFAULT_SET, ...ALL_EXTRA, ...NEVER_BY_SET].join(','),
    ])
    assert.equal(known.code, 0, known.stderr)
    assert.equal(known.stderr, '')
  })

  it('--local writes .claude/settings.local.json of the project', async () => {
    const env = makeEnv()
    const local = join(env.project, '.claude', 'settings.local.json')
    const r = await env.run(['--local', '--yes', '--events', 'Stop'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^Target: .*\/project\/\.claude\/settings\.local\.json$/m)
    assert.equal(readFileSync(local, 'utf8'), pretty({ hooks: { Stop: [unixGroup('Stop')] } }))
    assert.equal(existsSync(env.settings), false)
    const removed = await env.run(['--local', '--yes', '--uninstall'])
    assert.equal(removed.code, 0, removed.stderr)
    assert.equal(readFileSync(local, 'utf8'), '{}\n')

    const both = await env.run(['--project', '--local'])
    assert.equal(both.code, 2)
    assert.equal(both.stderr, 'observatory install: --project and --local exclude each other\n')
    const chosen = await env.run(['--events', 'Stop'], { tty: true, input: 'l\ny\n' })
    assert.equal(chosen.code, 0, chosen.stderr)
    assert.match(chosen.stdout, /settings\.local\.json/)
  })

  it('--project and --local mean the repository root, found from a subdirectory', async () => {
    const env = makeEnv()
    const deep = join(env.project, 'src', 'deep')
    mkdirSync(deep, { recursive: true })
    mkdirSync(join(env.project, '.git'))
    const r = await env.run(['--project', '--yes', '--events', 'Stop'], { cwd: deep })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(
      readFileSync(env.settings, 'utf8'),
      pretty({ hooks: { Stop: [unixGroup('Stop')] } }),
    )
    assert.equal(existsSync(join(deep, '.claude')), false)

    // A linked worktree or submodule has a .git file.
    const worktree = join(env.project, 'wt')
    mkdirSync(join(worktree, 'sub'), { recursive: true })
    writeFileSync(join(worktree, '.git'), 'gitdir: ../.git/worktrees/wt\n')
    const w = await env.run(['--local', '--yes', '--events', 'Stop'], {
      cwd: join(worktree, 'sub'),
    })
    assert.equal(w.code, 0, w.stderr)
    assert.ok(existsSync(join(worktree, '.claude', 'settings.local.json')))

    // A directory given explicitly is used as it is, relative to the current directory.
    const given = await env.run(['--project', 'src', '--yes', '--events', 'Stop'])
    assert.equal(given.code, 0, given.stderr)
    assert.ok(existsSync(join(env.project, 'src', '.claude', 'settings.json')))
    const eq = await env.run(['--local=src/deep', '--yes', '--events', 'Stop'])
    assert.equal(eq.code, 0, eq.stderr)
    assert.ok(existsSync(join(deep, '.claude', 'settings.local.json')))
    const missing = await env.run(['--project', 'nowhere', '--yes'])
    assert.equal(missing.code, 2)
    assert.match(
      missing.stderr,
      /^observatory install: project directory 'nowhere': no such file or directory \(ENOENT\)\n$/,
    )
  })

  it('outside a repository --project is the current directory; a .git in the home directory does not count', async () => {
    const env = makeEnv()
    const elsewhere = join(env.project, 'plain')
    mkdirSync(elsewhere)
    const r = await env.run(['--project', '--yes', '--events', 'Stop'], { cwd: elsewhere })
    assert.equal(r.code, 0, r.stderr)
    assert.ok(existsSync(join(elsewhere, '.claude', 'settings.json')))

    mkdirSync(join(env.home, '.git'))
    const inHome = join(env.home, 'notes')
    mkdirSync(inHome)
    const h = await env.run(['--project', '--yes', '--events', 'Stop'], { cwd: inHome })
    assert.equal(h.code, 0, h.stderr)
    assert.ok(existsSync(join(inHome, '.claude', 'settings.json')))
    assert.equal(existsSync(join(env.home, '.claude')), false)
  })

  it('--list-events prints the catalogue as a table', async () => {
    const env = makeEnv()
    const r = await env.run(['--list-events'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    const lines = r.stdout.split('\n')
    assert.match(lines[0]!, /^EVENT +DEFAULT +ALL +HTTP +DECIDES +DESCRIPTION$/)
    const rows = lines.slice(1, lines.indexOf(''))
    assert.equal(rows.length, 33)
    const row = (name: string): string[] =>
      rows
        .find((line) => line.startsWith(`${name} `))!
        .split(/ {2,}/)
        .slice(0, 5)
    assert.deepEqual(row('SessionStart'), ['SessionStart', 'yes', 'yes', 'no', 'yes'])
    assert.deepEqual(row('Setup'), ['Setup', 'yes', 'yes', 'no', 'no'])
    assert.deepEqual(row('PostToolBatch'), ['PostToolBatch', 'no', 'yes', 'yes', 'yes'])
    assert.deepEqual(row('WorktreeCreate'), ['WorktreeCreate', 'no', 'no', 'yes', 'yes'])
    assert.deepEqual(row('Notification'), ['Notification', 'yes', 'yes', 'yes', 'no'])
    assert.match(r.stdout, /^DEFAULT +installed without --events \(26 events\)$/m)
    assert.match(r.stdout, /^ALL +installed by --events all \(29 events\)/m)
    assert.equal(existsSync(join(env.project, '.claude')), false)
  })

  it('documents the new options in --help', async () => {
    const env = makeEnv()
    const r = await env.run(['--help'])
    assert.equal(r.code, 0)
    for (const text of ['--local [DIR]', '--project [DIR]', '--timeout SECONDS', '--list-events']) {
      assert.ok(r.stdout.includes(text), text)
    }
    assert.match(r.stdout, /default \(26 events\), all \(29:/)
  })
})

describe('the events catalogue', () => {
  const ISSUE_EVENTS = [
    'SessionStart',
    'Setup',
    'UserPromptSubmit',
    'UserPromptExpansion',
    'PreToolUse',
    'PermissionRequest',
    'PermissionDenied',
    'PostToolUse',
    'PostToolUseFailure',
    'PostToolBatch',
    'Notification',
    'MessageDisplay',
    'SubagentStart',
    'SubagentStop',
    'TaskCreated',
    'TaskCompleted',
    'TeammateIdle',
    'Stop',
    'StopFailure',
    'InstructionsLoaded',
    'ConfigChange',
    'CwdChanged',
    'DirectoryAdded',
    'FileChanged',
    'WorktreeCreate',
    'WorktreeRemove',
    'PreCompact',
    'PostCompact',
    'Elicitation',
    'ElicitationResult',
    'SessionEnd',
    'PreModelSwitch',
    'PostModelSwitch',
  ]

  it('holds every current event once, with consistent sets', () => {
    const names = EVENT_CATALOGUE.map((e) => e.name)
    assert.equal(new Set(names).size, names.length)
    assert.deepEqual([...names].sort(), [...ISSUE_EVENTS].sort())
    assert.deepEqual(DEFAULT_EVENTS, DEFAULT_SET)
    assert.deepEqual(
      [...ALL_EVENTS].sort(),
      [...DEFAULT_SET, ...ALL_EXTRA].sort(),
      'all = the passive events',
    )
    for (const event of EVENT_CATALOGUE) {
      if (event.installByDefault) assert.ok(event.passive, `${event.name}: default implies passive`)
      assert.equal(event.matcher.install, MATCHER[event.name], `${event.name} matcher`)
      assert.ok(!event.fields.includes('session_id'), `${event.name}: common fields left out`)
    }
    assert.deepEqual(
      EVENT_CATALOGUE.filter((e) => !e.http).map((e) => e.name),
      ['SessionStart', 'Setup'],
    )
    assert.equal(eventInfo('WorktreeCreate')?.decides, true)
    assert.equal(eventInfo('WorktreeCreate')?.passive, false)
    assert.equal(eventInfo('Nope'), undefined)
    assert.equal(isKnownEvent('Stop'), true)
    assert.equal(isKnownEvent('stop'), false)
  })

  it('names the closest known event', () => {
    assert.equal(closestEvent('Stp'), 'Stop')
    assert.equal(closestEvent('pretooluse'), 'PreToolUse')
    assert.equal(closestEvent('PostToolUseFail'), 'PostToolUseFailure')
    assert.equal(closestEvent('SubagentEnd'), 'SubagentStop')
  })
})

describe('recognising observatory hooks', () => {
  it('accepts what it generates and the original project configs, for any socket/port', () => {
    for (const event of [...DEFAULT_SET, ...ALL_EXTRA, ...NEVER_BY_SET]) {
      assert.ok(isObservatoryCommand(unixCommand(event), []))
      assert.ok(isObservatoryCommand(unixCommand(event, SOCK, 1), []))
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
      hookCommand(
        { transport: 'unix', socketPath: '/tmp/a b', host: '', port: 0, timeout: 3 },
        'Stop',
      ),
      unixCommand('Stop', "'/tmp/a b'"),
    )
    // Without a timeout: curl waits as long as `install` lets Claude Code wait by default.
    assert.equal(
      hookCommand({ transport: 'unix', socketPath: '/tmp/a b', host: '', port: 0 }, 'Stop'),
      unixCommand('Stop', "'/tmp/a b'", 3),
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
