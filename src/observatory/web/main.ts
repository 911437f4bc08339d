/**
 * The dashboard: the page's frame (header, view, event viewer), the router and the keyboard.
 *
 * Views (each in views/, each a function of the URL that returns an element and a destroy function):
 *   /                 the sessions board
 *   /sessions/{id}    one session: turns, tool-call timeline, subagents, events
 *   /stream           the live stream with search and filters (query string: q, event, tool, session)
 *   /charts           events per second, tool calls, failures and durations
 * The server answers each of these paths with this same page (src/observatory/server/live-page.ts), so a view
 * can be bookmarked, shared and reloaded; moving between views uses the History API, without a reload.
 *
 * On every view the header counts the approvals waiting for a person (`serve --approve-from-page`; the board lists
 * them above the sessions), and a banner says when the policy's last reload failed.
 *
 * State lives in the URL (what is shown) and on the server (what is true); the page keeps only what it fetched.
 * Keys: `/` focuses the search, `p` or space pauses the live updates, Esc closes the event viewer.
 */
import './app.css'
import { ApprovalsModel } from './approvals.ts'
import { h, replace, setText } from './dom.ts'
import { EventDrawer } from './drawer.ts'
import type { EventRow } from './live.ts'
import { LiveFeed } from './live.ts'
import { Notifier, SessionsModel } from './sessions.ts'
import { boardView } from './views/board.ts'
import { chartsView } from './views/charts.ts'
import { sessionView } from './views/session.ts'
import { streamView } from './views/stream.ts'
import type { View, ViewContext } from './views/view.ts'

const TITLE = 'Claude Code hooks observatory'

/** Paths the server answers itself (not views of this page): links to them are followed normally. */
const SERVER_PATHS = /^\/(api|docs|openapi\.json|events|health|stats|assets)(\/|$|\?)/

function start(): void {
  const root = document.getElementById('app')
  if (root === null) return
  const feed = new LiveFeed()
  const sessions = new SessionsModel(feed)
  const approvals = new ApprovalsModel(feed)
  const drawer = new EventDrawer()
  const main = h('main', { class: 'main', id: 'main' })

  const status = h('span', { class: 'status connecting', id: 'status', role: 'status' })
  const pause = h(
    'button',
    {
      type: 'button',
      class: 'button',
      id: 'pause',
      title: 'Pause live updates (p)',
      onclick: () => feed.togglePause(),
    },
    'Pause',
  )
  const notifyButton = h('button', { type: 'button', class: 'button', id: 'notify' })
  const approvalsBadge = h('a', {
    href: '/',
    class: 'approvals-badge',
    id: 'approvals-badge',
    hidden: true,
  })
  const policyWarning = h('div', {
    class: 'policy-warning',
    id: 'policy-warning',
    role: 'alert',
    hidden: true,
  })
  const nav = h(
    'nav',
    { class: 'nav', 'aria-label': 'Views' },
    h('a', { href: '/', 'data-view': 'board' }, 'Sessions'),
    h('a', { href: '/stream', 'data-view': 'stream' }, 'Stream'),
    h('a', { href: '/charts', 'data-view': 'charts' }, 'Charts'),
  )
  const header = h(
    'header',
    { class: 'top' },
    h(
      'a',
      { href: '/', class: 'brand' },
      h('img', { src: '/favicon.svg', alt: '', width: 22, height: 22 }),
      h('span', null, 'Hooks observatory'),
    ),
    nav,
    h('span', { class: 'grow' }),
    approvalsBadge,
    status,
    pause,
    notifyButton,
  )
  const footer = h(
    'footer',
    { class: 'keys dim' },
    h('kbd', null, '/'),
    ' search · ',
    h('kbd', null, 'p'),
    ' pause · ',
    h('kbd', null, 'Esc'),
    ' close · ',
    h('a', { href: '/docs' }, 'API docs'),
  )
  replace(root, header, policyWarning, main, footer, drawer.element)

  approvals.subscribe(() => {
    const n = approvals.pending.length
    approvalsBadge.hidden = n === 0
    setText(approvalsBadge, `${n} waiting for approval`)
    approvalsBadge.title =
      n === 0 ? '' : `${n === 1 ? 'A tool call waits' : `${n} tool calls wait`} for your decision`
    const policy = approvals.policy
    policyWarning.hidden = policy?.error === null || policy?.error === undefined
    if (policy?.error !== null && policy?.error !== undefined) {
      setText(
        policyWarning,
        `The policy could not be reloaded: ${policy.error} — the last good policy (${policy.rules} ${policy.rules === 1 ? 'rule' : 'rules'}) stays in force.`,
      )
    }
  })

  feed.onState((state) => {
    status.className = `status ${state.paused ? 'paused' : state.status}`
    setText(
      status,
      state.paused
        ? 'paused'
        : state.note !== ''
          ? state.note
          : state.status === 'live'
            ? 'live'
            : state.status === 'down'
              ? 'disconnected'
              : 'connecting…',
    )
    setText(pause, state.paused ? `Resume${state.held > 0 ? ` (${state.held})` : ''}` : 'Pause')
    pause.setAttribute('aria-pressed', String(state.paused))
  })

  let view: View | undefined
  const ctx: ViewContext = {
    feed,
    sessions,
    approvals,
    navigate: (url, options) => {
      if (url === location.pathname + location.search) return
      if (options?.replace) {
        history.replaceState(null, '', url)
        return
      }
      history.pushState(null, '', url)
      render()
    },
    openEvent: (id: number, group?: readonly EventRow[]) => drawer.open(id, group),
  }

  const notifier = new Notifier(
    sessions,
    (id) => ctx.navigate(`/sessions/${encodeURIComponent(id)}`),
    approvals,
    () => ctx.navigate('/'),
  )
  const renderNotify = (): void => {
    notifyButton.hidden = !Notifier.supported
    setText(notifyButton, notifier.enabled ? 'Notifications on' : 'Notify me')
    notifyButton.setAttribute('aria-pressed', String(notifier.enabled))
    notifyButton.title = notifier.enabled
      ? 'Browser notifications when a session starts waiting for you or a tool call for your approval: on (click to turn off)'
      : 'Get a browser notification when a session starts waiting for you or a tool call for your approval'
  }
  notifyButton.addEventListener('click', () => {
    void notifier.toggle().then(renderNotify)
  })
  renderNotify()

  const render = (): void => {
    view?.destroy()
    drawer.close()
    const path = location.pathname
    const query = new URLSearchParams(location.search)
    let name = ''
    const sessionMatch = /^\/sessions\/([^/]+)\/?$/.exec(path)
    if (path === '/') {
      view = boardView(ctx, query)
      name = 'board'
    } else if (sessionMatch !== null) {
      view = sessionView(ctx, decodeURIComponent(sessionMatch[1]!))
    } else if (path === '/stream') {
      view = streamView(ctx, query)
      name = 'stream'
    } else if (path === '/charts') {
      view = chartsView(ctx, query)
      name = 'charts'
    } else {
      view = notFound(path)
    }
    for (const link of nav.querySelectorAll('a')) {
      if (link.dataset.view === name) link.setAttribute('aria-current', 'page')
      else link.removeAttribute('aria-current')
    }
    replace(main, view.element)
    document.title = `${view.title} · ${TITLE}`
    window.scrollTo(0, 0)
  }

  // Links inside the page move between views without a reload.
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    const link = (event.target as Element | null)?.closest('a')
    if (link === null || link === undefined || link.target !== '') return
    const href = link.getAttribute('href')
    if (
      href === null ||
      !href.startsWith('/') ||
      href.startsWith('//') ||
      SERVER_PATHS.test(href)
    ) {
      return
    }
    event.preventDefault()
    ctx.navigate(href)
  })
  window.addEventListener('popstate', render)

  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return
    const target = event.target as HTMLElement | null
    const typing =
      target !== null &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))
    if (event.key === 'Escape') {
      if (drawer.isOpen) drawer.close()
      else if (typing) target.blur()
      return
    }
    if (typing) return
    if (event.key === '/') {
      event.preventDefault()
      if (view?.search === undefined) ctx.navigate('/stream')
      view?.search?.focus()
      view?.search?.select()
    } else if (
      event.key === 'p' ||
      (event.key === ' ' && !/^(BUTTON|A)$/.test(target?.tagName ?? ''))
    ) {
      event.preventDefault()
      feed.togglePause()
    }
  })

  setInterval(() => view?.tick?.(), 1000)
  approvals.start()
  feed.start()
  render()
}

function notFound(path: string): View {
  return {
    element: h(
      'section',
      { class: 'view' },
      h('h1', null, 'Not found'),
      h(
        'p',
        null,
        'No view at ',
        h('code', null, path),
        '. ',
        h('a', { href: '/' }, 'Back to the sessions'),
        '.',
      ),
    ),
    title: 'Not found',
    destroy: () => {},
  }
}

start()
