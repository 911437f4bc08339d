/**
 * Decisions: what the observatory answers to a PreToolUse or a PermissionRequest, once the event is recorded.
 *
 *   1. the policy's rules (`Policy.decide`, hot-reloaded by the watcher): enforce → the decision's body
 *      (`decisionBody`: `hookSpecificOutput` as Claude Code reads it); shadow → decided and recorded, but the
 *      usual empty body;
 *   2. for a PermissionRequest no rule decided: a person's "Allow for this session" for this session and tool
 *      (rule `person (session)`, always sent: it is a person's answer, not the policy's);
 *   3. with approvals from the page (`--approve-from-page`): the request waits for a person, or for the approval
 *      timeout (then no decision: Claude Code shows its own prompt);
 *   4. else no decision: the empty body, as without a policy.
 *
 * Every decision (a rule's, enforce or shadow; a person's; a timeout; a withdrawn approval) is appended to the audit
 * log, in order, and queued for the store's next group commit (the `decisions` table; the API shows it on the
 * call). Any error on the way — a rule that throws, a body that cannot be made, an audit log that cannot be
 * written — is one line on stderr and the empty body: never an accidental allow, and never a deny nobody can
 * account for.
 */
import { performance } from 'node:perf_hooks'
import type { Response } from '../../transport/index.ts'
import type {
  AuditRecord,
  DecidableEvent,
  Decision,
  PolicyAction,
  PolicyLike,
} from '../policy/types.ts'
import type { HookEvent } from '../sessions/index.ts'
import type { Store } from '../store/index.ts'
import type { ApprovalChoice, ApprovalOutcome, Approvals } from './approvals.ts'

export type PolicyMode = 'enforce' | 'shadow'

/** Where the current policy comes from (the policy watcher): the last good one, and the last reload's error. */
export interface PolicySource {
  readonly policy: PolicyLike | undefined
  readonly error: string | null | undefined
}

/**
 * Where decisions are audited (the hash-chained audit log): the line is chained when `append` is called (so
 * records are in call order), and the promise settles once it is written.
 */
export interface AuditSink {
  append(record: AuditRecord): Promise<void>
}

/** The body Claude Code reads for a decision (policy/: `decisionBody`). */
export type BodyMaker = (decision: Decision, event: HookEvent) => string

export interface DecisionsOptions {
  /** The policy, when one is configured. */
  policy?: PolicySource | undefined
  mode: PolicyMode
  /** Approvals from the page, when on. */
  approvals?: Approvals | undefined
  audit?: AuditSink | undefined
  store?: Store | undefined
  body: BodyMaker
  /** One line on stderr. */
  log: (line: string) => void
}

/** What the ingest handler knows about the event to decide. */
export interface DecisionInput {
  name: DecidableEvent
  event: HookEvent
  /** `performance.now()` when the request reached the handler. */
  started: number
  /** The store id of the event (or its number without a store). */
  eventId: number | null
  /** The call: PreToolUse's `tool_use_id`, or the call the session model linked a PermissionRequest to. */
  toolUseId: string | null
  /** The hook's request: aborted when Claude Code (curl) gave up waiting. */
  signal: () => AbortSignal
}

/** Counters for /stats. */
export interface DecisionCounters {
  total: number
  byAction: Record<string, number>
  byMode: Record<string, number>
  /** Errors met while deciding (answered with no decision). */
  errors: number
}

/** The answer with no decision: what the observatory always answered before policies. */
export const NO_DECISION: Response = Object.freeze({
  status: 200,
  headers: Object.freeze([Object.freeze(['Content-Type', 'application/json'] as const)]),
  body: '',
})

/** The answer carrying a decision (curl hooks print it on stdout, http hooks read it). */
function decisionResponse(body: string): Response {
  return { status: 200, headers: [['Content-Type', 'application/json']], body }
}

/** What one record says, besides the event's fields. */
interface Outcome {
  decided_by: string
  action: PolicyAction | 'none'
  reason: string
  mode: PolicyMode
  /** The body sent ('' for none). */
  answer: string
}

const PERSON_ALLOWED = 'allowed from the observatory page'
const PERSON_ALLOWED_SESSION = 'allowed for this session from the observatory page'
const PERSON_DENIED = 'denied from the observatory page'

export class Decisions {
  readonly mode: PolicyMode
  readonly approvals: Approvals | undefined
  readonly #policy: PolicySource | undefined
  readonly #audit: AuditSink | undefined
  readonly #store: Store | undefined
  readonly #body: BodyMaker
  readonly #log: (line: string) => void
  readonly #counters: DecisionCounters = { total: 0, byAction: {}, byMode: {}, errors: 0 }

  constructor(options: DecisionsOptions) {
    this.mode = options.mode
    this.approvals = options.approvals
    this.#policy = options.policy
    this.#audit = options.audit
    this.#store = options.store
    this.#body = options.body
    this.#log = options.log
  }

  /** Whether anything can ever be decided (a policy or approvals are on). */
  get active(): boolean {
    return this.#policy !== undefined || this.approvals !== undefined
  }

  get counters(): DecisionCounters {
    const c = this.#counters
    return {
      total: c.total,
      byAction: { ...c.byAction },
      byMode: { ...c.byMode },
      errors: c.errors,
    }
  }

  /** An event that is not decided but matters: a session that ends takes its "allow for this session" with it. */
  observe(name: string, event: HookEvent): void {
    if (name === 'SessionEnd' && this.approvals !== undefined) {
      const session = event.session_id
      if (typeof session === 'string') this.approvals.forgetSession(session)
    }
  }

  /** The answer to a PreToolUse or PermissionRequest. Never throws, never rejects. */
  async answer(input: DecisionInput): Promise<Response> {
    let decision: Decision | undefined
    try {
      decision = this.#policy?.policy?.decide(input.event)
    } catch (error) {
      return this.#failed('the policy failed', error)
    }
    if (decision !== undefined) {
      // A rule decided. In shadow mode a PermissionRequest the rules decided does not go to the page either:
      // shadow changes nothing.
      if (this.mode === 'shadow') {
        return this.#send(input, { ...outcomeOf(decision, 'shadow'), answer: '' })
      }
      return this.#sendDecision(input, decision)
    }
    const approvals = this.approvals
    if (input.name !== 'PermissionRequest' || approvals === undefined) return NO_DECISION
    const session = stringOrNull(input.event.session_id)
    const tool = stringOrNull(input.event.tool_name) ?? ''
    if (approvals.granted(session, tool)) {
      return this.#sendDecision(
        input,
        personDecision('allow', 'person (session)', 'allow-session', null),
      )
    }
    return this.#waitForPerson(input, approvals, session, tool)
  }

  async #waitForPerson(
    input: DecisionInput,
    approvals: Approvals,
    session: string | null,
    tool: string,
  ): Promise<Response> {
    let outcome: ApprovalOutcome
    try {
      const event = input.event
      const pending = approvals.request(
        {
          session_id: session,
          cwd: stringOrNull(event.cwd),
          tool_name: tool,
          tool_input: event.tool_input,
          permission_mode: stringOrNull(event.permission_mode),
          agent_id: stringOrNull(event.agent_id),
        },
        input.signal(),
      )
      outcome = await pending.outcome
    } catch (error) {
      return this.#failed('the approval failed', error)
    }
    switch (outcome.kind) {
      case 'allow':
      case 'deny':
        return this.#sendDecision(
          input,
          personDecision(outcome.kind, outcome.by, outcome.choice, outcome.message),
        )
      case 'expired':
        return this.#send(input, {
          decided_by: 'timeout',
          action: 'none',
          reason: 'nobody decided on the page in time',
          mode: 'enforce',
          answer: '',
        })
      case 'withdrawn':
        return this.#send(input, {
          decided_by: outcome.by,
          action: 'none',
          reason:
            outcome.by === 'shutdown'
              ? 'the observatory stopped'
              : 'the client went away before anyone decided',
          mode: 'enforce',
          answer: '',
        })
    }
  }

  /** An enforced decision: its body, recorded, sent. */
  #sendDecision(input: DecisionInput, decision: Decision): Promise<Response> {
    let body: string
    try {
      body = this.#body(decision, input.event)
    } catch (error) {
      return Promise.resolve(this.#failed('the decision body failed', error))
    }
    return this.#send(input, { ...outcomeOf(decision, 'enforce'), answer: body })
  }

  /**
   * Audit, store and count what was decided, then answer with `outcome.answer` (none when ''). The answer waits
   * for the audit line to be written: nothing is sent that the audit trail does not have.
   */
  async #send(input: DecisionInput, outcome: Outcome): Promise<Response> {
    const latency = Math.round((performance.now() - input.started) * 1000) / 1000
    const event = input.event
    const now = Date.now()
    const record: AuditRecord = {
      ts: new Date(now).toISOString(),
      session_id: stringOrNull(event.session_id),
      tool_name: stringOrNull(event.tool_name),
      tool_use_id: input.toolUseId,
      event: input.name,
      decided_by: outcome.decided_by,
      action: outcome.action,
      reason: outcome.reason,
      mode: outcome.mode,
      answer: outcome.answer,
      latency_ms: latency,
      event_id: input.eventId,
    }
    // Chained now (in decision order), written before the answer goes.
    if (this.#audit !== undefined) {
      try {
        await this.#audit.append(record)
      } catch (error) {
        return this.#failed('the audit log could not be written', error)
      }
    }
    const c = this.#counters
    c.total++
    c.byAction[outcome.action] = (c.byAction[outcome.action] ?? 0) + 1
    c.byMode[outcome.mode] = (c.byMode[outcome.mode] ?? 0) + 1
    const store = this.#store
    if (store !== undefined) {
      try {
        store
          .putDecision({
            ts: now,
            session_id: record.session_id,
            tool_use_id: record.tool_use_id,
            tool_name: record.tool_name,
            event: record.event,
            decided_by: record.decided_by,
            action: record.action,
            mode: record.mode,
            reason: record.reason,
            latency_ms: latency,
            event_id: record.event_id,
          })
          .catch(() => {
            // The store says so itself (one line per failed commit); the audit log has the decision.
          })
      } catch (error) {
        // A closed store (shutdown): the audit log has the decision.
        this.#log(`Decision not stored: ${messageOf(error)}`)
      }
    }
    return outcome.answer === '' ? NO_DECISION : decisionResponse(outcome.answer)
  }

  #failed(what: string, error: unknown): Response {
    this.#counters.errors++
    this.#log(`Decision: ${what}, answering with no decision: ${messageOf(error)}`)
    return NO_DECISION
  }
}

function outcomeOf(decision: Decision, mode: PolicyMode): Omit<Outcome, 'answer'> {
  return { decided_by: decision.rule, action: decision.action, reason: decision.reason, mode }
}

/** A person's answer to a PermissionRequest, as a decision. */
export function personDecision(
  action: 'allow' | 'deny',
  by: 'person' | 'person (session)',
  choice: ApprovalChoice,
  message: string | null,
): Decision {
  const reason =
    message ??
    (action === 'deny'
      ? PERSON_DENIED
      : choice === 'allow-session'
        ? PERSON_ALLOWED_SESSION
        : PERSON_ALLOWED)
  return { event: 'PermissionRequest', action, rule: by, reason, source: 'page' }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.split('\n', 1)[0] ?? ''
}
