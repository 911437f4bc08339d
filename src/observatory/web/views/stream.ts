/**
 * The live stream (`/stream?q=&tool=&session=&event=`): every event, newest first. It opens with the newest
 * events from the store (`GET /api/events`), adds the live ones as they arrive, and reads older pages as the list
 * is scrolled (the `before` cursor). The text search, tool and session filters are the store's (`q` is its
 * full-text search; live events are matched here with the same rules, approximated); the event-type toggles
 * show or hide the loaded events at once, hence "N of M loaded events shown". Pause (the header's, or `p`) holds
 * what arrives and adds it on resume.
 */
import { events as fetchEvents, tools as fetchTools } from '../api.ts'
import { debounce, h, replace, setText } from '../dom.ts'
import { count, eventSummary, localDateTime, searchMatcher, shortId } from '../format.ts'
import { type EventRow, rowFromApi } from '../live.ts'
import type { View, ViewContext } from './view.ts'

const FIRST_PAGE = 200
const PAGE = 500
/** Rows kept; past it the oldest are dropped (and read again if scrolled to). */
const MAX_ROWS = 20_000
/** Pages read in a row while the end of the list stays in view (sparse event-type toggles). */
const MAX_BURST = 10

interface Filters {
  q: string
  tool: string
  session: string
  /** Event types shown; undefined: all. */
  only: Set<string> | undefined
}

function filtersFrom(query: URLSearchParams): Filters {
  const types = query
    .getAll('event')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '')
  return {
    q: query.get('q') ?? '',
    tool: query.get('tool') ?? '',
    session: query.get('session') ?? '',
    only: types.length > 0 ? new Set(types) : undefined,
  }
}

function urlOf(f: Filters): string {
  const params = new URLSearchParams()
  if (f.q !== '') params.set('q', f.q)
  if (f.only !== undefined) params.set('event', [...f.only].sort().join(','))
  if (f.tool !== '') params.set('tool', f.tool)
  if (f.session !== '') params.set('session', f.session)
  const search = params.toString()
  return search === '' ? '/stream' : `/stream?${search}`
}

export function streamView(ctx: ViewContext, query: URLSearchParams): View {
  const filters = filtersFrom(query)
  const search = h('input', {
    type: 'search',
    class: 'search',
    placeholder: 'Search every event (words, "phrases", prefix*)',
    'aria-label': 'Search events',
    value: filters.q,
    autocomplete: 'off',
  })
  const tool = h('input', {
    type: 'text',
    class: 'filter-tool',
    placeholder: 'tool',
    'aria-label': 'Tool',
    list: 'tool-names',
    value: filters.tool,
    autocomplete: 'off',
  })
  const toolNames = h('datalist', { id: 'tool-names' })
  const session = h('select', { class: 'filter-session', 'aria-label': 'Session' })
  const counts = h('span', { class: 'counts-line', 'aria-live': 'polite' })
  const chips = h('div', { class: 'chips', role: 'group', 'aria-label': 'Event types' })
  const list = h('div', { class: 'rows stream-rows', role: 'list' })
  const status = h('p', { class: 'list-status dim' })
  const sentinel = h('div', { class: 'sentinel' })
  const element = h(
    'section',
    { class: 'view stream' },
    h(
      'div',
      { class: 'toolbar' },
      h('h1', null, 'Stream'),
      search,
      tool,
      toolNames,
      session,
      counts,
    ),
    chips,
    list,
    status,
    sentinel,
  )

  /** Newest first. */
  let items: EventRow[] = []
  const ids = new Set<number>()
  const elements = new Map<EventRow, HTMLElement>()
  const typeCounts = new Map<string, number>()
  let next: number | null = null
  let loading = false
  let generation = 0
  let abort = new AbortController()
  let matches = searchMatcher(filters.q)

  const visible = (row: EventRow): boolean =>
    filters.only === undefined || filters.only.has(row.event)

  const rowElement = (row: EventRow): HTMLElement => {
    let el = elements.get(row)
    if (el !== undefined) return el
    const open = (): void => {
      if (row.id !== undefined) ctx.openEvent(row.id)
    }
    const sessionId = row.session_id
    el = h(
      'div',
      {
        class: `row ev-row-${row.event}`,
        role: 'listitem',
        tabindex: '0',
        'data-event-id': row.id,
        'data-event': row.event,
        onclick: open,
        onkeydown: (event: Event) => {
          if ((event as KeyboardEvent).key === 'Enter') open()
        },
      },
      h('span', { class: 'time', title: new Date(row.ts).toISOString() }, localDateTime(row.ts)),
      h('span', { class: `ev ev-${row.event}` }, row.event),
      sessionId === null
        ? h('span', { class: 'session-cell' })
        : h(
            'a',
            {
              class: 'session-cell',
              href: `/sessions/${encodeURIComponent(sessionId)}`,
              title: sessionId,
              onclick: (event: Event) => event.stopPropagation(),
            },
            sessionLabel(sessionId),
          ),
      h('span', { class: 'tool' }, row.tool_name ?? ''),
      h('span', { class: 'summary' }, eventSummary(row.data)),
    )
    el.hidden = !visible(row)
    elements.set(row, el)
    return el
  }

  const sessionLabel = (id: string): string => {
    const s = ctx.sessions.list?.sessions.find((x) => x.session_id === id)
    return s?.project ? `${s.project} · ${shortId(id)}` : shortId(id)
  }

  const updateCounts = (): void => {
    let shown = 0
    for (const row of items) if (visible(row)) shown++
    const state = ctx.feed.state
    setText(
      counts,
      `${count(shown)} of ${count(items.length)} loaded events shown` +
        (state.paused ? ` · paused, ${count(state.held)} new held` : ''),
    )
    setText(
      status,
      loading
        ? 'Loading…'
        : next === null
          ? items.length === 0
            ? emptyText()
            : 'That is all: the oldest stored event matching the filters.'
          : 'Scroll for older events.',
    )
  }

  const emptyText = (): string =>
    filters.q !== '' || filters.tool !== '' || filters.session !== ''
      ? 'No stored event matches these filters.'
      : 'No event yet: they appear here as they arrive.'

  const renderChips = (): void => {
    const types = [...typeCounts.keys()]
    for (const type of filters.only ?? []) if (!typeCounts.has(type)) types.push(type)
    types.sort()
    replace(
      chips,
      h(
        'button',
        {
          type: 'button',
          class: 'chip chip-all',
          'aria-pressed': String(filters.only === undefined),
          onclick: () => setOnly(undefined),
        },
        'all types',
      ),
      types.map((type) =>
        h(
          'button',
          {
            type: 'button',
            class: `chip ev-${type}`,
            'data-event-type': type,
            'aria-pressed': String(filters.only === undefined || filters.only.has(type)),
            title: 'Click: show or hide. Alt-click: only this type.',
            onclick: (event: Event) => toggleType(type, (event as MouseEvent).altKey),
          },
          type,
          h('span', { class: 'chip-count' }, count(typeCounts.get(type) ?? 0)),
        ),
      ),
    )
  }

  const toggleType = (type: string, only: boolean): void => {
    if (only) {
      setOnly(new Set([type]))
      return
    }
    const all = new Set(typeCounts.keys())
    const shown = filters.only === undefined ? new Set(all) : new Set(filters.only)
    if (shown.has(type)) shown.delete(type)
    else shown.add(type)
    setOnly([...all].every((t) => shown.has(t)) ? undefined : shown)
  }

  const setOnly = (only: Set<string> | undefined): void => {
    filters.only = only
    for (const [row, el] of elements) el.hidden = !visible(row)
    renderChips()
    updateCounts()
    syncUrl()
    void fillScreen()
  }

  const add = (rows: readonly EventRow[], where: 'top' | 'bottom'): void => {
    const fresh = rows.filter((row) => row.id === undefined || !ids.has(row.id))
    if (fresh.length === 0) return
    for (const row of fresh) {
      if (row.id !== undefined) ids.add(row.id)
      typeCounts.set(row.event, (typeCounts.get(row.event) ?? 0) + 1)
    }
    const nodes = fresh.map(rowElement)
    if (where === 'bottom') {
      items = items.concat(fresh)
      list.append(...nodes)
    } else {
      items = fresh.concat(items)
      list.prepend(...nodes)
      for (const node of nodes) node.classList.add('new')
    }
    if (items.length > MAX_ROWS) {
      for (const row of items.splice(MAX_ROWS)) {
        elements.get(row)?.remove()
        elements.delete(row)
        if (row.id !== undefined) ids.delete(row.id)
        typeCounts.set(row.event, (typeCounts.get(row.event) ?? 1) - 1)
      }
      const oldest = items[items.length - 1]?.id
      if (oldest !== undefined) next = oldest
    }
    renderChips()
    updateCounts()
  }

  const loadPage = async (): Promise<void> => {
    if (loading) return
    const mine = generation
    loading = true
    updateCounts()
    try {
      const page = await fetchEvents(
        {
          q: filters.q,
          tool: filters.tool,
          session: filters.session,
          before: next ?? undefined,
          limit: items.length === 0 ? FIRST_PAGE : PAGE,
        },
        abort.signal,
      )
      if (mine !== generation) return
      next = page.next
      add(page.events.map(rowFromApi), 'bottom')
    } catch (error) {
      if (mine !== generation || abort.signal.aborted) return
      next = null
      setText(status, `Could not load events: ${String(error)}`)
      loading = false
      return
    } finally {
      if (mine === generation) loading = false
    }
    updateCounts()
  }

  /** Reads pages while the end of the list is in view (a few at most per call). */
  const fillScreen = async (): Promise<void> => {
    for (let i = 0; i < MAX_BURST; i++) {
      if (next === null || loading || !element.isConnected) return
      const rect = sentinel.getBoundingClientRect()
      if (rect.top > window.innerHeight + 800) return
      await loadPage()
    }
  }

  /** Starts over with the current filters. */
  const reload = async (): Promise<void> => {
    generation++
    abort.abort()
    abort = new AbortController()
    items = []
    ids.clear()
    elements.clear()
    typeCounts.clear()
    list.replaceChildren()
    next = null
    loading = false
    matches = searchMatcher(filters.q)
    await loadPage()
    renderChips()
    await fillScreen()
  }

  const syncUrl = (): void => {
    ctx.navigate(urlOf(filters), { replace: true })
  }

  const apply = (): void => {
    const q = search.value.trim()
    const t = tool.value.trim()
    const s = session.value
    if (q === filters.q && t === filters.tool && s === filters.session) return
    filters.q = q
    filters.tool = t
    filters.session = s
    syncUrl()
    void reload()
  }
  const applySoon = debounce(apply, 350, 1000)
  search.addEventListener('input', applySoon)
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') apply()
  })
  tool.addEventListener('change', apply)
  tool.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') apply()
  })
  session.addEventListener('change', apply)

  const liveMatches = (row: EventRow): boolean => {
    if (filters.session !== '' && row.session_id !== filters.session) return false
    if (filters.tool !== '' && (row.tool_name ?? '').toLowerCase() !== filters.tool.toLowerCase()) {
      return false
    }
    return filters.q === '' || matches(JSON.stringify(row.data))
  }
  const unsubscribe = ctx.feed.subscribe((row) => {
    if (liveMatches(row)) add([row], 'top')
  })
  const unState = ctx.feed.onState(() => updateCounts())

  // Sessions for the session filter (and the rows' project names).
  const renderSessions = (): void => {
    const list = ctx.sessions.list?.sessions ?? []
    const options = [h('option', { value: '' }, 'all sessions')]
    if (filters.session !== '' && !list.some((s) => s.session_id === filters.session)) {
      options.push(h('option', { value: filters.session }, shortId(filters.session)))
    }
    for (const s of list) {
      options.push(
        h(
          'option',
          { value: s.session_id },
          `${s.project ?? '?'} · ${shortId(s.session_id)} · ${s.state}`,
        ),
      )
    }
    replace(session, options)
    session.value = filters.session
  }
  const unSessions = ctx.sessions.subscribe(() => renderSessions())
  fetchTools('7d', abort.signal).then(
    (answer) =>
      replace(
        toolNames,
        answer.tools.map((t) => h('option', { value: t.tool_name })),
      ),
    () => {},
  )

  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting)) void fillScreen()
    },
    { rootMargin: '800px 0px' },
  )
  observer.observe(sentinel)
  void reload()

  return {
    element,
    title: 'Stream',
    search,
    destroy: () => {
      generation++
      abort.abort()
      observer.disconnect()
      unsubscribe()
      unState()
      unSessions()
    },
  }
}
