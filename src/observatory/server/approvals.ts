/**
 * Approvals from the page (`serve --approve-from-page`): a PermissionRequest that no rule decided waits here until
 * a person decides on the dashboard (Allow, Deny, Allow for this session) or until the approval timeout; the hook's
 * request is held open meanwhile and answered with what came of it.
 *
 * Rules:
 * - A decision is final once given: the first of a person's decision, the timeout, the client going away (the
 *   hook's request aborted: `withdrawn`) and shutdown settles the approval, synchronously, and everything after it
 *   is refused (`decide` answers `final`, the API's 409). Finished approvals are remembered (the last
 *   {@link KEEP_FINISHED}) so that a late second decision is a 409, not a 404.
 * - Allow for this session: the session and the tool are remembered, so that later PermissionRequests of the same
 *   session and tool are allowed at once (`granted`, rule `person (session)`), and the approvals of that session
 *   and tool already waiting are allowed with it. Without a session id it is a plain Allow. A session's grants are
 *   forgotten when it ends (`forgetSession`).
 * - Every change is told to the subscribers (the live stream's `event: approval`): `pending`, `resolved` (a
 *   person's decision), `expired` (the timeout), `withdrawn` (the client went away, or the server stops).
 *
 * No I/O and no HTTP here: the server's decisions.ts turns outcomes into answers, the audit trail and the store.
 */
import { randomUUID } from 'node:crypto'
import { inputSummary } from '../sessions/summary.ts'

/** What a person can answer. */
export type ApprovalChoice = 'allow' | 'deny' | 'allow-session'

export type ApprovalState = 'pending' | 'allowed' | 'denied' | 'expired' | 'withdrawn'

/** One approval as the API and the live stream show it (plain JSON). */
export interface Approval {
  id: string
  session_id: string | null
  cwd: string | null
  tool_name: string
  tool_input: unknown
  /** The input in one line (a Bash command, a file path…), as on the session's tool calls. */
  input_summary: string
  permission_mode: string | null
  /** The subagent asking, or null for the main agent. */
  agent_id: string | null
  /** Epoch ms. */
  created: number
  /** Epoch ms: then it expires and Claude Code asks in the terminal. */
  deadline: number
  state: ApprovalState
  /** Who settled it: `person`, `person (session)`, `timeout`, `withdrawn`, `shutdown`; null while pending. */
  decided_by: string | null
  /** The person's choice, null otherwise. */
  choice: ApprovalChoice | null
  /** The person's message (a deny's reason, shown to Claude), or null. */
  message: string | null
  /** Epoch ms when it was settled, or null. */
  resolved: number | null
}

/** What the hook's request is answered with. */
export type ApprovalOutcome =
  | {
      kind: 'allow' | 'deny'
      by: 'person' | 'person (session)'
      /** The person's choice: `allow-session` for the request clicked and those it allowed with it. */
      choice: ApprovalChoice
      message: string | null
    }
  | { kind: 'expired' }
  | { kind: 'withdrawn'; by: 'withdrawn' | 'shutdown' }

export type ApprovalEventType = 'pending' | 'resolved' | 'expired' | 'withdrawn'

export type ApprovalListener = (type: ApprovalEventType, approval: Approval) => void

/** The fields of a PermissionRequest an approval shows. */
export interface ApprovalRequest {
  session_id: string | null
  cwd: string | null
  tool_name: string
  tool_input: unknown
  permission_mode: string | null
  agent_id: string | null
}

export type DecideResult =
  | { status: 'ok'; approval: Approval }
  | { status: 'unknown' }
  | { status: 'final'; approval: Approval }

export interface ApprovalsOptions {
  /** How long a request waits for a person. */
  timeoutMs: number
  /** The clock (epoch ms), for the timestamps. Timers are real. */
  now?: () => number
}

/** Finished approvals remembered for the 409 of a late decision. */
export const KEEP_FINISHED = 1000

interface Entry {
  approval: Approval
  settle: (outcome: ApprovalOutcome) => void
  timer: NodeJS.Timeout
  signal: AbortSignal | undefined
  onAbort: () => void
}

export class Approvals {
  readonly timeoutMs: number
  readonly #now: () => number
  readonly #pending = new Map<string, Entry>()
  readonly #finished = new Map<string, Approval>()
  /** session id → tools allowed for the rest of the session. */
  readonly #grants = new Map<string, Set<string>>()
  readonly #listeners = new Set<ApprovalListener>()
  #closed = false

  constructor(options: ApprovalsOptions) {
    if (!(options.timeoutMs > 0)) throw new RangeError('the approval timeout must be positive')
    this.timeoutMs = options.timeoutMs
    this.#now = options.now ?? Date.now
  }

  /** Be told of every change; returns the unsubscribe function. */
  subscribe(listener: ApprovalListener): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /**
   * Put a request on the page. `outcome` settles once it is decided, expires, or is withdrawn (the `signal`
   * aborts: the client went away; or `close`). After `close` a request is withdrawn at once.
   */
  request(
    request: ApprovalRequest,
    signal?: AbortSignal,
  ): { approval: Approval; outcome: Promise<ApprovalOutcome> } {
    const created = this.#now()
    const approval: Approval = {
      id: randomUUID(),
      session_id: request.session_id,
      cwd: request.cwd,
      tool_name: request.tool_name,
      tool_input: request.tool_input ?? null,
      input_summary: inputSummary(request.tool_name, request.tool_input),
      permission_mode: request.permission_mode,
      agent_id: request.agent_id,
      created,
      deadline: created + this.timeoutMs,
      state: 'pending',
      decided_by: null,
      choice: null,
      message: null,
      resolved: null,
    }
    if (this.#closed || signal?.aborted === true) {
      // Never shown: nobody was waiting for it.
      const by = this.#closed ? 'shutdown' : 'withdrawn'
      this.#finish(approval, 'withdrawn', by)
      return { approval: { ...approval }, outcome: Promise.resolve({ kind: 'withdrawn', by }) }
    }
    let settle!: (outcome: ApprovalOutcome) => void
    const outcome = new Promise<ApprovalOutcome>((resolve) => {
      settle = resolve
    })
    const id = approval.id
    const entry: Entry = {
      approval,
      settle,
      timer: setTimeout(() => this.#expire(id), this.timeoutMs),
      signal,
      onAbort: () => this.#withdraw(id, 'withdrawn'),
    }
    signal?.addEventListener('abort', entry.onAbort, { once: true })
    this.#pending.set(id, entry)
    this.#emit('pending', approval)
    return { approval: { ...approval }, outcome }
  }

  /** The waiting approvals, oldest first. */
  pending(): Approval[] {
    return [...this.#pending.values()].map((entry) => ({ ...entry.approval }))
  }

  /** How many are waiting. */
  get size(): number {
    return this.#pending.size
  }

  /** One approval, waiting or recently finished. */
  get(id: string): Approval | undefined {
    const found = this.#pending.get(id)?.approval ?? this.#finished.get(id)
    return found === undefined ? undefined : { ...found }
  }

  /** A person's decision. `final` when it was settled already; `unknown` for an id never seen (or long gone). */
  decide(id: string, choice: ApprovalChoice, message?: string | null): DecideResult {
    const entry = this.#pending.get(id)
    if (entry === undefined) {
      const done = this.#finished.get(id)
      return done === undefined ? { status: 'unknown' } : { status: 'final', approval: { ...done } }
    }
    const text = message === undefined || message === null || message === '' ? null : message
    const approval = entry.approval
    this.#settle(entry, choice === 'deny' ? 'denied' : 'allowed', 'person', choice, text)
    entry.settle({
      kind: choice === 'deny' ? 'deny' : 'allow',
      by: 'person',
      choice,
      message: text,
    })
    this.#emit('resolved', approval)
    if (choice === 'allow-session' && approval.session_id !== null) {
      const session = approval.session_id
      let tools = this.#grants.get(session)
      if (tools === undefined) {
        tools = new Set()
        this.#grants.set(session, tools)
      }
      tools.add(approval.tool_name)
      // The same session's requests for the same tool that are already waiting go with it.
      for (const other of [...this.#pending.values()]) {
        const a = other.approval
        if (a.session_id !== session || a.tool_name !== approval.tool_name) continue
        this.#settle(other, 'allowed', 'person (session)', choice, text)
        other.settle({ kind: 'allow', by: 'person (session)', choice, message: text })
        this.#emit('resolved', a)
      }
    }
    return { status: 'ok', approval: { ...approval } }
  }

  /** Whether a person allowed `tool` for the rest of `session` (Allow for this session). */
  granted(session: string | null, tool: string): boolean {
    return session !== null && this.#grants.get(session)?.has(tool) === true
  }

  /** The session ended: its grants go. */
  forgetSession(session: string): void {
    this.#grants.delete(session)
  }

  /** Withdraw every waiting approval (shutdown: their hooks get "no decision" at once); refuse new ones. */
  close(): void {
    this.#closed = true
    for (const id of [...this.#pending.keys()]) this.#withdraw(id, 'shutdown')
  }

  #expire(id: string): void {
    const entry = this.#pending.get(id)
    if (entry === undefined) return
    this.#settle(entry, 'expired', 'timeout', null, null)
    entry.settle({ kind: 'expired' })
    this.#emit('expired', entry.approval)
  }

  #withdraw(id: string, by: 'withdrawn' | 'shutdown'): void {
    const entry = this.#pending.get(id)
    if (entry === undefined) return
    this.#settle(entry, 'withdrawn', by, null, null)
    entry.settle({ kind: 'withdrawn', by })
    this.#emit('withdrawn', entry.approval)
  }

  /** Take `entry` out of the waiting list, final from now on. */
  #settle(
    entry: Entry,
    state: ApprovalState,
    by: string,
    choice: ApprovalChoice | null,
    message: string | null,
  ): void {
    clearTimeout(entry.timer)
    entry.signal?.removeEventListener('abort', entry.onAbort)
    this.#pending.delete(entry.approval.id)
    entry.approval.choice = choice
    entry.approval.message = message
    this.#finish(entry.approval, state, by)
  }

  #finish(approval: Approval, state: ApprovalState, by: string): void {
    approval.state = state
    approval.decided_by = by
    approval.resolved = this.#now()
    this.#finished.set(approval.id, approval)
    if (this.#finished.size > KEEP_FINISHED) {
      const oldest = this.#finished.keys().next().value
      if (oldest !== undefined) this.#finished.delete(oldest)
    }
  }

  #emit(type: ApprovalEventType, approval: Approval): void {
    for (const listener of this.#listeners) {
      try {
        listener(type, { ...approval })
      } catch {
        // A listener's failure is its own (the live stream never throws); the others are still told.
      }
    }
  }
}
