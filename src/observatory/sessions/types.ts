/**
 * The session model's public shapes: what the server, the store, the API, `observatory query` and the page read.
 * Every field is plain JSON (times are epoch milliseconds, `null` when unknown) so a value can be stored, sent
 * and compared as it is.
 */

/** A parsed hook event as written on a line: `_ts`, `_event`, metadata, then the payload's keys. */
export type HookEvent = Record<string, unknown>

/**
 * Where a session stands.
 * - `starting`: SessionStart (or Setup) seen, no prompt yet;
 * - `thinking`: a turn is in progress and no tool is running (after UserPromptSubmit, PostToolUse…);
 * - `running tool`: at least one call started (PreToolUse) and not finished;
 * - `waiting for permission`: a PermissionRequest (or a permission Notification) is unanswered;
 * - `waiting for input`: the turn ended (Stop) or Claude Code asks the user (idle prompt, elicitation);
 * - `compacting`: PreCompact seen, PostCompact not yet;
 * - `idle`: alive, nothing in progress (e.g. after StopFailure or a resumed session before its first prompt);
 * - `stale`: `thinking`, `running tool`, `starting` or `compacting` with no event for longer than the stale
 *   threshold (the turn probably died without a Stop). Derived at read time, never stored as a transition;
 * - `ended`: SessionEnd (with its `reason`).
 */
export type SessionState =
  | 'starting'
  | 'thinking'
  | 'running tool'
  | 'waiting for permission'
  | 'waiting for input'
  | 'compacting'
  | 'idle'
  | 'stale'
  | 'ended'

export type ToolOutcome = 'running' | 'ok' | 'failed' | 'denied' | 'interrupted'

/** One tool call, paired by `tool_use_id` (PreToolUse → PostToolUse | PostToolUseFailure | PostToolBatch…). */
export interface ToolCall {
  tool_use_id: string
  session_id: string
  /** The subagent that made the call (`agent_id` of its events), or null for the main agent. */
  agent_id: string | null
  /** The turn (`prompt_id`) the call belongs to, or null. */
  prompt_id: string | null
  tool_name: string
  /** A one-line summary of `tool_input` (a Bash command, a file path, a pattern…), at most 200 characters. */
  input_summary: string
  /** Epoch ms of PreToolUse (or of the first event that named the call). */
  started: number | null
  ended: number | null
  /** `duration_ms` when Claude Code sent it, else ended − started, else null. */
  duration_ms: number | null
  outcome: ToolOutcome
  /** The error text of a failed call (PostToolUseFailure `error`), else null. */
  error: string | null
  /** The PermissionRequest linked to this call (by session, tool and input), if there was one. */
  permission: { requested: number; resolved: number | null } | null
  /**
   * The last decision the observatory took on this call (a policy rule or a person, on its PreToolUse or its
   * PermissionRequest), null when none; set by the API (`GET /api/sessions/{id}`) when decisions are on or the
   * session has some, absent elsewhere.
   */
  decision?: ToolCallDecision | null
  /**
   * What Claude Code's telemetry said of the call (its `claude_code.tool_result` log event, matched by
   * `tool_use_id`), null when none; set by the API (`GET /api/sessions/{id}`) when the session has `tool_result`
   * events, absent elsewhere.
   */
  telemetry?: ToolCallTelemetry | null
}

/** A tool call's `tool_result` telemetry event, as the API shows it on the call. */
export interface ToolCallTelemetry {
  duration_ms: number | null
  success: boolean | null
  error: string | null
  /** `decision_type` (accept, reject…), or null. */
  decision: string | null
  /** `decision_source` (config, user_temporary, hook…), or null. */
  decision_source: string | null
  result_size_bytes: number | null
}

/** A decision on a tool call, as the API shows it on the call (the audit log has the whole record). */
export interface ToolCallDecision {
  /** allow | deny | ask | defer, or `none` when nothing was sent (an approval that timed out or was withdrawn). */
  action: string
  /** A rule's name, `person`, `person (session)`, `timeout`, `withdrawn`. */
  decided_by: string
  /** `enforce` (sent to Claude Code) or `shadow` (recorded only). */
  mode: string
  reason: string
}

/** One user turn, by `prompt_id`. */
export interface Turn {
  prompt_id: string
  /** The prompt text (UserPromptSubmit `prompt`), at most 2,000 characters, or '' when not seen. */
  prompt: string
  started: number | null
  ended: number | null
  duration_ms: number | null
  outcome: 'running' | 'done' | 'failed' | 'interrupted'
  /** `tool_use_id`s of the turn's calls, in start order. */
  tool_calls: string[]
  /**
   * The turn's API usage from Claude Code's telemetry (OTLP), null when none arrived for it; set by the API
   * (`GET /api/sessions/{id}`) when the session has telemetry, absent elsewhere.
   */
  usage?: Usage | null
}

/** API usage from Claude Code's telemetry (`claude_code.api_request` log events), summed. */
export interface Usage {
  cost_usd: number
  input_tokens: number
  output_tokens: number
  cache_read_tokens: number
  cache_creation_tokens: number
  /** API requests counted. */
  api_requests: number
  /** The requests' `duration_ms`, summed. */
  api_duration_ms: number
  /** The models named, sorted. */
  models: string[]
}

/** One turn's usage (`prompt_id` null: requests that named no turn). */
export interface TurnUsage extends Usage {
  prompt_id: string | null
}

/** A session's usage with the times of its first and last request (epoch ms). */
export interface SessionUsage extends Usage {
  first_ts: number
  last_ts: number
}

/** A subagent, by `agent_id`; nested under the call that started it when that can be told. */
export interface Subagent {
  agent_id: string
  agent_type: string
  /** The `tool_use_id` of the main agent's call (Task/Agent) that started it, when known. */
  parent_tool_use_id: string | null
  /** The parent subagent's `agent_id` for nested subagents, else null. */
  parent_agent_id: string | null
  started: number | null
  ended: number | null
  state: 'running' | 'done'
  tool_calls: number
}

/** What a session list shows: one row per session. */
export interface SessionSummary {
  session_id: string
  state: SessionState
  /** When the session entered `state` (epoch ms). */
  state_since: number | null
  /** The tool the state is about (running, or waiting for permission), else null. */
  state_tool: string | null
  /** SessionEnd `reason` for `ended`; the Notification type for waits; else null. */
  state_reason: string | null
  /** The call that is running (the latest started, when several are), else null. */
  current_tool: {
    tool_use_id: string
    tool_name: string
    input_summary: string
    since: number | null
  } | null
  cwd: string | null
  /** The repository or folder name the session works in (last path component of `cwd`). */
  project: string | null
  model: string | null
  permission_mode: string | null
  /** SessionStart `source` (startup, resume, clear, compact). */
  source: string | null
  transcript_path: string | null
  started: number | null
  last_event: string
  last_event_time: number | null
  /** The last prompt's text (at most 200 characters), or null. */
  last_prompt: string | null
  counts: {
    events: number
    turns: number
    tool_calls: number
    tool_failures: number
    subagents: number
    /** PermissionRequests not yet resolved. */
    pending_permissions: number
  }
  /**
   * The session's API usage from Claude Code's telemetry (OTLP), null when none arrived; set by the API, absent
   * elsewhere.
   */
  usage?: Usage | null
}

/** Everything known about one session. */
export interface SessionDetail extends SessionSummary {
  turns: Turn[]
  tool_calls: ToolCall[]
  /** Flat list; `parent_tool_use_id` / `parent_agent_id` give the tree. */
  subagents: Subagent[]
}

/** What one `apply()` changed, so the caller can persist exactly that. */
export interface ApplyResult {
  /** The session the event belongs to ('' when the event had no session_id: nothing changed). */
  session_id: string
  /** Tool calls that changed state (started, ended, linked to a permission), as they are now. */
  tool_calls: ToolCall[]
}
