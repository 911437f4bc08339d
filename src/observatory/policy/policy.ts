/**
 * The policy engine: a YAML file of rules that turns a PreToolUse or a PermissionRequest into a decision, or into
 * none. The format is a public contract (docs/policy.md); this form works exactly as written:
 *
 * ```yaml
 * rules:
 *   - name: no-rm                 # required, unique within a file
 *     event: PreToolUse           # or PermissionRequest; default PreToolUse
 *     tool: Bash                  # exact name, glob (mcp__github__*), or /regex/; absent = any tool
 *     match:                      # optional: fields of tool_input (dotted paths), each a glob or /regex/
 *       command: "/(^|\\s)rm\\s/"
 *     action: deny                # PreToolUse: allow | deny | ask | defer; PermissionRequest: allow | deny
 *     reason: destructive command
 * ```
 *
 * plus the optional conditions `cwd` (glob or /regex/ on the payload's cwd; a glob's leading `~/` is the home),
 * `project` (glob or /regex/ on the last component of cwd), `permission_mode` and `agent_type` (a string or a
 * list; `main` is the main agent, i.e. an event without agent_type). Every condition a rule has must hold.
 *
 * Patterns. A string written as a JavaScript regex literal, `/body/flags` (`/rm\s/i`; as in a literal, no
 * unescaped `/` in the body, so `/usr/bin/*` is not one), is a regular expression, searched (not anchored: write
 * `^…$` to anchor it); the flags g and y are refused (they make a test stateful). Any other string is a glob matched against the whole value, case-sensitively: `*` is any run
 * of characters, `/` included (so `rm *` matches `rm -rf /tmp/x` and `/home/me/work/*` everything below work),
 * `?` is one character, and everything else is literal (there is no escape: for a literal * or ? use a /regex/).
 * A glob is matched without regular expressions, in time linear in practice, so a long command cannot make it
 * backtrack. In `match`, a pattern applies to string fields only; a number or a boolean in the rule compares by
 * equality (`run_in_background: true`); a field the input lacks never matches.
 *
 * Precedence (the answer when several rules match): deny, then defer, then ask, then allow, as Claude Code
 * itself folds the decisions of several PreToolUse hooks (hooks reference, https://code.claude.com/docs/en/hooks:
 * "deny > defer > ask > allow") and its own permission rules (deny > ask > allow). Among the matching rules of
 * that action, the first in file order is the one reported (its name and reason): the rules of one file in their
 * order, and across files the order given to {@link Policy.merge} (files.ts: the project file first, then the
 * user's). No matching rule: no decision (undefined), and Claude Code does what it would do without us.
 *
 * Errors. Parsing throws a {@link PolicyError}: one line, `source:line:column: what is wrong`. Unknown keys are
 * errors (a typo must not silently disable a rule), so are a bad action for the event, an invalid regex, a
 * missing or duplicate name. An empty file, or `rules: []`, is a valid empty policy.
 */
import { homedir } from 'node:os'
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLMap } from 'yaml'
import { UserError } from '../errors.ts'
import type { HookEvent } from '../sessions/index.ts'
import type { DecidableEvent, Decision, PolicyAction, PolicyLike } from './types.ts'

/** A policy file that cannot be used: `source:line:column: problem`, exit code 1 in the CLI. */
export class PolicyError extends UserError {
  override name = 'PolicyError'
  readonly source: string
  /** 1-based. */
  readonly line: number
  /** 1-based. */
  readonly column: number
  /** What is wrong, without the position. */
  readonly problem: string

  constructor(source: string, line: number, column: number, problem: string) {
    super(`${source}:${line}:${column}: ${problem}`, 'RUNTIME')
    this.source = source
    this.line = line
    this.column = column
    this.problem = problem
  }
}

/** The actions each event accepts, in the order the error messages list them. */
export const EVENT_ACTIONS: Readonly<Record<DecidableEvent, readonly PolicyAction[]>> = {
  PreToolUse: ['allow', 'deny', 'ask', 'defer'],
  PermissionRequest: ['allow', 'deny'],
}

/** Precedence of the actions: lower wins. */
const ACTION_RANK: Readonly<Record<PolicyAction, number>> = { deny: 0, defer: 1, ask: 2, allow: 3 }

/** The keys a rule may have. */
export const RULE_KEYS: readonly string[] = [
  'name',
  'event',
  'tool',
  'match',
  'action',
  'reason',
  'cwd',
  'project',
  'permission_mode',
  'agent_type',
]

/** The `agent_type` value that names the main agent (an event without agent_type). */
export const MAIN_AGENT = 'main'

// ---- patterns -------------------------------------------------------------------------------------------

/** A compiled glob or regex: does the whole string match (glob) / does the regex find a match (regex)? */
type StringTest = (value: string) => boolean

/**
 * `/body/flags` → [body, flags] when the text reads as a JavaScript regex literal, else undefined (a glob). As in
 * a literal, the body has no unescaped `/` outside a character class, and the flags are JavaScript's, each at
 * most once. So a path is a glob (`/usr/bin/vim`: an unescaped `/` in the would-be body; `/srv/app`: `a`, `p`
 * are not flags), except a path of two components whose last one is made of flag letters (`/opt/vim`).
 */
export function regexParts(text: string): [string, string] | undefined {
  if (text.length < 2 || text[0] !== '/') return undefined
  const close = text.lastIndexOf('/')
  if (close === 0) return undefined
  const flags = text.slice(close + 1)
  if (!/^[dgimsuvy]*$/.test(flags) || new Set(flags).size !== flags.length) return undefined
  const body = text.slice(1, close)
  let inClass = false
  for (let i = 0; i < body.length; i++) {
    const c = body[i]
    if (c === '\\') i++
    else if (c === '[') inClass = true
    else if (c === ']') inClass = false
    else if (c === '/' && !inClass) return undefined
  }
  return [body, flags]
}

/** One fixed-length piece of a glob between two `*`s; `?` positions are wildcards. */
interface Segment {
  /** The characters (code points when the glob has a `?`). */
  chars: string[]
  /** The literal text, when the segment has no `?` (string methods then do the work). */
  text: string | undefined
}

/**
 * A glob as a function. `*` any run (including `/`), `?` one character (one code point), all else literal; the
 * whole string must match. Matched by the classic greedy algorithm on the fixed pieces between stars (leftmost
 * occurrence of each middle piece), which is exact for `*`/`?` globs and never backtracks more than one piece.
 */
export function compileGlob(glob: string): StringTest {
  if (!glob.includes('*') && !glob.includes('?')) return (value) => value === glob
  const parts = glob.split(/\*+/)
  const segments: Segment[] = parts.map((part) => ({
    chars: Array.from(part),
    text: part.includes('?') ? undefined : part,
  }))
  const codePoints = glob.includes('?')
  if (segments.length === 1) {
    // no star: a fixed length, with ? wildcards
    const only = segments[0]!
    return (value) => {
      const chars = Array.from(value)
      return chars.length === only.chars.length && pieceAt(only, chars, 0)
    }
  }
  const first = segments[0]!
  const last = segments[segments.length - 1]!
  const middle = segments.slice(1, -1).filter((s) => s.chars.length > 0)
  if (!codePoints) {
    const head = first.text!
    const tail = last.text!
    const mids = middle.map((s) => s.text!)
    const minLength = head.length + tail.length
    return (value) => {
      if (value.length < minLength || !value.startsWith(head) || !value.endsWith(tail)) return false
      let at = head.length
      const end = value.length - tail.length
      for (const mid of mids) {
        const found = value.indexOf(mid, at)
        if (found === -1 || found + mid.length > end) return false
        at = found + mid.length
      }
      return true
    }
  }
  const minLength = first.chars.length + last.chars.length
  return (value) => {
    const chars = Array.from(value)
    if (chars.length < minLength) return false
    if (!pieceAt(first, chars, 0)) return false
    const end = chars.length - last.chars.length
    if (!pieceAt(last, chars, end)) return false
    let at = first.chars.length
    for (const mid of middle) {
      let found = -1
      for (let i = at; i + mid.chars.length <= end; i++) {
        if (pieceAt(mid, chars, i)) {
          found = i
          break
        }
      }
      if (found === -1) return false
      at = found + mid.chars.length
    }
    return true
  }
}

function pieceAt(segment: Segment, chars: string[], at: number): boolean {
  const piece = segment.chars
  for (let i = 0; i < piece.length; i++) {
    const c = piece[i]!
    if (c !== '?' && c !== chars[at + i]) return false
  }
  return true
}

/** A pattern's test, or the problem with it (for the error message). */
function compilePattern(
  text: string,
  globText: (glob: string) => string = (glob) => glob,
): StringTest | { problem: string } {
  const parts = regexParts(text)
  if (parts === undefined) return compileGlob(globText(text))
  const [body, flags] = parts
  if (/[gy]/.test(flags)) {
    return { problem: `regular expression ${text}: the flags g and y are not allowed` }
  }
  let re: RegExp
  try {
    re = new RegExp(body, flags)
  } catch (err) {
    // V8 says `Invalid regular expression: /(/: Unterminated group`: keep what comes after the pattern
    const message = oneLine(err instanceof Error ? err.message : String(err))
    const why = message.startsWith('Invalid regular expression: ')
      ? message.slice(message.lastIndexOf(': ') + 2)
      : message
    return { problem: `invalid regular expression ${text}: ${why}` }
  }
  return (value) => re.test(value)
}

// ---- rules ----------------------------------------------------------------------------------------------

/** A test on one field of tool_input. */
interface FieldTest {
  path: string[]
  test: (value: unknown) => boolean
}

/** A validated rule, ready to match. */
interface Rule {
  name: string
  event: DecidableEvent
  action: PolicyAction
  reason: string
  source: string
  /** 1-based line of the rule in its file. */
  line: number
  tool: StringTest | undefined
  fields: FieldTest[]
  cwd: StringTest | undefined
  project: StringTest | undefined
  modes: ReadonlySet<string> | undefined
  agents: ReadonlySet<string> | undefined
}

/** What the page and `policy check` can show of a rule. */
export interface RuleSummary {
  name: string
  event: DecidableEvent
  action: PolicyAction
  reason: string
  source: string
  line: number
}

function isDecidable(name: unknown): name is DecidableEvent {
  return name === 'PreToolUse' || name === 'PermissionRequest'
}

/** The hook event's name: `_event` (as the observatory writes it) or `hook_event_name` (as Claude Code sends it). */
export function eventNameOf(event: HookEvent): string | undefined {
  const name = event._event ?? event.hook_event_name
  return typeof name === 'string' ? name : undefined
}

/** The value at a dotted path (own keys only; numeric parts index arrays), or undefined. */
function valueAt(root: unknown, path: readonly string[]): unknown {
  let value = root
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined
    if (!Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/** The last component of a path (either separator; trailing separators ignored). */
function lastComponent(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '')
  const at = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'))
  return at === -1 ? trimmed : trimmed.slice(at + 1)
}

function ruleMatches(rule: Rule, event: HookEvent): boolean {
  if (rule.modes !== undefined) {
    const mode = event.permission_mode
    if (typeof mode !== 'string' || !rule.modes.has(mode)) return false
  }
  if (rule.agents !== undefined) {
    const agent = event.agent_type
    const who = typeof agent === 'string' && agent !== '' ? agent : MAIN_AGENT
    if (!rule.agents.has(who)) return false
  }
  if (rule.cwd !== undefined || rule.project !== undefined) {
    const cwd = event.cwd
    if (typeof cwd !== 'string') return false
    if (rule.cwd !== undefined && !rule.cwd(cwd)) return false
    if (rule.project !== undefined && !rule.project(lastComponent(cwd))) return false
  }
  if (rule.fields.length > 0) {
    const input = event.tool_input
    for (const field of rule.fields) {
      const value = valueAt(input, field.path)
      if (value === undefined || !field.test(value)) return false
    }
  }
  return true
}

// ---- parsing --------------------------------------------------------------------------------------------

function oneLine(text: string): string {
  return text.split('\n')[0]!.trim()
}

/** A user's value in an error message: JSON-quoted (so one line), cut short. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function kindOf(node: unknown): string {
  if (isMap(node)) return 'a mapping'
  if (isSeq(node)) return 'a list'
  if (isScalar(node)) {
    const v = node.value
    if (v === null) return 'empty'
    if (typeof v === 'string') return `the string ${shown(v)}`
    return `${typeof v} ${String(v)}`
  }
  return 'empty'
}

/** Edit distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]!
}

function suggestion(key: string, known: readonly string[]): string {
  let best: string | undefined
  let bestDistance = 3
  for (const candidate of known) {
    const d = distance(key.toLowerCase(), candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best === undefined ? '' : `; did you mean "${best}"?`
}

/** Parses one file; positions come from the YAML nodes. */
class Parser {
  readonly #source: string
  readonly #lines = new LineCounter()
  readonly #home: string
  readonly #doc: ReturnType<typeof parseDocument>

  constructor(text: string, source: string, home: string) {
    this.#source = source
    this.#home = home
    this.#doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false })
  }

  #error(offset: number, problem: string): PolicyError {
    const { line, col } = this.#lines.linePos(offset)
    return new PolicyError(this.#source, line, col, problem)
  }

  #at(node: unknown, problem: string): PolicyError {
    return this.#error(this.#offset(node), problem)
  }

  /** Where a node starts (0 for anything without a range). */
  #offset(node: unknown): number {
    if (typeof node !== 'object' || node === null || !('range' in node)) return 0
    const range = (node as { range?: [number, number, number] | null }).range
    return range?.[0] ?? 0
  }

  #resolve(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.#doc) : node
  }

  parse(): Rule[] {
    const doc = this.#doc
    const first = doc.errors[0]
    if (first !== undefined) {
      const message =
        first.code === 'MULTIPLE_DOCS'
          ? 'a policy file holds one YAML document (found a second "---")'
          : `invalid YAML: ${oneLine(first.message)}`
      throw this.#error(first.pos[0], message)
    }
    const root = this.#resolve(doc.contents)
    if (root === null || root === undefined || (isScalar(root) && root.value === null)) return []
    if (!isMap(root)) {
      throw this.#at(root, `a policy file is a mapping with a "rules" list, not ${kindOf(root)}`)
    }
    let rulesNode: unknown
    for (const pair of root.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined
      if (key !== 'rules') {
        throw this.#at(
          pair.key,
          `unknown top-level key ${shown(key ?? null)} (a policy file has only "rules")`,
        )
      }
      rulesNode = this.#resolve(pair.value)
    }
    if (rulesNode === undefined || rulesNode === null) return []
    if (isScalar(rulesNode) && rulesNode.value === null) return []
    if (!isSeq(rulesNode)) {
      throw this.#at(rulesNode, `rules must be a list of rules, not ${kindOf(rulesNode)}`)
    }
    const rules: Rule[] = []
    const names = new Map<string, number>()
    rulesNode.items.forEach((item, index) => {
      const node = this.#resolve(item)
      if (!isMap(node)) {
        throw this.#at(
          node ?? rulesNode,
          `rule ${index + 1} must be a mapping (name, tool, action...), not ${kindOf(node)}`,
        )
      }
      const rule = this.#rule(node as YAMLMap<unknown, unknown>, index + 1)
      const previous = names.get(rule.name)
      if (previous !== undefined) {
        const nameNode = (node as YAMLMap<unknown, unknown>).get('name', true)
        throw this.#at(
          nameNode,
          `duplicate rule name ${shown(rule.name)} (first at line ${previous})`,
        )
      }
      names.set(rule.name, this.#lineOf(node))
      rules.push(rule)
    })
    return rules
  }

  #lineOf(node: unknown): number {
    return this.#lines.linePos(this.#offset(node)).line
  }

  #rule(map: YAMLMap<unknown, unknown>, index: number): Rule {
    const values = new Map<string, { key: unknown; value: unknown }>()
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined
      if (typeof key !== 'string' || !RULE_KEYS.includes(key)) {
        const name = map.get('name')
        const which = typeof name === 'string' ? `rule ${shown(name)}` : `rule ${index}`
        const text = typeof key === 'string' ? key : String(key ?? '')
        throw this.#at(
          pair.key,
          `unknown key ${shown(key ?? null)} in ${which}${suggestion(text, RULE_KEYS)} (known: ${RULE_KEYS.join(', ')})`,
        )
      }
      values.set(key, { key: pair.key, value: this.#resolve(pair.value) })
    }
    const label = `rule ${index}`

    // name
    const nameEntry = values.get('name')
    if (nameEntry === undefined) throw this.#at(map, `${label} has no name (name is required)`)
    const name = this.#string(nameEntry.value, nameEntry.key, 'name')
    if (name.trim() === '') throw this.#at(nameEntry.value, 'name must not be empty')
    const where = `rule ${shown(name)}`

    // event
    let event: DecidableEvent = 'PreToolUse'
    const eventEntry = values.get('event')
    if (eventEntry !== undefined) {
      const text = this.#string(eventEntry.value, eventEntry.key, 'event')
      if (!isDecidable(text)) {
        throw this.#at(
          eventEntry.value,
          `event must be PreToolUse or PermissionRequest, not ${shown(text)}`,
        )
      }
      event = text
    }

    // action
    const actionEntry = values.get('action')
    if (actionEntry === undefined) {
      throw this.#at(
        map,
        `${where} has no action (one of ${EVENT_ACTIONS[event].join(', ')} for ${event})`,
      )
    }
    const actionText = this.#string(actionEntry.value, actionEntry.key, 'action')
    const allowed = EVENT_ACTIONS[event]
    if (!(allowed as readonly string[]).includes(actionText)) {
      throw this.#at(
        actionEntry.value,
        `action must be one of ${allowed.join(', ')} (${event}), not ${shown(actionText)}`,
      )
    }
    const action = actionText as PolicyAction

    // reason
    const reasonEntry = values.get('reason')
    const reason =
      reasonEntry === undefined
        ? `policy rule ${name}`
        : this.#string(reasonEntry.value, reasonEntry.key, 'reason')

    // tool
    const toolEntry = values.get('tool')
    const tool =
      toolEntry === undefined ? undefined : this.#pattern(toolEntry.value, toolEntry.key, 'tool')

    // match
    const fields: FieldTest[] = []
    const matchEntry = values.get('match')
    if (matchEntry !== undefined) {
      const node = matchEntry.value
      const empty = node === null || node === undefined || (isScalar(node) && node.value === null)
      if (!empty) {
        if (!isMap(node)) {
          throw this.#at(
            node,
            `match must be a mapping of tool_input fields to patterns, not ${kindOf(node)}`,
          )
        }
        for (const pair of node.items) {
          const key = isScalar(pair.key) ? pair.key.value : undefined
          if (typeof key !== 'string' || key === '' || key.split('.').some((p) => p === '')) {
            throw this.#at(
              pair.key,
              `match: ${shown(key ?? null)} is not a field name (a name, or a dotted path like a.b)`,
            )
          }
          fields.push({
            path: key.split('.'),
            test: this.#fieldTest(this.#resolve(pair.value), pair.key, `match.${key}`),
          })
        }
      }
    }

    // cwd, project
    const cwdEntry = values.get('cwd')
    const cwd =
      cwdEntry === undefined
        ? undefined
        : this.#pattern(cwdEntry.value, cwdEntry.key, 'cwd', (text) =>
            text === '~' ? this.#home : text.startsWith('~/') ? this.#home + text.slice(1) : text,
          )
    const projectEntry = values.get('project')
    const project =
      projectEntry === undefined
        ? undefined
        : this.#pattern(projectEntry.value, projectEntry.key, 'project')

    // permission_mode, agent_type
    const modesEntry = values.get('permission_mode')
    const modes =
      modesEntry === undefined
        ? undefined
        : this.#strings(modesEntry.value, modesEntry.key, 'permission_mode')
    const agentsEntry = values.get('agent_type')
    const agents =
      agentsEntry === undefined
        ? undefined
        : this.#strings(agentsEntry.value, agentsEntry.key, 'agent_type')

    return {
      name,
      event,
      action,
      reason,
      source: this.#source,
      line: this.#lineOf(map),
      tool,
      fields,
      cwd,
      project,
      modes,
      agents,
    }
  }

  /** The node as a string, or an error at it (or at its key when the value is missing). */
  #string(node: unknown, key: unknown, what: string): string {
    if (isScalar(node) && typeof node.value === 'string') return node.value
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) {
      throw this.#at(key ?? node, `${what} needs a value`)
    }
    throw this.#at(node, `${what} must be a string, not ${kindOf(node)}`)
  }

  #strings(node: unknown, key: unknown, what: string): ReadonlySet<string> {
    if (isSeq(node)) {
      if (node.items.length === 0) throw this.#at(node, `${what} must not be an empty list`)
      return new Set(node.items.map((item) => this.#string(this.#resolve(item), node, what)))
    }
    return new Set([this.#string(node, key, what)])
  }

  #pattern(
    node: unknown,
    key: unknown,
    what: string,
    globText?: (glob: string) => string,
  ): StringTest {
    const text = this.#string(node, key, what)
    const compiled = compilePattern(text, globText)
    if (typeof compiled !== 'function') throw this.#at(node, `${what}: ${compiled.problem}`)
    return compiled
  }

  #fieldTest(node: unknown, key: unknown, what: string): (value: unknown) => boolean {
    if (isScalar(node)) {
      const v = node.value
      if (typeof v === 'string') {
        const test = this.#pattern(node, key, what)
        return (value) => typeof value === 'string' && test(value)
      }
      if (typeof v === 'number' || typeof v === 'boolean') return (value) => value === v
    }
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) {
      throw this.#at(
        key ?? node,
        `${what} needs a value (a glob, a /regex/, a number or a boolean)`,
      )
    }
    throw this.#at(
      node,
      `${what} must be a glob, a /regex/, a number or a boolean, not ${kindOf(node)}`,
    )
  }
}

// ---- the policy -----------------------------------------------------------------------------------------

/** How many distinct (event, tool) candidate lists are cached before the cache starts over. */
const CANDIDATE_CACHE_LIMIT = 1024

/** A validated policy: its rules in precedence order, and {@link Policy.decide}. Immutable. */
export class Policy implements PolicyLike {
  /** The rules in file order (the order merge keeps). */
  readonly #ordered: readonly Rule[]
  /** PreToolUse rules in precedence order (action rank, then file order). */
  readonly #pre: readonly Rule[]
  readonly #permission: readonly Rule[]
  readonly #sources: readonly string[]
  /**
   * Rules whose `tool` matches a given tool name, per event: the tool test depends on the name alone, so each
   * name is tested against the rules once. Keyed `event\0tool` (`event\u0001` for an event without tool_name).
   */
  readonly #candidates = new Map<string, readonly Rule[]>()

  private constructor(rules: readonly Rule[], sources: readonly string[]) {
    this.#ordered = rules
    const byPrecedence = [...rules].sort((a, b) => ACTION_RANK[a.action] - ACTION_RANK[b.action])
    this.#pre = byPrecedence.filter((r) => r.event === 'PreToolUse')
    this.#permission = byPrecedence.filter((r) => r.event === 'PermissionRequest')
    this.#sources = Object.freeze([...new Set(sources)])
  }

  /**
   * Parses and validates a policy file's text. `source` names the file in errors and decisions. `home` is what
   * `~/` means in `cwd` (default: the user's home directory). Throws a {@link PolicyError}.
   */
  static parse(text: string, source: string, options: { home?: string } = {}): Policy {
    const rules = new Parser(text, source, options.home ?? homedir()).parse()
    return new Policy(rules, [source])
  }

  /** A policy without rules (and without sources). */
  static empty(): Policy {
    return new Policy([], [])
  }

  /** One policy with the rules of all, in this order (which decides the reported rule within an action). */
  static merge(policies: readonly Policy[]): Policy {
    return new Policy(
      policies.flatMap((p) => p.#ordered),
      policies.flatMap((p) => p.#sources),
    )
  }

  get rules(): number {
    return this.#ordered.length
  }

  get sources(): readonly string[] {
    return this.#sources
  }

  /** The rules in precedence order, PreToolUse first, for display. */
  summaries(): RuleSummary[] {
    return [...this.#pre, ...this.#permission].map((r) => ({
      name: r.name,
      event: r.event,
      action: r.action,
      reason: r.reason,
      source: r.source,
      line: r.line,
    }))
  }

  /** The decision for a PreToolUse or PermissionRequest payload, or undefined (no rule matches). Never throws. */
  decide(event: HookEvent): Decision | undefined {
    const name = eventNameOf(event)
    if (!isDecidable(name)) return undefined
    const all = name === 'PreToolUse' ? this.#pre : this.#permission
    if (all.length === 0) return undefined
    const tool = typeof event.tool_name === 'string' ? event.tool_name : undefined
    const key = tool === undefined ? `${name}\u0001` : `${name}\u0000${tool}`
    let candidates = this.#candidates.get(key)
    if (candidates === undefined) {
      candidates = all.filter((r) => r.tool === undefined || (tool !== undefined && r.tool(tool)))
      if (this.#candidates.size >= CANDIDATE_CACHE_LIMIT) this.#candidates.clear()
      this.#candidates.set(key, candidates)
    }
    for (const rule of candidates) {
      if (ruleMatches(rule, event)) {
        return {
          event: name,
          action: rule.action,
          rule: rule.name,
          reason: rule.reason,
          source: rule.source,
        }
      }
    }
    return undefined
  }
}

/**
 * The body to answer Claude Code with, for `decision` on `event` ('' for a decision the event cannot carry: then
 * the answer is "no decision"). The shapes, from the hooks reference (https://code.claude.com/docs/en/hooks,
 * "PreToolUse decision control" and "PermissionRequest decision control"):
 * - PreToolUse: `hookSpecificOutput.hookEventName` "PreToolUse", `permissionDecision` allow | deny | ask | defer,
 *   `permissionDecisionReason` (deny: shown to Claude; ask: shown to the user in the prompt; allow/defer: only in
 *   the debug log). We always send the rule's reason.
 * - PermissionRequest: `hookSpecificOutput.hookEventName` "PermissionRequest", `decision.behavior` allow | deny;
 *   for deny, `decision.message` tells Claude why (`interrupt`, `updatedInput`, `updatedPermissions` unused).
 * The event name is the event's own (Claude Code checks it against the event it asked about).
 */
export function decisionBody(decision: Decision, event: HookEvent): string {
  const named = eventNameOf(event)
  const name = isDecidable(named) ? named : decision.event
  if (!(EVENT_ACTIONS[name] as readonly string[]).includes(decision.action)) return ''
  if (name === 'PreToolUse') {
    return JSON.stringify({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: decision.action,
        permissionDecisionReason: decision.reason,
      },
    })
  }
  const verdict =
    decision.action === 'deny'
      ? { behavior: 'deny', message: decision.reason }
      : { behavior: 'allow' }
  return JSON.stringify({
    hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: verdict },
  })
}
