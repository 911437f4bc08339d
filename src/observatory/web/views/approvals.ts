/**
 * The approvals panel, on the board above the sessions: every PermissionRequest waiting for a person (with
 * `serve --approve-from-page`), oldest first, each with its tool, its whole input (as text, folded when long),
 * its session and project, directory, permission mode and agent, the time left before Claude Code gives up and
 * asks in the terminal (counted down every half second), and Allow / Deny (with an optional message for Claude) /
 * Allow for this session. An approval that ends (here, on another page, by the timeout) stays a few seconds,
 * saying how and by whom. Data: the page's ApprovalsModel (approvals.ts).
 *
 * A card is made once per approval and kept across updates, so a message being typed and the focus survive
 * other approvals coming and going.
 */
import type { Approval, ApprovalChoice, SessionSummary } from '../api.ts'
import { type ApprovalsModel, type Settled, settledText } from '../approvals.ts'
import { h, replace, setStyle, setText } from '../dom.ts'
import { duration, localTime, pathTail, plural, shortId } from '../format.ts'
import type { ViewContext } from './view.ts'

/** An input longer than this (lines or characters) is folded, with a button to show it all. */
const FOLD_LINES = 12
const FOLD_CHARS = 1200

interface Card {
  element: HTMLElement
  /** Recomputes the countdown. */
  tick(now: number): void
  /** Turns the card into an ended one. */
  settle(s: Settled): void
  settled: boolean
}

export function approvalsPanel(ctx: ViewContext): { element: HTMLElement; destroy(): void } {
  const model = ctx.approvals
  const count = h('span', { class: 'dim' })
  const policyLine = h('span', { class: 'policy-line dim' })
  const list = h('div', { class: 'approval-list' })
  const note = h('p', { class: 'empty approvals-empty' })
  const element = h(
    'section',
    { class: 'approvals', id: 'approvals', 'aria-label': 'Approvals' },
    h('h2', null, 'Waiting for your approval', count),
    note,
    policyLine,
    list,
  )
  const cards = new Map<string, Card>()

  const project = (a: Approval): string | null => {
    const s: SessionSummary | undefined =
      a.session_id === null
        ? undefined
        : ctx.sessions.list?.sessions.find((x) => x.session_id === a.session_id)
    return s?.project ?? (a.cwd === null ? null : (a.cwd.split('/').filter(Boolean).pop() ?? null))
  }

  const render = (): void => {
    const pending = model.pending
    const settled = model.settled
    element.hidden = !model.enabled && pending.length === 0 && settled.length === 0
    setText(count, pending.length === 0 ? '' : ` ${pending.length}`)
    const timeout = model.timeoutMs
    const policy = model.policy
    setText(
      policyLine,
      [
        timeout === null
          ? null
          : `Permission requests no rule decided wait here for ${remaining(timeout)}; then Claude Code asks in the terminal.`,
        policy === undefined || (policy.files.length === 0 && policy.rules === 0)
          ? 'No policy file.'
          : `Policy: ${plural(policy.rules, 'rule')}, ${policy.mode === 'shadow' ? 'shadow mode (recorded, not sent)' : 'enforced'}.`,
      ]
        .filter((part) => part !== null)
        .join(' '),
    )
    const idle = pending.length === 0 && settled.length === 0
    // Nothing waiting: one quiet line, so the sessions stay where they were.
    element.classList.toggle('idle', idle)
    note.hidden = !idle
    setText(note, model.error === undefined ? 'No approval waiting.' : `Approvals: ${model.error}`)
    note.classList.toggle('error', model.error !== undefined)
    const now = ctx.sessions.now()
    const shown = new Set<string>()
    const order: HTMLElement[] = []
    for (const a of pending) {
      let card = cards.get(a.id)
      if (card === undefined) {
        card = approvalCard(model, a, project(a), now)
        cards.set(a.id, card)
      }
      shown.add(a.id)
      order.push(card.element)
    }
    for (const s of settled) {
      const card = cards.get(s.approval.id)
      if (card === undefined) {
        // Ended before this panel saw it waiting (a page opened a moment ago): not worth showing.
        continue
      }
      if (!card.settled) card.settle(s)
      shown.add(s.approval.id)
      order.push(card.element)
    }
    for (const id of [...cards.keys()]) if (!shown.has(id)) cards.delete(id)
    // Keep the nodes in place when the order is unchanged (focus and selection survive).
    const same =
      list.children.length === order.length && order.every((el, i) => list.children[i] === el)
    if (!same) replace(list, order)
  }

  const tick = (): void => {
    const now = ctx.sessions.now()
    for (const card of cards.values()) card.tick(now)
  }
  const unsubscribe = model.subscribe(render)
  const timer = setInterval(tick, 500)
  render()
  return {
    element,
    destroy: () => {
      unsubscribe()
      clearInterval(timer)
    },
  }
}

function approvalCard(
  model: ApprovalsModel,
  a: Approval,
  project: string | null,
  now: number,
): Card {
  const countdown = h('span', { class: 'countdown', role: 'timer' })
  const bar = h('span', { class: 'deadline-bar' })
  const deadline = h('div', { class: 'deadline', 'aria-hidden': 'true' }, bar)
  const total = Math.max(1, a.deadline - a.created)
  const tick = (at: number): void => {
    if (card.settled) return
    // The clock offset to the server is an estimate: never more than the whole wait.
    const left = Math.min(total, a.deadline - at)
    setText(countdown, left > 0 ? `${remaining(left)} left` : 'expiring…')
    countdown.classList.toggle('soon', left < 10_000)
    setStyle(bar, 'width', `${Math.max(0, Math.min(100, (left / total) * 100)).toFixed(2)}%`)
  }
  countdown.title = `Claude Code asks in the terminal at ${localTime(a.deadline)}`

  const message = h('input', {
    type: 'text',
    class: 'approval-message',
    placeholder: 'Message for Claude (sent with Deny)',
    'aria-label': 'Message for Claude, sent with Deny',
    maxlength: 2000,
    autocomplete: 'off',
  })
  const error = h('span', { class: 'approval-error error', role: 'alert' })
  const buttons: HTMLButtonElement[] = []
  const act = (choice: ApprovalChoice): void => {
    for (const b of buttons) b.disabled = true
    setText(error, '')
    const text = choice === 'deny' ? message.value.trim() : ''
    model.decide(a.id, choice, text === '' ? undefined : text).catch((e: unknown) => {
      setText(error, e instanceof Error ? e.message : String(e))
      if (!card.settled) for (const b of buttons) b.disabled = false
    })
  }
  const button = (label: string, choice: ApprovalChoice, title: string): HTMLButtonElement => {
    const b = h(
      'button',
      {
        type: 'button',
        class: `button approval-${choice}`,
        'data-choice': choice,
        title,
        onclick: () => act(choice),
      },
      label,
    )
    buttons.push(b)
    return b
  }
  const actions = h(
    'div',
    { class: 'approval-actions' },
    message,
    button('Allow', 'allow', 'Allow this call'),
    button('Deny', 'deny', 'Refuse this call; Claude is told the message, if any'),
    a.session_id === null
      ? null
      : button(
          'Allow for this session',
          'allow-session',
          `Allow this call, and ${a.tool_name} for the rest of this session without asking`,
        ),
    error,
  )

  const fields = inputFields(a.tool_input)
  const lines = fields.reduce((n, [, text]) => n + text.split('\n').length, 0)
  const chars = fields.reduce((n, [, text]) => n + text.length, 0)
  const input = h(
    'div',
    { class: 'approval-input' },
    fields.map(([key, text]) =>
      h(
        'div',
        { class: 'input-field', 'data-key': key },
        key === '' ? null : h('span', { class: 'input-key' }, key),
        h('pre', { class: 'input-value' }, text),
      ),
    ),
  )
  let fold: HTMLButtonElement | null = null
  if (lines > FOLD_LINES || chars > FOLD_CHARS) {
    input.classList.add('folded')
    const button = h('button', { type: 'button', class: 'fold' })
    const label = (): void => {
      setText(
        button,
        input.classList.contains('folded')
          ? `Show all (${plural(lines, 'line')}, ${plural(chars, 'character')})`
          : 'Fold',
      )
    }
    button.addEventListener('click', () => {
      input.classList.toggle('folded')
      label()
    })
    label()
    fold = button
  }

  const fact = (label: string, value: Node | string): HTMLElement =>
    h(
      'span',
      { class: 'fact', 'data-fact': label },
      h('span', { class: 'dim' }, `${label} `),
      value,
    )
  const facts = h(
    'div',
    { class: 'approval-facts' },
    fact(
      'session',
      a.session_id === null
        ? 'none'
        : h(
            'a',
            { href: `/sessions/${encodeURIComponent(a.session_id)}` },
            `${project ?? 'session'} · ${shortId(a.session_id)}`,
          ),
    ),
    a.cwd === null ? null : fact('directory', h('code', { title: a.cwd }, pathTail(a.cwd, 64))),
    fact('permission mode', a.permission_mode ?? 'unknown'),
    fact('agent', a.agent_id === null ? 'main agent' : `subagent ${shortId(a.agent_id)}`),
    fact('asked at', localTime(a.created)),
  )
  const outcome = h('p', { class: 'approval-outcome', role: 'status' })
  const element = h(
    'article',
    {
      class: 'approval',
      'data-approval-id': a.id,
      'data-state': 'pending',
      'data-tool': a.tool_name,
    },
    h(
      'header',
      { class: 'approval-head' },
      h('span', { class: 'tool' }, a.tool_name),
      h('code', { class: 'approval-summary' }, a.input_summary),
      h('span', { class: 'grow' }),
      countdown,
    ),
    deadline,
    input,
    fold,
    facts,
    actions,
  )
  const card: Card = {
    element,
    tick,
    settled: false,
    settle: (s: Settled) => {
      card.settled = true
      element.dataset.state = s.approval.state
      element.classList.add('settled')
      setText(countdown, '')
      setText(outcome, settledText(s))
      actions.replaceWith(outcome)
      deadline.remove()
    },
  }
  tick(now)
  return card
}

/**
 * The input as text, field by field: a string as it is (a multi-line command keeps its lines, nothing escaped),
 * anything else as indented JSON. An input that is not an object is one field without a name.
 */
function inputFields(input: unknown): [string, string][] {
  const text = (value: unknown): string => {
    if (typeof value === 'string') return value
    try {
      return JSON.stringify(value, null, 2) ?? String(value)
    } catch {
      return String(value)
    }
  }
  if (input === null || input === undefined) return [['', '(no input)']]
  if (typeof input !== 'object' || Array.isArray(input)) return [['', text(input)]]
  const entries = Object.entries(input as Record<string, unknown>)
  return entries.length === 0 ? [['', '{}']] : entries.map(([key, value]) => [key, text(value)])
}

/** Time left, to the second: `27 s`, `1 min 5 s`. */
function remaining(ms: number): string {
  const s = Math.ceil(ms / 1000)
  return s < 60 ? `${s} s` : duration(s * 1000)
}
