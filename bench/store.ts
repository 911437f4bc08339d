/**
 * # Store read-path benchmark
 *
 *   node --import tsx bench/store.ts [--quick] [--events N] [--runs N] [--cpu-prof] [--keep] [--db FILE]
 *
 * 1. Build: a store of 1,000,000 events (`--quick`: 100,000) in a temporary directory, written the way the
 *    server writes it: each event goes through the server's own path (the body parsed by `readPayload`, the
 *    metadata put in front by `enrichEvent`, the line encoded by `encodeJson`, then `Recorder.record`, which moves
 *    the session model on and hands the store the row, the session's summary and the changed tool calls), with
 *    10,000 events per group commit. The events: ~2,000 sessions over 7 days, 16 at a time, over ~40 projects;
 *    turns of prompts, tool calls over 31 tools (incl. `mcp__…` names), permission requests, subagents, session
 *    ends; commands, paths, prompts and tool output drawn from a vocabulary with a skewed (Zipf-like) frequency, so
 *    some words are in a large share of the events and most in few. One rare word (`quetzalcoatl`) is planted in
 *    exactly 30 events spread over the whole range. Seeded: the same store every time.
 * 2. Size: the file's bytes per event, and where they go (SQLite's `dbstat`: lines, indexes, full-text index).
 * 3. The store alone, in this process: open, the recorder's restore (what the server does at start), and the
 *    queries behind the API called directly, for the share of the API's time that is SQLite's.
 * 4. The server: `observatory serve --db FILE --port 0 --quiet` in a child process, with XDG_STATE_HOME in the
 *    temporary directory and OBSERVATORY_DB unset (the user's own store is never touched). Start-up is the time from
 *    spawn to the banner, 3 times on an empty store and 3 times on the big one; then each API request, one at a time
 *    on one keep-alive connection (node:http), from the request written to the whole body read: median, p99, max
 *    and the first (cold) call, with the response's size. Each answer is checked (the rare word finds its 30
 *    events, the newest page starts at the last id, the session list counts every session).
 *
 * Writes a Markdown report to stdout and to bench/results/store-latest.md. `--cpu-prof` runs the server under
 * `node --cpu-prof` and adds each request kind's top self-time functions. `--keep` keeps the temporary directory
 * (and says where); `--db FILE` reuses a store built by an earlier `--keep` run instead of building one.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { encodeJson } from '../src/observatory/encoding/index.ts'
import { type EventMeta, enrichEvent, readPayload } from '../src/observatory/server/event.ts'
import { Recorder } from '../src/observatory/server/recorder.ts'
import { Store } from '../src/observatory/store/index.ts'
import { topSelfTime } from './lib/profile.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'src/cli/main.ts')

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    events: { type: 'string' },
    runs: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    db: { type: 'string' },
  },
})
const QUICK = args.quick === true
const EVENTS = args.events !== undefined ? Number(args.events) : QUICK ? 100_000 : 1_000_000
if (!Number.isSafeInteger(EVENTS) || EVENTS < 10_000)
  throw new Error('--events must be at least 10000')
/** Requests per kind (the session list gets 2.5×). */
const RUNS = args.runs !== undefined ? Math.max(3, Number(args.runs)) : 20
const SESSIONS = Math.min(2_000, Math.floor(EVENTS / 50))
const ACTIVE = 16
const SPAN_MS = 7 * 86_400_000
const BATCH = 10_000
const RARE = 'quetzalcoatl'
const RARE_COUNT = 30
const COMMON = 'test'
const STALE_MS = 10 * 60 * 1000
/** No loop runs longer than this, whatever the server does. */
const KIND_BUDGET_MS = 60_000

const TARGET_SESSIONS_MS = 20
const TARGET_SEARCH_MS = 200

// ---- a seeded generator of realistic events ---------------------------------------------------------------

/** mulberry32: small, fast, good enough for test data. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const rand = prng(20261207)
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1))
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!
/** Skewed towards the start of the list: the first items are by far the most frequent (Zipf-like). */
const zipf = <T>(items: readonly T[], skew = 2.5): T =>
  items[Math.floor(items.length * rand() ** skew)]!
const chance = (p: number): boolean => rand() < p

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const randomId = (n: number): string => {
  let out = ''
  for (let i = 0; i < n; i++) out += B62[Math.floor(rand() * 62)]
  return out
}
const uuid = (): string => {
  const hex = (n: number) =>
    Array.from({ length: n }, () => '0123456789abcdef'[int(0, 15)]).join('')
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`
}

/** Everyday words of prompts and messages, most frequent first. */
const WORDS = (
  'the to and a of in for is it that this with on fix add test run make can please check update why error not ' +
  'use file code should when function build from new failing tests change type all api server now remove but ' +
  'handle return value refactor config support data user page missing instead see also request response logs ' +
  'issue bug crash timeout retry cache parse parser handler endpoint route client query index search list item ' +
  'login token session auth database migration schema table column field model view component button form style ' +
  'layout render state hook effect props import export module package dependency version upgrade docs readme ' +
  'lint format warning debug trace stack memory leak slow performance benchmark profile deploy docker ci ' +
  'pipeline workflow flaky coverage mock fixture snapshot assert expect describe async await promise stream ' +
  'buffer socket header body json yaml csv date time zone locale string number array object map set key ' +
  'length size limit offset cursor pagination sort filter group count total sum average rate queue worker job ' +
  'scheduler cron event emitter listener callback middleware plugin adapter provider service controller ' +
  'repository entity dto validation schema permission role admin guard policy secret env variable flag ' +
  'feature toggle release tag branch merge rebase commit diff patch review comment approve reject'
).split(' ')

/** Made-up identifier parts: a long tail of names (files, functions, branches). */
const SYLLABLES =
  'ka lo mi ne ru ta vo zi pe sa do ri mu fe go ha ji ku la mo na pi qu re si tu vi wo xe yo za'.split(
    ' ',
  )
const NAMES: string[] = []
{
  const seen = new Set<string>()
  const r = prng(7)
  while (NAMES.length < 3_000) {
    const n = 2 + Math.floor(r() * 3)
    let name = ''
    for (let i = 0; i < n; i++) name += SYLLABLES[Math.floor(r() * SYLLABLES.length)]
    if (!seen.has(name)) {
      seen.add(name)
      NAMES.push(name)
    }
  }
}
const camel = (): string => {
  const a = zipf(NAMES, 2)
  const b = zipf(WORDS, 1.5)
  return `${a}${b.charAt(0).toUpperCase()}${b.slice(1)}`
}

const PROJECTS = Array.from({ length: 40 }, (_, i) =>
  i < 12
    ? [
        'api-gateway',
        'billing-service',
        'web-dashboard',
        'mobile-app',
        'data-pipeline',
        'auth-service',
        'infra',
        'docs-site',
        'search-indexer',
        'notification-worker',
        'cli-tools',
        'ml-training',
      ][i]!
    : `${NAMES[i * 7]}-${pick(['service', 'app', 'lib', 'worker', 'sdk'])}`,
)
const DIRS = [
  'src',
  'src/api',
  'src/lib',
  'src/components',
  'src/server',
  'src/utils',
  'src/models',
  'test',
  'test/unit',
  'scripts',
  'docs',
  'config',
  'packages/core/src',
  'packages/ui/src',
  'internal',
  'cmd',
]
const EXTS = ['ts', 'ts', 'ts', 'tsx', 'js', 'py', 'go', 'rs', 'md', 'json', 'yaml']
const path = (): string => {
  const dir = zipf(DIRS, 1.5)
  const ext = zipf(EXTS, 1.2)
  const name = zipf(NAMES, 2)
  return dir.startsWith('test') ? `${dir}/${name}.test.${ext}` : `${dir}/${name}.${ext}`
}
const sentence = (min: number, max: number): string => {
  const n = int(min, max)
  const words: string[] = []
  for (let i = 0; i < n; i++)
    words.push(chance(0.15) ? camel() : chance(0.1) ? path() : zipf(WORDS))
  return words.join(' ')
}
const lines = (count: number, width: number): string =>
  Array.from({ length: count }, () => sentence(2, width)).join('\n')

/** 31 tools, most used first. */
const TOOLS = [
  'Bash',
  'Read',
  'Edit',
  'Grep',
  'Glob',
  'Write',
  'TodoWrite',
  'Task',
  'WebFetch',
  'MultiEdit',
  'WebSearch',
  'mcp__github__get_file_contents',
  'BashOutput',
  'mcp__github__create_pull_request',
  'mcp__playwright__browser_navigate',
  'mcp__github__create_issue',
  'mcp__playwright__browser_snapshot',
  'NotebookEdit',
  'mcp__postgres__query',
  'mcp__github__search_code',
  'mcp__playwright__browser_click',
  'mcp__linear__create_issue',
  'mcp__sentry__get_issue',
  'mcp__slack__post_message',
  'mcp__context7__get_library_docs',
  'mcp__filesystem__read_file',
  'mcp__github__list_issues',
  'KillShell',
  'ExitPlanMode',
  'SlashCommand',
  'LS',
]

const COMMANDS: (() => string)[] = [
  () => `npm test -- --run ${path()}`,
  () => `git status --short && git diff --stat`,
  () => `git diff ${path()}`,
  () => `rg -n "${camel()}" ${zipf(DIRS)}`,
  () => `ls -la ${zipf(DIRS)}`,
  () => `npx tsc -p tsconfig.json --noEmit`,
  () => `node scripts/${zipf(NAMES)}.mjs --${zipf(WORDS)}`,
  () => `pytest tests/test_${zipf(NAMES)}.py -k ${zipf(WORDS)} -x`,
  () => `go test ./internal/${zipf(NAMES)}/... -run Test${camel()}`,
  () => `cargo build -p ${zipf(NAMES)} --release`,
  () => `git log --oneline -n 20 -- ${path()}`,
  () => `docker compose up -d ${zipf(NAMES)}`,
  () => `curl -s http://localhost:${int(3000, 9000)}/${zipf(WORDS)} | jq .`,
  () => `git commit -am "${sentence(3, 8)}"`,
  () => `npm run lint -- --fix ${path()}`,
]

function toolInput(tool: string, cwd: string): Record<string, unknown> {
  switch (tool) {
    case 'Bash':
      return {
        command: zipf(COMMANDS, 1.5)(),
        description: sentence(3, 8),
        ...(chance(0.3) ? { timeout: 120000 } : {}),
      }
    case 'Read':
      return {
        file_path: `${cwd}/${path()}`,
        ...(chance(0.2) ? { offset: int(1, 400), limit: 200 } : {}),
      }
    case 'Edit':
      return {
        file_path: `${cwd}/${path()}`,
        old_string: lines(int(1, 4), 10),
        new_string: lines(int(1, 5), 10),
      }
    case 'MultiEdit':
      return {
        file_path: `${cwd}/${path()}`,
        edits: Array.from({ length: int(2, 4) }, () => ({
          old_string: sentence(3, 10),
          new_string: sentence(3, 10),
        })),
      }
    case 'Write':
      return { file_path: `${cwd}/${path()}`, content: lines(int(5, 30), 12) }
    case 'Grep':
      return {
        pattern: camel(),
        path: zipf(DIRS),
        output_mode: pick(['content', 'files_with_matches', 'count']),
      }
    case 'Glob':
      return { pattern: `${zipf(DIRS)}/**/*.${zipf(EXTS)}` }
    case 'TodoWrite':
      return {
        todos: Array.from({ length: int(2, 6) }, () => ({
          content: sentence(3, 9),
          status: pick(['pending', 'in_progress', 'completed']),
          activeForm: sentence(2, 6),
        })),
      }
    case 'Task':
      return {
        description: sentence(2, 5),
        prompt: sentence(15, 60),
        subagent_type: pick(['general-purpose', 'Explore', 'Plan', 'code-reviewer']),
      }
    case 'WebFetch':
      return {
        url: `https://docs.${zipf(NAMES)}.dev/${zipf(WORDS)}/${zipf(WORDS)}`,
        prompt: sentence(5, 15),
      }
    case 'WebSearch':
      return { query: sentence(3, 8) }
    case 'mcp__github__create_issue':
    case 'mcp__linear__create_issue':
      return {
        owner: 'acme',
        repo: pick(PROJECTS),
        title: sentence(4, 10),
        body: lines(int(2, 8), 14),
      }
    case 'mcp__github__create_pull_request':
      return {
        owner: 'acme',
        repo: pick(PROJECTS),
        title: sentence(4, 10),
        head: `${zipf(WORDS)}/${zipf(NAMES)}`,
        base: 'main',
        body: lines(int(3, 10), 14),
      }
    case 'mcp__postgres__query':
      return {
        sql: `SELECT * FROM ${zipf(WORDS)} WHERE ${zipf(WORDS)}_id = ${int(1, 99999)} LIMIT 50`,
      }
    case 'mcp__slack__post_message':
      return { channel_id: `C0${randomId(8)}`, text: sentence(5, 25) }
    default:
      return tool.startsWith('mcp__')
        ? { query: sentence(2, 8), ...(chance(0.5) ? { path: path() } : {}) }
        : { input: sentence(1, 6) }
  }
}

function toolResponse(tool: string, input: Record<string, unknown>, failed: boolean): unknown {
  switch (tool) {
    case 'Bash':
      return {
        stdout: failed ? '' : lines(int(1, 25), 10),
        stderr: failed ? lines(int(1, 6), 10) : '',
        interrupted: false,
        isImage: false,
      }
    case 'Read': {
      const content = lines(int(3, 60), 12)
      return {
        type: 'text',
        file: {
          filePath: input.file_path,
          content,
          numLines: content.split('\n').length,
          startLine: 1,
        },
      }
    }
    case 'Grep':
      return {
        mode: input.output_mode,
        numFiles: int(0, 20),
        filenames: Array.from({ length: int(0, 6) }, path),
      }
    case 'Glob':
      return {
        filenames: Array.from({ length: int(0, 15) }, path),
        durationMs: int(2, 80),
        truncated: false,
      }
    case 'Edit':
    case 'Write':
    case 'MultiEdit':
      return { filePath: input.file_path, success: true }
    default:
      return tool.startsWith('mcp__')
        ? [{ type: 'text', text: lines(int(1, 12), 12) }]
        : { result: sentence(3, 20) }
  }
}

interface Payload {
  event: string
  body: Record<string, unknown>
  /** The key whose text a planted rare word is appended to. */
  text?: string
}

interface SimSession {
  id: string
  cwd: string
  transcript: string
  pid: number
  unix: boolean
  /** Events still to send before it ends. */
  remaining: number
  queue: Payload[]
  inTurn: boolean
  promptId: string
  mode: string
}

/** Sessions in parallel, each a small state machine: prompts, tool calls, subagents, permission waits, ends. */
class EventSource {
  readonly #active: SimSession[] = []
  readonly #meanLength: number
  sessions = 0
  #plantEvery: number
  #plantDue: number
  #planted = 0

  constructor(events: number, sessions: number) {
    this.#meanLength = events / sessions
    this.#plantEvery = Math.floor(events / RARE_COUNT)
    this.#plantDue = Math.floor(this.#plantEvery / 2)
    for (let i = 0; i < ACTIVE; i++) this.#active.push(this.#newSession())
  }

  get planted(): number {
    return this.#planted
  }

  #newSession(): SimSession {
    this.sessions++
    const id = uuid()
    const project = zipf(PROJECTS, 1.5)
    const cwd = `/home/dev/${project}`
    const s: SimSession = {
      id,
      cwd,
      transcript: `/home/dev/.claude/projects/-home-dev-${project}/${id}.jsonl`,
      pid: int(2_000, 4_000_000),
      unix: chance(0.8),
      remaining: Math.max(6, Math.round(this.#meanLength * (0.2 + 1.6 * rand()))),
      queue: [],
      inTurn: false,
      promptId: '',
      mode: chance(0.7) ? 'default' : pick(['acceptEdits', 'plan', 'bypassPermissions']),
    }
    s.queue.push({
      event: 'SessionStart',
      body: {
        source: chance(0.8) ? 'startup' : pick(['resume', 'clear', 'compact']),
        model: pick(['claude-opus-4-5', 'claude-sonnet-4-5']),
      },
    })
    return s
  }

  #base(
    s: SimSession,
    event: string,
    agent?: { id: string; type: string },
  ): Record<string, unknown> {
    const body: Record<string, unknown> = {
      session_id: s.id,
      transcript_path: s.transcript,
      cwd: s.cwd,
      permission_mode: s.mode,
      hook_event_name: event,
    }
    if (s.inTurn) body.prompt_id = s.promptId
    if (agent !== undefined) {
      body.agent_id = agent.id
      body.agent_type = agent.type
    }
    return body
  }

  #call(s: SimSession, tool: string, agent?: { id: string; type: string }): Payload[] {
    const input = toolInput(tool, s.cwd)
    const id = `toolu_01${randomId(22)}`
    const pre: Payload = {
      event: 'PreToolUse',
      body: {
        ...this.#base(s, 'PreToolUse', agent),
        tool_name: tool,
        tool_input: input,
        tool_use_id: id,
      },
    }
    const out: Payload[] = [pre]
    if (chance(0.04)) {
      out.push({
        event: 'PermissionRequest',
        body: { ...this.#base(s, 'PermissionRequest', agent), tool_name: tool, tool_input: input },
      })
      out.push({
        event: 'Notification',
        body: {
          ...this.#base(s, 'Notification'),
          message: `Claude needs your permission to use ${tool}`,
          notification_type: 'permission_prompt',
        },
        text: 'message',
      })
      if (chance(0.15)) {
        out.push({
          event: 'PermissionDenied',
          body: {
            ...this.#base(s, 'PermissionDenied', agent),
            tool_name: tool,
            tool_input: input,
            tool_use_id: id,
          },
        })
        return out
      }
    }
    const failed = chance(0.06)
    const post: Record<string, unknown> = {
      ...this.#base(s, failed ? 'PostToolUseFailure' : 'PostToolUse', agent),
      tool_name: tool,
      tool_input: input,
      tool_use_id: id,
    }
    if (failed)
      post.error = `${pick(['Command failed with exit code 1', 'File has not been read yet', 'Timeout after 120000ms', 'ENOENT: no such file or directory'])}: ${sentence(3, 10)}`
    else post.tool_response = toolResponse(tool, input, failed)
    if (chance(0.5)) post.duration_ms = int(3, tool === 'Bash' ? 60_000 : 3_000)
    out.push({ event: failed ? 'PostToolUseFailure' : 'PostToolUse', body: post })
    return out
  }

  /** Queue what the session does next. */
  #plan(s: SimSession): void {
    if (s.remaining <= 0 && !s.inTurn) {
      if (chance(0.9)) {
        s.queue.push({
          event: 'SessionEnd',
          body: {
            ...this.#base(s, 'SessionEnd'),
            reason: pick(['prompt_input_exit', 'clear', 'logout', 'other']),
          },
        })
      }
      return
    }
    if (!s.inTurn) {
      s.inTurn = true
      s.promptId = uuid()
      s.queue.push({
        event: 'UserPromptSubmit',
        body: { ...this.#base(s, 'UserPromptSubmit'), prompt: sentence(4, 40) },
        text: 'prompt',
      })
      return
    }
    const r = rand()
    if (r < 0.78) {
      const tool = zipf(TOOLS, 2.2)
      if (tool === 'Task') {
        const agent = {
          id: randomId(17).toLowerCase(),
          type: pick(['general-purpose', 'Explore', 'Plan']),
        }
        const [pre, ...rest] = this.#call(s, 'Task')
        s.queue.push(pre!, {
          event: 'SubagentStart',
          body: { ...this.#base(s, 'SubagentStart', agent) },
        })
        const n = int(2, 8)
        for (let i = 0; i < n; i++)
          s.queue.push(...this.#call(s, zipf(TOOLS.slice(0, 7), 1.5), agent))
        s.queue.push({
          event: 'SubagentStop',
          body: {
            ...this.#base(s, 'SubagentStop', agent),
            stop_hook_active: false,
            agent_transcript_path: `${s.transcript.slice(0, -6)}/subagents/agent-${agent.id}.jsonl`,
          },
        })
        s.queue.push(...rest)
      } else {
        s.queue.push(...this.#call(s, tool))
      }
    } else if (r < 0.985) {
      s.queue.push({
        event: 'Stop',
        body: {
          ...this.#base(s, 'Stop'),
          stop_hook_active: false,
          last_assistant_message: sentence(5, 40),
        },
        text: 'last_assistant_message',
      })
      s.inTurn = false
      if (chance(0.3)) {
        s.queue.push({
          event: 'Notification',
          body: {
            ...this.#base(s, 'Notification'),
            message: 'Claude is waiting for your input',
            notification_type: 'idle_prompt',
          },
          text: 'message',
        })
      }
    } else {
      s.queue.push(
        {
          event: 'PreCompact',
          body: { ...this.#base(s, 'PreCompact'), trigger: 'auto', custom_instructions: '' },
        },
        { event: 'PostCompact', body: { ...this.#base(s, 'PostCompact'), trigger: 'auto' } },
      )
    }
  }

  /** The next event of a session picked at random; sessions that ended are replaced by new ones. */
  next(index: number): { payload: Payload; session: SimSession } {
    for (;;) {
      const slot = Math.floor(rand() * this.#active.length)
      const s = this.#active[slot]!
      if (s.queue.length === 0) this.#plan(s)
      const payload = s.queue.shift()
      // Ended (or left without a SessionEnd, as a killed terminal leaves it): a new session takes the slot.
      if (payload === undefined || payload.event === 'SessionEnd')
        this.#active[slot] = this.#newSession()
      if (payload === undefined) continue
      s.remaining--
      if (index >= this.#plantDue && payload.text !== undefined && this.#planted < RARE_COUNT) {
        const key = payload.text
        payload.body[key] = `${String(payload.body[key])} ${RARE}`
        this.#planted++
        this.#plantDue += this.#plantEvery
      } else if (
        index >= this.#plantDue &&
        this.#planted < RARE_COUNT &&
        payload.event === 'PreToolUse'
      ) {
        const input = payload.body.tool_input as Record<string, unknown>
        const key = Object.keys(input).find((k) => typeof input[k] === 'string')
        if (key !== undefined) {
          // A copy: the same input object is in the call's PostToolUse, which must not get the word too.
          payload.body.tool_input = { ...input, [key]: `${String(input[key])} ${RARE}` }
          this.#planted++
          this.#plantDue += this.#plantEvery
        }
      }
      return { payload, session: s }
    }
  }
}

// ---- build ------------------------------------------------------------------------------------------------

interface Built {
  events: number
  sessions: number
  writeSeconds: number
  closeSeconds: number
  planted: number
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

async function build(file: string, events: number): Promise<Built> {
  const store = Store.open({
    path: file,
    retainMs: 0,
    log: (m) => process.stderr.write(`  store: ${m}\n`),
  })
  const recorder = new Recorder({ store, staleAfterMs: STALE_MS })
  const source = new EventSource(events, SESSIONS)
  const start = Date.now() - SPAN_MS - 60_000
  const step = SPAN_MS / events
  const encoder = new TextEncoder()
  const t0 = performance.now()
  let lastReport = t0
  for (let i = 0; i < events; ) {
    const end = Math.min(events, i + BATCH)
    for (; i < end; i++) {
      const { payload, session } = source.next(i)
      const ts = new Date(Math.floor(start + i * step + rand() * step))
      const meta: EventMeta = session.unix
        ? { ts, event: payload.event, peer: { pid: session.pid, uid: 1000, gid: 1000 } }
        : { ts, event: payload.event, client: '127.0.0.1' }
      const read = readPayload(encoder.encode(JSON.stringify(payload.body)))
      const enriched = enrichEvent(meta, read.payload, read.text)
      recorder.record(enriched, `${encodeJson(enriched)}\n`, ts, payload.event)
    }
    await store.flush()
    await nextTurn()
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now()
      process.stderr.write(
        `  ${i.toLocaleString('en-US')} events, ${((lastReport - t0) / 1000).toFixed(0)} s\n`,
      )
    }
  }
  const t1 = performance.now()
  // Closing catches the full-text index up (the background step indexes 2,000 rows a turn and lags a bulk load).
  await store.close()
  const t2 = performance.now()
  return {
    events,
    sessions: source.sessions,
    writeSeconds: (t1 - t0) / 1000,
    closeSeconds: (t2 - t1) / 1000,
    planted: source.planted,
  }
}

// ---- size -------------------------------------------------------------------------------------------------

interface Size {
  file: number
  wal: number
  events: number
  sessions: number
  toolCalls: number
  avgLine: number
  parts: { name: string; bytes: number }[]
  commonMatches: number
  rareMatches: number
  medianSession: { id: string; events: number }
  lastId: number
}

function fileSize(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

function measureSize(file: string): Size {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const one = <T>(sql: string, ...params: unknown[]): T =>
      db
        .prepare(sql)
        .pluck()
        .get(...params) as T
    const parts = db
      .prepare(
        `SELECT CASE WHEN name LIKE 'events_fts%' THEN 'full-text index (events_fts*)'
                     WHEN name LIKE 'sqlite_autoindex_%' THEN 'primary keys of sessions, tool_calls, meta'
                     ELSE name END AS name, sum(pgsize) AS bytes
         FROM dbstat GROUP BY 1 ORDER BY bytes DESC`,
      )
      .all() as { name: string; bytes: number }[]
    const counts = db
      .prepare(
        'SELECT session_id AS id, count(*) AS events FROM events WHERE session_id IS NOT NULL GROUP BY session_id ORDER BY events',
      )
      .all() as { id: string; events: number }[]
    return {
      file: fileSize(file),
      wal: fileSize(`${file}-wal`),
      events: one<number>('SELECT count(*) FROM events'),
      sessions: one<number>('SELECT count(*) FROM sessions'),
      toolCalls: one<number>('SELECT count(*) FROM tool_calls'),
      avgLine: one<number>('SELECT avg(length(line)) FROM events'),
      parts,
      commonMatches: one<number>(
        'SELECT count(*) FROM events_fts WHERE events_fts MATCH ?',
        `"${COMMON}"`,
      ),
      rareMatches: one<number>(
        'SELECT count(*) FROM events_fts WHERE events_fts MATCH ?',
        `"${RARE}"`,
      ),
      medianSession: counts[Math.floor(counts.length / 2)] ?? { id: '', events: 0 },
      lastId: one<number>('SELECT max(id) FROM events'),
    }
  } finally {
    db.close()
  }
}

// ---- statistics -------------------------------------------------------------------------------------------

interface Timing {
  first: number
  median: number
  p99: number
  max: number
  n: number
}

function timing(samples: number[]): Timing {
  const first = samples[0] ?? Number.NaN
  // The first call is reported on its own (statements prepared, pages read); the figures are over the rest.
  const rest = (samples.length > 1 ? samples.slice(1) : samples).sort((a, b) => a - b)
  const at = (p: number) =>
    rest[Math.min(rest.length - 1, Math.max(0, Math.ceil(p * rest.length) - 1))]!
  return { first, median: at(0.5), p99: at(0.99), max: rest[rest.length - 1]!, n: rest.length }
}

function ms(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '–'
  return n < 10 && digits === 1 ? n.toFixed(2) : n.toFixed(digits)
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US')
const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`

// ---- the store alone, in this process ---------------------------------------------------------------------

interface LocalFigures {
  openMs: number
  restoreMs: number
  restored: { replayed: number; loaded: number }
  infoMs: number
  queries: { name: string; t: Timing }[]
}

async function measureLocal(file: string, session: string): Promise<LocalFigures> {
  const t0 = performance.now()
  const store = Store.open({ path: file, retainMs: 0, log: () => {} })
  const t1 = performance.now()
  const recorder = new Recorder({ store, staleAfterMs: STALE_MS })
  const restored = recorder.restore(Date.now())
  const t2 = performance.now()
  store.info()
  const t3 = performance.now()
  const now = Date.now()
  const kinds: { name: string; run: () => unknown }[] = [
    {
      name: 'session model: summaries (what /api/sessions lists)',
      run: () => recorder.model.summaries(Date.now()),
    },
    {
      name: `events: search "${RARE}" (rare)`,
      run: () => store.events({ search: RARE, limit: 100 }),
    },
    {
      name: `events: search "${COMMON}" (common)`,
      run: () => store.events({ search: COMMON, limit: 100 }),
    },
    { name: 'events: newest 100', run: () => store.events({ limit: 100 }) },
    {
      name: `events: search "${COMMON}" in one session`,
      run: () => store.events({ search: COMMON, session, limit: 100 }),
    },
    {
      name: 'toolStats over 7 days',
      run: () => store.toolStats({ since: now - SPAN_MS - 120_000 }),
    },
    { name: 'sessions() from the table (what restore reads)', run: () => store.sessions({}) },
  ]
  const queries: LocalFigures['queries'] = []
  for (const kind of kinds) {
    const samples: number[] = []
    const started = performance.now()
    for (let i = 0; i <= RUNS && performance.now() - started < KIND_BUDGET_MS; i++) {
      const a = performance.now()
      kind.run()
      samples.push(performance.now() - a)
    }
    queries.push({ name: kind.name, t: timing(samples) })
  }
  await store.close()
  return { openMs: t1 - t0, restoreMs: t2 - t1, restored, infoMs: t3 - t2, queries }
}

// ---- the server -------------------------------------------------------------------------------------------

interface Server {
  child: ChildProcess
  port: number
  startupMs: number
  stderr: () => string
  profileDir: string | undefined
}

function childEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: '',
    XDG_STATE_HOME: join(dir, 'state'),
  }
  // The user's store, socket, port and token must not reach the child.
  for (const name of [
    'OBSERVATORY_DB',
    'OBSERVATORY_TOKEN',
    'CLAUDE_UNIX_HOOK_WATCHER',
    'CLAUDE_REST_HOOK_WATCHER',
  ]) {
    delete env[name]
  }
  return env
}

async function startServer(dir: string, db: string, profileDir?: string): Promise<Server> {
  const nodeArgs = ['--import', 'tsx']
  if (profileDir !== undefined)
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-interval', '200')
  const t0 = performance.now()
  const child = spawn(
    process.execPath,
    [...nodeArgs, CLI, 'serve', '--port', '0', '--db', db, '--quiet'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: childEnv(dir),
    },
  )
  let err = ''
  let bannerAt = 0
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    err += chunk
    if (bannerAt === 0 && /Press Ctrl\+C to stop/.test(err)) bannerAt = performance.now()
  })
  const deadline = Date.now() + 120_000
  while (bannerAt === 0 && child.exitCode === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  const port = /http:\/\/127\.0\.0\.1:(\d+)/.exec(err)
  if (bannerAt === 0 || port === null) {
    child.kill('SIGKILL')
    throw new Error(`the observatory did not start:\n${err}`)
  }
  return { child, port: Number(port[1]), startupMs: bannerAt - t0, stderr: () => err, profileDir }
}

async function stopServer(server: Server): Promise<number> {
  const t0 = performance.now()
  const exited = new Promise<number | null>((resolve) => server.child.on('close', resolve))
  server.child.kill('SIGINT')
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 60_000)
  const code = await exited
  clearTimeout(timer)
  if (code !== 0) throw new Error(`the observatory exited with ${code}:\n${server.stderr()}`)
  return performance.now() - t0
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 })

function get(port: number, target: string): Promise<{ status: number; body: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const req = request({ host: '127.0.0.1', port, path: target, agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - t0,
        }),
      )
      res.on('error', reject)
    })
    req.setTimeout(120_000, () => req.destroy(new Error(`timed out: GET ${target}`)))
    req.on('error', reject)
    req.end()
  })
}

interface ApiKind {
  name: string
  target: string
  runs: number
  /** Target median and p99 in ms, if there is one. */
  limitMs?: number
  check: (body: ApiBody) => string | undefined
}

/** What the checks read of an answer. */
interface ApiBody {
  events?: { id: number; session_id: string | null; data: unknown }[]
  next?: number | null
  total?: number
  tools?: unknown[]
  session_id?: string
}

interface ApiRow {
  kind: ApiKind
  t: Timing
  bytes: number
  check: string
  window: [number, number]
  profile?: string[]
}

async function measureApi(port: number, kinds: ApiKind[]): Promise<ApiRow[]> {
  const rows: ApiRow[] = []
  for (const kind of kinds) {
    const samples: number[] = []
    let bytes = 0
    let check = 'ok'
    const w0 = Number(process.hrtime.bigint() / 1000n)
    const started = performance.now()
    for (let i = 0; i <= kind.runs && performance.now() - started < KIND_BUDGET_MS; i++) {
      const res = await get(port, kind.target)
      samples.push(res.ms)
      bytes = Buffer.byteLength(res.body)
      if (i === 0 || i === kind.runs) {
        let problem: string | undefined
        if (res.status !== 200) problem = `HTTP ${res.status}: ${res.body.slice(0, 200)}`
        else {
          try {
            problem = kind.check(JSON.parse(res.body) as ApiBody)
          } catch (error) {
            problem = `unreadable answer: ${(error as Error).message}`
          }
        }
        if (problem !== undefined) check = problem
      }
    }
    const w1 = Number(process.hrtime.bigint() / 1000n)
    const t = timing(samples)
    rows.push({ kind, t, bytes, check, window: [w0, w1] })
    process.stderr.write(
      `  ${kind.name}: median ${ms(t.median)} ms, p99 ${ms(t.p99)} ms, first ${ms(t.first)} ms, ${fmtInt(bytes)} B; ${check}\n`,
    )
  }
  return rows
}

// ---- main -------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'obs-store-bench-'))
  const reuse = args.db
  const file = reuse ?? join(dir, 'events.db')
  const loadBefore = loadavg()
  try {
    let built: Built | undefined
    if (reuse === undefined) {
      process.stderr.write(`building a store of ${fmtInt(EVENTS)} events in ${dir}…\n`)
      built = await build(file, EVENTS)
      process.stderr.write(
        `  written in ${built.writeSeconds.toFixed(1)} s, full-text index caught up at close in ${built.closeSeconds.toFixed(1)} s\n`,
      )
    } else if (!existsSync(reuse)) {
      throw new Error(`--db ${reuse}: no such file`)
    }
    const size = measureSize(file)
    process.stderr.write(
      `  ${fmtInt(size.events)} events, ${fmtInt(size.sessions)} sessions, ${mib(size.file)} (${fmtInt(size.file / size.events)} B/event)\n`,
    )
    if (size.rareMatches !== RARE_COUNT) {
      throw new Error(
        `"${RARE}" is in ${size.rareMatches} events, not ${RARE_COUNT}: the store is not the expected one`,
      )
    }
    const session = size.medianSession

    process.stderr.write('the store alone, in this process…\n')
    const local = await measureLocal(file, session.id)
    for (const q of local.queries)
      process.stderr.write(`  ${q.name}: median ${ms(q.t.median)} ms, p99 ${ms(q.t.p99)} ms\n`)

    process.stderr.write('start-up…\n')
    const empty = join(dir, 'empty.db')
    const emptyStarts: number[] = []
    const bigStarts: number[] = []
    const stops: number[] = []
    for (let i = 0; i < 3; i++) {
      const server = await startServer(dir, empty)
      emptyStarts.push(server.startupMs)
      await stopServer(server)
    }
    for (let i = 0; i < 2; i++) {
      const server = await startServer(dir, file)
      bigStarts.push(server.startupMs)
      stops.push(await stopServer(server))
    }
    const profileDir = args['cpu-prof'] === true ? join(dir, 'prof') : undefined
    const server = await startServer(dir, file, profileDir)
    bigStarts.push(server.startupMs)
    process.stderr.write(
      `  empty store: ${emptyStarts.map((t) => t.toFixed(0)).join(', ')} ms; big store: ${bigStarts.map((t) => t.toFixed(0)).join(', ')} ms${profileDir ? ' (the last under --cpu-prof)' : ''}\n`,
    )

    const middle = Math.floor(size.lastId / 2)
    const events = (b: ApiBody) => b.events ?? []
    const kinds: ApiKind[] = [
      {
        name: 'GET /api/sessions',
        target: '/api/sessions',
        runs: Math.round(RUNS * 2.5),
        limitMs: TARGET_SESSIONS_MS,
        check: (b) =>
          b.total === size.sessions
            ? undefined
            : `total ${b.total}, expected ${size.sessions} sessions`,
      },
      {
        name: `GET /api/events?q=${RARE}&limit=100 (rare word: ${RARE_COUNT} events)`,
        target: `/api/events?q=${RARE}&limit=100`,
        runs: RUNS,
        limitMs: TARGET_SEARCH_MS,
        check: (b) =>
          events(b).length === RARE_COUNT &&
          events(b).every((e) => JSON.stringify(e.data).includes(RARE))
            ? undefined
            : `${events(b).length} events, expected ${RARE_COUNT}`,
      },
      {
        name: `GET /api/events?q=${COMMON}&limit=100 (common word: ${fmtInt(size.commonMatches)} events)`,
        target: `/api/events?q=${COMMON}&limit=100`,
        runs: RUNS,
        limitMs: TARGET_SEARCH_MS,
        check: (b) =>
          events(b).length === 100 && b.next !== null ? undefined : `${events(b).length} events`,
      },
      {
        name: 'GET /api/events?limit=100 (newest page)',
        target: '/api/events?limit=100',
        runs: RUNS,
        check: (b) =>
          events(b)[0]?.id === size.lastId
            ? undefined
            : `first id ${events(b)[0]?.id}, expected ${size.lastId}`,
      },
      {
        name: 'GET /api/tools?window=7d',
        target: '/api/tools?window=7d',
        runs: RUNS,
        check: (b) =>
          Array.isArray(b.tools) && b.tools.length >= 25 ? undefined : `${b.tools?.length} tools`,
      },
      // Beyond the brief's targets: other requests a page or a user makes.
      {
        name: 'GET /api/events?q=fix+error&limit=100 (two common words)',
        target: '/api/events?q=fix+error&limit=100',
        runs: RUNS,
        check: (b) => (events(b).length > 0 ? undefined : 'no events'),
      },
      {
        name: `GET /api/events?q=${COMMON}&session=…&limit=100 (common word in one session of ${session.events} events)`,
        target: `/api/events?q=${COMMON}&session=${session.id}&limit=100`,
        runs: RUNS,
        check: (b) =>
          events(b).every((e) => e.session_id === session.id) ? undefined : 'another session',
      },
      {
        name: 'GET /api/events?session=…&limit=100',
        target: `/api/events?session=${session.id}&limit=100`,
        runs: RUNS,
        check: (b) => (events(b).length > 0 ? undefined : 'no events'),
      },
      {
        name: 'GET /api/events?tool=mcp__github__create_issue&limit=100',
        target: '/api/events?tool=mcp__github__create_issue&limit=100',
        runs: RUNS,
        check: (b) => (events(b).length > 0 ? undefined : 'no events'),
      },
      {
        name: 'GET /api/events?before=(middle id)&limit=100 (a deep page)',
        target: `/api/events?before=${middle}&limit=100`,
        runs: RUNS,
        check: (b) =>
          events(b)[0]?.id === middle - 1 ? undefined : `first id ${events(b)[0]?.id}`,
      },
      {
        name: `GET /api/sessions/{id} (replays its ${session.events} events)`,
        target: `/api/sessions/${session.id}`,
        runs: RUNS,
        check: (b) => (b.session_id === session.id ? undefined : 'another session'),
      },
      {
        name: 'GET /api/tools (24 h)',
        target: '/api/tools',
        runs: RUNS,
        check: (b) => (Array.isArray(b.tools) ? undefined : 'no tools'),
      },
    ]
    process.stderr.write('the API…\n')
    const rows = await measureApi(server.port, kinds)
    agent.destroy()
    stops.push(await stopServer(server))
    if (profileDir !== undefined)
      for (const row of rows)
        row.profile = topSelfTime(profileDir, row.window, {
          top: 8,
          root: ROOT,
          skipIdle: true,
          footer: 'of busy samples',
        })
    const loadAfter = loadavg()

    const report = render({
      built,
      size,
      local,
      emptyStarts,
      bigStarts,
      stops,
      rows,
      loadBefore,
      loadAfter,
      session,
      file,
      reuse,
    })
    process.stdout.write(`\n${report}`)
    const resultsDir = join(ROOT, 'bench', 'results')
    mkdirSync(resultsDir, { recursive: true })
    writeFileSync(join(resultsDir, 'store-latest.md'), report)
    process.stderr.write('written to bench/results/store-latest.md\n')
    if (rows.some((r) => r.check !== 'ok')) process.exitCode = 1
  } finally {
    agent.destroy()
    if (args.keep === true) process.stderr.write(`kept ${dir}\n`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

function render(r: {
  built: Built | undefined
  size: Size
  local: LocalFigures
  emptyStarts: number[]
  bigStarts: number[]
  stops: number[]
  rows: ApiRow[]
  loadBefore: number[]
  loadAfter: number[]
  session: { id: string; events: number }
  file: string
  reuse: string | undefined
}): string {
  const { size, local } = r
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const verdict = (ok: boolean) => (ok ? 'met' : 'missed')
  const verdicts: string[] = []
  for (const row of r.rows) {
    if (row.kind.limitMs === undefined) continue
    verdicts.push(
      `- ${row.kind.name.split(' (')[0]} < ${row.kind.limitMs} ms over ${fmtInt(size.events)} events: ` +
        `${verdict(row.t.p99 < row.kind.limitMs)} (median ${ms(row.t.median)} ms, p99 ${ms(row.t.p99)} ms)`,
    )
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  return [
    '# Store read-path benchmark',
    '',
    `${new Date().toISOString()} · Node ${process.version} · ${availableParallelism()} × ${cpu} · ` +
      `load average ${r.loadBefore[0]!.toFixed(2)} before, ${r.loadAfter[0]!.toFixed(2)} after` +
      (QUICK ? ' · --quick' : ''),
    '',
    r.built === undefined
      ? `Store: reused ${r.reuse} (--db).`
      : `Store: ${fmtInt(r.built.events)} events of ${fmtInt(r.built.sessions)} sessions over 7 days, written through the ` +
        `server's own path (readPayload → enrichEvent → encodeJson → Recorder.record), ${fmtInt(BATCH)} events per ` +
        `group commit: ${r.built.writeSeconds.toFixed(1)} s (${fmtInt(r.built.events / r.built.writeSeconds)} events/s, ` +
        `full-text indexing partly included), then ${r.built.closeSeconds.toFixed(1)} s at close for the rest of the full-text index.`,
    '',
    '## Size',
    '',
    `${fmtInt(size.events)} events, ${fmtInt(size.sessions)} sessions, ${fmtInt(size.toolCalls)} tool calls; ` +
      `lines of ${fmtInt(size.avgLine)} characters on average. File: ${mib(size.file)}` +
      (size.wal > 0 ? ` + WAL ${mib(size.wal)}` : '') +
      ` = **${fmtInt((size.file + size.wal) / size.events)} bytes per event** ` +
      `(${(size.file / size.events / size.avgLine).toFixed(2)}× the line).`,
    '',
    '| part | bytes | per event | share |',
    '|---|---:|---:|---:|',
    ...size.parts.map(
      (p) =>
        `| ${p.name} | ${mib(p.bytes)} | ${fmtInt(p.bytes / size.events)} | ${((p.bytes / size.file) * 100).toFixed(1)}% |`,
    ),
    '',
    '## Start-up',
    '',
    'From spawn to the banner (`observatory serve --db FILE --port 0 --quiet`; Node + tsx + the CLI included, hence',
    'the empty store for comparison):',
    '',
    `- empty store: ${r.emptyStarts.map((t) => `${t.toFixed(0)} ms`).join(', ')}`,
    `- ${fmtInt(size.events)} events: ${r.bigStarts.map((t) => `${t.toFixed(0)} ms`).join(', ')}` +
      `${args['cpu-prof'] === true ? ' (the last under --cpu-prof)' : ''}; ` +
      `**+${(median(r.bigStarts) - median(r.emptyStarts)).toFixed(0)} ms** for the store (medians)`,
    `- in this process: Store.open ${local.openMs.toFixed(0)} ms, Recorder.restore ${local.restoreMs.toFixed(0)} ms ` +
      `(${local.restored.replayed} sessions replayed from their events, ${local.restored.loaded} loaded from their summaries), ` +
      `info() (the banner's event count) ${local.infoMs.toFixed(0)} ms`,
    `- stop (SIGINT to exit; the store's close includes \`PRAGMA optimize\`): ${r.stops.map((t) => `${t.toFixed(0)} ms`).join(', ')}`,
    '',
    '## API latency',
    '',
    'One request at a time on one keep-alive connection (node:http client in the benchmark process), from the',
    'request written to the whole body read. The first call is shown apart (statements prepared, caches cold);',
    `median, p99 and max are over the next ${RUNS} (the session list: ${Math.round(RUNS * 2.5)}). The session used`,
    `below is the one with the median number of events (${r.session.events}).`,
    '',
    '| request | first ms | median ms | p99 ms | max ms | response | check |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...r.rows.map(
      (row) =>
        `| ${row.kind.name} | ${ms(row.t.first)} | ${ms(row.t.median)} | ${ms(row.t.p99)} | ${ms(row.t.max)} | ` +
        `${fmtInt(row.bytes)} B | ${row.check} |`,
    ),
    '',
    'The store alone (the same queries called on a `Store` in this process, no HTTP, no JSON):',
    '',
    '| query | first ms | median ms | p99 ms |',
    '|---|---:|---:|---:|',
    ...local.queries.map(
      (q) => `| ${q.name} | ${ms(q.t.first)} | ${ms(q.t.median)} | ${ms(q.t.p99)} |`,
    ),
    '',
    'Targets:',
    '',
    ...verdicts,
    '',
    ...r.rows
      .filter((row) => row.profile !== undefined)
      .flatMap((row) => [
        `Server self time during ${row.kind.name} (\`--cpu-prof\`, 200 µs sampling, idle left out):`,
        '',
        '```',
        ...row.profile!,
        '```',
        '',
      ]),
  ].join('\n')
}

await main()
