/**
 * The session model: Claude Code's hook events, applied in log order, folded into one record per `session_id`
 * (its state, its turns, its tool calls, its subagents). Pure: no I/O, no clock (times come from each event's
 * `_ts`, or from the caller's `apply(event, time)` when it knows them to the millisecond; "now" is passed to the
 * readers), and it never throws, whatever the event holds.
 *
 * Theory of operation
 * -------------------
 * A session's state is derived, after every event, from a few facts kept separately, in this order of precedence:
 *
 *   1. `ended`: SessionEnd was seen (state `ended`, `state_reason` = its `reason`);
 *   2. pending permissions: PermissionRequests not yet resolved (state `waiting for permission`);
 *   3. a notice: a Notification or an Elicitation asking for the user (`waiting for permission` or
 *      `waiting for input`, `state_reason` = the notification type), cleared by the next event that shows the
 *      session moving (any tool event, a prompt, Stop, compaction…), never by mere activity;
 *   4. the mode of the main agent: `starting`, `thinking`, `waiting for input`, `compacting` or `idle`; `thinking`
 *      with at least one call running reads as `running tool` (`state_tool` = the latest started call).
 * `state_since` moves only when the state changes. `stale` is never stored: the readers derive it from `now`.
 *
 * Events, by name (events carrying `agent_id` belong to that subagent: their calls count under it, and they never
 * change the main agent's mode or turn):
 * - SessionStart: `source` and `model` recorded. Unless `source` is `compact`, the previous run is over: running
 *   calls are interrupted (denied when still waiting for permission), permissions resolved, a running turn
 *   interrupted, subagents done; the mode becomes `starting`. A `compact` SessionStart keeps the mode (compaction
 *   happens inside a turn). Setup: mode `starting`, nothing closed.
 * - UserPromptSubmit / UserPromptExpansion: a new turn by `prompt_id` (the same `prompt_id` as the running turn,
 *   or a Submit right after an Expansion without ids, continues that turn); the previous running turn is
 *   interrupted (Stop does not fire on a user interrupt), the main agent's open calls interrupted or denied and
 *   its permissions resolved; mode `thinking`. The turn keeps the first prompt text it is given.
 * - PreToolUse: a call starts (`tool_use_id`; calls without one get a session-local `anon-N` id and are closed by
 *   the next Post event of the same tool and agent that has no id either); mode `thinking`.
 * - PermissionRequest (no `tool_use_id`): linked to a running call of the same tool with a deep-equal
 *   `tool_input` (the earliest such call without a permission, preferring the same agent), else to the latest
 *   running call of that tool without one, else kept unlinked. It stays pending until the linked call's
 *   PostToolUse / PostToolUseFailure / PermissionDenied / PostToolBatch entry (an unlinked one: the next such event
 *   for the same tool and agent), or Stop / StopFailure / UserPromptSubmit / UserPromptExpansion (main agent),
 *   SessionStart (not `compact`), SubagentStop (its agent), SessionEnd. Nothing else resolves it.
 * - PostToolUse: ok. PostToolUseFailure: failed with `error` (`is_interrupt` true: interrupted). PermissionDenied:
 *   denied. `duration_ms` from the payload, else ended − started. A Post event for a call closed by a batch or by
 *   Stop replaces that guess. A Post event for an unknown call creates it (started = that event's time).
 * - PostToolBatch: each `tool_calls[]` entry (`tool_use_id`, `tool_name`, `tool_input`, `tool_response`: the text
 *   the model saw) closes its call if still running: denied when its permission is still pending (the -p mode
 *   denial: no PermissionDenied, no PostToolUseFailure) or when the response reads as a refusal ("requires
 *   approval", "haven't granted", "rejected"…), interrupted when it reads as an interruption, failed when the entry
 *   says `is_error` / `error`, else ok. Entries for calls never started are ignored.
 * - Stop: the turn is done; the main agent's open calls become interrupted (denied if their permission is still
 *   pending: they never ran), its permissions are resolved; mode `waiting for input`. StopFailure: the same, but
 *   the turn failed and the mode is `idle` (`state_reason` = the error type). Calls and permissions of a subagent
 *   still running (a background one) stay open until its SubagentStop.
 * - Notification: `permission_prompt` → waiting for permission; `idle_prompt`, `elicitation_dialog`,
 *   `elicitation_url_dialog` → waiting for input; any other type is activity only. Elicitation → waiting for input
 *   (`elicitation_dialog`); ElicitationResult clears it (back to whatever the mode was).
 * - PreCompact → `compacting` (`state_reason` = `trigger`); PostCompact → `thinking` if a turn is running, else
 *   `waiting for input` (or `idle` before any turn).
 * - SubagentStart: a subagent (`agent_id`, `agent_type`), its parent the earliest started running Task/Agent call
 *   without a subagent yet (one whose `subagent_type` matches preferred; parent_agent_id = that call's agent). The
 *   same `agent_id` again (a resumed subagent) runs again without counting twice. SubagentStop: done, its open
 *   calls interrupted or denied.
 * - SessionEnd: `ended`, every open call interrupted or denied, every permission resolved, the turn interrupted.
 * - PostModelSwitch: `model` = `to_model`. CwdChanged: `cwd` = `new_cwd`. `cwd` and `permission_mode` (main agent
 *   only: a subagent may work elsewhere) and `transcript_path` are taken from any event that carries them.
 * - Any other name, known or not (FileChanged, ConfigChange, InstructionsLoaded, TaskCreated…): activity only.
 * Every event counts (`counts.events`, `last_event`, `last_event_time`). An ended session reopens on a main-agent
 * SessionStart, Setup, prompt, PreToolUse, PermissionRequest or PreCompact; late Post events only update calls.
 *
 * Memory: at most `maxTurns` turns and `maxToolCalls` calls (and subagents) per session are kept in detail, the
 * oldest finished ones dropped first; running calls and pending permissions are never dropped; counts stay exact.
 */
import { inputSummary, project, truncate } from './summary.ts'
import type {
  ApplyResult,
  HookEvent,
  SessionDetail,
  SessionState,
  SessionSummary,
  Subagent,
  ToolCall,
  ToolOutcome,
  Turn,
} from './types.ts'

export interface SessionModelOptions {
  /** After how long without an event a working session reads as `stale` (default 10 minutes). */
  staleAfterMs?: number
  /** Turns kept in detail per session (default 1000; up to an eighth more between two cuts). */
  maxTurns?: number
  /** Tool calls (and subagents) kept in detail per session (default 5000; up to an eighth more between two cuts). */
  maxToolCalls?: number
  /**
   * Calls open at once per session (and pending permissions, and unfinished turns or subagents kept past the
   * limits above); default 256. Past it the oldest open call is closed as `interrupted` (`denied` if its
   * permission was pending): Claude Code never has that many calls in flight, so they are Pre events whose Post
   * never came, and scanning them on every event made a stream of them quadratic.
   */
  maxOpen?: number
}

export const DEFAULT_STALE_AFTER_MS = 10 * 60 * 1000
export const DEFAULT_MAX_TURNS = 1000
export const DEFAULT_MAX_TOOL_CALLS = 5000
export const DEFAULT_MAX_OPEN = 256
/** Longest prompt kept on a turn, and on a summary. */
export const TURN_PROMPT_MAX = 2000
export const LAST_PROMPT_MAX = 200
/** Longest error text kept on a call. */
export const CALL_ERROR_MAX = 2000

/** The main agent's own states (what the session does when nothing overrides it). */
type Mode = 'starting' | 'thinking' | 'waiting for input' | 'compacting' | 'idle'

/** A wait announced by a Notification or an Elicitation. */
interface Notice {
  state: 'waiting for permission' | 'waiting for input'
  reason: string
}

interface PermissionRecord {
  tool_name: string
  input: unknown
  agent_id: string | null
  requested: number
  call: CallRecord | null
}

interface CallRecord {
  call: ToolCall
  /** The call's `tool_input` while it runs (to link a PermissionRequest), then dropped. */
  input: unknown
  /** No `tool_use_id` was given: the id is made up, and Post events without an id close it. */
  anonymous: boolean
  /** What closed it: a Post event (authoritative), or a guess (a batch, Stop, SessionEnd…). */
  closedBy: 'post' | 'guess' | null
  /** Its permission, while pending. */
  pending: PermissionRecord | null
  /** The subagent it started (Task/Agent calls). */
  child: string | null
}

interface SessionRecord {
  id: string
  /** Apply order of the latest event (ties in `summaries`). */
  seq: number
  state: SessionState
  stateSince: number | null
  stateReason: string | null
  stateTool: string | null
  ended: boolean
  endReason: string | null
  mode: Mode
  modeReason: string | null
  notice: Notice | null
  /** A turn of the main agent is in progress (prompt seen, no Stop yet). */
  turnActive: boolean
  cwd: string | null
  model: string | null
  permissionMode: string | null
  source: string | null
  transcriptPath: string | null
  started: number | null
  lastEvent: string
  lastMainEvent: string
  lastEventTime: number | null
  lastPrompt: string | null
  counts: Omit<SessionSummary['counts'], 'pending_permissions'>
  turns: Map<string, Turn>
  currentTurn: Turn | null
  calls: Map<string, CallRecord>
  /** The running calls, in start order. */
  running: Map<string, CallRecord>
  pending: PermissionRecord[]
  subagents: Map<string, Subagent>
  anonymousCalls: number
  anonymousTurns: number
}

/** What one apply is working on. */
interface Context {
  s: SessionRecord
  /** The event's time, or the latest time known for the session. */
  at: number | null
  agent: string | null
  changed: Map<string, CallRecord>
}

const STALE_STATES: ReadonlySet<SessionState> = new Set([
  'thinking',
  'running tool',
  'starting',
  'compacting',
])

/** A tool result that says the call was refused before it ran. */
const REFUSAL =
  /requires approval|haven'?t granted|doesn'?t want to proceed|was rejected|(?:has been|was) denied|permission denied by|denied this tool|blocked by (?:a |the )?(?:hook|policy|rule)|not allowed to use/i
/** A tool result that says the user interrupted the call. */
const INTERRUPTION = /interrupted by (?:the )?user/i
/** How a Bash failure starts: not a refusal, whatever its output says. */
const EXIT_CODE = /^\s*Exit code \d/

// ---------------------------------------------------------------------------------------------------------------
// Reading fields tolerantly
// ---------------------------------------------------------------------------------------------------------------

function str(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

/** An identifier: a non-empty string, or a finite number written as a string; else null. */
function ident(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return null
}

/** A non-negative number, also from a numeric string; else null. */
function count(value: unknown): number | null {
  let n: number
  if (typeof value === 'number') n = value
  else if (typeof value === 'string' && /^\s*\d+(?:\.\d+)?\s*$/.test(value)) n = Number(value)
  else return null
  return Number.isFinite(n) && n >= 0 ? n : null
}

function flag(value: unknown): boolean {
  return value === true || value === 'true'
}

/** `_ts` in epoch ms: an ISO 8601 string (or an epoch-ms number); null when it is neither. */
export function eventTime(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value !== 'string') return null
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) {
    const time = Date.parse(value.replace(' ', 'T'))
    return Number.isNaN(time) ? null : time
  }
  if (/^\d{9,}(?:\.\d+)?$/.test(value)) return Number(value)
  return null
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null
}

/** Structural equality of JSON-like values (depth-limited, so a cyclic value compares unequal, never loops). */
export function deepEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true
  if (depth > 64) return false
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b)
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i], depth + 1)) return false
    return true
  }
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  const rb = b as Record<string, unknown>
  const ra = a as Record<string, unknown>
  for (const key of ka) {
    if (!Object.hasOwn(rb, key) || !deepEqual(ra[key], rb[key], depth + 1)) return false
  }
  return true
}

function duration(started: number | null, ended: number | null): number | null {
  return started !== null && ended !== null ? Math.max(0, ended - started) : null
}

/** The text of a batch entry's `tool_response` (a string, or content blocks), its first 500 characters. */
function responseText(value: unknown): string {
  if (typeof value === 'string') return value.slice(0, 500)
  if (Array.isArray(value)) {
    let text = ''
    for (const block of value) {
      if (text.length >= 500) break
      if (typeof block === 'string') text += block
      else {
        const part = record(block)?.text
        if (typeof part === 'string') text += part
      }
    }
    return text.slice(0, 500)
  }
  const object = record(value)
  return object !== null ? str(object.text ?? object.error ?? object.message).slice(0, 500) : ''
}

// ---------------------------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------------------------

export class SessionModel {
  readonly staleAfterMs: number
  readonly maxTurns: number
  readonly maxToolCalls: number
  readonly maxOpen: number
  /**
   * Events whose processing hit an unexpected error (a bug): the event still counts, the rest of it is skipped.
   * Always 0 unless something is wrong; the tests check it.
   */
  faults = 0

  private readonly sessions = new Map<string, SessionRecord>()
  private sequence = 0

  constructor(options: SessionModelOptions = {}) {
    this.staleAfterMs = positive(options.staleAfterMs, DEFAULT_STALE_AFTER_MS)
    this.maxTurns = Math.max(1, Math.floor(positive(options.maxTurns, DEFAULT_MAX_TURNS)))
    this.maxToolCalls = Math.max(
      1,
      Math.floor(positive(options.maxToolCalls, DEFAULT_MAX_TOOL_CALLS)),
    )
    this.maxOpen = Math.max(1, Math.floor(positive(options.maxOpen, DEFAULT_MAX_OPEN)))
  }

  get size(): number {
    return this.sessions.size
  }

  has(id: string): boolean {
    return this.sessions.has(id)
  }

  forget(id: string): boolean {
    return this.sessions.delete(id)
  }

  /**
   * Applies one event (in log order). Events without a `session_id` change nothing. Never throws.
   *
   * @param time the event's time in epoch ms when the caller knows it more precisely than `_ts` (the server's
   *   receipt time, to the millisecond, where `_ts` keeps whole seconds); when absent or not finite, `_ts`.
   * @param copies false: the result's `tool_calls` stays empty, for a caller that does not read it (the server
   *   without a store). why: a copy of each changed call per event, allocated for nobody (with fields.ts's one
   *   pass: −2.9% instructions per event, bench/observatory-instructions.ts).
   */
  apply(event: HookEvent, time?: number, copies = true): ApplyResult {
    let id: string
    let name: string
    let at: number | null
    let agent: string | null
    try {
      if (typeof event !== 'object' || event === null) return { session_id: '', tool_calls: [] }
      const sessionId = event.session_id
      if (typeof sessionId !== 'string' || sessionId === '')
        return { session_id: '', tool_calls: [] }
      id = sessionId
      name = str(event._event) || str(event.hook_event_name) || 'Unknown'
      at = typeof time === 'number' && Number.isFinite(time) ? time : eventTime(event._ts)
      agent = ident(event.agent_id)
    } catch {
      this.faults++
      return { session_id: '', tool_calls: [] }
    }

    let s = this.sessions.get(id)
    if (s === undefined) {
      s = newSession(id)
      this.sessions.set(id, s)
    }
    s.seq = ++this.sequence
    s.counts.events++
    s.lastEvent = name
    if (at !== null) s.lastEventTime = at
    if (s.started === null) s.started = at
    const ctx: Context = { s, at: s.lastEventTime, agent, changed: new Map() }
    try {
      this.dispatch(ctx, name, event)
      if (agent === null) s.lastMainEvent = name
      refreshState(s)
      this.bound(ctx)
    } catch {
      this.faults++
      try {
        refreshState(s)
      } catch {
        // nothing more to save
      }
    }
    return {
      session_id: id,
      tool_calls: copies ? [...ctx.changed.values()].map((rec) => copyCall(rec.call)) : [],
    }
  }

  /** One session's summary as of `now` (epoch ms), or undefined when the session is unknown. */
  summary(sessionId: string, now: number): SessionSummary | undefined {
    const s = this.sessions.get(sessionId)
    return s === undefined ? undefined : this.summaryOf(s, now)
  }

  /** Every session's summary as of `now`, most recently active first. */
  summaries(now: number): SessionSummary[] {
    return [...this.sessions.values()]
      .sort((a, b) => {
        const ta = a.lastEventTime ?? Number.NEGATIVE_INFINITY
        const tb = b.lastEventTime ?? Number.NEGATIVE_INFINITY
        return tb > ta ? 1 : tb < ta ? -1 : b.seq - a.seq
      })
      .map((s) => this.summaryOf(s, now))
  }

  /** Everything known about one session as of `now`, or undefined when the session is unknown. */
  detail(sessionId: string, now: number): SessionDetail | undefined {
    const s = this.sessions.get(sessionId)
    if (s === undefined) return undefined
    return {
      ...this.summaryOf(s, now),
      turns: [...s.turns.values()].map((turn) => copyTurn(turn, this.maxToolCalls)),
      tool_calls: [...s.calls.values()].map((rec) => copyCall(rec.call)),
      subagents: [...s.subagents.values()].map((sub) => ({ ...sub })),
    }
  }

  /**
   * Restores a stored summary (after a restart) for a session whose events are not replayed; later events
   * continue from it (counts go on, the running call shown as `current_tool` can still be closed, pending
   * permissions stay pending). Replaces whatever the model held for that session.
   */
  load(summary: SessionSummary): void {
    try {
      const s = sessionFromSummary(summary)
      s.seq = ++this.sequence
      this.sessions.set(s.id, s)
    } catch {
      this.faults++
    }
  }

  // -------------------------------------------------------------------------------------------------------------

  private summaryOf(s: SessionRecord, now: number): SessionSummary {
    let state = s.state
    let since = s.stateSince
    if (
      STALE_STATES.has(state) &&
      s.lastEventTime !== null &&
      now - s.lastEventTime > this.staleAfterMs
    ) {
      state = 'stale'
      since = s.lastEventTime + this.staleAfterMs
    }
    const current = currentCall(s)
    return {
      session_id: s.id,
      state,
      state_since: since,
      state_tool: s.stateTool,
      state_reason: s.stateReason,
      current_tool:
        current === null
          ? null
          : {
              tool_use_id: current.call.tool_use_id,
              tool_name: current.call.tool_name,
              input_summary: current.call.input_summary,
              since: current.call.started,
            },
      cwd: s.cwd,
      project: project(s.cwd),
      model: s.model,
      permission_mode: s.permissionMode,
      source: s.source,
      transcript_path: s.transcriptPath,
      started: s.started,
      last_event: s.lastEvent,
      last_event_time: s.lastEventTime,
      last_prompt: s.lastPrompt,
      counts: { ...s.counts, pending_permissions: s.pending.length },
    }
  }

  private dispatch(ctx: Context, name: string, event: HookEvent): void {
    const { s, agent } = ctx
    const transcript = str(event.transcript_path)
    if (transcript !== '') s.transcriptPath = transcript
    if (agent === null) {
      const cwd = str(event.cwd)
      if (cwd !== '') s.cwd = cwd
      const mode = str(event.permission_mode)
      if (mode !== '') s.permissionMode = mode
    }

    switch (name) {
      case 'SessionStart':
        this.sessionStart(ctx, event)
        return
      case 'Setup':
        if (agent !== null) return
        reopen(s)
        setMode(s, 'starting')
        s.notice = null
        return
      case 'UserPromptSubmit':
      case 'UserPromptExpansion':
        this.prompt(ctx, name, event)
        return
      case 'PreToolUse':
        this.preToolUse(ctx, event)
        return
      case 'PermissionRequest':
        this.permissionRequest(ctx, event)
        return
      case 'PostToolUse':
      case 'PostToolUseFailure':
      case 'PermissionDenied':
        this.post(ctx, name, event)
        return
      case 'PostToolBatch':
        this.batch(ctx, event)
        return
      case 'Stop':
      case 'StopFailure':
        this.stop(ctx, name, event)
        return
      case 'Notification':
        notification(s, event)
        return
      case 'Elicitation':
        if (!s.ended) s.notice = { state: 'waiting for input', reason: 'elicitation_dialog' }
        return
      case 'ElicitationResult':
        s.notice = null
        return
      case 'PreCompact':
        if (agent !== null) return
        reopen(s)
        setMode(s, 'compacting', str(event.trigger) || null)
        s.notice = null
        return
      case 'PostCompact':
        if (agent !== null || s.mode !== 'compacting') return
        setMode(s, afterTurnMode(s))
        s.notice = null
        return
      case 'SubagentStart':
        this.subagentStart(ctx, event)
        return
      case 'SubagentStop':
        this.subagentStop(ctx)
        return
      case 'SessionEnd':
        closeCalls(ctx, () => true)
        endTurn(ctx, 'interrupted')
        for (const sub of s.subagents.values()) finishSubagent(sub, ctx.at)
        s.ended = true
        s.endReason = str(event.reason) || null
        s.notice = null
        s.turnActive = false
        return
      case 'PostModelSwitch': {
        const model = str(event.to_model)
        if (model !== '') s.model = model
        return
      }
      case 'CwdChanged': {
        const cwd = str(event.new_cwd)
        if (cwd !== '' && agent === null) s.cwd = cwd
        return
      }
      default:
        return // activity only
    }
  }

  private sessionStart(ctx: Context, event: HookEvent): void {
    const { s } = ctx
    const source = str(event.source)
    if (source !== '') s.source = source
    const model = str(event.model)
    if (model !== '') s.model = model
    if (ctx.agent !== null) return
    if (source === 'compact' && !s.ended) {
      if (s.mode !== 'compacting' && s.turnActive) setMode(s, 'thinking')
      return
    }
    closeCalls(ctx, () => true)
    endTurn(ctx, 'interrupted')
    for (const sub of s.subagents.values()) finishSubagent(sub, ctx.at)
    reopen(s)
    setMode(s, 'starting')
    s.notice = null
    s.turnActive = false
  }

  private prompt(ctx: Context, name: string, event: HookEvent): void {
    const { s } = ctx
    if (ctx.agent !== null) return
    reopen(s)
    const promptId = ident(event.prompt_id)
    const current = s.currentTurn
    const continues =
      current !== null &&
      current.outcome === 'running' &&
      (promptId !== null
        ? current.prompt_id === promptId
        : name === 'UserPromptSubmit' && s.lastMainEvent === 'UserPromptExpansion')
    closeCalls(ctx, mainScope(s))
    let turn: Turn
    if (continues && current !== null) {
      turn = current
    } else {
      endTurn(ctx, 'interrupted')
      const id = promptId ?? `turn-${++s.anonymousTurns}`
      const known = s.turns.get(id)
      if (known !== undefined) {
        turn = known
        turn.outcome = 'running'
        turn.ended = null
        turn.duration_ms = null
      } else {
        turn = {
          prompt_id: id,
          prompt: '',
          started: ctx.at,
          ended: null,
          duration_ms: null,
          outcome: 'running',
          tool_calls: [],
        }
        s.turns.set(id, turn)
        s.counts.turns++
      }
      s.currentTurn = turn
    }
    const prompt = str(event.prompt)
    if (prompt !== '' && turn.prompt === '') turn.prompt = truncate(prompt, TURN_PROMPT_MAX)
    if (turn.prompt !== '') s.lastPrompt = truncate(turn.prompt, LAST_PROMPT_MAX)
    s.turnActive = true
    setMode(s, 'thinking')
    s.notice = null
  }

  private preToolUse(ctx: Context, event: HookEvent): void {
    const { s, agent } = ctx
    reopen(s)
    const id = ident(event.tool_use_id)
    const toolName = str(event.tool_name)
    const input = event.tool_input
    const known = id !== null ? s.calls.get(id) : undefined
    if (known !== undefined) {
      // PreToolUse again for a call already seen: fill in what was missing, never restart it.
      if (known.call.outcome === 'running' && known.call.tool_name === '' && toolName !== '') {
        known.call.tool_name = toolName
        known.call.input_summary = inputSummary(toolName, input)
        known.input = input
        ctx.changed.set(known.call.tool_use_id, known)
      }
    } else {
      const rec = this.newCall(ctx, id, toolName, input, ident(event.prompt_id), true)
      ctx.changed.set(rec.call.tool_use_id, rec)
    }
    if (agent === null) {
      touchTurn(ctx, ident(event.prompt_id))
      setMode(s, 'thinking')
    }
    s.notice = null
  }

  private newCall(
    ctx: Context,
    id: string | null,
    toolName: string,
    input: unknown,
    promptId: string | null,
    running: boolean,
  ): CallRecord {
    const { s, agent } = ctx
    const turn =
      s.currentTurn !== null && s.currentTurn.outcome === 'running' ? s.currentTurn : null
    const prompt = promptId ?? turn?.prompt_id ?? null
    const callId = id ?? `anon-${++s.anonymousCalls}`
    const rec: CallRecord = {
      call: {
        tool_use_id: callId,
        session_id: s.id,
        agent_id: agent,
        prompt_id: prompt,
        tool_name: toolName,
        input_summary: inputSummary(toolName, input),
        started: ctx.at,
        ended: null,
        duration_ms: null,
        outcome: 'running',
        error: null,
        permission: null,
      },
      input: running ? input : undefined,
      anonymous: id === null,
      closedBy: null,
      pending: null,
      child: null,
    }
    s.calls.delete(callId) // a made-up id reused after a restore: the newest wins, in start order
    s.calls.set(callId, rec)
    if (running) s.running.set(callId, rec)
    s.counts.tool_calls++
    if (agent !== null) ensureSubagent(ctx, agent).tool_calls++
    if (prompt !== null) {
      const owner = s.turns.get(prompt)
      if (owner !== undefined) {
        owner.tool_calls.push(callId)
        // trimmed in bulk (amortized O(1)); copies show the last maxToolCalls
        if (owner.tool_calls.length >= 2 * this.maxToolCalls) {
          owner.tool_calls.splice(0, owner.tool_calls.length - this.maxToolCalls)
        }
      }
    }
    return rec
  }

  private permissionRequest(ctx: Context, event: HookEvent): void {
    const { s, agent } = ctx
    reopen(s)
    const toolName = str(event.tool_name)
    const input = event.tool_input
    let best: CallRecord | null = null
    let bestRank = 0
    for (const rec of s.running.values()) {
      if (rec.pending !== null || rec.call.tool_name !== toolName) continue
      const sameAgent = rec.call.agent_id === agent
      const equal = input !== undefined && deepEqual(rec.input, input)
      // equal input beats same tool; the same agent breaks ties; then the earliest equal call, the latest other
      const rank = (equal ? 4 : 0) + (sameAgent ? 2 : 0) + 1
      if (rank > bestRank || (rank === bestRank && !equal)) {
        best = rec
        bestRank = rank
      }
    }
    const perm: PermissionRecord = {
      tool_name: toolName,
      input,
      agent_id: best?.call.agent_id ?? agent,
      requested: ctx.at ?? 0,
      call: best,
    }
    if (best !== null) {
      best.pending = perm
      best.call.permission = { requested: perm.requested, resolved: null }
      ctx.changed.set(best.call.tool_use_id, best)
    }
    s.pending.push(perm)
    if (agent === null) setMode(s, 'thinking')
    s.notice = null
  }

  private post(ctx: Context, name: string, event: HookEvent): void {
    const { s, agent } = ctx
    const id = ident(event.tool_use_id)
    const toolName = str(event.tool_name)
    let rec = id !== null ? s.calls.get(id) : anonymousRunning(s, toolName, agent)
    const open = rec === undefined || rec.call.outcome === 'running'
    if (rec === undefined) {
      rec = this.newCall(ctx, id, toolName, event.tool_input, ident(event.prompt_id), false)
    }
    if (rec.call.tool_name === '' && toolName !== '') {
      rec.call.tool_name = toolName
      rec.call.input_summary = inputSummary(toolName, event.tool_input)
    }
    // a late Post event for a call already closed (by a batch, Stop…) corrects it, and answers no permission
    if (open) settlePermission(ctx, rec, rec.input ?? event.tool_input)
    let outcome: ToolOutcome = 'ok'
    let error: string | null = null
    if (name === 'PostToolUseFailure') {
      outcome = flag(event.is_interrupt) ? 'interrupted' : 'failed'
      error = str(event.error) === '' ? null : truncate(str(event.error), CALL_ERROR_MAX)
    } else if (name === 'PermissionDenied') {
      outcome = 'denied'
    }
    closeCall(ctx, rec, outcome, error, count(event.duration_ms))
    rec.closedBy = 'post'
    if (agent === null && !s.ended) setMode(s, 'thinking')
    s.notice = null
  }

  private batch(ctx: Context, event: HookEvent): void {
    const { s, agent } = ctx
    const entries = Array.isArray(event.tool_calls) ? event.tool_calls : []
    for (const item of entries) {
      const entry = record(item)
      if (entry === null) continue
      const id = ident(entry.tool_use_id)
      const rec = id !== null ? s.calls.get(id) : undefined
      if (rec === undefined || rec.call.outcome !== 'running') {
        // a call refused before its PreToolUse, or already closed: it may still answer an unlinked permission
        const toolName = str(entry.tool_name)
        if (rec === undefined && toolName !== '') {
          const perm = unlinkedPermission(s, toolName, agent, entry.tool_input)
          if (perm !== null) resolvePermission(ctx, perm)
        }
        continue
      }
      const [outcome, error] = batchOutcome(entry, rec)
      settlePermission(ctx, rec, rec.input)
      closeCall(ctx, rec, outcome, error, null)
      rec.closedBy = 'guess'
    }
    if (agent === null && !s.ended) setMode(s, 'thinking')
    s.notice = null
  }

  private stop(ctx: Context, name: string, event: HookEvent): void {
    const { s } = ctx
    if (ctx.agent !== null || s.ended) return
    closeCalls(ctx, mainScope(s))
    const promptId = ident(event.prompt_id)
    const named = promptId !== null ? s.turns.get(promptId) : undefined
    const failed = name === 'StopFailure'
    if (named !== undefined && named !== s.currentTurn && named.outcome === 'running') {
      finishTurn(named, failed ? 'failed' : 'done', ctx.at)
    }
    endTurn(ctx, failed ? 'failed' : 'done')
    s.turnActive = false
    if (failed) setMode(s, 'idle', str(event.error) || null)
    else setMode(s, 'waiting for input')
    s.notice = null
  }

  private subagentStart(ctx: Context, event: HookEvent): void {
    const { s } = ctx
    const id = ident(event.agent_id)
    if (id === null) return
    const agentType = str(event.agent_type)
    const known = s.subagents.get(id)
    if (known !== undefined) {
      known.state = 'running'
      known.ended = null
      if (agentType !== '') known.agent_type = agentType
      return
    }
    const sub = ensureSubagent(ctx, id)
    sub.agent_type = agentType
    let parent: CallRecord | null = null
    let parentMatches = false
    for (const rec of s.running.values()) {
      const tool = rec.call.tool_name
      if ((tool !== 'Task' && tool !== 'Agent') || rec.child !== null || rec.call.agent_id === id) {
        continue
      }
      const wanted = str(record(rec.input)?.subagent_type) || 'general-purpose'
      const matches = agentType !== '' && wanted === agentType
      if (parent === null || (matches && !parentMatches)) {
        parent = rec
        parentMatches = matches
      }
    }
    if (parent !== null) {
      parent.child = id
      sub.parent_tool_use_id = parent.call.tool_use_id
      sub.parent_agent_id = parent.call.agent_id
    }
  }

  private subagentStop(ctx: Context): void {
    const { s, agent } = ctx
    if (agent === null) return
    const sub = s.subagents.get(agent)
    if (sub === undefined) return
    closeCalls(ctx, (agentId) => agentId === agent)
    finishSubagent(sub, ctx.at)
  }

  /**
   * Keeps a session within its limits: at most `maxOpen` calls running and permissions pending (the oldest
   * closed first), and the oldest finished turns, calls and subagents dropped beyond `maxTurns`/`maxToolCalls`.
   *
   * why: every scan here is bounded by `maxOpen`, whatever the session holds. The drop loops used to skip
   * unfinished entries without limit, and the running calls were unbounded: 200,000 PreToolUse events without
   * their Post in one session ran at ~140 events/s, 82% of the time in this function (a `--cpu-prof` of
   * `observatory serve`); with the limits the same stream runs at the normal rate (docs/benchmarks.md).
   */
  private bound(ctx: Context): void {
    const s = ctx.s
    while (s.running.size > this.maxOpen) {
      closeUnfinished(ctx, s.running.values().next().value as CallRecord)
    }
    if (s.pending.length > this.maxOpen) {
      for (const perm of s.pending.slice(0, s.pending.length - this.maxOpen)) {
        resolvePermission(ctx, perm)
      }
    }
    if (s.calls.size > this.maxToolCalls + slack(this.maxToolCalls)) {
      // A running call stays (it is in s.running too, and there are at most maxOpen of them).
      const running = (rec: CallRecord) => rec.call.outcome === 'running'
      dropOldest(s.calls, this.maxToolCalls, this.maxOpen, (rec) => !running(rec), running)
    }
    if (s.turns.size > this.maxTurns + slack(this.maxTurns)) {
      dropOldest(
        s.turns,
        this.maxTurns,
        this.maxOpen,
        (turn) => turn !== s.currentTurn && turn.outcome !== 'running',
        (turn) => turn === s.currentTurn,
      )
    }
    if (s.subagents.size > this.maxToolCalls + slack(this.maxToolCalls)) {
      dropOldest(s.subagents, this.maxToolCalls, this.maxOpen, (sub) => sub.state !== 'running')
    }
  }
}

/**
 * How far past its limit a map may grow before it is cut back to the limit: an eighth. why: a Map deleted from the
 * front keeps the holes until V8 rehashes it, and every cut iterates from the front over them; cut per event, that
 * was 5.4% of the server's busy time with 16 sessions past 5,000 calls each (`--cpu-prof`, Pre/Post pairs,
 * keep-alive), cut once per eighth it is amortized away.
 */
function slack(limit: number): number {
  return limit >> 3
}

/**
 * Deletes the oldest entries of `map` until it holds `limit`: finished ones (`done`) first, skipping at most
 * `skip` unfinished ones; if that is not enough, the oldest left, finished or not, except `pinned` ones (which
 * stay whatever the limit). Cost: at most `skip` + the pinned entries (callers keep both small) + the deleted.
 */
function dropOldest<K, V>(
  map: Map<K, V>,
  limit: number,
  skip: number,
  done: (value: V) => boolean,
  pinned: (value: V) => boolean = () => false,
): void {
  let skipped = 0
  for (const [key, value] of map) {
    if (map.size <= limit) return
    if (done(value)) map.delete(key)
    else if (++skipped > skip) break
  }
  for (const [key, value] of map) {
    if (map.size <= limit) return
    if (!pinned(value)) map.delete(key)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Session helpers
// ---------------------------------------------------------------------------------------------------------------

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback
}

function newSession(id: string): SessionRecord {
  return {
    id,
    seq: 0,
    state: 'idle',
    stateSince: null,
    stateReason: null,
    stateTool: null,
    ended: false,
    endReason: null,
    mode: 'idle',
    modeReason: null,
    notice: null,
    turnActive: false,
    cwd: null,
    model: null,
    permissionMode: null,
    source: null,
    transcriptPath: null,
    started: null,
    lastEvent: '',
    lastMainEvent: '',
    lastEventTime: null,
    lastPrompt: null,
    counts: { events: 0, turns: 0, tool_calls: 0, tool_failures: 0, subagents: 0 },
    turns: new Map(),
    currentTurn: null,
    calls: new Map(),
    running: new Map(),
    pending: [],
    subagents: new Map(),
    anonymousCalls: 0,
    anonymousTurns: 0,
  }
}

function reopen(s: SessionRecord): void {
  if (!s.ended) return
  s.ended = false
  s.endReason = null
}

function setMode(s: SessionRecord, mode: Mode, reason: string | null = null): void {
  s.mode = mode
  s.modeReason = reason
}

/** Where the main agent stands when no turn runs: waiting for the next prompt, or idle before the first. */
function afterTurnMode(s: SessionRecord): Mode {
  if (s.turnActive) return 'thinking'
  return s.counts.turns > 0 ? 'waiting for input' : 'idle'
}

/** The running call started last, or null. */
function currentCall(s: SessionRecord): CallRecord | null {
  let last: CallRecord | null = null
  for (const rec of s.running.values()) last = rec
  return last
}

/** Recomputes the state from the facts (see the module comment); `state_since` moves only when it changes. */
function refreshState(s: SessionRecord): void {
  let state: SessionState
  let reason: string | null = null
  let tool: string | null = null
  if (s.ended) {
    state = 'ended'
    reason = s.endReason
  } else if (s.pending.length > 0) {
    state = 'waiting for permission'
    if (s.notice?.state === 'waiting for permission') reason = s.notice.reason
    tool = s.pending[s.pending.length - 1]!.tool_name || null
  } else if (s.notice !== null) {
    state = s.notice.state
    reason = s.notice.reason
    if (state === 'waiting for permission') tool = currentCall(s)?.call.tool_name || null
  } else if (s.mode === 'thinking' && s.running.size > 0) {
    state = 'running tool'
    tool = currentCall(s)?.call.tool_name || null
  } else {
    state = s.mode
    reason = s.modeReason
  }
  if (state !== s.state || s.stateSince === null) {
    s.state = state
    s.stateSince = s.lastEventTime
  }
  s.stateReason = reason
  s.stateTool = tool
}

function notification(s: SessionRecord, event: HookEvent): void {
  if (s.ended) return
  let type = str(event.notification_type)
  if (type === '') {
    // older Claude Code versions send only the message
    const message = str(event.message)
    if (/permission/i.test(message)) type = 'permission_prompt'
    else if (/waiting for (?:your )?input/i.test(message)) type = 'idle_prompt'
  }
  switch (type) {
    case 'permission_prompt':
      s.notice = { state: 'waiting for permission', reason: type }
      return
    case 'idle_prompt':
    case 'elicitation_dialog':
    case 'elicitation_url_dialog':
      s.notice = { state: 'waiting for input', reason: type }
      return
    default:
      return // activity only
  }
}

/** A main-agent event naming the latest turn after its Stop (a Stop hook made Claude go on): it runs again. */
function touchTurn(ctx: Context, promptId: string | null): void {
  const { s } = ctx
  s.turnActive = true
  const turn = s.currentTurn
  if (turn === null || turn.outcome === 'running') return
  if (promptId !== null && promptId === turn.prompt_id) {
    turn.outcome = 'running'
    turn.ended = null
    turn.duration_ms = null
  }
}

function finishTurn(turn: Turn, outcome: Turn['outcome'], at: number | null): void {
  turn.outcome = outcome
  turn.ended = at
  turn.duration_ms = duration(turn.started, at)
}

/** Ends the current turn if it is running. */
function endTurn(ctx: Context, outcome: Turn['outcome']): void {
  const turn = ctx.s.currentTurn
  if (turn !== null && turn.outcome === 'running') finishTurn(turn, outcome, ctx.at)
}

function ensureSubagent(ctx: Context, agentId: string): Subagent {
  const { s } = ctx
  let sub = s.subagents.get(agentId)
  if (sub === undefined) {
    sub = {
      agent_id: agentId,
      agent_type: '',
      parent_tool_use_id: null,
      parent_agent_id: null,
      started: ctx.at,
      ended: null,
      state: 'running',
      tool_calls: 0,
    }
    s.subagents.set(agentId, sub)
    s.counts.subagents++
  }
  return sub
}

function finishSubagent(sub: Subagent, at: number | null): void {
  if (sub.state === 'done') return
  sub.state = 'done'
  sub.ended = at
}

/** The calls a main-agent Stop (or prompt) closes: the main agent's, and those of subagents no longer running. */
function mainScope(s: SessionRecord): (agentId: string | null) => boolean {
  return (agentId) => agentId === null || s.subagents.get(agentId)?.state !== 'running'
}

/**
 * Closes every running call whose agent is in scope (interrupted, or denied when its permission is still
 * pending: it never ran) and resolves the pending permissions in scope.
 */
function closeCalls(ctx: Context, scope: (agentId: string | null) => boolean): void {
  const { s } = ctx
  for (const rec of [...s.running.values()]) {
    if (scope(rec.call.agent_id)) closeUnfinished(ctx, rec)
  }
  for (const perm of [...s.pending]) if (scope(perm.agent_id)) resolvePermission(ctx, perm)
}

/** A running call that will get no Post: interrupted, or denied when its permission is still pending (it never ran). */
function closeUnfinished(ctx: Context, rec: CallRecord): void {
  const outcome: ToolOutcome = rec.pending !== null ? 'denied' : 'interrupted'
  if (rec.pending !== null) resolvePermission(ctx, rec.pending)
  closeCall(ctx, rec, outcome, null, null)
  rec.closedBy = 'guess'
}

function setOutcome(s: SessionRecord, call: ToolCall, outcome: ToolOutcome): void {
  if (call.outcome === 'failed') s.counts.tool_failures--
  if (outcome === 'failed') s.counts.tool_failures++
  call.outcome = outcome
}

function closeCall(
  ctx: Context,
  rec: CallRecord,
  outcome: ToolOutcome,
  error: string | null,
  durationMs: number | null,
): void {
  const { s } = ctx
  const call = rec.call
  setOutcome(s, call, outcome)
  call.ended = ctx.at
  call.duration_ms = durationMs ?? duration(call.started, call.ended)
  call.error = error
  rec.input = undefined
  s.running.delete(call.tool_use_id)
  ctx.changed.set(call.tool_use_id, rec)
}

/** Resolves the call's pending permission, or else an unlinked one of the same tool and agent (then linked). */
function settlePermission(ctx: Context, rec: CallRecord, input: unknown): void {
  if (rec.pending !== null) {
    resolvePermission(ctx, rec.pending)
    return
  }
  if (ctx.s.pending.length === 0) return
  const perm = unlinkedPermission(ctx.s, rec.call.tool_name, rec.call.agent_id, input)
  if (perm === null) return
  perm.call = rec
  rec.call.permission = { requested: perm.requested, resolved: null }
  resolvePermission(ctx, perm)
}

/** An unlinked pending permission for this tool and agent: one with an equal input first, else the oldest. */
function unlinkedPermission(
  s: SessionRecord,
  toolName: string,
  agent: string | null,
  input: unknown,
): PermissionRecord | null {
  let found: PermissionRecord | null = null
  for (const perm of s.pending) {
    if (perm.call !== null || perm.tool_name !== toolName || perm.agent_id !== agent) continue
    if (input !== undefined && deepEqual(perm.input, input)) return perm
    found ??= perm
  }
  return found
}

function resolvePermission(ctx: Context, perm: PermissionRecord): void {
  const { s } = ctx
  const index = s.pending.indexOf(perm)
  if (index !== -1) s.pending.splice(index, 1)
  const rec = perm.call
  if (rec === null) return
  if (rec.pending === perm) rec.pending = null
  const resolved = ctx.at ?? perm.requested
  rec.call.permission = { requested: perm.requested, resolved }
  ctx.changed.set(rec.call.tool_use_id, rec)
}

/** The oldest running call without a `tool_use_id` of this tool and agent (for Post events without one). */
function anonymousRunning(
  s: SessionRecord,
  toolName: string,
  agent: string | null,
): CallRecord | undefined {
  for (const rec of s.running.values()) {
    if (rec.anonymous && rec.call.tool_name === toolName && rec.call.agent_id === agent) return rec
  }
  return undefined
}

/** How a PostToolBatch entry says a call that had no Post event ended. */
function batchOutcome(
  entry: Record<string, unknown>,
  rec: CallRecord,
): [ToolOutcome, string | null] {
  if (rec.pending !== null) return ['denied', null]
  if (flag(entry.denied) || entry.status === 'denied') return ['denied', null]
  const text = responseText(entry.tool_response)
  if (INTERRUPTION.test(text)) return ['interrupted', null]
  if (!EXIT_CODE.test(text) && REFUSAL.test(text)) return ['denied', null]
  const error = str(entry.error) || str(entry.error_message)
  if (flag(entry.is_error) || error !== '') {
    return ['failed', truncate(error || text, CALL_ERROR_MAX) || null]
  }
  return ['ok', null]
}

// ---------------------------------------------------------------------------------------------------------------
// Copies and restore
// ---------------------------------------------------------------------------------------------------------------

function copyCall(call: ToolCall): ToolCall {
  return { ...call, permission: call.permission === null ? null : { ...call.permission } }
}

function copyTurn(turn: Turn, maxToolCalls: number): Turn {
  return { ...turn, tool_calls: turn.tool_calls.slice(-maxToolCalls) }
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

function natural(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0
}

const MODES: ReadonlySet<string> = new Set([
  'starting',
  'thinking',
  'waiting for input',
  'compacting',
  'idle',
])

/** A session record from a stored summary (see {@link SessionModel.load}). Tolerates a malformed summary. */
function sessionFromSummary(summary: SessionSummary): SessionRecord {
  const id = ident(summary.session_id)
  if (id === null) throw new TypeError('a summary without a session_id')
  const s = newSession(id)
  const stored = record(summary) ?? {}
  const counts = record(stored.counts) ?? {}
  s.counts = {
    events: natural(counts.events),
    turns: natural(counts.turns),
    tool_calls: natural(counts.tool_calls),
    tool_failures: natural(counts.tool_failures),
    subagents: natural(counts.subagents),
  }
  s.cwd = text(stored.cwd)
  s.model = text(stored.model)
  s.permissionMode = text(stored.permission_mode)
  s.source = text(stored.source)
  s.transcriptPath = text(stored.transcript_path)
  s.started = num(stored.started)
  s.lastEvent = text(stored.last_event) ?? ''
  s.lastEventTime = num(stored.last_event_time)
  s.lastPrompt = text(stored.last_prompt)

  const state = text(stored.state) ?? 'idle'
  const reason = text(stored.state_reason)
  const since = num(stored.state_since)
  const stateTool = text(stored.state_tool)
  const current = record(stored.current_tool)
  const currentId = current === null ? null : ident(current.tool_use_id)
  if (current !== null && currentId !== null) {
    const toolName = text(current.tool_name) ?? ''
    const rec: CallRecord = {
      call: {
        tool_use_id: currentId,
        session_id: id,
        agent_id: null,
        prompt_id: null,
        tool_name: toolName,
        input_summary: text(current.input_summary) ?? '',
        started: num(current.since),
        ended: null,
        duration_ms: null,
        outcome: 'running',
        error: null,
        permission: null,
      },
      input: undefined,
      anonymous: false,
      closedBy: null,
      pending: null,
      child: null,
    }
    s.calls.set(currentId, rec)
    s.running.set(currentId, rec)
  }

  switch (state) {
    case 'ended':
      s.ended = true
      s.endReason = reason
      break
    case 'running tool':
    case 'stale':
      setMode(s, 'thinking')
      s.turnActive = true
      break
    case 'waiting for permission':
      setMode(s, 'thinking')
      s.turnActive = true
      if (natural(counts.pending_permissions) === 0) {
        s.notice = { state: 'waiting for permission', reason: reason ?? 'permission_prompt' }
      }
      break
    default:
      if (MODES.has(state)) setMode(s, state as Mode, reason)
      s.turnActive = state === 'thinking' || state === 'compacting'
      if (state === 'waiting for input' && reason !== null && reason !== '') {
        s.notice = { state: 'waiting for input', reason }
        setMode(s, 'waiting for input')
      }
  }

  const pendingCount = Math.min(natural(counts.pending_permissions), 1000)
  const currentRec = currentId !== null ? (s.running.get(currentId) ?? null) : null
  for (let i = 0; i < pendingCount; i++) {
    const toolName = stateTool ?? currentRec?.call.tool_name ?? ''
    const linked = i === 0 && currentRec !== null && currentRec.call.tool_name === toolName
    const perm: PermissionRecord = {
      tool_name: toolName,
      input: undefined,
      agent_id: null,
      requested: since ?? s.lastEventTime ?? 0,
      call: linked ? currentRec : null,
    }
    if (linked && currentRec !== null) {
      currentRec.pending = perm
      currentRec.call.permission = { requested: perm.requested, resolved: null }
    }
    s.pending.push(perm)
  }

  refreshState(s)
  // `state_since` as stored; a stored `stale` is derived again at read time, from the last event on
  s.stateSince = state === 'stale' ? s.lastEventTime : since
  return s
}
