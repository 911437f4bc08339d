/**
 * The policy engine without I/O: rule matching, precedence across files, the errors of malformed files (each
 * naming its line and column), the issue's example verbatim, the bodies Claude Code receives, and properties
 * (decide never throws, and is deterministic).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  compileGlob,
  type Decision,
  decisionBody,
  Policy,
  PolicyError,
  regexParts,
} from '../../../src/observatory/policy/index.ts'

type Event = Record<string, unknown>

function pre(tool: string, input: Record<string, unknown> = {}, extra: Event = {}): Event {
  return { hook_event_name: 'PreToolUse', tool_name: tool, tool_input: input, ...extra }
}

function permission(tool: string, input: Record<string, unknown> = {}, extra: Event = {}): Event {
  return { hook_event_name: 'PermissionRequest', tool_name: tool, tool_input: input, ...extra }
}

/** A one-rule policy from the rule's YAML lines (indented under `- `). */
function one(lines: string): Policy {
  const body = lines
    .trim()
    .split('\n')
    .map((l, i) => (i === 0 ? `  - ${l.trim()}` : `    ${l.trim()}`))
    .join('\n')
  return Policy.parse(`rules:\n${body}\n`, 'p.yaml', { home: '/home/me' })
}

function parseError(text: string): PolicyError {
  try {
    Policy.parse(text, 'policy.yaml')
  } catch (err) {
    assert.ok(err instanceof PolicyError, `a PolicyError, got ${String(err)}`)
    assert.equal(err.message.includes('\n'), false, 'one line')
    assert.equal(err.exitCode, 1)
    return err
  }
  assert.fail(`no error for:\n${text}`)
}

// The issue's example, verbatim (the YAML has `\\s`: the regex is /(^|\s)rm\s/).
const ISSUE_EXAMPLE = `rules:
  - name: no-rm                 # shown in the audit trail and on the page
    event: PreToolUse           # or PermissionRequest; default PreToolUse
    tool: Bash                  # exact name, glob (mcp__github__*), or /regex/
    match:                      # optional: fields of tool_input, each a glob or a /regex/
      command: "/(^|\\\\s)rm\\\\s/"
    action: deny                # PreToolUse: allow | deny | ask | defer; PermissionRequest: allow | deny
    reason: destructive command
`

describe('the issue example, verbatim', () => {
  const policy = Policy.parse(ISSUE_EXAMPLE, 'policy.yaml')

  it('has one rule', () => {
    assert.equal(policy.rules, 1)
    assert.deepEqual(policy.sources, ['policy.yaml'])
  })

  it('denies rm as a word followed by a space, wherever it is in the command', () => {
    const denied: Decision = {
      event: 'PreToolUse',
      action: 'deny',
      rule: 'no-rm',
      reason: 'destructive command',
      source: 'policy.yaml',
    }
    // /(^|\s)rm\s/: "rm" at the start or after whitespace, then whitespace. So `git rm x` is denied too (the
    // regex does not know about subcommands), and so is `ls && rm x`.
    for (const command of ['rm -rf build', 'rm x', 'git rm x', 'ls && rm x', 'echo a;\trm\tb']) {
      assert.deepEqual(policy.decide(pre('Bash', { command })), denied, command)
    }
  })

  it('lets through what the regex does not match', () => {
    // no whitespace before rm (`;rm`, `/bin/rm`), no whitespace after (`rm` alone, `rmdir`), other words
    for (const command of [
      'rmdir build',
      'ls;rm x',
      '/bin/rm -rf x',
      'npm run build',
      'rm',
      'echo farm x',
    ]) {
      assert.equal(policy.decide(pre('Bash', { command })), undefined, command)
    }
  })

  it('applies to Bash PreToolUse only', () => {
    assert.equal(policy.decide(pre('Write', { command: 'rm -rf x' })), undefined)
    assert.equal(policy.decide(permission('Bash', { command: 'rm -rf x' })), undefined)
    assert.equal(
      policy.decide({
        hook_event_name: 'PostToolUse',
        tool_name: 'Bash',
        tool_input: { command: 'rm x' },
      }),
      undefined,
    )
  })

  it('reads the event name from _event (the log) as well as hook_event_name', () => {
    const logged = {
      _event: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: 'rm -rf build' },
    }
    assert.equal(policy.decide(logged)?.action, 'deny')
  })
})

describe('rule matching', () => {
  // [what, rule lines, event, matches?]
  const table: [string, string, Event, boolean][] = [
    // tool
    ['tool exact', 'name: r\ntool: Bash\naction: deny', pre('Bash'), true],
    ['tool exact is case-sensitive', 'name: r\ntool: bash\naction: deny', pre('Bash'), false],
    ['tool exact is the whole name', 'name: r\ntool: Bash\naction: deny', pre('BashOutput'), false],
    [
      'tool glob',
      'name: r\ntool: mcp__github__*\naction: deny',
      pre('mcp__github__create_issue'),
      true,
    ],
    [
      'tool glob, other server',
      'name: r\ntool: mcp__github__*\naction: deny',
      pre('mcp__gitlab__x'),
      false,
    ],
    ['tool glob ?', 'name: r\ntool: Edi?\naction: deny', pre('Edit'), true],
    ['tool glob ? is one character', 'name: r\ntool: Edi?\naction: deny', pre('Editor'), false],
    ['tool regex', 'name: r\ntool: /^(Edit|Write)$/\naction: deny', pre('Write'), true],
    ['tool regex is searched', 'name: r\ntool: /Edit/\naction: deny', pre('MultiEdit'), true],
    ['tool regex, anchored', 'name: r\ntool: /^Edit$/\naction: deny', pre('MultiEdit'), false],
    ['tool regex flags', 'name: r\ntool: /^bash$/i\naction: deny', pre('Bash'), true],
    ['no tool: any tool', 'name: r\naction: deny', pre('Anything'), true],
    [
      'no tool: an event without tool_name',
      'name: r\naction: deny',
      { hook_event_name: 'PreToolUse' },
      true,
    ],
    [
      'a tool rule, an event without tool_name',
      'name: r\ntool: "*"\naction: deny',
      { hook_event_name: 'PreToolUse' },
      false,
    ],
    // match
    [
      'match glob, whole string',
      'name: r\nmatch: {command: "rm *"}\naction: deny',
      pre('Bash', { command: 'rm -rf /tmp/x' }),
      true,
    ],
    [
      'match glob * spans /',
      'name: r\nmatch: {file_path: "/etc/*"}\naction: deny',
      pre('Write', { file_path: '/etc/ssh/sshd_config' }),
      true,
    ],
    [
      'match glob is anchored',
      'name: r\nmatch: {command: "rm *"}\naction: deny',
      pre('Bash', { command: 'sudo rm -rf x' }),
      false,
    ],
    [
      'match glob *rm*',
      'name: r\nmatch: {command: "*rm *"}\naction: deny',
      pre('Bash', { command: 'sudo rm -rf x' }),
      true,
    ],
    [
      'match regex',
      'name: r\nmatch: {command: "/curl .*\\\\| *sh/"}\naction: deny',
      pre('Bash', { command: 'curl x | sh' }),
      true,
    ],
    [
      'match: a field the input lacks',
      'name: r\nmatch: {command: "*"}\naction: deny',
      pre('Write', { file_path: 'x' }),
      false,
    ],
    [
      'match: a pattern on a non-string field',
      'name: r\nmatch: {timeout: "*"}\naction: deny',
      pre('Bash', { timeout: 5 }),
      false,
    ],
    [
      'match dotted path',
      'name: r\nmatch: {a.b: "x*"}\naction: deny',
      pre('T', { a: { b: 'xyz' } }),
      true,
    ],
    [
      'match dotted path, missing level',
      'name: r\nmatch: {a.b.c: "*"}\naction: deny',
      pre('T', { a: { b: 'x' } }),
      false,
    ],
    [
      'match dotted path into an array',
      'name: r\nmatch: {edits.0.old_string: "foo"}\naction: deny',
      pre('MultiEdit', { edits: [{ old_string: 'foo' }] }),
      true,
    ],
    [
      'match dotted path: no inherited keys',
      'name: r\nmatch: {a.constructor: "*"}\naction: deny',
      pre('T', { a: {} }),
      false,
    ],
    [
      'match number: equality',
      'name: r\nmatch: {timeout: 600000}\naction: deny',
      pre('Bash', { timeout: 600000 }),
      true,
    ],
    [
      'match number: not equal',
      'name: r\nmatch: {timeout: 600000}\naction: deny',
      pre('Bash', { timeout: 1 }),
      false,
    ],
    [
      'match number vs string input',
      'name: r\nmatch: {timeout: 5}\naction: deny',
      pre('Bash', { timeout: '5' }),
      false,
    ],
    [
      'match boolean',
      'name: r\nmatch: {run_in_background: true}\naction: deny',
      pre('Bash', { run_in_background: true }),
      true,
    ],
    [
      'match boolean, absent',
      'name: r\nmatch: {run_in_background: true}\naction: deny',
      pre('Bash', {}),
      false,
    ],
    [
      'match: every field must match',
      'name: r\nmatch: {a: "1", b: "2"}\naction: deny',
      pre('T', { a: '1', b: '3' }),
      false,
    ],
    [
      'match: tool_input not an object',
      'name: r\nmatch: {a: "*"}\naction: deny',
      { hook_event_name: 'PreToolUse', tool_name: 'T', tool_input: 'a' },
      false,
    ],
    // cwd and project
    [
      'cwd glob',
      'name: r\ncwd: /home/me/work/*\naction: deny',
      pre('Bash', {}, { cwd: '/home/me/work/a/b' }),
      true,
    ],
    [
      'cwd glob, outside',
      'name: r\ncwd: /home/me/work/*\naction: deny',
      pre('Bash', {}, { cwd: '/home/me/play' }),
      false,
    ],
    [
      'cwd ~/',
      'name: r\ncwd: ~/work/*\naction: deny',
      pre('Bash', {}, { cwd: '/home/me/work/x' }),
      true,
    ],
    [
      'cwd ~/…/ is a glob, not a regex',
      'name: r\ncwd: ~/j/\naction: deny',
      pre('Bash', {}, { cwd: '/home/me/j/' }),
      true,
    ],
    [
      'cwd regex',
      'name: r\ncwd: /\\/prod(\\/|$)/\naction: deny',
      pre('Bash', {}, { cwd: '/srv/prod/app' }),
      true,
    ],
    ['cwd: event without cwd', 'name: r\ncwd: "*"\naction: deny', pre('Bash'), false],
    [
      'project: last component',
      'name: r\nproject: infra-*\naction: deny',
      pre('Bash', {}, { cwd: '/src/infra-prod' }),
      true,
    ],
    [
      'project: trailing slash',
      'name: r\nproject: infra\naction: deny',
      pre('Bash', {}, { cwd: '/src/infra/' }),
      true,
    ],
    [
      'project: not a parent',
      'name: r\nproject: src\naction: deny',
      pre('Bash', {}, { cwd: '/src/infra' }),
      false,
    ],
    // permission_mode
    [
      'permission_mode string',
      'name: r\npermission_mode: bypassPermissions\naction: deny',
      pre('Bash', {}, { permission_mode: 'bypassPermissions' }),
      true,
    ],
    [
      'permission_mode list',
      'name: r\npermission_mode: [plan, default]\naction: deny',
      pre('Bash', {}, { permission_mode: 'default' }),
      true,
    ],
    [
      'permission_mode other',
      'name: r\npermission_mode: [plan]\naction: deny',
      pre('Bash', {}, { permission_mode: 'default' }),
      false,
    ],
    [
      'permission_mode absent',
      'name: r\npermission_mode: default\naction: deny',
      pre('Bash'),
      false,
    ],
    // agent_type
    [
      'agent_type main = no agent_type',
      'name: r\nagent_type: main\naction: deny',
      pre('Bash'),
      true,
    ],
    [
      'agent_type main, a subagent',
      'name: r\nagent_type: main\naction: deny',
      pre('Bash', {}, { agent_type: 'Explore' }),
      false,
    ],
    [
      'agent_type list',
      'name: r\nagent_type: [Explore, Plan]\naction: deny',
      pre('Bash', {}, { agent_type: 'Plan' }),
      true,
    ],
    ['agent_type, main event', 'name: r\nagent_type: Explore\naction: deny', pre('Bash'), false],
    // events
    ['event default is PreToolUse', 'name: r\naction: deny', permission('Bash'), false],
    [
      'event PermissionRequest',
      'name: r\nevent: PermissionRequest\naction: allow',
      permission('Bash'),
      true,
    ],
    [
      'event PermissionRequest, a PreToolUse',
      'name: r\nevent: PermissionRequest\naction: allow',
      pre('Bash'),
      false,
    ],
    ['not a decidable event', 'name: r\naction: deny', { hook_event_name: 'Stop' }, false],
    ['no event name at all', 'name: r\naction: deny', { tool_name: 'Bash' }, false],
  ]
  for (const [what, lines, event, expected] of table) {
    it(what, () => {
      const decision = one(lines).decide(event)
      assert.equal(decision !== undefined, expected, `${lines} on ${JSON.stringify(event)}`)
    })
  }

  it('every condition of a rule must hold', () => {
    const policy = one(
      'name: r\ntool: Bash\nmatch: {command: "git push*"}\nproject: api\npermission_mode: [default]\nagent_type: main\naction: ask',
    )
    const base = { cwd: '/x/api', permission_mode: 'default' }
    assert.equal(policy.decide(pre('Bash', { command: 'git push -f' }, base))?.action, 'ask')
    assert.equal(policy.decide(pre('Bash', { command: 'git pull' }, base)), undefined)
    assert.equal(
      policy.decide(pre('Bash', { command: 'git push' }, { ...base, cwd: '/x/web' })),
      undefined,
    )
    assert.equal(
      policy.decide(pre('Bash', { command: 'git push' }, { ...base, permission_mode: 'plan' })),
      undefined,
    )
    assert.equal(
      policy.decide(pre('Bash', { command: 'git push' }, { ...base, agent_type: 'x' })),
      undefined,
    )
  })

  it('a missing reason reads "policy rule NAME"', () => {
    assert.equal(one('name: quiet\naction: allow').decide(pre('Read'))?.reason, 'policy rule quiet')
  })
})

describe('regex or glob', () => {
  const cases: [string, [string, string] | undefined][] = [
    ['/rm\\s/', ['rm\\s', '']],
    ['/^bash$/i', ['^bash$', 'i']],
    ['/\\/prod(\\/|$)/', ['\\/prod(\\/|$)', '']],
    ['/[/]x/', ['[/]x', '']],
    ['/x/gi', ['x', 'gi']],
    ['//', ['', '']],
    // paths are globs
    ['/usr/bin/vim', undefined],
    ['/srv/app', undefined],
    ['/home/me/work/*', undefined],
    ['/etc/passwd', undefined],
    ['/x/ii', undefined],
    ['/', undefined],
    ['rm *', undefined],
    // the documented corner cases
    ['/srv/', ['srv', '']],
    ['/opt/vim', ['opt', 'vim']],
  ]
  for (const [text, expected] of cases) {
    it(`${text}: ${expected === undefined ? 'a glob' : 'a regex'}`, () => {
      assert.deepEqual(regexParts(text), expected)
    })
  }

  it('a path in match is a glob', () => {
    const policy = one('name: r\nmatch: {file_path: /etc/passwd}\naction: deny')
    assert.equal(policy.decide(pre('Read', { file_path: '/etc/passwd' }))?.action, 'deny')
    assert.equal(policy.decide(pre('Read', { file_path: '/etc/passwd.bak' })), undefined)
  })
})

describe('globs', () => {
  const cases: [string, string, boolean][] = [
    ['*', '', true],
    ['*', 'anything/at all', true],
    ['a*', 'a', true],
    ['*a', 'ba', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['ab*b', 'ab', false],
    ['ab*b', 'abb', true],
    ['a**b', 'a/x/b', true],
    ['?', 'é', true],
    ['?', '😀', true],
    ['a?c', 'a😀c', true],
    ['a?c', 'ac', false],
    ['*?*', '', false],
    ['*?*', 'x', true],
    ['x?*?y', 'x12y', true],
    ['x?*?y', 'x1y', false],
    ['[a]', '[a]', true],
    ['a.b', 'axb', false],
    ['rm *', 'rm -rf /', true],
  ]
  for (const [glob, value, expected] of cases) {
    it(`${JSON.stringify(glob)} vs ${JSON.stringify(value)}: ${expected}`, () => {
      assert.equal(compileGlob(glob)(value), expected)
    })
  }

  it('agrees with an equivalent anchored regex', () => {
    const toRegex = (glob: string) =>
      new RegExp(
        `^${Array.from(glob)
          .map((c) =>
            c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'),
          )
          .join('')}$`,
        'su',
      )
    const alphabet = fc.constantFrom('a', 'b', '/', '*', '?', '😀')
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 8 }).map((a) => a.join('')),
        fc
          .array(fc.constantFrom('a', 'b', '/', '😀', '*'), { maxLength: 12 })
          .map((a) => a.join('')),
        (glob, value) => compileGlob(glob)(value) === toRegex(glob).test(value),
      ),
      { numRuns: 2000 },
    )
  })

  it('does not backtrack on a long value', () => {
    const test = compileGlob('*a*a*a*a*a*b')
    const value = 'a'.repeat(50_000)
    const start = performance.now()
    assert.equal(test(value), false)
    assert.ok(performance.now() - start < 500, 'linear time')
  })
})

describe('precedence', () => {
  const project = Policy.parse(
    `rules:
  - name: project-allow-git
    tool: Bash
    match: {command: "git *"}
    action: allow
    reason: git is fine here
  - name: project-ask-push
    tool: Bash
    match: {command: "git push*"}
    action: ask
    reason: pushing needs a look
`,
    '.claude/observatory-policy.yaml',
  )
  const user = Policy.parse(
    `rules:
  - name: user-allow-all-bash
    tool: Bash
    action: allow
    reason: I trust Bash
  - name: user-no-force
    tool: Bash
    match: {command: "/--force|-f\\\\b/"}
    action: deny
    reason: no force pushes
  - name: user-defer-deploy
    tool: Bash
    match: {command: "*deploy*"}
    action: defer
    reason: deploys wait for CI
`,
    '~/.config/hooks-observatory/policy.yaml',
  )
  const merged = Policy.merge([project, user])

  it('merge keeps every rule and the sources in order', () => {
    assert.equal(merged.rules, 5)
    assert.deepEqual(merged.sources, [
      '.claude/observatory-policy.yaml',
      '~/.config/hooks-observatory/policy.yaml',
    ])
  })

  it('deny in one file wins over allow in another, whatever the order', () => {
    const event = pre('Bash', { command: 'git push --force' })
    for (const policy of [merged, Policy.merge([user, project])]) {
      const d = policy.decide(event)
      assert.equal(d?.action, 'deny')
      assert.equal(d?.rule, 'user-no-force')
      assert.equal(d?.source, '~/.config/hooks-observatory/policy.yaml')
    }
  })

  it('defer wins over ask and allow; ask wins over allow', () => {
    assert.equal(merged.decide(pre('Bash', { command: 'git push deploy' }))?.action, 'defer')
    assert.equal(
      merged.decide(pre('Bash', { command: 'git push origin' }))?.rule,
      'project-ask-push',
    )
  })

  it('within one action, the first rule in file order is reported', () => {
    const status = pre('Bash', { command: 'git status' })
    assert.equal(merged.decide(status)?.rule, 'project-allow-git')
    assert.equal(Policy.merge([user, project]).decide(status)?.rule, 'user-allow-all-bash')
  })

  it('no matching rule: no decision', () => {
    assert.equal(merged.decide(pre('Write', { file_path: '/x' })), undefined)
    assert.equal(Policy.merge([]).decide(pre('Bash')), undefined)
  })

  it('summaries list the rules in precedence order', () => {
    assert.deepEqual(
      merged.summaries().map((r) => `${r.action} ${r.name} :${r.line}`),
      [
        'deny user-no-force :6',
        'defer user-defer-deploy :11',
        'ask project-ask-push :7',
        'allow project-allow-git :2',
        'allow user-allow-all-bash :2',
      ],
    )
  })
})

describe('valid edge cases', () => {
  for (const [what, text] of [
    ['an empty file', ''],
    ['only comments', '# nothing yet\n'],
    ['rules: []', 'rules: []\n'],
    ['rules: with no value', 'rules:\n'],
    ['an empty document marker', '---\n'],
  ]) {
    it(`${what} is an empty policy`, () => {
      const policy = Policy.parse(text!, 'p.yaml')
      assert.equal(policy.rules, 0)
      assert.equal(policy.decide(pre('Bash', { command: 'rm -rf /' })), undefined)
    })
  }

  it('names may repeat across files (not within one)', () => {
    const a = Policy.parse('rules:\n  - name: x\n    action: deny\n', 'a.yaml')
    const b = Policy.parse('rules:\n  - name: x\n    action: allow\n', 'b.yaml')
    assert.equal(Policy.merge([a, b]).rules, 2)
  })

  it('YAML aliases resolve', () => {
    const policy = Policy.parse(
      'rules:\n  - name: a\n    tool: &t Bash\n    action: deny\n  - name: b\n    tool: *t\n    action: allow\n',
      'p.yaml',
    )
    assert.equal(policy.decide(pre('Bash'))?.rule, 'a')
  })
})

describe('malformed files: one line naming the line and column', () => {
  // [what, text, line, column, message pattern]
  const cases: [string, string, number, number, RegExp][] = [
    [
      'bad YAML (unclosed flow sequence)',
      'rules:\n  - name: a\n    tool: [Bash\n    action: deny\n',
      4,
      5,
      /^invalid YAML: /,
    ],
    [
      'bad YAML (unclosed quote)',
      'rules:\n  - name: "a\n',
      3,
      1,
      /^invalid YAML: Missing closing "quote/,
    ],
    [
      'bad YAML (duplicate key)',
      'rules:\n  - name: a\n    name: b\n    action: deny\n',
      3,
      5,
      /^invalid YAML: Map keys must be unique/,
    ],
    [
      'unknown key (a typo)',
      'rules:\n  - name: a\n    tol: Bash\n    action: deny\n',
      3,
      5,
      /^unknown key "tol" in rule "a"; did you mean "tool"\?/,
    ],
    ['unknown top-level key', 'rule:\n  - name: a\n', 1, 1, /^unknown top-level key "rule"/],
    [
      'bad action for PreToolUse',
      'rules:\n  - name: a\n    tool: Bash\n    action: block\n',
      4,
      13,
      /^action must be one of allow, deny, ask, defer \(PreToolUse\), not "block"$/,
    ],
    [
      'bad action for PermissionRequest',
      'rules:\n  - name: a\n    event: PermissionRequest\n    action: ask\n',
      4,
      13,
      /^action must be one of allow, deny \(PermissionRequest\), not "ask"$/,
    ],
    ['missing action', 'rules:\n  - name: a\n    tool: Bash\n', 2, 5, /^rule "a" has no action/],
    [
      'bad event',
      'rules:\n  - name: a\n    event: PostToolUse\n    action: deny\n',
      3,
      12,
      /^event must be PreToolUse or PermissionRequest, not "PostToolUse"$/,
    ],
    [
      'bad regex in tool',
      'rules:\n  - name: a\n    tool: "/(Bash/"\n    action: deny\n',
      3,
      11,
      /^tool: invalid regular expression \/\(Bash\/: Unterminated group$/,
    ],
    [
      'bad regex in match',
      'rules:\n  - name: a\n    match:\n      command: /[z-a]/\n    action: deny\n',
      4,
      16,
      /^match\.command: invalid regular expression/,
    ],
    [
      'regex with flag g',
      'rules:\n  - name: a\n    tool: /x/g\n    action: deny\n',
      3,
      11,
      /flags g and y are not allowed/,
    ],
    [
      'missing name',
      'rules:\n  - tool: Bash\n    action: deny\n',
      2,
      5,
      /^rule 1 has no name \(name is required\)$/,
    ],
    ['name without a value', 'rules:\n  - name:\n    action: deny\n', 2, 5, /^name needs a value$/],
    ['empty name', 'rules:\n  - name: ""\n    action: deny\n', 2, 11, /^name must not be empty$/],
    [
      'name not a string',
      'rules:\n  - name: [a]\n    action: deny\n',
      2,
      11,
      /^name must be a string, not a list$/,
    ],
    [
      'duplicate name',
      'rules:\n  - name: a\n    action: deny\n  - name: a\n    action: allow\n',
      4,
      11,
      /^duplicate rule name "a" \(first at line 2\)$/,
    ],
    [
      'rules not a list (a mapping)',
      'rules:\n  name: a\n  action: deny\n',
      2,
      3,
      /^rules must be a list of rules, not a mapping$/,
    ],
    [
      'rules not a list (a string)',
      'rules: deny everything\n',
      1,
      8,
      /^rules must be a list of rules, not the string "deny everything"$/,
    ],
    ['a rule not a mapping', 'rules:\n  - deny\n', 2, 5, /^rule 1 must be a mapping/],
    [
      'the file not a mapping',
      '- name: a\n',
      1,
      1,
      /^a policy file is a mapping with a "rules" list, not a list$/,
    ],
    [
      'match not a mapping',
      'rules:\n  - name: a\n    match: rm\n    action: deny\n',
      3,
      12,
      /^match must be a mapping/,
    ],
    [
      'match value a list',
      'rules:\n  - name: a\n    match: {command: [a]}\n    action: deny\n',
      3,
      22,
      /^match\.command must be a glob, a \/regex\/, a number or a boolean, not a list$/,
    ],
    [
      'match value empty',
      'rules:\n  - name: a\n    match:\n      command:\n    action: deny\n',
      4,
      7,
      /^match\.command needs a value/,
    ],
    [
      'permission_mode empty list',
      'rules:\n  - name: a\n    permission_mode: []\n    action: deny\n',
      3,
      22,
      /^permission_mode must not be an empty list$/,
    ],
    ['two documents', 'rules: []\n---\nrules: []\n', 2, 1, /one YAML document/],
  ]
  for (const [what, text, line, column, pattern] of cases) {
    it(what, () => {
      const err = parseError(text)
      assert.match(err.problem, pattern, err.message)
      assert.deepEqual([err.line, err.column], [line, column], err.message)
      assert.equal(err.message, `policy.yaml:${line}:${column}: ${err.problem}`)
    })
  }

  it("the brief's example error, exactly", () => {
    const err = parseError(
      'rules:\n  - name: no-rm\n    event: PreToolUse\n    tool: Bash\n    match:\n      command: x\n    action: block\n',
    )
    assert.equal(
      err.message,
      'policy.yaml:7:13: action must be one of allow, deny, ask, defer (PreToolUse), not "block"',
    )
  })
})

describe('decisionBody: what Claude Code receives', () => {
  const decision = (event: Decision['event'], action: Decision['action']): Decision => ({
    event,
    action,
    rule: 'r',
    reason: 'because "quoted"\nand two lines',
    source: 'p.yaml',
  })

  it('PreToolUse: hookSpecificOutput.permissionDecision and permissionDecisionReason', () => {
    for (const action of ['allow', 'deny', 'ask', 'defer'] as const) {
      const body = decisionBody(decision('PreToolUse', action), pre('Bash'))
      assert.deepEqual(JSON.parse(body), {
        hookSpecificOutput: {
          hookEventName: 'PreToolUse',
          permissionDecision: action,
          permissionDecisionReason: 'because "quoted"\nand two lines',
        },
      })
      assert.equal(body.includes('\n'), false, 'one line')
    }
  })

  it('PermissionRequest: decision.behavior, and message for deny', () => {
    assert.equal(
      decisionBody(decision('PermissionRequest', 'allow'), permission('Bash')),
      '{"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"allow"}}}',
    )
    assert.equal(
      decisionBody(decision('PermissionRequest', 'deny'), permission('Bash')),
      '{"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"deny","message":"because \\"quoted\\"\\nand two lines"}}}',
    )
  })

  it('an action the event cannot carry is no decision', () => {
    assert.equal(decisionBody(decision('PermissionRequest', 'ask'), permission('Bash')), '')
    assert.equal(decisionBody(decision('PreToolUse', 'defer'), permission('Bash')), '')
  })
})

describe('properties', () => {
  const pattern = fc.oneof(
    fc.constantFrom(
      'Bash',
      'Write',
      'mcp__*',
      '*',
      'B?sh',
      '/^(Edit|Write)$/',
      '/rm\\s/i',
      'rm *',
      '*.env',
    ),
    fc.string({ maxLength: 6 }).filter((s) => !s.startsWith('/')),
  )
  const ruleArb = fc.record(
    {
      event: fc.constantFrom('PreToolUse', 'PermissionRequest'),
      tool: pattern,
      field: fc.constantFrom('command', 'file_path', 'a.b', 'edits.0.x'),
      value: fc.oneof(pattern, fc.integer(), fc.boolean()),
      cwd: pattern,
      project: pattern,
      permission_mode: fc.constantFrom('default', 'plan', 'acceptEdits'),
      agent_type: fc.constantFrom('main', 'Explore'),
      reason: fc.string({ maxLength: 10 }),
      allowAsk: fc.boolean(),
    },
    { requiredKeys: ['event', 'reason', 'allowAsk'] },
  )
  const policyArb = fc.array(ruleArb, { maxLength: 12 }).map((rules) => {
    const yaml = rules
      .map((r, i) => {
        const actions =
          r.event === 'PreToolUse' ? ['deny', 'ask', 'allow', 'defer'] : ['deny', 'allow']
        const lines = [
          `  - name: rule-${i}`,
          `    event: ${r.event}`,
          `    action: ${actions[i % actions.length]}`,
          `    reason: ${JSON.stringify(r.reason)}`,
        ]
        if (r.tool !== undefined) lines.push(`    tool: ${JSON.stringify(r.tool)}`)
        if (r.field !== undefined && r.value !== undefined) {
          lines.push(`    match:`, `      ${r.field}: ${JSON.stringify(r.value)}`)
        }
        if (r.cwd !== undefined) lines.push(`    cwd: ${JSON.stringify(r.cwd)}`)
        if (r.project !== undefined) lines.push(`    project: ${JSON.stringify(r.project)}`)
        if (r.permission_mode !== undefined) lines.push(`    permission_mode: ${r.permission_mode}`)
        if (r.agent_type !== undefined) lines.push(`    agent_type: ${r.agent_type}`)
        return lines.join('\n')
      })
      .join('\n')
    return Policy.parse(`rules:\n${yaml}\n`, 'p.yaml')
  })
  const eventArb = fc.record(
    {
      hook_event_name: fc.constantFrom('PreToolUse', 'PermissionRequest', 'Stop', 42),
      tool_name: fc.oneof(
        fc.constantFrom('Bash', 'Write', 'mcp__x__y', 'Edit'),
        fc.string(),
        fc.integer(),
      ),
      tool_input: fc.oneof(
        fc.record({ command: fc.oneof(fc.string(), fc.constantFrom('rm -rf x', 'git status')) }),
        fc.record({ a: fc.oneof(fc.record({ b: fc.string() }), fc.string(), fc.constant(null)) }),
        fc.record({ edits: fc.array(fc.record({ x: fc.string() })) }),
        fc.jsonValue(),
      ),
      cwd: fc.oneof(fc.string(), fc.constantFrom('/a/b', '/'), fc.integer()),
      permission_mode: fc.oneof(fc.constantFrom('default', 'plan'), fc.anything()),
      agent_type: fc.oneof(fc.constantFrom('', 'Explore'), fc.anything()),
    },
    { requiredKeys: [] },
  )

  it('random rule sets never throw on random events, and decide is deterministic', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(eventArb, { minLength: 1, maxLength: 5 }),
        (policy, events) => {
          for (const event of events) {
            const first = policy.decide(event)
            const again = policy.decide(structuredClone(event))
            assert.deepEqual(again, first)
            if (first !== undefined) {
              assert.ok(first.event === 'PreToolUse' || first.event === 'PermissionRequest')
              assert.equal(first.event, event.hook_event_name)
            }
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('the answer does not depend on how the same rules are split into files', () => {
    fc.assert(
      fc.property(policyArb, policyArb, eventArb, (a, b, event) => {
        const ab = Policy.merge([a, b]).decide(event)
        const ba = Policy.merge([b, a]).decide(event)
        assert.equal(ab?.action, ba?.action)
      }),
      { numRuns: 200 },
    )
  })
})
