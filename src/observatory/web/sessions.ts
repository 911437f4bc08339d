/**
 * The sessions as the page knows them: always the server's answer (`GET /api/sessions`), fetched again shortly
 * after events arrive (debounced: a burst of events costs one request) and every 15 s (so `stale` shows up
 * without an event). Nothing is derived here that the server derives; the clock offset to the server is kept
 * so "for 12 s" counts from the server's times.
 *
 * Also the opt-in notifications: when a session starts waiting for a person (permission, input), or a tool call
 * starts waiting for an approval on the page, the browser shows a notification, if the user asked for them (a
 * click: browsers allow the request only then).
 */
import { ApiError, type Approval, type SessionList, type SessionSummary, sessions } from './api.ts'
import type { ApprovalsModel } from './approvals.ts'
import { debounce } from './dom.ts'
import type { LiveFeed } from './live.ts'

type Listener = (list: SessionList | undefined, error: string | undefined) => void

const REFRESH_EVERY_MS = 15_000

export class SessionsModel {
  readonly #listeners = new Set<Listener>()
  #list: SessionList | undefined
  #error: string | undefined
  #offset = 0
  #inFlight: Promise<void> | undefined
  #again = false
  #timer: number | undefined
  readonly #soon = debounce(() => void this.refresh(), 150, 600)

  constructor(feed: LiveFeed) {
    feed.subscribe(() => {
      if (this.#listeners.size > 0) this.#soon()
    })
  }

  /** The server's clock, now. */
  now(): number {
    return Date.now() + this.#offset
  }

  get list(): SessionList | undefined {
    return this.#list
  }

  /** Called with every new answer (and at once with the last one, if any); fetches when none is fresh. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener)
    if (this.#list !== undefined || this.#error !== undefined) listener(this.#list, this.#error)
    if (this.#timer === undefined) {
      void this.refresh()
      this.#timer = setInterval(() => void this.refresh(), REFRESH_EVERY_MS)
    }
    return () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0 && this.#timer !== undefined) {
        clearInterval(this.#timer)
        this.#timer = undefined
      }
    }
  }

  /** Fetches now (one request at a time; a call during one asks for another after it). */
  refresh(): Promise<void> {
    if (this.#inFlight !== undefined) {
      this.#again = true
      return this.#inFlight
    }
    this.#inFlight = (async () => {
      try {
        const list = await sessions()
        this.#offset = list.now - Date.now()
        this.#list = list
        this.#error = undefined
      } catch (error) {
        this.#error =
          error instanceof ApiError ? `${error.status}: ${error.message}` : String(error)
      } finally {
        this.#inFlight = undefined
      }
      for (const listener of this.#listeners) listener(this.#list, this.#error)
      if (this.#again) {
        this.#again = false
        await this.refresh()
      }
    })()
    return this.#inFlight
  }
}

const NOTIFY_KEY = 'observatory.notify'

/**
 * Browser notifications for sessions that start waiting for a person, and for approvals that arrive. An approval
 * and its session's "waiting for permission" are the same wait: the approval's notification says it (with the
 * call), the session's is not shown while the approval waits, and both use the session as the notification's tag,
 * so one replaces the other rather than adding a second.
 */
export class Notifier {
  readonly #sessions: SessionsModel
  readonly #open: (sessionId: string) => void
  readonly #approvals: ApprovalsModel | undefined
  readonly #openApprovals: () => void
  #states = new Map<string, string>()
  #unsubscribe: (() => void) | undefined
  #unsubscribeApprovals: (() => void) | undefined

  constructor(
    sessions: SessionsModel,
    open: (sessionId: string) => void,
    approvals?: ApprovalsModel,
    openApprovals: () => void = () => {},
  ) {
    this.#sessions = sessions
    this.#open = open
    this.#approvals = approvals
    this.#openApprovals = openApprovals
    if (this.enabled) this.#watch()
  }

  static get supported(): boolean {
    return typeof Notification !== 'undefined'
  }

  get enabled(): boolean {
    return (
      Notifier.supported &&
      Notification.permission === 'granted' &&
      localStorage.getItem(NOTIFY_KEY) === '1'
    )
  }

  /** Asks for permission (call from a click) and starts, or stops when on. Resolves to whether it is on. */
  async toggle(): Promise<boolean> {
    if (!Notifier.supported) return false
    if (this.enabled) {
      localStorage.removeItem(NOTIFY_KEY)
      this.#unsubscribe?.()
      this.#unsubscribe = undefined
      this.#unsubscribeApprovals?.()
      this.#unsubscribeApprovals = undefined
      return false
    }
    const permission = await Notification.requestPermission()
    if (permission !== 'granted') return false
    localStorage.setItem(NOTIFY_KEY, '1')
    this.#watch()
    return true
  }

  #watch(): void {
    let first = true
    this.#unsubscribe ??= this.#sessions.subscribe((list) => {
      if (list === undefined) return
      const states = new Map<string, string>()
      for (const s of list.sessions) {
        states.set(s.session_id, s.state)
        const before = this.#states.get(s.session_id)
        if (!first && before !== s.state && waiting(s) && !this.#approvalShown(s)) this.#notify(s)
      }
      this.#states = states
      first = false
    })
    this.#unsubscribeApprovals ??= this.#approvals?.onArrival((a) => this.#notifyApproval(a))
  }

  /** A session waiting for permission because of an approval on the page: that approval was notified. */
  #approvalShown(s: SessionSummary): boolean {
    return s.state === 'waiting for permission' && this.#approvals?.waitingIn(s.session_id) === true
  }

  #notifyApproval(a: Approval): void {
    const session =
      a.session_id === null
        ? undefined
        : this.#sessions.list?.sessions.find((s) => s.session_id === a.session_id)
    const project =
      session?.project ?? a.cwd?.split('/').filter(Boolean).pop() ?? a.session_id?.slice(0, 8)
    const notification = new Notification(`Approval: ${a.tool_name}`, {
      body: `${project === undefined ? '' : `${project}: `}${a.input_summary}`,
      tag: a.session_id ?? a.id,
      icon: '/favicon.svg',
    })
    notification.onclick = () => {
      window.focus()
      this.#openApprovals()
      notification.close()
    }
  }

  #notify(s: SessionSummary): void {
    const project = s.project ?? s.session_id.slice(0, 8)
    const body =
      s.state === 'waiting for permission'
        ? `wants permission to use ${s.state_tool ?? 'a tool'}`
        : 'is waiting for your input'
    const notification = new Notification(`Claude Code: ${project}`, {
      body: `${project} ${body}`,
      tag: s.session_id,
      icon: '/favicon.svg',
    })
    notification.onclick = () => {
      window.focus()
      this.#open(s.session_id)
      notification.close()
    }
  }
}

function waiting(s: SessionSummary): boolean {
  return s.state === 'waiting for permission' || s.state === 'waiting for input'
}
