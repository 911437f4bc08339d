/**
 * One session (`/sessions/{id}`): its facts, then its turns in order, each a prompt, a timeline of its tool calls
 * (a bar per call over the turn's span, its duration; failures red, permission waits amber, subagents nested under
 * the call that started them), the observatory's decision on the call if it took one (a policy rule's or a person's,
 * enforced or in shadow mode) and how it ended; then every event of the session. Any call or event opens its
 * JSON. Data: `GET /api/sessions/{id}` (turns, calls, subagents) and `GET /api/events?session=` (the events, for
 * the viewer), fetched again as the session's events arrive, and every 15 s (telemetry comes without a hook event).
 * With Claude Code's telemetry, the head shows the session's cost, tokens and API time, and each turn its own.
 */
import {
  ApiError,
  type ApiEvent,
  events as fetchEvents,
  session as fetchSession,
  type SessionDetail,
  type Subagent,
  type ToolCall,
  type ToolCallDecision,
  type Turn,
  type Usage,
} from '../api.ts'
import { type Child, debounce, h, replace, setStyle, setText } from '../dom.ts'
import {
  ago,
  compact,
  count,
  duration,
  eventSummary,
  headAndTail,
  localDateTime,
  localTime,
  money,
  plural,
  shortId,
  span,
  stateClass,
  stateLine,
  tokenBreakdown,
  totalTokens,
} from '../format.ts'
import { type EventRow, rowFromApi } from '../live.ts'
import type { View, ViewContext } from './view.ts'

/** Events read for the viewer: the newest 5,000 of a session (five pages). */
const MAX_EVENT_PAGES = 5
/** The session is read again this often without an event (its telemetry arrives without one): the board's. */
const REFRESH_EVERY_MS = 15_000

export function sessionView(ctx: ViewContext, id: string): View {
  const head = h('div', { class: 'session-head' }, h('p', { class: 'dim' }, 'Loading…'))
  const turns = h('div', { class: 'turns' })
  const eventList = h('div', { class: 'event-list' })
  const element = h(
    'section',
    { class: 'view session' },
    h('a', { href: '/', class: 'back' }, '← Sessions'),
    head,
    h('h2', { class: 'section-title' }, 'Turns'),
    turns,
    h('h2', { class: 'section-title' }, 'Events'),
    eventList,
  )

  let detail: SessionDetail | undefined
  /** The session's events, oldest first. */
  let rows: EventRow[] = []
  let truncated = false
  const abort = new AbortController()
  /** Running turns are drawn again every second (their span grows); the others are drawn once per update. */
  let running: (() => void)[] = []
  let headTick: (() => void) | undefined

  const load = async (): Promise<void> => {
    try {
      const after = rows.length > 0 ? rows[rows.length - 1]!.id : undefined
      const [d, fresh] = await Promise.all([
        fetchSession(id, abort.signal),
        loadEvents(id, after, abort.signal),
      ])
      detail = d
      if (after === undefined) {
        rows = fresh.rows
        truncated = fresh.truncated
      } else rows = rows.concat(fresh.rows)
      render()
    } catch (error) {
      if (abort.signal.aborted) return
      const message =
        error instanceof ApiError && error.status === 404
          ? `No session ${id} (it may have been pruned from the store).`
          : `Could not load the session: ${String(error)}`
      replace(head, h('p', { class: 'error' }, message))
    }
  }

  const render = (): void => {
    if (detail === undefined) return
    const d = detail
    const groups = groupEvents(d, rows)
    renderHead(d)
    running = []
    const byTurn = new Map<string, ToolCall[]>()
    const loose: ToolCall[] = []
    const turnIds = new Set(d.turns.map((t) => t.prompt_id))
    for (const call of d.tool_calls) {
      if (call.prompt_id !== null && turnIds.has(call.prompt_id)) {
        byTurn.set(call.prompt_id, [...(byTurn.get(call.prompt_id) ?? []), call])
      } else loose.push(call)
    }
    const blocks: HTMLElement[] = d.turns.map((turn, i) => {
      const block = h('article', { class: 'turn' })
      const draw = (): void => {
        replace(
          block,
          turnBlock(ctx, d, turn, i + 1, byTurn.get(turn.prompt_id) ?? [], groups, rows),
        )
      }
      draw()
      if (turn.outcome === 'running') running.push(draw)
      return block
    })
    if (loose.length > 0) {
      const outside: Turn = {
        prompt_id: '',
        prompt: '',
        started: Math.min(...loose.map((c) => c.started ?? Number.POSITIVE_INFINITY)),
        ended: null,
        duration_ms: null,
        outcome: loose.some((c) => c.outcome === 'running') ? 'running' : 'done',
        tool_calls: loose.map((c) => c.tool_use_id),
      }
      const block = h('article', { class: 'turn turn-loose' })
      const draw = (): void => {
        replace(block, turnBlock(ctx, d, outside, 0, loose, groups, rows))
      }
      draw()
      if (outside.outcome === 'running') running.push(draw)
      blocks.push(block)
    }
    replace(
      turns,
      blocks.length > 0 ? blocks : h('p', { class: 'empty' }, 'No prompt or tool call yet.'),
    )
    renderEvents()
  }

  const renderHead = (d: SessionDetail): void => {
    const state = h('span', { class: 'state-line' })
    const last = h('span')
    headTick = () => {
      const now = ctx.sessions.now()
      setText(state, stateLine(d, now))
      setText(
        last,
        d.last_event_time === null
          ? d.last_event
          : `${d.last_event}, ${ago(now - d.last_event_time)}`,
      )
    }
    headTick()
    const fact = (label: string, value: Child): HTMLElement[] => [
      h('dt', null, label),
      h('dd', null, value),
    ]
    const c = d.counts
    replace(
      head,
      h(
        'div',
        { class: 'session-title' },
        h('h1', null, d.project ?? shortId(d.session_id)),
        h('span', { class: `badge ${stateClass(d.state)}`, 'data-state': d.state }, d.state),
        state,
      ),
      h(
        'dl',
        { class: 'facts' },
        d.cwd === null ? null : fact('directory', h('code', null, d.cwd)),
        fact('session', h('code', null, d.session_id)),
        d.model === null ? null : fact('model', d.model),
        ...usageFacts(d.usage, fact),
        d.permission_mode === null ? null : fact('permission mode', d.permission_mode),
        d.source === null ? null : fact('source', d.source),
        d.started === null ? null : fact('started', localDateTime(d.started)),
        fact('last event', last),
        d.transcript_path === null ? null : fact('transcript', h('code', null, d.transcript_path)),
      ),
      h(
        'div',
        { class: 'counts' },
        h('span', null, plural(c.turns, 'turn')),
        h('span', null, plural(c.tool_calls, 'tool call')),
        c.tool_failures > 0
          ? h('span', { class: 'failed' }, `${count(c.tool_failures)} failed`)
          : null,
        c.subagents > 0 ? h('span', null, plural(c.subagents, 'subagent')) : null,
        c.pending_permissions > 0
          ? h('span', { class: 'waiting' }, `${count(c.pending_permissions)} permission pending`)
          : null,
        h('span', { class: 'dim' }, plural(c.events, 'event')),
      ),
    )
  }

  const renderEvents = (): void => {
    const list = rows.slice().reverse()
    replace(
      eventList,
      truncated ? h('p', { class: 'dim' }, `The newest ${count(rows.length)} events.`) : null,
      h(
        'div',
        { class: 'rows' },
        list.map((row) =>
          h(
            'button',
            {
              type: 'button',
              class: 'row',
              'data-event-id': row.id,
              onclick: () => row.id !== undefined && ctx.openEvent(row.id),
            },
            h(
              'span',
              { class: 'time', title: new Date(row.ts).toISOString() },
              localDateTime(row.ts),
            ),
            h('span', { class: `ev ev-${row.event}` }, row.event),
            h('span', { class: 'tool' }, row.tool_name ?? ''),
            h('span', { class: 'summary' }, eventSummary(row.data)),
          ),
        ),
      ),
    )
  }

  const refresh = debounce(() => void load(), 200, 1000)
  const unsubscribe = ctx.feed.subscribe((row) => {
    if (row.session_id === id) refresh()
  })
  void load()
  const timer = setInterval(refresh, REFRESH_EVERY_MS)

  return {
    element,
    title: `Session ${shortId(id)}`,
    tick: () => {
      headTick?.()
      for (const draw of running) draw()
    },
    destroy: () => {
      abort.abort()
      unsubscribe()
      clearInterval(timer)
    },
  }
}

async function loadEvents(
  session: string,
  after: number | undefined,
  signal: AbortSignal,
): Promise<{ rows: EventRow[]; truncated: boolean }> {
  if (after !== undefined) {
    const page = await fetchEvents({ session, after, limit: 1000 }, signal)
    return { rows: page.events.map(rowFromApi), truncated: false }
  }
  const collected: ApiEvent[] = []
  let before: number | undefined
  for (let i = 0; i < MAX_EVENT_PAGES; i++) {
    let page: Awaited<ReturnType<typeof fetchEvents>>
    try {
      page = await fetchEvents({ session, before, limit: 1000 }, signal)
    } catch (error) {
      if (error instanceof ApiError && error.status === 503) return { rows: [], truncated: false }
      throw error
    }
    collected.push(...page.events)
    if (page.next === null) return { rows: collected.reverse().map(rowFromApi), truncated: false }
    before = page.next
  }
  return { rows: collected.reverse().map(rowFromApi), truncated: true }
}

/** Each call's events (PreToolUse, PermissionRequest, PostToolUse…), by tool_use_id. */
function groupEvents(d: SessionDetail, rows: readonly EventRow[]): Map<string, EventRow[]> {
  const groups = new Map<string, EventRow[]>()
  for (const row of rows) {
    if (row.tool_use_id === null) continue
    groups.set(row.tool_use_id, [...(groups.get(row.tool_use_id) ?? []), row])
  }
  // A PermissionRequest names no tool_use_id: the session model linked it to its call by time.
  for (const call of d.tool_calls) {
    if (call.permission === null) continue
    const request = rows.find(
      (row) =>
        row.event === 'PermissionRequest' &&
        row.tool_name === call.tool_name &&
        Math.abs(row.ts - call.permission!.requested) < 1000,
    )
    if (request === undefined) continue
    const group = groups.get(call.tool_use_id) ?? []
    if (!group.includes(request)) group.push(request)
    group.sort((a, b) => (a.id ?? 0) - (b.id ?? 0))
    groups.set(call.tool_use_id, group)
  }
  return groups
}

function turnBlock(
  ctx: ViewContext,
  d: SessionDetail,
  turn: Turn,
  number: number,
  calls: readonly ToolCall[],
  groups: ReadonlyMap<string, EventRow[]>,
  rows: readonly EventRow[],
): Child[] {
  const now = ctx.sessions.now()
  const starts = calls.map((c) => c.started).filter((t): t is number => t !== null)
  const ends = calls.map((c) => c.ended ?? (c.outcome === 'running' ? now : c.started))
  const start = turn.started ?? (starts.length > 0 ? Math.min(...starts) : now)
  const end =
    turn.ended ??
    (turn.outcome === 'running'
      ? now
      : Math.max(start, ...ends.filter((t): t is number => t !== null)))
  const total = Math.max(1, end - start)
  const scale: Scale = { start, total, now }

  const promptEvent = rows.find(
    (row) => row.event === 'UserPromptSubmit' && row.data.prompt_id === turn.prompt_id,
  )
  const stopEvent = rows.findLast(
    (row) =>
      (row.event === 'Stop' || row.event === 'StopFailure') &&
      row.data.prompt_id === turn.prompt_id,
  )
  const outcome =
    turn.outcome === 'running'
      ? `running for ${span(now - start)}`
      : turn.outcome === 'done'
        ? `done in ${duration(turn.duration_ms ?? total)}`
        : `${turn.outcome}${turn.duration_ms === null ? '' : ` after ${duration(turn.duration_ms)}`}`

  const mainCalls = calls.filter((c) => c.agent_id === null)
  const subagentCalls = calls.filter((c) => c.agent_id !== null)
  const placed = new Set<string>()
  const rowsOut: HTMLElement[] = []
  const place = (call: ToolCall, depth: number): void => {
    placed.add(call.tool_use_id)
    rowsOut.push(callRow(ctx, call, depth, scale, groups.get(call.tool_use_id) ?? []))
    for (const sub of d.subagents.filter((s) => s.parent_tool_use_id === call.tool_use_id)) {
      placeSubagent(sub, depth + 1)
    }
  }
  const placeSubagent = (sub: Subagent, depth: number): void => {
    rowsOut.push(subagentRow(sub, depth, scale))
    for (const call of subagentCalls.filter((c) => c.agent_id === sub.agent_id)) {
      if (!placed.has(call.tool_use_id)) place(call, depth + 1)
    }
    for (const child of d.subagents.filter(
      (s) => s.parent_agent_id === sub.agent_id && s.parent_tool_use_id === null,
    )) {
      placeSubagent(child, depth + 1)
    }
  }
  for (const call of mainCalls) place(call, 0)
  // Subagent calls whose subagent could not be placed under a call of this turn.
  for (const call of subagentCalls) {
    if (placed.has(call.tool_use_id)) continue
    const sub = d.subagents.find((s) => s.agent_id === call.agent_id)
    if (sub !== undefined && !rowsOut.some((r) => r.dataset.agentId === sub.agent_id)) {
      placeSubagent(sub, 0)
    } else place(call, 1)
  }

  return [
    h(
      'header',
      { class: 'turn-head' },
      h('span', { class: 'turn-number' }, number === 0 ? 'Outside a turn' : `Turn ${number}`),
      h('span', { class: 'dim' }, turn.started === null ? '' : localDateTime(turn.started)),
      h('span', { class: `turn-outcome outcome-${turn.outcome}` }, outcome),
    ),
    turnUsage(turn.usage),
    turn.prompt === ''
      ? null
      : h(
          'button',
          {
            type: 'button',
            class: 'prompt',
            title: 'Show the UserPromptSubmit event',
            onclick: () => promptEvent?.id !== undefined && ctx.openEvent(promptEvent.id),
          },
          turn.prompt,
        ),
    rowsOut.length === 0
      ? h('p', { class: 'dim no-calls' }, 'No tool call in this turn.')
      : h(
          'div',
          { class: 'timeline' },
          h(
            'div',
            { class: 'axis' },
            h('span', null, localTime(start)),
            h('span', null, `+${duration(total)}`),
          ),
          rowsOut,
        ),
    turn.outcome === 'running' || stopEvent === undefined
      ? null
      : h(
          'button',
          {
            type: 'button',
            class: `stop ev-${stopEvent.event}`,
            onclick: () => stopEvent.id !== undefined && ctx.openEvent(stopEvent.id),
          },
          `${stopEvent.event} · ${localTime(stopEvent.ts)}`,
          typeof stopEvent.data.last_assistant_message === 'string'
            ? h(
                'span',
                { class: 'dim' },
                ` — ${eventSummary({ message: stopEvent.data.last_assistant_message })}`,
              )
            : null,
        ),
  ]
}

/** The session's API usage as facts of its head: cost with requests and API time, tokens, models. */
function usageFacts(
  u: Usage | null | undefined,
  fact: (label: string, value: Child) => HTMLElement[],
): HTMLElement[] {
  if (u === null || u === undefined || u.api_requests === 0) return []
  return [
    ...fact(
      'cost',
      h(
        'span',
        { class: 'session-usage' },
        h('span', { class: 'usage-cost' }, money(u.cost_usd)),
        ` · ${plural(u.api_requests, 'API request')} · API ${duration(u.api_duration_ms)}`,
      ),
    ),
    ...fact(
      'tokens',
      h(
        'span',
        { class: 'usage-tokens', title: tokenTitle(u) },
        `${compact(totalTokens(u))} · ${tokenBreakdown(u)}`,
      ),
    ),
    ...(u.models.length > 1 ? fact('models', u.models.join(', ')) : []),
  ]
}

function tokenTitle(u: Usage): string {
  return `${count(u.input_tokens)} input, ${count(u.output_tokens)} output, ${count(u.cache_read_tokens)} cache read, ${count(u.cache_creation_tokens)} cache write`
}

/**
 * A turn's API usage from the telemetry: cost, tokens (in/out/cache), requests, API time. Nothing when the turn
 * has none (or the session no telemetry at all).
 */
function turnUsage(u: Usage | null | undefined): HTMLElement | null {
  if (u === null || u === undefined || u.api_requests === 0) return null
  return h(
    'div',
    { class: 'turn-usage', title: tokenTitle(u) },
    h('span', { class: 'usage-cost' }, money(u.cost_usd)),
    h('span', { class: 'usage-tokens' }, tokenBreakdown(u)),
    h('span', { class: 'usage-requests' }, plural(u.api_requests, 'API request')),
    h('span', { class: 'usage-time' }, `API ${duration(u.api_duration_ms)}`),
  )
}

interface Scale {
  start: number
  total: number
  now: number
}

/** A bar placed on the turn's span (CSSOM: the CSP allows no style attribute). */
function place(bar: HTMLElement, scale: Scale, from: number, to: number): void {
  const left = ((from - scale.start) / scale.total) * 100
  const width = ((to - from) / scale.total) * 100
  setStyle(bar, 'left', `${Math.max(0, Math.min(100, left)).toFixed(3)}%`)
  setStyle(bar, 'width', `max(3px, ${Math.max(0, Math.min(100 - left, width)).toFixed(3)}%)`)
}

function callRow(
  ctx: ViewContext,
  call: ToolCall,
  depth: number,
  scale: Scale,
  group: readonly EventRow[],
): HTMLElement {
  const from = call.started ?? scale.start
  const to = call.ended ?? (call.outcome === 'running' ? scale.now : from)
  const bar = h('span', { class: 'bar' })
  place(bar, scale, from, to)
  const track = h('span', { class: 'track' }, bar)
  const p = call.permission
  if (p !== null) {
    const wait = h('span', { class: 'bar bar-permission', title: 'waiting for permission' })
    place(wait, scale, p.requested, p.resolved ?? (call.outcome === 'running' ? scale.now : to))
    track.append(wait)
  }
  const took = call.duration_ms ?? (call.outcome === 'running' ? scale.now - from : null)
  const label =
    call.outcome === 'running'
      ? p !== null && p.resolved === null
        ? `waiting for permission ${span(scale.now - p.requested)}`
        : `running ${span(took ?? 0)}`
      : took === null
        ? call.outcome
        : `${call.outcome === 'ok' ? '' : `${call.outcome} · `}${duration(took)}`
  const last = group[group.length - 1]
  const row = h(
    'button',
    {
      type: 'button',
      class: `call outcome-${call.outcome} depth-${Math.min(depth, 4)}`,
      'data-tool-use-id': call.tool_use_id,
      'data-outcome': call.outcome,
      title: group.length > 0 ? 'Show this call’s events' : undefined,
      onclick: () => last?.id !== undefined && ctx.openEvent(last.id, group),
    },
    h(
      'span',
      { class: 'call-label' },
      h('span', { class: 'tool' }, call.tool_name),
      h('span', { class: 'input' }, call.input_summary),
    ),
    track,
    h('span', { class: 'call-duration' }, label),
    call.error === null
      ? null
      : h('span', { class: 'call-error', title: call.error }, headAndTail(call.error)),
    p === null
      ? null
      : h(
          'span',
          { class: 'call-permission' },
          p.resolved === null
            ? 'permission requested, not answered yet'
            : `permission requested at ${localTime(p.requested)}, answered after ${duration(p.resolved - p.requested)}`,
        ),
    call.decision === undefined || call.decision === null ? null : decisionLine(call.decision),
  )
  return row
}

const DONE: Readonly<Record<string, string>> = {
  allow: 'allowed',
  deny: 'denied',
  ask: 'sent to the prompt',
  defer: 'deferred',
}

/**
 * The observatory's decision on a call: "denied by rule no-rm", "allowed by person", "shadow: would deny (rule
 * no-rm)", "no decision: timeout"; the reason after it.
 */
export function decisionText(d: ToolCallDecision): string {
  const by = d.decided_by.startsWith('person') ? d.decided_by : `rule ${d.decided_by}`
  if (d.action === 'none') return `no decision: ${d.decided_by}`
  if (d.mode === 'shadow') return `shadow: would ${d.action} (${by})`
  return `${DONE[d.action] ?? d.action} by ${by}`
}

function decisionLine(d: ToolCallDecision): HTMLElement {
  return h(
    'span',
    { class: 'call-decision' },
    h(
      'span',
      {
        class: `decision decision-${d.mode === 'shadow' ? 'shadow' : d.action}`,
        'data-action': d.action,
        'data-mode': d.mode,
        'data-decided-by': d.decided_by,
        title: d.reason,
      },
      decisionText(d),
    ),
    d.reason === '' ? null : h('span', { class: 'dim' }, ` ${d.reason}`),
  )
}

function subagentRow(sub: Subagent, depth: number, scale: Scale): HTMLElement {
  const from = sub.started ?? scale.start
  const to = sub.ended ?? (sub.state === 'running' ? scale.now : from)
  const bar = h('span', { class: 'bar bar-subagent' })
  place(bar, scale, from, to)
  const element = h(
    'div',
    { class: `subagent depth-${Math.min(depth, 4)}` },
    h(
      'span',
      { class: 'call-label' },
      h('span', { class: 'tool' }, `↳ ${sub.agent_type || 'subagent'}`),
      h(
        'span',
        { class: 'input' },
        `agent ${shortId(sub.agent_id)} · ${plural(sub.tool_calls, 'call')}`,
      ),
    ),
    h('span', { class: 'track' }, bar),
    h(
      'span',
      { class: 'call-duration' },
      sub.state === 'running' ? `running ${span(scale.now - from)}` : duration(to - from),
    ),
  )
  element.dataset.agentId = sub.agent_id
  return element
}
