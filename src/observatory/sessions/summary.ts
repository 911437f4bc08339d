/**
 * One-line descriptions for the session model: what a tool call is about (`inputSummary`) and which project a
 * session works in (`project`). Pure and bounded: a huge `tool_input` (a Write's content, an MCP payload) is never
 * serialized in full, only as far as the 200 characters shown.
 */
import type { SessionSummary, SessionUsage, Usage } from './types.ts'

/** The longest input summary, in characters (code points). */
export const INPUT_SUMMARY_MAX = 200

/** Newlines are shown as this sign, so a multi-line command stays on one line and still reads as several. */
const NEWLINE_SIGN = '⏎'

function field(input: unknown, key: string): string {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return ''
  const value = (input as Record<string, unknown>)[key]
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return ''
}

/**
 * A short description of a call's input: the Bash command, the file path (Read, Write, Edit…), the pattern (Grep,
 * Glob), the URL (WebFetch), the query (WebSearch), the description or subagent type (Task, Agent); for any other
 * tool, or when that field is missing, the input as compact JSON. One line (newlines become ⏎, other control
 * characters spaces), at most {@link INPUT_SUMMARY_MAX} characters, ending with '…' when cut.
 */
export function inputSummary(toolName: unknown, toolInput: unknown): string {
  let text = ''
  switch (typeof toolName === 'string' ? toolName : '') {
    case 'Bash':
    case 'PowerShell':
      text = field(toolInput, 'command')
      break
    case 'Read':
    case 'Write':
    case 'Edit':
    case 'MultiEdit':
      text = field(toolInput, 'file_path')
      break
    case 'NotebookEdit':
      text = field(toolInput, 'notebook_path') || field(toolInput, 'file_path')
      break
    case 'Grep':
    case 'Glob':
      text = field(toolInput, 'pattern')
      break
    case 'WebFetch':
      text = field(toolInput, 'url')
      break
    case 'WebSearch':
      text = field(toolInput, 'query')
      break
    case 'Task':
    case 'Agent':
      text = field(toolInput, 'description') || field(toolInput, 'subagent_type')
      break
  }
  if (text === '' && toolInput !== undefined && toolInput !== null) {
    text = compactJson(toolInput, INPUT_SUMMARY_MAX + 1)
  }
  return truncate(oneLine(text), INPUT_SUMMARY_MAX)
}

/** Newlines as ⏎, other control characters as spaces, runs of spaces collapsed, trimmed. */
export function oneLine(text: string): string {
  return text
    .replace(/\r\n|\r|\n/g, NEWLINE_SIGN)
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim()
}

/** Cuts `text` to `max` characters (code points), ending with '…' when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text // code units ≥ code points: nothing to cut
  const chars = Array.from(text)
  if (chars.length <= max) return text
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`
}

/**
 * `value` as compact JSON, stopping once `limit` characters are written (the result is then longer than `limit`
 * by at most one token, and the caller truncates it). Never throws: cycles, functions and the like are skipped.
 */
export function compactJson(value: unknown, limit: number): string {
  const out: string[] = []
  let length = 0
  const seen = new Set<object>()
  const push = (piece: string): boolean => {
    out.push(piece)
    length += piece.length
    return length < limit
  }
  const write = (item: unknown): boolean => {
    switch (typeof item) {
      case 'string':
        return push(JSON.stringify(item.length > limit ? item.slice(0, limit) : item))
      case 'number':
        return push(Number.isFinite(item) ? String(item) : 'null')
      case 'boolean':
        return push(String(item))
      case 'bigint':
        return push(item.toString())
      case 'object': {
        if (item === null) return push('null')
        if (seen.has(item)) return push('null')
        seen.add(item)
        if (Array.isArray(item)) {
          if (!push('[')) return false
          for (let i = 0; i < item.length; i++) {
            if (i > 0 && !push(',')) return false
            if (!write(item[i])) return false
          }
          return push(']')
        }
        const entries: Iterable<[unknown, unknown]> =
          item instanceof Map ? item.entries() : Object.entries(item)
        if (!push('{')) return false
        let first = true
        for (const [key, entry] of entries) {
          if (entry === undefined || typeof entry === 'function') continue
          if (!first && !push(',')) return false
          first = false
          if (!push(`${JSON.stringify(String(key))}:`)) return false
          if (!write(entry)) return false
        }
        return push('}')
      }
      default:
        return push('null')
    }
  }
  try {
    write(value)
  } catch {
    // a getter that throws, a proxy…: keep what was written
  }
  return out.join('')
}

/**
 * The project a session works in: the last component of `cwd` (`/home/me/src/app/` → `app`), or null when there
 * is no cwd. Both `/` and `\` separate components; a root (`/`, `C:\`) is returned as it is.
 */
export function project(cwd: unknown): string | null {
  if (typeof cwd !== 'string' || cwd === '') return null
  const trimmed = cwd.replace(/[\\/]+$/, '')
  if (trimmed === '' || /^[A-Za-z]:$/.test(trimmed)) return cwd
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'))
  return trimmed.slice(cut + 1)
}

/**
 * A usage's own fields (without a turn's or a session's extras such as its first and last times), or null: what
 * the API and `query --sessions` show.
 */
export function usageFields(u: Usage | undefined): Usage | null {
  if (u === undefined) return null
  return {
    cost_usd: u.cost_usd,
    input_tokens: u.input_tokens,
    output_tokens: u.output_tokens,
    cache_read_tokens: u.cache_read_tokens,
    cache_creation_tokens: u.cache_creation_tokens,
    api_requests: u.api_requests,
    api_duration_ms: u.api_duration_ms,
    models: u.models,
  }
}

/**
 * A session known only from Claude Code's telemetry (no hook event): listed `idle`, with its usage (null when it
 * sent no `api_request`, only other telemetry).
 */
export function telemetrySummary(
  sessionId: string,
  usage: SessionUsage | undefined,
  times: { first_ts: number | null; last_ts: number | null } = { first_ts: null, last_ts: null },
): SessionSummary {
  const first = usage?.first_ts ?? times.first_ts
  const last =
    usage === undefined
      ? times.last_ts
      : Math.max(usage.last_ts, times.last_ts ?? Number.NEGATIVE_INFINITY)
  return {
    session_id: sessionId,
    state: 'idle',
    state_since: first,
    state_tool: null,
    state_reason: null,
    current_tool: null,
    cwd: null,
    project: null,
    model: usage?.models[0] ?? null,
    permission_mode: null,
    source: null,
    transcript_path: null,
    started: first,
    last_event: usage === undefined ? 'telemetry' : 'api_request',
    last_event_time: last,
    last_prompt: null,
    counts: {
      events: 0,
      turns: 0,
      tool_calls: 0,
      tool_failures: 0,
      subagents: 0,
      pending_permissions: 0,
    },
    usage: usageFields(usage),
  }
}

/**
 * The sessions with their `usage` (null without telemetry), and the sessions known only from telemetry, most
 * recently active first (stable: the given order is kept among equal times). For the API and `query --sessions`.
 */
export function withTelemetryUsage(
  summaries: readonly SessionSummary[],
  usage: ReadonlyMap<string, SessionUsage>,
): SessionSummary[] {
  const result = summaries.map((summary) => ({
    ...summary,
    usage: usageFields(usage.get(summary.session_id)),
  }))
  if (usage.size === 0) return result
  const known = new Set(summaries.map((summary) => summary.session_id))
  const extra: SessionSummary[] = []
  for (const [id, u] of usage) if (!known.has(id)) extra.push(telemetrySummary(id, u))
  if (extra.length === 0) return result
  const time = (summary: SessionSummary) => summary.last_event_time ?? Number.NEGATIVE_INFINITY
  return [...result, ...extra].sort((a, b) => (time(b) > time(a) ? 1 : time(b) < time(a) ? -1 : 0))
}
