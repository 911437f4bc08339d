/**
 * The sessions board (`/`): the approvals waiting for a person (views/approvals.ts) first, then one card per
 * session, in three groups (waiting for you, working, quiet), ended sessions behind a toggle (`?ended=1`), a
 * filter, and the last hour's activity. Everything on a card comes from `GET /api/sessions` (the SessionsModel
 * re-fetches it as events arrive, and every 15 s); the 1 s tick only recounts durations. A session with API usage
 * from Claude Code's telemetry shows its cost and tokens.
 */

import { type SessionSummary, timeline, type Usage } from '../api.ts'
import { type ActivityChart, activityChart } from '../charts.ts'
import { h, replace, setText } from '../dom.ts'
import {
  type Attention,
  ago,
  attention,
  compact,
  count,
  money,
  pathTail,
  plural,
  shortId,
  stateClass,
  stateLine,
  totalTokens,
} from '../format.ts'
import { approvalsPanel } from './approvals.ts'
import type { View, ViewContext } from './view.ts'

const GROUPS: readonly { key: Attention; title: string; hint: string }[] = [
  { key: 'needs-you', title: 'Waiting for you', hint: 'permission requests and finished turns' },
  { key: 'working', title: 'Working', hint: 'thinking, running tools, compacting' },
  { key: 'quiet', title: 'Quiet', hint: 'idle, or stale: no event for a while' },
  { key: 'ended', title: 'Ended', hint: '' },
]

export function boardView(ctx: ViewContext, query: URLSearchParams): View {
  let showEnded = query.get('ended') === '1'
  const filter = h('input', {
    type: 'search',
    class: 'search',
    placeholder: 'Filter: project, prompt, tool, session id',
    'aria-label': 'Filter sessions',
    value: query.get('filter') ?? '',
    autocomplete: 'off',
  })
  const endedToggle = h('button', { type: 'button', class: 'button' })
  const summary = h('div', { class: 'summary' })
  const groups = h('div', { class: 'groups' })
  const chart: ActivityChart = activityChart({ height: 72, compact: true })
  const activity = h(
    'div',
    { class: 'activity' },
    h(
      'div',
      { class: 'activity-head' },
      h('span', null, 'Events per second, last hour'),
      h('a', { href: '/charts', class: 'dim' }, 'more charts →'),
    ),
    chart.element,
  )
  const approvals = approvalsPanel(ctx)
  const element = h(
    'section',
    { class: 'view board' },
    approvals.element,
    h(
      'div',
      { class: 'toolbar' },
      h('h1', null, 'Sessions'),
      summary,
      h('span', { class: 'grow' }),
      filter,
      endedToggle,
    ),
    activity,
    groups,
  )

  /** Per card: what the tick recomputes. */
  const tickers = new Map<string, () => void>()
  const cards = new Map<string, HTMLAnchorElement>()
  let last: SessionSummary[] = []
  let staleAfterMs = 600_000

  const render = (): void => {
    const now = ctx.sessions.now()
    const words = filter.value.trim().toLowerCase()
    const shown = last.filter((s) => words === '' || searchText(s).includes(words))
    const byGroup = new Map<Attention, SessionSummary[]>()
    for (const s of shown) {
      const key = attention(s.state)
      byGroup.set(key, [...(byGroup.get(key) ?? []), s])
    }
    const ended = byGroup.get('ended') ?? []
    setText(
      endedToggle,
      showEnded ? 'Hide ended' : `Show ended${ended.length > 0 ? ` (${ended.length})` : ''}`,
    )
    endedToggle.setAttribute('aria-pressed', String(showEnded))
    replace(
      summary,
      GROUPS.filter((g) => (byGroup.get(g.key)?.length ?? 0) > 0).map((g) =>
        h(
          'span',
          { class: `pill attention-${g.key}` },
          `${count(byGroup.get(g.key)!.length)} ${g.key === 'needs-you' ? 'waiting' : g.title.toLowerCase()}`,
        ),
      ),
    )
    tickers.clear()
    const seen = new Set<string>()
    const sections = GROUPS.filter((g) => g.key !== 'ended' || showEnded).flatMap((g) => {
      const list = byGroup.get(g.key) ?? []
      if (list.length === 0) return []
      return [
        h(
          'section',
          { class: `group group-${g.key}` },
          h(
            'h2',
            null,
            g.title,
            h('span', { class: 'dim' }, ` ${list.length}${g.hint ? ` · ${g.hint}` : ''}`),
          ),
          h(
            'div',
            { class: 'cards' },
            list.map((s) => {
              seen.add(s.session_id)
              return card(s, now)
            }),
          ),
        ),
      ]
    })
    for (const id of [...cards.keys()]) if (!seen.has(id)) cards.delete(id)
    if (last.length === 0) {
      replace(groups, emptyBoard())
    } else if (sections.length === 0) {
      replace(
        groups,
        h(
          'p',
          { class: 'empty' },
          words === ''
            ? `No live session. ${plural(ended.length, 'ended session')} behind “Show ended”.`
            : 'No session matches the filter.',
        ),
      )
    } else replace(groups, sections)
  }

  /** A card, reused across renders (focus stays on it), its content rebuilt. */
  const card = (s: SessionSummary, now: number): HTMLAnchorElement => {
    let element = cards.get(s.session_id)
    if (element === undefined) {
      element = h('a', { href: `/sessions/${encodeURIComponent(s.session_id)}` })
      cards.set(s.session_id, element)
    }
    element.className = `card ${stateClass(s.state)} attention-${attention(s.state)}`
    element.dataset.sessionId = s.session_id
    element.dataset.state = s.state
    const state = h('div', { class: 'state-line' }, stateLine(s, now))
    const lastEvent = h('span', { class: 'ago' })
    const tick = (): void => {
      const at = ctx.sessions.now()
      setText(state, stateLine(s, at))
      setText(
        lastEvent,
        s.last_event_time === null
          ? s.last_event
          : `${s.last_event} ${ago(at - s.last_event_time)}`,
      )
    }
    tick()
    tickers.set(s.session_id, tick)
    const current = s.current_tool
    const c = s.counts
    replace(
      element,
      h(
        'div',
        { class: 'card-top' },
        h('span', { class: `badge ${stateClass(s.state)}` }, s.state),
        s.state === 'stale'
          ? h('span', { class: 'dim' }, `> ${Math.round(staleAfterMs / 60_000)} min`)
          : null,
        lastEvent,
      ),
      h('div', { class: 'project' }, s.project ?? shortId(s.session_id)),
      s.cwd === null ? null : h('div', { class: 'cwd', title: s.cwd }, pathTail(s.cwd)),
      state,
      current === null
        ? null
        : h(
            'div',
            { class: 'current' },
            h('span', { class: 'tool' }, current.tool_name),
            h('code', null, current.input_summary),
          ),
      s.last_prompt === null ? null : h('div', { class: 'prompt' }, s.last_prompt),
      h(
        'div',
        { class: 'meta' },
        [
          s.model,
          s.permission_mode === null ? null : `${s.permission_mode} mode`,
          shortId(s.session_id),
        ]
          .filter((part): part is string => part !== null && part !== '')
          .join(' · '),
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
      usageLine(s.usage),
    )
    return element
  }

  let marked = false
  const unsubscribe = ctx.sessions.subscribe((list, error) => {
    if (list !== undefined) {
      last = list.sessions
      staleAfterMs = list.stale_after_ms
    }
    render()
    if (error !== undefined) groups.prepend(h('p', { class: 'error' }, `Sessions: ${error}`))
    if (!marked && list !== undefined) {
      marked = true
      // For the page-cost measurement (test/e2e/dashboard.test.ts): the board's first render with data.
      performance.mark('board-rendered')
    }
  })

  filter.addEventListener('input', () => {
    render()
    syncUrl()
  })
  endedToggle.addEventListener('click', () => {
    showEnded = !showEnded
    render()
    syncUrl()
  })
  const syncUrl = (): void => {
    const params = new URLSearchParams()
    if (showEnded) params.set('ended', '1')
    if (filter.value.trim() !== '') params.set('filter', filter.value.trim())
    const search = params.toString()
    ctx.navigate(search === '' ? '/' : `/?${search}`, { replace: true })
  }

  // The activity strip: the last hour, refreshed every 10 s while the board is open.
  const abort = new AbortController()
  const loadActivity = (): void => {
    timeline('1h', '30s', abort.signal).then(
      (t) => chart.update(t),
      () => {}, // no store (503) or a failed fetch: the strip stays empty
    )
  }
  loadActivity()
  const activityTimer = setInterval(loadActivity, 10_000)

  return {
    element,
    title: 'Sessions',
    search: filter,
    tick: () => {
      for (const tick of tickers.values()) tick()
    },
    destroy: () => {
      unsubscribe()
      approvals.destroy()
      abort.abort()
      clearInterval(activityTimer)
      chart.destroy()
    },
  }
}

/** `$0.0123 · 12.3k tok`, the whole count in the title; nothing for a session without API usage. */
function usageLine(u: Usage | null | undefined): HTMLElement | null {
  if (u === null || u === undefined || u.api_requests === 0) return null
  const tokens = totalTokens(u)
  return h(
    'div',
    {
      class: 'card-usage',
      title:
        `${money(u.cost_usd)} over ${plural(u.api_requests, 'API request')}: ` +
        `${count(u.input_tokens)} input, ${count(u.output_tokens)} output, ` +
        `${count(u.cache_read_tokens)} cache read, ${count(u.cache_creation_tokens)} cache write tokens` +
        (u.models.length > 0 ? ` (${u.models.join(', ')})` : ''),
    },
    h('span', { class: 'usage-cost' }, money(u.cost_usd)),
    h('span', { class: 'usage-tokens' }, `${compact(tokens)} tok`),
  )
}

function searchText(s: SessionSummary): string {
  return [
    s.project,
    s.cwd,
    s.session_id,
    s.last_prompt,
    s.state,
    s.model,
    s.current_tool?.tool_name,
    s.current_tool?.input_summary,
  ]
    .filter((part) => typeof part === 'string')
    .join('\n')
    .toLowerCase()
}

function emptyBoard(): HTMLElement {
  const origin = location.origin
  return h(
    'div',
    { class: 'empty-board' },
    h('h2', null, 'No sessions yet'),
    h(
      'p',
      null,
      'Sessions appear here as soon as Claude Code sends its first hook event. Point Claude Code at this observatory with ',
      h('code', null, 'observatory install'),
      ', or send an event by hand:',
    ),
    h(
      'pre',
      null,
      `curl -s -X POST -H 'Content-Type: application/json' \\\n  -d '{"session_id":"demo","cwd":"/tmp/demo","tool_name":"Bash","tool_input":{"command":"ls"}}' \\\n  '${origin}/hook?event=PreToolUse'`,
    ),
  )
}
