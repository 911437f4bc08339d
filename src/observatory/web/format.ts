/**
 * What the page says, as pure functions of the data and a time (no DOM, no clock): durations, states, one-line
 * event summaries, local times, and the live stream's approximation of the store's full-text search.
 */
import { inputSummary, oneLine as singleLine, truncate } from '../sessions/summary.ts'
import type { SessionState, SessionSummary } from '../sessions/types.ts'

/** `340 ms`, `4.2 s`, `12 s`, `3 min 5 s`, `2 h 4 min`, `3 d 2 h`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '0 s'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s} s`
  const min = Math.floor(s / 60)
  if (min < 60) return s % 60 === 0 || min >= 10 ? `${min} min` : `${min} min ${s % 60} s`
  const hours = Math.floor(min / 60)
  if (hours < 24) return min % 60 === 0 ? `${hours} h` : `${hours} h ${min % 60} min`
  const days = Math.floor(hours / 24)
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`
}

/** A coarse duration for "for …" and "… ago": whole seconds, minutes, hours (`12 s`, `9 min`, `2 h 4 min`). */
export function span(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1000) return '0 s'
  return ms < 60_000 ? `${Math.floor(ms / 1000)} s` : duration(ms)
}

/** A path cut from the left to at most `max` characters (`…/src/project`): its end says the most. */
export function pathTail(path: string, max = 48): string {
  return path.length <= max ? path : `…${path.slice(path.length - max + 1)}`
}

/** A multi-line text (an error with a traceback) as its first line, `⋮`, and its last `tail` lines. */
export function headAndTail(value: string, tail = 2): string {
  const lines = value.split('\n').filter((line) => line.trim() !== '')
  if (lines.length <= tail + 1) return lines.join('\n')
  return [lines[0], '⋮', ...lines.slice(-tail)].join('\n')
}

export function ago(ms: number): string {
  return ms < 1000 ? 'just now' : `${span(ms)} ago`
}

/** The kind of attention a state asks for: the board's sections, the cards' colours. */
export type Attention = 'needs-you' | 'working' | 'quiet' | 'ended'

export function attention(state: SessionState): Attention {
  switch (state) {
    case 'waiting for permission':
    case 'waiting for input':
      return 'needs-you'
    case 'starting':
    case 'thinking':
    case 'running tool':
    case 'compacting':
      return 'working'
    case 'idle':
    case 'stale':
      return 'quiet'
    case 'ended':
      return 'ended'
  }
}

/** A CSS class for a state (`state-running-tool`). */
export function stateClass(state: string): string {
  return `state-${state.replace(/[^a-z]+/gi, '-').toLowerCase()}`
}

/**
 * The state in words with how long: "running Bash for 12 s", "waiting for permission to Edit for 40 s",
 * "stale for 9 min", "ended 3 min ago (logout)".
 */
export function stateLine(s: SessionSummary, now: number): string {
  const since = s.state_since ?? s.last_event_time
  const long = since === null ? '' : ` for ${span(now - since)}`
  const tool = s.state_tool ?? s.current_tool?.tool_name ?? null
  switch (s.state) {
    case 'running tool':
      return `running ${tool ?? 'a tool'}${long}`
    case 'waiting for permission':
      return `waiting for permission${tool === null ? '' : ` to use ${tool}`}${long}`
    case 'waiting for input':
      return `waiting for input${long}`
    case 'stale': {
      const quiet =
        s.last_event_time === null ? '' : ` (no event for ${span(now - s.last_event_time)})`
      return `stale${long}${quiet}`
    }
    case 'ended': {
      const when = since === null ? '' : ` ${ago(now - since)}`
      return `ended${when}${s.state_reason ? ` (${s.state_reason})` : ''}`
    }
    default:
      return `${s.state}${long}`
  }
}

/** The first 8 characters of an id (a UUID's first group). */
export function shortId(id: string | null | undefined): string {
  return id ? id.slice(0, 8) : ''
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** Local date and time to the second: `2026-02-09 10:30:01`. */
export function localDateTime(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${localTime(ms)}`
}

/** Local time of day: `10:30:01`. */
export function localTime(ms: number): string {
  const d = new Date(ms)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

function text(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return ''
}

/** Newlines as ⏎, other control characters as spaces (as the session model's summaries), at most `max` long. */
export function oneLine(value: string, max = 300): string {
  return truncate(singleLine(value), max)
}

/** One line about an event: the prompt, the tool's input, the message, the error, the reason… */
export function eventSummary(data: Readonly<Record<string, unknown>>): string {
  const event = text(data._event)
  if (typeof data.prompt === 'string') return oneLine(data.prompt)
  if (event === 'PostToolUseFailure' && data.error !== undefined) {
    return oneLine(`${inputSummary(data.tool_name, data.tool_input)} → ${text(data.error)}`)
  }
  if (data.tool_input !== undefined) return inputSummary(data.tool_name, data.tool_input)
  for (const key of ['message', 'reason', 'error', 'last_assistant_message', 'delta', 'source']) {
    const value = text(data[key])
    if (value !== '') return oneLine(value)
  }
  if (typeof data.agent_type === 'string') return data.agent_type
  if (typeof data._raw === 'string') return oneLine(data._raw)
  return ''
}

/** Letters and digits runs, lower-cased, accents removed: the store's tokenizer (unicode61), approximated. */
export function tokens(value: string): string[] {
  return value
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((token) => token !== '')
}

/**
 * The stream's search as a predicate on an event's text, for events that arrive live (the backfill is searched
 * by the store): each word or "quoted phrase" must appear as consecutive tokens; `word*` is a prefix.
 */
export function searchMatcher(query: string): (haystack: string) => boolean {
  const phrases: { words: string[]; prefix: boolean }[] = []
  for (const match of query.matchAll(/"([^"]*)"?|(\S+)/g)) {
    let term = match[1] ?? match[2] ?? ''
    const prefix = match[2] !== undefined && term.endsWith('*')
    if (prefix) term = term.replace(/\*+$/, '')
    const words = tokens(term)
    if (words.length > 0) phrases.push({ words, prefix })
  }
  return (haystack) => {
    if (phrases.length === 0) return true
    const words = tokens(haystack)
    return phrases.every(({ words: phrase, prefix }) => {
      const last = phrase.length - 1
      for (let i = 0; i + last < words.length; i++) {
        let j = 0
        while (j < last && words[i + j] === phrase[j]) j++
        if (j !== last) continue
        const word = words[i + last]!
        if (prefix ? word.startsWith(phrase[last]!) : word === phrase[last]) return true
      }
      return false
    })
  }
}

/** `1,234`. */
export function count(n: number): string {
  return n.toLocaleString('en-US')
}

/** `1 event`, `3 events`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`
}

/** US dollars: `$0`, `$0.0123` under a dollar, `$1.23`, `$1,234.56`; `<$0.0001` for less, never rounded to 0. */
export function money(usd: number): string {
  if (!Number.isFinite(usd) || usd <= 0) return '$0'
  if (usd < 0.0001) return '<$0.0001'
  if (usd < 1) return `$${usd.toFixed(4)}`
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
}

/** A count in a few characters: `950`, `12.3k`, `1.2M`, `3.4B` (one decimal under 100, none above). */
export function compact(n: number): string {
  const abs = Math.abs(n)
  for (const [size, unit] of [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const) {
    if (abs >= size * 0.9995) {
      const v = n / size
      return `${Math.abs(v) < 99.95 ? (Math.round(v * 10) / 10).toFixed(1).replace(/\.0$/, '') : Math.round(v)}${unit}`
    }
  }
  return String(Math.round(n))
}

/** The token counts a usage holds. */
export interface TokenCounts {
  input_tokens: number
  output_tokens: number
  cache_read_tokens: number
  cache_creation_tokens: number
}

/** Every token of a usage: input, output, cache read and cache write. */
export function totalTokens(u: TokenCounts): number {
  return u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_creation_tokens
}

/** `in 1.2k · out 345 · cache 10k read, 2k write` (the cache part only when there is some). */
export function tokenBreakdown(u: TokenCounts): string {
  const cache =
    u.cache_read_tokens + u.cache_creation_tokens === 0
      ? ''
      : ` · cache ${compact(u.cache_read_tokens)} read, ${compact(u.cache_creation_tokens)} write`
  return `in ${compact(u.input_tokens)} · out ${compact(u.output_tokens)}${cache}`
}
