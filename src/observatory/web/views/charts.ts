/**
 * Charts (`/charts?window=1h`): events, tool calls and failures per second over the window
 * (`GET /api/stats/timeline`), and per tool its calls, failures and p50/p95 duration (`GET /api/tools`).
 * Refreshed every 10 s while open.
 */
import { timeline, tools } from '../api.ts'
import { activityChart, toolBars } from '../charts.ts'
import { h, replace, setText } from '../dom.ts'
import { count } from '../format.ts'
import type { View, ViewContext } from './view.ts'

const WINDOWS: readonly { window: string; step: string; label: string }[] = [
  { window: '15m', step: '5s', label: '15 min' },
  { window: '1h', step: '10s', label: '1 hour' },
  { window: '6h', step: '1m', label: '6 hours' },
  { window: '24h', step: '5m', label: '24 hours' },
  { window: '7d', step: '30m', label: '7 days' },
]

export function chartsView(ctx: ViewContext, query: URLSearchParams): View {
  let choice = WINDOWS.find((w) => w.window === query.get('window')) ?? WINDOWS[1]!
  const chart = activityChart({ height: 240, compact: false })
  const total = h('span', { class: 'dim' })
  const toolsBox = h('div', { class: 'tools-box' }, h('p', { class: 'dim' }, 'Loading…'))
  const buttons = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Window' })
  const element = h(
    'section',
    { class: 'view charts' },
    h('div', { class: 'toolbar' }, h('h1', null, 'Charts'), buttons),
    h('section', { class: 'panel' }, h('h2', null, 'Events per second ', total), chart.element),
    h(
      'section',
      { class: 'panel' },
      h('h2', null, 'Tools: calls and failures, duration p50 / p95'),
      toolsBox,
    ),
  )

  const renderButtons = (): void => {
    replace(
      buttons,
      WINDOWS.map((w) =>
        h(
          'button',
          {
            type: 'button',
            class: 'button',
            'aria-pressed': String(w === choice),
            onclick: () => {
              choice = w
              ctx.navigate(`/charts?window=${w.window}`, { replace: true })
              renderButtons()
              load()
            },
          },
          w.label,
        ),
      ),
    )
  }

  const abort = new AbortController()
  const load = (): void => {
    timeline(choice.window, choice.step, abort.signal).then(
      (t) => {
        chart.update(t)
        setText(total, `· ${count(t.total)} events in the last ${choice.label}`)
      },
      (error) => setText(total, `· ${String(error)}`),
    )
    tools(choice.window, abort.signal).then(
      (answer) => replace(toolsBox, toolBars(answer.tools)),
      (error) => replace(toolsBox, h('p', { class: 'error' }, String(error))),
    )
  }
  renderButtons()
  load()
  const timer = setInterval(load, 10_000)

  return {
    element,
    title: 'Charts',
    destroy: () => {
      abort.abort()
      clearInterval(timer)
      chart.destroy()
    },
  }
}
