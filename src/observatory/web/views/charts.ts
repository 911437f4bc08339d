/**
 * Charts (`/charts?window=1h`): events, tool calls and failures per second over the window
 * (`GET /api/stats/timeline`), and per tool its calls, failures and p50/p95 duration (`GET /api/tools`); then
 * what Claude Code's API requests cost over the last 30 days, from its telemetry (`GET /api/stats/usage`): cost
 * per day, tokens by model, API latency — or, when no request was reported, how to turn the telemetry on.
 * Refreshed every 10 s while open.
 */
import { ApiError, timeline, tools, type UsageStats, usageStats } from '../api.ts'
import { activityChart, costChart, latencyFigures, modelTable, toolBars } from '../charts.ts'
import { h, replace, setText } from '../dom.ts'
import { compact, count, money, plural, totalTokens } from '../format.ts'
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
  const cost = costChart({ height: 200 })
  const usageTotal = h('span', { class: 'dim', id: 'usage-total' })
  const modelsBox = h('div', { class: 'models-box' })
  const latencyBox = h('div', { class: 'latency-box' })
  const usagePanels = h(
    'div',
    { class: 'usage-panels', hidden: true },
    h('section', { class: 'panel usage-cost-panel' }, h('h2', null, 'Cost per day'), cost.element),
    h(
      'section',
      { class: 'panel usage-models-panel' },
      h('h2', null, 'Tokens by model'),
      modelsBox,
    ),
    h('section', { class: 'panel usage-latency-panel' }, h('h2', null, 'API latency'), latencyBox),
  )
  const usageNote = h('div', { class: 'usage-note' }, h('p', { class: 'dim' }, 'Loading…'))
  const usageSection = h(
    'section',
    { class: 'usage', id: 'usage', 'aria-labelledby': 'usage-title' },
    h(
      'h2',
      { class: 'section-title', id: 'usage-title' },
      'Cost and tokens, last 30 days ',
      usageTotal,
    ),
    usageNote,
    usagePanels,
  )
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
    usageSection,
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
    usageStats(abort.signal).then(showUsage, (error) => {
      if (abort.signal.aborted) return
      usagePanels.hidden = true
      setText(usageTotal, '')
      replace(
        usageNote,
        error instanceof ApiError && error.status === 503
          ? h(
              'p',
              { class: 'empty' },
              'This observatory keeps no store (--no-db), so it keeps none of Claude Code’s telemetry either.',
            )
          : h('p', { class: 'error' }, `Usage: ${String(error)}`),
      )
    })
  }

  const showUsage = (u: UsageStats): void => {
    const t = u.total
    if (t.api_requests === 0) {
      usagePanels.hidden = true
      setText(usageTotal, '')
      replace(usageNote, telemetryHelp())
      return
    }
    replace(usageNote)
    usagePanels.hidden = false
    setText(
      usageTotal,
      `· ${money(t.cost_usd)} · ${compact(totalTokens(t))} tokens · ${plural(t.api_requests, 'API request')}`,
    )
    cost.update(u.days)
    replace(modelsBox, modelTable(u.models))
    replace(latencyBox, latencyFigures(u.latency))
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
      cost.destroy()
    },
  }
}

/** What the charts say when no API request was reported: the telemetry is off, and how to turn it on. */
function telemetryHelp(): HTMLElement {
  return h(
    'div',
    { class: 'empty-board usage-empty', id: 'usage-empty' },
    h('h3', null, 'No API request reported in the last 30 days'),
    h(
      'p',
      null,
      'Cost, tokens and API latency come from Claude Code’s own telemetry (OpenTelemetry), which is off ' +
        'unless configured: it looks like it is not configured to reach this observatory. Turn it on with ',
      h('code', null, 'observatory install --telemetry'),
      ', then start a new Claude Code session. Or set these in Claude Code’s environment (or the ',
      h('code', null, 'env'),
      ' block of ',
      h('code', null, '~/.claude/settings.json'),
      '):',
    ),
    h(
      'pre',
      null,
      [
        'CLAUDE_CODE_ENABLE_TELEMETRY=1',
        'OTEL_LOGS_EXPORTER=otlp',
        'OTEL_METRICS_EXPORTER=otlp',
        'OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf',
        `OTEL_EXPORTER_OTLP_ENDPOINT=${location.origin}`,
      ].join('\n'),
    ),
  )
}
