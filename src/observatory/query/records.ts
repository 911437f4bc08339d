/**
 * Log lines as the observatory writes them (compact JSON objects with `_ts`, `_event`, then the hook payload)
 * and the one-line summaries shown in tables.
 */

/** A parsed hook event: a plain JSON object. */
export type HookEvent = Record<string, unknown>

/** One log line: its original text and, when it is a JSON object, the parsed event. */
export interface LogRecord {
  /** The line as read, without its line terminator. */
  line: string
  /** The parsed object, or undefined when the line is not a JSON object (corrupt, truncated, garbage). */
  event: HookEvent | undefined
  /** `_ts` in milliseconds since the epoch, NaN when absent or unparsable. */
  time: number
}

/** Parses one line. Returns undefined for a blank line (skipped silently, not counted as unreadable). */
export function parseLine(line: string): LogRecord | undefined {
  const trimmed = line.trim()
  if (trimmed === '') return undefined
  let value: unknown
  try {
    value = trimmed.startsWith('{') ? JSON.parse(trimmed) : undefined
  } catch {
    value = undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { line, event: undefined, time: Number.NaN }
  }
  const event = value as HookEvent
  return { line, event, time: parseTimestamp(event._ts) }
}

/** `_ts` (ISO 8601) in milliseconds, NaN when it is not a timestamp. */
export function parseTimestamp(value: unknown): number {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value))
    return Number.NaN
  return Date.parse(value.replace(' ', 'T'))
}

/** A string field of an event, or '' when absent or not a string. */
export function text(event: HookEvent, key: string): string {
  const value = event[key]
  return typeof value === 'string' ? value : ''
}

/** The event's name: `_event`, else `hook_event_name`. */
export function eventName(event: HookEvent): string {
  return text(event, '_event') || text(event, 'hook_event_name')
}

function field(object: unknown, key: string): string {
  if (typeof object !== 'object' || object === null) return ''
  const value = (object as Record<string, unknown>)[key]
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return ''
}

/** A tool call in a few words: the Bash command, the file path, the pattern, the URL, … */
export function toolSummary(toolName: string, input: unknown): string {
  switch (toolName) {
    case 'Bash':
      return field(input, 'command')
    case 'Read':
    case 'Write':
    case 'Edit':
    case 'MultiEdit':
      return field(input, 'file_path')
    case 'NotebookEdit':
      return field(input, 'notebook_path')
    case 'Glob':
    case 'Grep': {
      const pattern = field(input, 'pattern')
      const path = field(input, 'path')
      return path !== '' ? `${pattern} in ${path}` : pattern
    }
    case 'WebFetch':
      return field(input, 'url')
    case 'WebSearch':
      return field(input, 'query')
    case 'Task':
    case 'Agent':
      return field(input, 'description') || field(input, 'subagent_type')
    case 'TodoWrite': {
      const todos =
        typeof input === 'object' && input !== null
          ? (input as Record<string, unknown>).todos
          : undefined
      return Array.isArray(todos) ? `${todos.length} todo${todos.length === 1 ? '' : 's'}` : ''
    }
    default: {
      if (typeof input !== 'object' || input === null) return ''
      for (const value of Object.values(input)) {
        if (typeof value === 'string' && value !== '') return value
      }
      return JSON.stringify(input)
    }
  }
}

/** A short, single-line description of an event, per event type. */
export function summarize(event: HookEvent): string {
  const name = eventName(event)
  let summary: string
  switch (name) {
    case 'PreToolUse':
    case 'PostToolUse':
    case 'PermissionRequest':
      summary = toolSummary(text(event, 'tool_name'), event.tool_input)
      break
    case 'PostToolUseFailure': {
      const call = toolSummary(text(event, 'tool_name'), event.tool_input)
      const error = text(event, 'error')
      summary = error !== '' ? `${call} → ${error}` : call
      break
    }
    case 'UserPromptSubmit':
      summary = text(event, 'prompt')
      break
    case 'Notification':
      summary = text(event, 'message') || text(event, 'notification_type')
      break
    case 'SessionStart':
      summary = [text(event, 'source'), text(event, 'model')].filter((s) => s !== '').join(' ')
      break
    case 'SessionEnd':
      summary = text(event, 'reason')
      break
    case 'PreCompact':
      summary = [text(event, 'trigger'), text(event, 'custom_instructions')]
        .filter((s) => s !== '')
        .join(': ')
      break
    case 'SubagentStart':
    case 'SubagentStop':
      summary = text(event, 'agent_type') || text(event, 'agent_id')
      break
    case 'Stop':
      summary = text(event, 'last_assistant_message')
      break
    default:
      summary = text(event, 'message')
  }
  return oneLine(summary)
}

/** Collapses whitespace and control characters to single spaces. */
export function oneLine(value: string): string {
  return value.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ').trim()
}

/** Cuts a string to `width` characters, ending with '…' when cut. */
export function truncate(value: string, width: number): string {
  if (width <= 0) return ''
  const chars = Array.from(value)
  if (chars.length <= width) return value
  return `${chars.slice(0, width - 1).join('')}…`
}

/** The wall-clock part of `_ts` as written (`2026-02-09 10:30:00`), or the raw value when it is not ISO. */
export function displayTime(event: HookEvent): string {
  const ts = text(event, '_ts')
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})/.exec(ts)
  return match !== null ? `${match[1]} ${match[2]}` : oneLine(ts)
}
