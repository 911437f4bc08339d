/**
 * The approvals waiting for a person (`serve --approve-from-page`) and the policy in force, as the page knows
 * them: one model for the whole page (the header's badge, the board's panel, the notifications).
 *
 * - The queue is the server's: `GET /api/approvals` whenever the live stream opens or reopens (approval events
 *   are not replayed), kept current by the stream's `event: approval` (pending, resolved,
 *   expired, withdrawn). Every page sees the same queue; a decision made on another page arrives as `resolved`.
 * - An approval that ends stays listed for {@link SETTLED_SHOWN_MS}, saying how it ended and who decided (this page,
 *   another page, the timeout), then goes. An id that ended never comes back, even from a list fetched before it
 *   ended.
 * - The policy (`GET /api/policy`): its mode, its rules, and the error of its last reload (a broken edit keeps
 *   the last good policy; the page shows a warning). Read when the stream opens or reopens, and every
 *   {@link POLICY_EVERY_MS} while there are policy files (a reload is not announced on the stream).
 */
import {
  ApiError,
  type Approval,
  type ApprovalChoice,
  decideApproval,
  approvals as fetchApprovals,
  policy as fetchPolicy,
  type PolicyInfo,
} from './api.ts'
import type { ApprovalChange, LiveFeed } from './live.ts'

/** How long an approval that ended stays on the panel, saying how. */
export const SETTLED_SHOWN_MS = 8_000
/** How often the policy is read again (its reload error has no event of its own). */
const POLICY_EVERY_MS = 15_000
/** Ended ids remembered, so that a list fetched before they ended does not bring them back. */
const KEEP_SETTLED = 1000

/** An approval that ended, still on the panel. */
export interface Settled {
  approval: Approval
  /** Decided on this page (the answer to our POST), rather than elsewhere. */
  mine: boolean
  /** When it ended, the page's clock (epoch ms). */
  at: number
}

export class ApprovalsModel {
  readonly #feed: LiveFeed
  /** Waiting, in arrival order (the server lists them oldest first). */
  readonly #pending = new Map<string, Approval>()
  /** The logical time each waiting approval was last heard of on the stream. */
  readonly #heard = new Map<string, number>()
  readonly #settled = new Map<string, Settled>()
  readonly #ended = new Set<string>()
  readonly #mine = new Set<string>()
  readonly #listeners = new Set<() => void>()
  readonly #arrivals = new Set<(approval: Approval) => void>()
  #enabled = false
  #timeoutMs: number | null = null
  #policy: PolicyInfo | undefined
  #error: string | undefined
  #step = 0
  #policyTimer: number | undefined

  constructor(feed: LiveFeed) {
    this.#feed = feed
  }

  /**
   * Listen to the stream, and read the queue and the policy each time it opens: the first time, and after a
   * reconnection (what changed while it was down was not replayed). Reading only once the stream is open means
   * nothing falls between the list and the first event.
   */
  start(): void {
    this.#feed.onApproval((change) => this.#apply(change))
    let live = false
    this.#feed.onState((state) => {
      const now = state.status === 'live'
      if (now && !live) void this.refresh()
      live = now
    })
  }

  /** Whether the server runs with approvals from the page. */
  get enabled(): boolean {
    return this.#enabled
  }

  /** How long a request waits (the server's `--approval-timeout`), when on. */
  get timeoutMs(): number | null {
    return this.#timeoutMs
  }

  /** Waiting approvals, oldest first. */
  get pending(): Approval[] {
    return [...this.#pending.values()].sort((a, b) => a.created - b.created)
  }

  /** Approvals that ended a moment ago, oldest first. */
  get settled(): Settled[] {
    return [...this.#settled.values()]
  }

  get policy(): PolicyInfo | undefined {
    return this.#policy
  }

  /** Why the last read of the queue failed, if it did. */
  get error(): string | undefined {
    return this.#error
  }

  /** Whether a request of `sessionId` is waiting (its session's "waiting for permission" is this approval). */
  waitingIn(sessionId: string): boolean {
    for (const a of this.#pending.values()) if (a.session_id === sessionId) return true
    return false
  }

  /** Called on every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Called for each approval that arrives while the page is open (not those of a list read when the stream opens). */
  onArrival(listener: (approval: Approval) => void): () => void {
    this.#arrivals.add(listener)
    return () => this.#arrivals.delete(listener)
  }

  /** Read the queue and the policy again. */
  async refresh(): Promise<void> {
    const started = ++this.#step
    const [list, policy] = await Promise.allSettled([fetchApprovals(), fetchPolicy()])
    if (list.status === 'fulfilled') {
      this.#enabled = list.value.enabled
      this.#timeoutMs = list.value.timeout_ms
      this.#error = undefined
      const fresh = new Map<string, Approval>()
      for (const a of list.value.approvals) if (!this.#ended.has(a.id)) fresh.set(a.id, a)
      // Heard of on the stream after the list was asked for: newer than the list.
      for (const [id, a] of this.#pending) {
        if ((this.#heard.get(id) ?? 0) > started) fresh.set(id, a)
      }
      this.#pending.clear()
      for (const [id, a] of fresh) this.#pending.set(id, a)
      for (const id of [...this.#heard.keys()]) if (!fresh.has(id)) this.#heard.delete(id)
    } else {
      const error = list.reason
      this.#error = error instanceof ApiError ? `${error.status}: ${error.message}` : String(error)
    }
    if (policy.status === 'fulfilled') this.#policy = policy.value
    this.#schedulePolicy()
    this.#changed()
  }

  /**
   * Decide `id` from this page. Resolves once the server took it (the approval then shows as decided here);
   * rejects with the server's reason otherwise (decided elsewhere first, expired, gone).
   */
  async decide(id: string, choice: ApprovalChoice, message?: string): Promise<void> {
    this.#mine.add(id)
    try {
      const approval = await decideApproval(id, choice, message)
      this.#settle(approval, true)
    } catch (error) {
      this.#mine.delete(id)
      if (error instanceof ApiError && (error.status === 404 || error.status === 409)) {
        // Ended already: the stream says (or said) how; without it, take it off the list.
        const known = this.#pending.get(id)
        if (known !== undefined && error.status === 404) {
          this.#settle({ ...known, state: 'withdrawn', decided_by: 'gone' }, false)
        }
      }
      throw error
    }
  }

  #apply(change: ApprovalChange): void {
    const a = change.approval
    if (change.type === 'pending') {
      if (this.#ended.has(a.id)) return
      const fresh = !this.#pending.has(a.id)
      this.#pending.set(a.id, a)
      this.#heard.set(a.id, ++this.#step)
      // The server tells us it is on: a page opened before the first list came back still shows it.
      this.#enabled = true
      this.#changed()
      if (fresh) for (const listener of this.#arrivals) listener(a)
      return
    }
    this.#settle(a, this.#mine.has(a.id))
  }

  #settle(approval: Approval, mine: boolean): void {
    const id = approval.id
    this.#pending.delete(id)
    this.#heard.delete(id)
    this.#ended.add(id)
    if (this.#ended.size > KEEP_SETTLED) {
      const oldest = this.#ended.values().next().value
      if (oldest !== undefined) this.#ended.delete(oldest)
    }
    const before = this.#settled.get(id)
    // Our own answer and the stream's `resolved` both come: the first sets the time, `mine` sticks.
    this.#settled.set(id, {
      approval: before?.approval ?? approval,
      mine: mine || before?.mine === true,
      at: before?.at ?? Date.now(),
    })
    if (before === undefined) {
      setTimeout(() => {
        this.#settled.delete(id)
        this.#changed()
      }, SETTLED_SHOWN_MS)
    }
    this.#changed()
  }

  #schedulePolicy(): void {
    const watch = (this.#policy?.files.length ?? 0) > 0
    if (watch && this.#policyTimer === undefined) {
      this.#policyTimer = setInterval(() => {
        fetchPolicy().then(
          (policy) => {
            const changed = JSON.stringify(policy) !== JSON.stringify(this.#policy)
            this.#policy = policy
            if (changed) this.#changed()
          },
          () => {}, // the server is away: the stream's status says so
        )
      }, POLICY_EVERY_MS)
    } else if (!watch && this.#policyTimer !== undefined) {
      clearInterval(this.#policyTimer)
      this.#policyTimer = undefined
    }
  }

  #changed(): void {
    for (const listener of this.#listeners) listener()
  }
}

/** How an approval ended, in words: "allowed by you", "denied on another page: …", "expired: …". */
export function settledText(s: Settled): string {
  const a = s.approval
  const where = s.mine ? 'by you' : 'on another page'
  switch (a.state) {
    case 'allowed':
      return a.decided_by === 'person (session)'
        ? 'allowed: this tool was allowed for this session'
        : a.choice === 'allow-session'
          ? `allowed for this session ${where}`
          : `allowed ${where}`
    case 'denied':
      return `denied ${where}${a.message === null ? '' : `: ${a.message}`}`
    case 'expired':
      return 'expired: nobody decided in time, Claude Code asks in the terminal'
    case 'withdrawn':
      return a.decided_by === 'shutdown'
        ? 'withdrawn: the observatory stopped'
        : a.decided_by === 'gone'
          ? 'gone: the observatory no longer knows it'
          : 'withdrawn: Claude Code stopped waiting'
    default:
      return a.state
  }
}
