/**
 * `observatory install --telemetry`: Claude Code's telemetry variables in the `env` of the user's settings,
 * recorded so that `--uninstall` removes exactly what install wrote (src/observatory/install/telemetry.ts), and
 * the CLI around it (scopes, transports, token, dry run, errors).
 */
import assert from 'node:assert/strict'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, describe, it } from 'node:test'
import { runInstall } from '../../src/cli/install.ts'
import { JsonObject, parseJson } from '../../src/observatory/encoding/index.ts'
import type { CommandIO } from '../../src/observatory/install/command-io.ts'
import { SETTINGS_JSON, settingsText } from '../../src/observatory/install/settings-file.ts'
import {
  installTelemetry,
  TELEMETRY_PROTOCOL,
  TELEMETRY_RECORD_KEY,
  type TelemetryTarget,
  telemetryEnv,
  uninstallTelemetry,
  valueFingerprint,
} from '../../src/observatory/install/telemetry.ts'

const scratch: string[] = []
after(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
})

function parse(text: string): JsonObject {
  return parseJson(text, SETTINGS_JSON) as JsonObject
}

function text(settings: JsonObject): string {
  return `${settingsText(settings)}\n`
}

const TARGET: TelemetryTarget = { host: '127.0.0.1', port: 23518, traces: false }

/** What install writes for TARGET, the record last. */
const WRITTEN: Record<string, string> = {
  CLAUDE_CODE_ENABLE_TELEMETRY: '1',
  OTEL_LOGS_EXPORTER: 'otlp',
  OTEL_METRICS_EXPORTER: 'otlp',
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:23518',
}

function record(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([key, value]) => `${key}:${valueFingerprint(value)}`)
    .join(' ')
}

function envOf(settings: JsonObject): Record<string, unknown> {
  const env = settings.get('env')
  assert.ok(env instanceof JsonObject)
  return Object.fromEntries(env)
}

describe('telemetry variables: merge and unmerge', () => {
  it('writes the variables and their record into an empty file; idempotent', () => {
    assert.equal(TELEMETRY_PROTOCOL, 'http/protobuf')
    const first = installTelemetry(new JsonObject(), TARGET)
    assert.equal(first.changed, true)
    assert.deepEqual(envOf(first.settings), { ...WRITTEN, [TELEMETRY_RECORD_KEY]: record(WRITTEN) })
    assert.deepEqual(first.written, Object.keys(WRITTEN))
    assert.deepEqual(first.warnings, [])
    const again = installTelemetry(first.settings, TARGET)
    assert.equal(again.changed, false)
    assert.deepEqual(again.written, [])
    const back = uninstallTelemetry(first.settings)
    assert.equal(back.changed, true)
    assert.equal(text(back.settings), '{}\n', 'the env object install created goes too')
  })

  it('keeps other variables and keys in place, and uninstall restores the text exactly', () => {
    const before =
      '{\n  "model": "opus",\n  "env": {\n    "FOO": "bar",\n    "CLAUDE_CODE_ENABLE_TELEMETRY": "1"\n  },\n  "x": [\n    1.0\n  ]\n}\n'
    const installed = installTelemetry(parse(before), TARGET)
    const env = envOf(installed.settings)
    assert.deepEqual(Object.keys(env), [
      'FOO',
      'CLAUDE_CODE_ENABLE_TELEMETRY',
      'OTEL_LOGS_EXPORTER',
      'OTEL_METRICS_EXPORTER',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      TELEMETRY_RECORD_KEY,
    ])
    // The user's own CLAUDE_CODE_ENABLE_TELEMETRY, already "1", is not claimed.
    assert.doesNotMatch(String(env[TELEMETRY_RECORD_KEY]), /CLAUDE_CODE_ENABLE_TELEMETRY/)
    const removed = uninstallTelemetry(installed.settings)
    assert.equal(text(removed.settings), before)
    assert.deepEqual(removed.removed.length, 4)
  })

  it('leaves a value someone else set, with a warning (the token never shown)', () => {
    const before = parse(
      '{"env": {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_EXPORTER_OTLP_HEADERS": "x-key=secret"}}',
    )
    const result = installTelemetry(before, { ...TARGET, token: 'tok' })
    const env = envOf(result.settings)
    assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://collector:4318')
    assert.equal(env.OTEL_EXPORTER_OTLP_HEADERS, 'x-key=secret')
    assert.equal(result.warnings.length, 2)
    assert.match(
      result.warnings[0]!,
      /env\.OTEL_EXPORTER_OTLP_ENDPOINT is already "http:\/\/collector:4318"/,
    )
    assert.doesNotMatch(result.warnings.join('\n'), /secret|tok\b/)
    assert.doesNotMatch(String(env[TELEMETRY_RECORD_KEY]), /ENDPOINT|HEADERS/)
    const removed = uninstallTelemetry(result.settings)
    assert.deepEqual(envOf(removed.settings), {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-key=secret',
    })
  })

  it('replaces its own values in place (port, token, traces) and drops those no longer wanted', () => {
    const first = installTelemetry(new JsonObject(), { ...TARGET, token: 'one', traces: true })
    assert.equal(envOf(first.settings).OTEL_EXPORTER_OTLP_HEADERS, 'Authorization=Bearer one')
    assert.equal(envOf(first.settings).OTEL_TRACES_EXPORTER, 'otlp')
    assert.equal(envOf(first.settings).CLAUDE_CODE_ENHANCED_TELEMETRY_BETA, '1')
    const second = installTelemetry(first.settings, { ...TARGET, port: 4000 })
    const env = envOf(second.settings)
    assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://127.0.0.1:4000')
    assert.equal(env.OTEL_EXPORTER_OTLP_HEADERS, undefined)
    assert.equal(env.OTEL_TRACES_EXPORTER, undefined)
    assert.deepEqual(second.written, ['OTEL_EXPORTER_OTLP_ENDPOINT'])
    assert.deepEqual(second.removed.sort(), [
      'CLAUDE_CODE_ENHANCED_TELEMETRY_BETA',
      'OTEL_EXPORTER_OTLP_HEADERS',
      'OTEL_TRACES_EXPORTER',
    ])
    assert.deepEqual(env, {
      ...WRITTEN,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4000',
      [TELEMETRY_RECORD_KEY]: record({
        ...WRITTEN,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4000',
      }),
    })
  })

  it('a value changed by hand since is the user’s: kept by uninstall and by a new install', () => {
    const first = installTelemetry(new JsonObject(), TARGET)
    const edited = first.settings
    ;(edited.get('env') as JsonObject).set('OTEL_METRICS_EXPORTER', 'console')
    const removed = uninstallTelemetry(edited)
    assert.deepEqual(envOf(removed.settings), { OTEL_METRICS_EXPORTER: 'console' })
    assert.match(removed.warnings[0]!, /OTEL_METRICS_EXPORTER was changed since/)
    const again = installTelemetry(edited, TARGET)
    assert.equal(envOf(again.settings).OTEL_METRICS_EXPORTER, 'console')
    assert.match(again.warnings[0]!, /changed by hand since install wrote it/)
    assert.doesNotMatch(String(envOf(again.settings)[TELEMETRY_RECORD_KEY]), /METRICS/)
  })

  it('IPv6 endpoints, traces and the token header', () => {
    const env = Object.fromEntries(
      telemetryEnv({ host: '::1', port: 9, traces: true, token: 'a=b' }),
    )
    assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://[::1]:9')
    assert.equal(env.OTEL_EXPORTER_OTLP_HEADERS, 'Authorization=Bearer a=b')
    assert.equal(env.OTEL_TRACES_EXPORTER, 'otlp')
    assert.equal(env.CLAUDE_CODE_ENHANCED_TELEMETRY_BETA, '1')
  })

  it('refuses shapes it will not edit', () => {
    assert.throws(
      () => installTelemetry(parse('{"env": []}'), TARGET),
      /"env" value that is not an object/,
    )
    assert.throws(
      () => installTelemetry(parse('{"env": {"A": "1", "A": "2"}}'), TARGET),
      /"A" twice/,
    )
    assert.throws(
      () => uninstallTelemetry(parse(`{"env": {"${TELEMETRY_RECORD_KEY}": "junk"}}`)),
      /did not write/,
    )
  })
})

// ---- the CLI ----------------------------------------------------------------------------------------------

interface Run {
  code: number
  stdout: string
  stderr: string
}

function makeEnv(): {
  home: string
  project: string
  user: string
  projectFile: string
  run(argv: string[], env?: NodeJS.ProcessEnv): Promise<Run>
} {
  const root = mkdtempSync(join(tmpdir(), 'obs-install-telemetry-'))
  scratch.push(root)
  const home = join(root, 'home')
  const project = join(root, 'project')
  mkdirSync(home)
  mkdirSync(project)
  return {
    home,
    project,
    user: join(home, '.claude', 'settings.json'),
    projectFile: join(project, '.claude', 'settings.json'),
    async run(argv, env = {}) {
      const stdin = new PassThrough() as PassThrough & { isTTY?: boolean }
      stdin.isTTY = false
      stdin.end()
      const stdout = new PassThrough()
      const stderr = new PassThrough()
      const chunks: [Buffer[], Buffer[]] = [[], []]
      stdout.on('data', (c: Buffer) => chunks[0].push(c))
      stderr.on('data', (c: Buffer) => chunks[1].push(c))
      const io: CommandIO = { stdin, stdout, stderr, env, cwd: project, homedir: home }
      const code = await runInstall(argv, io)
      return {
        code,
        stdout: Buffer.concat(chunks[0]).toString('utf8'),
        stderr: Buffer.concat(chunks[1]).toString('utf8'),
      }
    },
  }
}

function readJson(path: string): Record<string, Record<string, unknown> | undefined> {
  return JSON.parse(readFileSync(path, 'utf8'))
}

describe('observatory install --telemetry (CLI)', () => {
  it('--global: hooks and telemetry in one file; --uninstall brings the text back exactly', async () => {
    const e = makeEnv()
    mkdirSync(join(e.home, '.claude'))
    const before = '{\n  "env": {\n    "FOO": "bar"\n  },\n  "model": "opus"\n}\n'
    writeFileSync(e.user, before)
    const r = await e.run(['--global', '--telemetry', '-y'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    assert.match(
      r.stdout,
      /^Telemetry: Claude Code's OpenTelemetry logs and metrics, http\/protobuf to http:\/\/127\.0\.0\.1:23518 \(TCP: telemetry cannot go through a Unix socket/m,
    )
    const settings = readJson(e.user)
    assert.ok(settings.hooks?.PreToolUse)
    assert.equal(settings.env?.FOO, 'bar')
    assert.equal(settings.env?.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://127.0.0.1:23518')
    const again = await e.run(['--global', '--telemetry', '-y'])
    assert.match(again.stdout, /Already installed, nothing to change\./)
    const u = await e.run(['--global', '--uninstall', '-y'])
    assert.equal(u.code, 0, u.stderr)
    assert.match(u.stdout, /Removed 5 telemetry variables from the "env" of/)
    assert.equal(readFileSync(e.user, 'utf8'), before)
  })

  it('--project: hooks in the project, telemetry in the user file with a note; dry run shows both', async () => {
    const e = makeEnv()
    const dry = await e.run(['--project', '--telemetry', '--dry-run'])
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, /^Telemetry target: .*home\/\.claude\/settings\.json$/m)
    assert.match(
      dry.stdout,
      /^Note: Claude Code takes its telemetry variables from your user settings/m,
    )
    assert.match(dry.stdout, /^\+\+\+ .*project\/\.claude\/settings\.json$/m)
    assert.match(dry.stdout, /^\+\+\+ .*home\/\.claude\/settings\.json$/m)
    assert.match(dry.stdout, /Dry run: nothing written\./)
    assert.equal(existsSync(e.user), false)
    assert.equal(existsSync(e.projectFile), false)

    const r = await e.run(['--project', '--telemetry', '-y'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(readJson(e.projectFile).env, undefined)
    assert.ok(readJson(e.projectFile).hooks)
    assert.equal(readJson(e.user).hooks, undefined)
    assert.equal(readJson(e.user).env?.CLAUDE_CODE_ENABLE_TELEMETRY, '1')

    // Without --telemetry, --uninstall --project leaves the user's file, and says so.
    const u = await e.run(['--project', '--uninstall', '-y'])
    assert.equal(u.code, 0, u.stderr)
    assert.match(
      u.stderr,
      /note: the telemetry variables in .* stay; add --telemetry to remove them too/,
    )
    assert.equal(readJson(e.user).env?.CLAUDE_CODE_ENABLE_TELEMETRY, '1')
    const t = await e.run(['--project', '--uninstall', '--telemetry', '-y'])
    assert.equal(t.code, 0, t.stderr)
    assert.equal(readFileSync(e.user, 'utf8'), '{}\n')
  })

  it('--transport unix: the TCP port from --port or $CLAUDE_REST_HOOK_WATCHER; --bind too', async () => {
    const e = makeEnv()
    const r = await e.run(['--global', '--telemetry', '--port', '4000', '--bind', '::1', '-y'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(readJson(e.user).env?.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://[::1]:4000')
    assert.match(
      String(readJson(e.user).hooks?.Stop && JSON.stringify(readJson(e.user).hooks)),
      /--unix-socket/,
    )
    const f = makeEnv()
    const s = await f.run(['--global', '--telemetry', '-y'], { CLAUDE_REST_HOOK_WATCHER: '5000' })
    assert.equal(s.code, 0, s.stderr)
    assert.equal(readJson(f.user).env?.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://127.0.0.1:5000')
    // Without --telemetry, --port still does not go with --transport unix.
    const bad = await f.run(['--global', '--port', '4000'])
    assert.equal(bad.code, 2)
    // --transport http: the hooks' port is the telemetry's.
    const g = makeEnv()
    const h = await g.run([
      '--global',
      '--transport',
      'http',
      '--port',
      '6000',
      '--telemetry',
      '-y',
    ])
    assert.equal(h.code, 0, h.stderr)
    assert.equal(readJson(g.user).env?.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://127.0.0.1:6000')
    assert.doesNotMatch(h.stdout, /Unix socket/)
  })

  it('--token (or $OBSERVATORY_TOKEN): the header, a private new file; bad tokens refused', async () => {
    const e = makeEnv()
    const r = await e.run(['--global', '--telemetry', '--token', 's3cret=', '-y'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(readJson(e.user).env?.OTEL_EXPORTER_OTLP_HEADERS, 'Authorization=Bearer s3cret=')
    assert.equal(statSync(e.user).mode & 0o077, 0, 'a new file holding the token is private')
    assert.doesNotMatch(r.stderr, /s3cret/)
    const f = makeEnv()
    const s = await f.run(['--global', '--traces', '-y'], { OBSERVATORY_TOKEN: 'from-env' })
    assert.equal(s.code, 0, s.stderr)
    assert.equal(readJson(f.user).env?.OTEL_EXPORTER_OTLP_HEADERS, 'Authorization=Bearer from-env')
    assert.equal(readJson(f.user).env?.OTEL_TRACES_EXPORTER, 'otlp')
    for (const [argv, message] of [
      [['--global', '--telemetry', '--token', 'a b'], /--token must be visible ASCII/],
      [['--global', '--telemetry', '--token', 'a,b'], /without spaces or commas/],
      [['--global', '--telemetry', '--token', ''], /--token must not be empty/],
      [['--global', '--token', 'x'], /--token applies to --telemetry/],
      [['--telemetry-only', '--project'], /--telemetry-only edits your user settings alone/],
      [['--telemetry-only', '--events', 'Stop'], /--events applies to hooks/],
    ] as const) {
      const bad = await f.run([...argv])
      assert.equal(bad.code, 2, argv.join(' '))
      assert.match(bad.stderr, message)
      assert.equal(bad.stderr.split('\n').length, 2, `one line: ${bad.stderr}`)
    }
  })

  it('--telemetry-only: no hook added or removed; its --uninstall removes the variables alone', async () => {
    const e = makeEnv()
    assert.equal((await e.run(['--global', '-y'])).code, 0)
    const hooks = JSON.stringify(readJson(e.user).hooks)
    const r = await e.run(['--telemetry-only', '--port', '7000'])
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stdout, /^Hooks:/m)
    assert.equal(JSON.stringify(readJson(e.user).hooks), hooks)
    assert.equal(readJson(e.user).env?.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://127.0.0.1:7000')
    const u = await e.run(['--telemetry-only', '--uninstall'])
    assert.equal(u.code, 0, u.stderr)
    assert.equal(readJson(e.user).env, undefined)
    assert.equal(JSON.stringify(readJson(e.user).hooks), hooks)
    const none = await e.run(['--telemetry-only', '--uninstall'])
    assert.match(none.stdout, /No observatory telemetry variables in .*, nothing to change\./)
  })

  it('a user file it must not edit: one line, exit 1, nothing written', async () => {
    const e = makeEnv()
    mkdirSync(join(e.home, '.claude'))
    writeFileSync(e.user, '{"env": "x"}\n')
    const r = await e.run(['--project', '--telemetry', '-y'])
    assert.equal(r.code, 1)
    assert.match(
      r.stderr,
      /settings\.json has an "env" value that is not an object — fix or move it first\n$/,
    )
    assert.equal(r.stderr.split('\n').length, 2)
    assert.equal(existsSync(e.projectFile), false, 'nor the project file')
  })
})
