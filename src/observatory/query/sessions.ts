/**
 * `--sessions`: one row per session_id, with a state derived from the session's latest events.
 *
 * States (in the spirit of the original query-hooks.py `--waiting`, minus its /proc liveness check):
 * - `running tool`: the latest event is PreToolUse, or a PostToolUse/PostToolUseFailure while another call
 *   started earlier (matched by `tool_use_id`) has not finished yet;
 * - `waiting for permission`: PermissionRequest, or a Notification of type `permission_prompt` (or whose message
 *   mentions permission);
 * - `waiting for input`: Stop, or a Notification of type `idle_prompt` / `elicitation_dialog` (or whose message
 *   says it is waiting for input);
 * - `thinking`: UserPromptSubmit, PostToolUse, PostToolUseFailure, SubagentStart, SubagentStop, PreCompact;
 * - `ended`: SessionEnd;
 * - `idle`: SessionStart, or any other event.
 * Notifications that say nothing about waiting (e.g. `auth_success`) count as activity but leave the state as it
 * was. Stop, UserPromptSubmit and SessionEnd forget unfinished tool calls (a denied call never gets a Post event).
 */
import { eventName, type HookEvent, text } from './records.ts'

export type SessionState =
  | 'running tool'
  | 'waiting for permission'
  | 'waiting for input'
  | 'thinking'
  | 'ended'
  | 'idle'

/** One session's summary. */
export interface SessionRow {
  session_id: string
  state: SessionState
  /** The event the state was derived from. */
  last_event: string
  /** Tool of the latest event that named one ('' when none did). */
  last_tool: string
  /** Number of events seen for the session (after filters). */
  events: number
  /** `_ts` of the latest event. */
  last_activity: string
  /** Latest working directory reported. */
  cwd: string
}

/** A session row and its latest activity in epoch milliseconds (NaN when no event had a timestamp). */
export interface TrackedSession {
  row: SessionRow
  time: number
}

interface SessionAccumulator {
  row: SessionRow
  time: number
  order: number
  pending: Map<string, string>
}

/** The state a Notification implies, or undefined when it implies nothing. */
function notificationState(event: HookEvent): SessionState | undefined {
  const type = text(event, 'notification_type')
  const message = text(event, 'message')
  if (type === 'permission_prompt' || (type === '' && /permission/i.test(message))) {
    return 'waiting for permission'
  }
  if (
    type === 'idle_prompt' ||
    type === 'elicitation_dialog' ||
    (type === '' && /waiting for (your )?input/i.test(message))
  ) {
    return 'waiting for input'
  }
  return undefined
}

/** Collects events into per-session rows. Feed events in log order with {@link add}. */
export class SessionTracker {
  private readonly bySession = new Map<string, SessionAccumulator>()
  private counter = 0

  add(event: HookEvent, time: number): void {
    const id = text(event, 'session_id')
    if (id === '') return
    let acc = this.bySession.get(id)
    if (acc === undefined) {
      acc = {
        row: {
          session_id: id,
          state: 'idle',
          last_event: '',
          last_tool: '',
          events: 0,
          last_activity: '',
          cwd: '',
        },
        time: Number.NaN,
        order: 0,
        pending: new Map(),
      }
      this.bySession.set(id, acc)
    }
    const row = acc.row
    row.events++
    acc.order = this.counter++
    const ts = text(event, '_ts')
    if (ts !== '') row.last_activity = ts
    if (!Number.isNaN(time)) acc.time = time
    const cwd = text(event, 'cwd')
    if (cwd !== '') row.cwd = cwd
    const tool = text(event, 'tool_name')
    if (tool !== '') row.last_tool = tool

    const name = eventName(event)
    const callId = text(event, 'tool_use_id')
    let state: SessionState | undefined
    switch (name) {
      case 'PreToolUse':
        if (callId !== '') acc.pending.set(callId, tool)
        state = 'running tool'
        break
      case 'PostToolUse':
      case 'PostToolUseFailure':
        if (callId !== '') acc.pending.delete(callId)
        state = acc.pending.size > 0 ? 'running tool' : 'thinking'
        break
      case 'PermissionRequest':
        state = 'waiting for permission'
        break
      case 'Notification':
        state = notificationState(event)
        break
      case 'Stop':
        acc.pending.clear()
        state = 'waiting for input'
        break
      case 'UserPromptSubmit':
        acc.pending.clear()
        state = 'thinking'
        break
      case 'SubagentStart':
      case 'SubagentStop':
      case 'PreCompact':
        state = 'thinking'
        break
      case 'SessionEnd':
        acc.pending.clear()
        state = 'ended'
        break
      default:
        state = 'idle'
    }
    if (state !== undefined) {
      row.state = state
      row.last_event = name
    }
  }

  /** The sessions, most recently active first. */
  sessions(): TrackedSession[] {
    return [...this.bySession.values()]
      .sort((a, b) => {
        const ta = Number.isNaN(a.time) ? -Infinity : a.time
        const tb = Number.isNaN(b.time) ? -Infinity : b.time
        return tb - ta || b.order - a.order
      })
      .map((acc) => ({ row: { ...acc.row }, time: acc.time }))
  }
}

/** "5s", "3m", "2h", "4d" since `time`, relative to `now`. */
export function ago(time: number, now: number): string {
  if (Number.isNaN(time)) return '?'
  const seconds = Math.max(0, Math.floor((now - time) / 1000))
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`
  return `${Math.floor(seconds / 86400)}d`
}
