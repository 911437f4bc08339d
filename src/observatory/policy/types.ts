/**
 * The policy room's contract: what the server, the CLI and the page use. A policy turns a PreToolUse or a
 * PermissionRequest into a decision, or into none ("no decision": Claude Code does what it would do without us).
 */
import type { HookEvent } from '../sessions/index.ts'

/** What a rule can answer. PreToolUse: allow | deny | ask | defer. PermissionRequest: allow | deny. */
export type PolicyAction = 'allow' | 'deny' | 'ask' | 'defer'

/** The events a policy can decide. */
export type DecidableEvent = 'PreToolUse' | 'PermissionRequest'

/** A decision, with where it came from. */
export interface Decision {
  event: DecidableEvent
  action: PolicyAction
  /** The rule's `name` (or `person` / `person (session)` for approvals from the page). */
  rule: string
  /** The rule's `reason` (shown to Claude Code, hence to the model, and in the audit trail). */
  reason: string
  /** The file the rule came from (for the audit trail and `policy test`). */
  source: string
}

/** A parsed, validated policy: its rules in precedence order. */
export interface PolicyLike {
  readonly rules: number
  readonly sources: readonly string[]
  /** The decision for `event` (a parsed hook payload with `_event`/`hook_event_name`), or undefined. */
  decide(event: HookEvent): Decision | undefined
}

/** Audit record of one decision (one line of the hash-chained audit log). */
export interface AuditRecord {
  /** ISO 8601 time of the decision. */
  ts: string
  session_id: string | null
  tool_name: string | null
  tool_use_id: string | null
  event: DecidableEvent
  /** Who decided: a rule's name, `person`, or `timeout` (no decision sent). */
  decided_by: string
  action: PolicyAction | 'none'
  reason: string
  mode: 'enforce' | 'shadow'
  /** The body sent to Claude Code ('' for no decision). */
  answer: string
  /** Milliseconds from the request's arrival to the answer. */
  latency_ms: number
  /** The store id of the hook event, when stored. */
  event_id: number | null
}
