/** What every view gets from the page, and what it gives back. */
import type { ApprovalsModel } from '../approvals.ts'
import type { EventRow, LiveFeed } from '../live.ts'
import type { SessionsModel } from '../sessions.ts'

export interface ViewContext {
  feed: LiveFeed
  sessions: SessionsModel
  /** The approvals waiting for a person, and the policy in force. */
  approvals: ApprovalsModel
  /** Goes to a URL of the page (History API); `replace` for a filter change that should not add history. */
  navigate(url: string, options?: { replace?: boolean }): void
  /** Opens the event viewer on `id`, with tabs for `group`. */
  openEvent(id: number, group?: readonly EventRow[]): void
}

export interface View {
  readonly element: HTMLElement
  /** The page's title for this view. */
  readonly title: string
  /** Every second: durations that count up. */
  tick?(): void
  /** What `/` focuses. */
  readonly search?: HTMLInputElement
  destroy(): void
}
