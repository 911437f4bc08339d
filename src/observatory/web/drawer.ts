/**
 * The event viewer: a panel with one event's full JSON, fetched from `/api/events/{id}`: pretty-printed with its
 * numbers exactly as stored (json.ts), strings longer than a few lines folded (a click unfolds one), a Copy button
 * (the pretty text) and a link to the raw line. When the event belongs to a group (a tool call's PreToolUse,
 * PermissionRequest and PostToolUse), tabs switch between them. Esc or the close button closes it.
 */
import { eventLine } from './api.ts'
import { type Child, h, replace, setText } from './dom.ts'
import { localDateTime } from './format.ts'
import { type JsonNode, parseJson, prettyJson } from './json.ts'
import type { EventRow } from './live.ts'

/** Strings longer than this, or with more lines, are folded. */
const FOLD_CHARS = 400
const FOLD_LINES = 8

export class EventDrawer {
  readonly element: HTMLElement
  readonly #title: HTMLElement
  readonly #tabs: HTMLElement
  readonly #body: HTMLElement
  readonly #copy: HTMLButtonElement
  readonly #raw: HTMLAnchorElement
  #pretty = ''
  #abort: AbortController | undefined
  #opener: Element | null = null

  constructor() {
    this.#title = h('h2', { class: 'drawer-title' })
    this.#tabs = h('div', { class: 'drawer-tabs', role: 'tablist' })
    this.#body = h('div', { class: 'drawer-body' })
    this.#copy = h(
      'button',
      { type: 'button', class: 'button', onclick: () => this.#copyText() },
      'Copy',
    )
    this.#raw = h('a', { class: 'button', href: '#', target: '_blank', rel: 'noopener' }, 'Raw')
    const close = h(
      'button',
      { type: 'button', class: 'button', 'aria-label': 'Close', onclick: () => this.close() },
      'Close',
    )
    this.element = h(
      'aside',
      { class: 'drawer', hidden: true, 'aria-label': 'Event', tabindex: '-1' },
      h('header', { class: 'drawer-head' }, this.#title, this.#copy, this.#raw, close),
      this.#tabs,
      this.#body,
    )
  }

  get isOpen(): boolean {
    return !this.element.hidden
  }

  /** Shows event `id`; `group` (with ids) adds tabs for the events it belongs with. */
  open(id: number, group: readonly EventRow[] = []): void {
    if (!this.isOpen) this.#opener = document.activeElement
    this.element.hidden = false
    document.body.classList.add('drawer-open')
    const members = group.filter((row) => row.id !== undefined)
    replace(
      this.#tabs,
      members.length > 1
        ? members.map((row) =>
            h(
              'button',
              {
                type: 'button',
                role: 'tab',
                class: `tab ev-${row.event}`,
                'aria-selected': row.id === id ? 'true' : 'false',
                onclick: () => this.open(row.id!, group),
              },
              row.event,
            ),
          )
        : [],
    )
    void this.#load(id)
    this.element.focus()
  }

  close(): void {
    if (!this.isOpen) return
    this.#abort?.abort()
    this.element.hidden = true
    document.body.classList.remove('drawer-open')
    if (this.#opener instanceof HTMLElement && this.#opener.isConnected) this.#opener.focus()
  }

  async #load(id: number): Promise<void> {
    this.#abort?.abort()
    const abort = new AbortController()
    this.#abort = abort
    this.#raw.setAttribute('href', `/api/events/${id}`)
    setText(this.#title, `Event ${id}`)
    replace(this.#body, h('p', { class: 'dim' }, 'Loading…'))
    let line: string
    try {
      line = await eventLine(id, abort.signal)
    } catch (error) {
      if (abort.signal.aborted) return
      replace(this.#body, h('p', { class: 'error' }, String(error)))
      return
    }
    let node: JsonNode
    try {
      node = parseJson(line)
    } catch {
      node = { kind: 'string', value: line }
    }
    this.#pretty = prettyJson(node)
    const entries = node.kind === 'object' ? new Map(node.entries) : new Map<string, JsonNode>()
    const name = entries.get('_event')
    const ts = entries.get('_ts')
    const title = name?.kind === 'string' ? name.value : `Event ${id}`
    const when = ts?.kind === 'string' ? localDateTime(Date.parse(ts.value)) : ''
    replace(this.#title, title, h('span', { class: 'dim' }, ` #${id} · ${when}`))
    replace(this.#body, h('pre', { class: 'json' }, render(node, '')))
  }

  async #copyText(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.#pretty)
      setText(this.#copy, 'Copied')
    } catch {
      // No clipboard (an insecure context): select the text instead, for Ctrl+C.
      const pre = this.#body.querySelector('pre')
      if (pre !== null) window.getSelection()?.selectAllChildren(pre)
      setText(this.#copy, 'Selected')
    }
    setTimeout(() => setText(this.#copy, 'Copy'), 1500)
  }
}

/** The node as DOM: text nodes and spans with classes for keys, strings, numbers and literals. */
function render(node: JsonNode, indent: string): Child[] {
  const inner = `${indent}  `
  switch (node.kind) {
    case 'object':
      if (node.entries.length === 0) return ['{}']
      return [
        '{\n',
        node.entries.map(([key, value], i) => [
          inner,
          h('span', { class: 'j-key' }, JSON.stringify(key)),
          ': ',
          render(value, inner),
          i < node.entries.length - 1 ? ',\n' : '\n',
        ]),
        `${indent}}`,
      ]
    case 'array':
      if (node.items.length === 0) return ['[]']
      return [
        '[\n',
        node.items.map((item, i) => [
          inner,
          render(item, inner),
          i < node.items.length - 1 ? ',\n' : '\n',
        ]),
        `${indent}]`,
      ]
    case 'string':
      return [foldable(node.value)]
    case 'number':
      return [h('span', { class: 'j-num' }, node.raw)]
    case 'literal':
      return [h('span', { class: 'j-lit' }, node.raw)]
  }
}

/** A string value; folded when long, with a button that shows the rest. */
function foldable(value: string): HTMLElement {
  const full = JSON.stringify(value)
  const lines = value.split('\n').length
  if (full.length <= FOLD_CHARS && lines <= FOLD_LINES) return h('span', { class: 'j-str' }, full)
  const span = h('span', { class: 'j-str' }, `${full.slice(0, FOLD_CHARS)}…`)
  const more = h(
    'button',
    {
      type: 'button',
      class: 'fold',
      onclick: () => {
        // Multi-line text (a command's output) is easier to read unescaped.
        setText(span, lines > 1 ? value : full)
        span.classList.toggle('j-text', lines > 1)
        more.remove()
      },
    },
    `show all ${full.length.toLocaleString('en-US')} characters${lines > 1 ? `, ${lines} lines` : ''}`,
  )
  return h('span', null, span, ' ', more)
}
