/**
 * `observatory policy check|test` and `observatory audit verify` through the real CLI (a child process): their
 * output, their one-line errors and their exit codes (0 done, 1 an invalid file, 2 a usage mistake).
 */
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { AuditLog, type AuditRecord } from '../../../src/observatory/policy/index.ts'
import { runCli, tempDir } from '../helpers.ts'

const POLICY = `rules:
  - name: no-rm
    event: PreToolUse
    tool: Bash
    match:
      command: "/(^|\\\\s)rm\\\\s/"
    action: deny
    reason: destructive command
  - name: allow-reads
    event: PermissionRequest
    tool: Read
    action: allow
`

const BROKEN = `rules:
  - name: no-rm
    event: PreToolUse
    tool: Bash
    match:
      command: x
    action: block
`

function files(dir: string) {
  const policy = join(dir, 'policy.yaml')
  const broken = join(dir, 'broken.yaml')
  const rmEvent = join(dir, 'rm.json')
  const lsEvent = join(dir, 'ls.json')
  const readEvent = join(dir, 'read.json')
  writeFileSync(policy, POLICY)
  writeFileSync(broken, BROKEN)
  writeFileSync(
    rmEvent,
    JSON.stringify({
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: 'rm -rf build' },
    }),
  )
  writeFileSync(
    lsEvent,
    JSON.stringify({
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: 'ls' },
    }),
  )
  writeFileSync(
    readEvent,
    JSON.stringify({
      _event: 'PermissionRequest',
      tool_name: 'Read',
      tool_input: { file_path: '/x' },
    }),
  )
  return { policy, broken, rmEvent, lsEvent, readEvent }
}

describe('observatory policy', { concurrency: true, timeout: 120_000 }, () => {
  it('check: N rules OK, exit 0', async (t) => {
    const f = files(tempDir(t))
    const r = await runCli(['policy', 'check', f.policy])
    assert.deepEqual(r, { code: 0, stdout: `${f.policy}: 2 rules OK\n`, stderr: '' })
  })

  it('check: an invalid file is one line FILE:LINE:COLUMN, exit 1; the others are still checked', async (t) => {
    const f = files(tempDir(t))
    const r = await runCli(['policy', 'check', f.broken, f.policy])
    assert.equal(r.code, 1)
    assert.equal(r.stdout, `${f.policy}: 2 rules OK\n`)
    assert.equal(
      r.stderr,
      `${f.broken}:7:13: action must be one of allow, deny, ask, defer (PreToolUse), not "block"\n`,
    )
  })

  it('check: a missing file, exit 1', async (t) => {
    const missing = join(tempDir(t), 'missing.yaml')
    const r = await runCli(['policy', 'check', missing])
    assert.equal(r.code, 1)
    assert.equal(r.stderr, `${missing}: no such file or directory (ENOENT)\n`)
  })

  it('test: the deciding rule, or no decision; exit 0', async (t) => {
    const f = files(tempDir(t))
    const denied = await runCli(['policy', 'test', f.policy, '--event', f.rmEvent])
    assert.deepEqual(denied, {
      code: 0,
      stdout: `deny by rule no-rm (${f.policy}): destructive command\n`,
      stderr: '',
    })
    const none = await runCli(['policy', 'test', f.policy, '--event', f.lsEvent])
    assert.deepEqual(none, { code: 0, stdout: 'no decision\n', stderr: '' })
    const allowed = await runCli(['policy', 'test', f.policy, '--event', f.readEvent])
    assert.equal(
      allowed.stdout,
      `allow by rule allow-reads (${f.policy}): policy rule allow-reads\n`,
    )
  })

  it('test --json: the body Claude Code would receive (nothing for no decision)', async (t) => {
    const f = files(tempDir(t))
    const denied = await runCli(['policy', 'test', f.policy, '--event', f.rmEvent, '--json'])
    assert.equal(denied.code, 0)
    assert.deepEqual(JSON.parse(denied.stdout), {
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: 'deny',
        permissionDecisionReason: 'destructive command',
      },
    })
    const allowed = await runCli(['policy', 'test', f.policy, '--event', f.readEvent, '--json'])
    assert.equal(
      allowed.stdout,
      '{"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"allow"}}}\n',
    )
    const none = await runCli(['policy', 'test', f.policy, '--event', f.lsEvent, '--json'])
    assert.deepEqual(none, { code: 0, stdout: '', stderr: '' })
  })

  it('test: a broken policy or event is exit 1; no event at all is a usage mistake', async (t) => {
    const dir = tempDir(t)
    const f = files(dir)
    const broken = await runCli(['policy', 'test', f.broken, '--event', f.rmEvent])
    assert.equal(broken.code, 1)
    assert.match(broken.stderr, /^.*broken\.yaml:7:13: action must be one of .*\n$/)
    const notJson = join(dir, 'bad.json')
    writeFileSync(notJson, '{"tool_name": ')
    const bad = await runCli(['policy', 'test', f.policy, '--event', notJson])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /^observatory policy: .*bad\.json: the event is not JSON \(.+\)\n$/)
    // runCli gives the child no stdin (/dev/null): empty
    const empty = await runCli(['policy', 'test', f.policy])
    assert.equal(empty.code, 2)
    assert.equal(
      empty.stderr,
      'observatory policy: policy test needs an event: --event EVENT.json, or the JSON on stdin\n',
    )
  })

  it('usage mistakes: one line, exit 2', async () => {
    for (const [args, message] of [
      [['policy'], 'policy needs a command: check or test (see observatory policy --help)'],
      [['policy', 'check'], 'policy check needs at least one file'],
      [['policy', 'lint', 'x'], "policy: unknown command 'lint' (check or test)"],
      [['policy', 'check', 'x', '--bogus'], 'unknown option --bogus'],
      [['policy', 'check', 'x', '--json'], '--json is for policy test'],
    ] as const) {
      const r = await runCli([...args])
      assert.equal(r.code, 2, args.join(' '))
      assert.equal(r.stderr, `observatory policy: ${message}\n`)
    }
  })

  it('--help', async () => {
    const r = await runCli(['policy', '--help'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, /^Usage: observatory policy check FILE/)
    assert.match(r.stdout, /-h, --help/)
  })
})

describe('observatory audit verify', { concurrency: true, timeout: 120_000 }, () => {
  const record = (i: number): AuditRecord => ({
    ts: new Date(1_770_000_000_000 + i).toISOString(),
    session_id: 's',
    tool_name: 'Bash',
    tool_use_id: `t${i}`,
    event: 'PreToolUse',
    decided_by: 'no-rm',
    action: 'deny',
    reason: 'destructive command',
    mode: 'enforce',
    answer: '{}',
    latency_ms: 1,
    event_id: i,
  })

  it('intact: exit 0; tampered: FILE:LINE: reason, exit 1', async (t) => {
    const dir = tempDir(t)
    const path = join(dir, 'audit.jsonl')
    const log = await AuditLog.open(path)
    for (let i = 1; i <= 4; i++) await log.append(record(i))
    await log.close()
    const ok = await runCli(['audit', 'verify', path])
    assert.deepEqual(ok, { code: 0, stdout: `${path}: 4 lines, chain intact\n`, stderr: '' })

    const copy = join(dir, 'tampered.jsonl')
    writeFileSync(
      copy,
      readFileSync(path, 'utf8').replace('"tool_use_id":"t2"', '"tool_use_id":"t9"'),
    )
    const bad = await runCli(['audit', 'verify', copy])
    assert.deepEqual(bad, {
      code: 1,
      stdout: '',
      stderr: `${copy}:2: hash mismatch: the line was changed\n`,
    })
  })

  it('a missing file: exit 1; usage mistakes: exit 2', async (t) => {
    const missing = join(tempDir(t), 'nope.jsonl')
    const r = await runCli(['audit', 'verify', missing])
    assert.equal(r.code, 1)
    assert.equal(r.stderr, `observatory audit: ${missing}: no such file or directory (ENOENT)\n`)
    for (const args of [
      ['audit'],
      ['audit', 'verify'],
      ['audit', 'verify', 'a', 'b'],
      ['audit', 'check'],
    ]) {
      const u = await runCli(args)
      assert.equal(u.code, 2, args.join(' '))
      assert.equal(u.stderr.split('\n').length, 2, u.stderr)
      assert.match(u.stderr, /^observatory audit: /)
    }
  })

  it('--help', async () => {
    const r = await runCli(['audit', '-h'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, /^Usage: observatory audit verify FILE/)
  })
})
