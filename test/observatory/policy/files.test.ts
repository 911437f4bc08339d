/**
 * Which files make the policy (--policy, else the project file and the user file), and the watcher: a change is
 * picked up without a restart, a broken edit keeps the last good policy (one log line, `error` set), a fix clears
 * it, a deleted file contributes nothing. Every wait is bounded.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import {
  PolicyError,
  PolicyWatcher,
  policyFiles,
  userPolicyPath,
} from '../../../src/observatory/policy/index.ts'

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'obs-policy-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Poll until `check` holds, at most `ms`. */
async function until(check: () => boolean, what: () => string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const DENY_RM =
  'rules:\n  - name: no-rm\n    tool: Bash\n    match: {command: "rm *"}\n    action: deny\n'
const TWO_RULES = `${DENY_RM}  - name: allow-ls\n    tool: Bash\n    match: {command: "ls*"}\n    action: allow\n`
const BROKEN = 'rules:\n  - name: no-rm\n    tool: Bash\n    action: block\n'

const rm = { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'rm -rf x' } }
const ls = { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls -l' } }

describe('policyFiles', () => {
  it('--policy: exactly those, resolved against cwd, in order', async (t) => {
    const dir = tempDir(t)
    const files = await policyFiles({
      explicit: ['b.yaml', '/abs/a.yaml', 'b.yaml'],
      cwd: dir,
      home: dir,
      env: {},
    })
    assert.deepEqual(files, [join(dir, 'b.yaml'), '/abs/a.yaml'])
  })

  it('else the project file (at the repository root) then the user file, those that exist', async (t) => {
    const root = tempDir(t)
    const home = join(root, 'home')
    const repo = join(root, 'repo')
    const sub = join(repo, 'src', 'deep')
    mkdirSync(join(repo, '.git'), { recursive: true })
    mkdirSync(sub, { recursive: true })
    mkdirSync(home)
    const env = { XDG_CONFIG_HOME: join(root, 'config') }
    assert.deepEqual(await policyFiles({ cwd: sub, home, env }), [])

    const project = join(repo, '.claude', 'observatory-policy.yaml')
    mkdirSync(join(repo, '.claude'))
    writeFileSync(project, DENY_RM)
    assert.deepEqual(await policyFiles({ cwd: sub, home, env }), [project])

    const user = join(root, 'config', 'hooks-observatory', 'policy.yaml')
    mkdirSync(join(root, 'config', 'hooks-observatory'), { recursive: true })
    writeFileSync(user, DENY_RM)
    assert.deepEqual(await policyFiles({ cwd: sub, home, env }), [project, user])
    assert.deepEqual(await policyFiles({ explicit: [], cwd: sub, home, env }), [project, user])
  })

  it('the user file: XDG_CONFIG_HOME when absolute, else ~/.config', () => {
    assert.equal(
      userPolicyPath({ XDG_CONFIG_HOME: '/cfg' }, '/home/me'),
      '/cfg/hooks-observatory/policy.yaml',
    )
    assert.equal(
      userPolicyPath({ XDG_CONFIG_HOME: 'relative' }, '/home/me'),
      '/home/me/.config/hooks-observatory/policy.yaml',
    )
    assert.equal(userPolicyPath({}, '/home/me'), '/home/me/.config/hooks-observatory/policy.yaml')
  })
})

describe('PolicyWatcher', () => {
  it('a broken file at start is a hard error', async (t) => {
    const dir = tempDir(t)
    const file = join(dir, 'p.yaml')
    writeFileSync(file, BROKEN)
    await assert.rejects(PolicyWatcher.start({ files: [file], log: () => {} }), (err) => {
      assert.ok(err instanceof PolicyError)
      assert.equal(
        err.message,
        `${file}:4:13: action must be one of allow, deny, ask, defer (PreToolUse), not "block"`,
      )
      return true
    })
    await assert.rejects(
      PolicyWatcher.start({ files: [join(dir, 'missing.yaml')], log: () => {} }),
      /missing\.yaml: no such file or directory \(ENOENT\)/,
    )
  })

  it('reloads on change; a broken edit keeps the last good policy; a fix clears it; a deletion empties it', async (t) => {
    const dir = tempDir(t)
    const file = join(dir, 'p.yaml')
    writeFileSync(file, DENY_RM)
    const lines: string[] = []
    const changes: (string | undefined)[] = []
    const watcher = await PolicyWatcher.start({
      files: [file],
      log: (line) => lines.push(line),
      onChange: (_policy, error) => changes.push(error),
      debounceMs: 50,
      pollMs: 200,
    })
    t.after(() => watcher.close())
    assert.equal(watcher.policy.rules, 1)
    assert.equal(watcher.policy.decide(rm)?.action, 'deny')
    assert.equal(watcher.policy.decide(ls), undefined)
    assert.equal(watcher.error, undefined)
    assert.deepEqual(lines, [])

    // change
    writeFileSync(file, TWO_RULES)
    await until(
      () => watcher.policy.rules === 2,
      () => `2 rules (log: ${lines.join(' | ')})`,
    )
    assert.equal(watcher.policy.decide(ls)?.action, 'allow')
    assert.deepEqual(lines, [`policy: reloaded 2 rules from ${file}`])

    // break: the last good policy stays, one line says so, error is set
    writeFileSync(file, BROKEN)
    await until(
      () => watcher.error !== undefined,
      () => `an error (log: ${lines.join(' | ')})`,
    )
    const problem = `${file}:4:13: action must be one of allow, deny, ask, defer (PreToolUse), not "block"`
    assert.equal(watcher.error, problem)
    assert.equal(watcher.policy.rules, 2)
    assert.equal(watcher.policy.decide(rm)?.action, 'deny')
    // the poll sees the same text again: still one line
    await new Promise((r) => setTimeout(r, 500))
    assert.deepEqual(lines.slice(1), [`policy: ${problem}; keeping the last good policy (2 rules)`])

    // fix (by rename, as editors save)
    writeFileSync(join(dir, 'p.yaml.tmp'), DENY_RM)
    renameSync(join(dir, 'p.yaml.tmp'), file)
    await until(
      () => watcher.error === undefined,
      () => `the error cleared (log: ${lines.join(' | ')})`,
    )
    assert.equal(watcher.policy.rules, 1)
    assert.equal(watcher.policy.decide(ls), undefined)
    assert.equal(lines[2], `policy: reloaded 1 rule from ${file}`)

    // delete: no rules from it, said once
    rmSync(file)
    await until(
      () => watcher.policy.rules === 0,
      () => `0 rules (log: ${lines.join(' | ')})`,
    )
    await new Promise((r) => setTimeout(r, 500))
    assert.equal(watcher.policy.decide(rm), undefined)
    assert.deepEqual(lines.slice(3), [
      `policy: ${file} was removed; its rules no longer apply (0 rules in all)`,
    ])

    // and back
    writeFileSync(file, TWO_RULES)
    await until(
      () => watcher.policy.rules === 2,
      () => `2 rules again (log: ${lines.join(' | ')})`,
    )
    assert.equal(lines[4], `policy: reloaded 2 rules from ${file}`)
    assert.deepEqual(changes, [undefined, problem, undefined, undefined, undefined])
  })

  it('two files: merged in order, a broken one keeps its own last good rules', async (t) => {
    const dir = tempDir(t)
    const project = join(dir, 'project.yaml')
    const user = join(dir, 'user.yaml')
    writeFileSync(project, 'rules:\n  - name: p-allow\n    tool: Bash\n    action: allow\n')
    writeFileSync(user, DENY_RM)
    const lines: string[] = []
    const watcher = await PolicyWatcher.start({
      files: [project, user],
      log: (line) => lines.push(line),
      debounceMs: 50,
      pollMs: 200,
    })
    t.after(() => watcher.close())
    assert.equal(watcher.policy.rules, 2)
    assert.deepEqual(watcher.policy.sources, [project, user])
    assert.equal(watcher.policy.decide(rm)?.rule, 'no-rm')
    assert.equal(watcher.policy.decide(ls)?.rule, 'p-allow')

    writeFileSync(user, BROKEN)
    await until(
      () => watcher.error !== undefined,
      () => `an error (log: ${lines.join(' | ')})`,
    )
    assert.equal(watcher.policy.decide(rm)?.rule, 'no-rm')
    writeFileSync(project, '')
    await until(
      () => watcher.policy.rules === 1,
      () => `1 rule (log: ${lines.join(' | ')})`,
    )
    assert.equal(lines.at(-1), `policy: reloaded 0 rules from ${project} (1 rule in all)`)
    assert.match(watcher.error ?? '', /user\.yaml:4:13: /)
  })

  it('a directory removed and made again: the stat poll finds the file', async (t) => {
    const root = tempDir(t)
    const dir = join(root, 'conf')
    mkdirSync(dir)
    const file = join(dir, 'p.yaml')
    writeFileSync(file, DENY_RM)
    const watcher = await PolicyWatcher.start({
      files: [file],
      log: () => {},
      debounceMs: 20,
      pollMs: 100,
    })
    t.after(() => watcher.close())
    rmSync(dir, { recursive: true })
    await until(
      () => watcher.policy.rules === 0,
      () => 'the removal',
    )
    mkdirSync(dir)
    writeFileSync(file, TWO_RULES)
    await until(
      () => watcher.policy.rules === 2,
      () => 'the file in the new directory',
    )
  })
})
