/**
 * Charts. Time series (events, tool calls and failures per second) are drawn by uPlot, on a canvas; per-tool
 * numbers (calls and failures, p50/p95 duration) are bars made of elements sized through the CSSOM: a tool's name
 * can be long (`mcp__github__create_pull_request`), and a row per tool with its name in full reads better than
 * names slanted under a canvas axis, and stays text (searchable, copyable, read by screen readers).
 *
 * Cost per day (Claude Code's telemetry) is uPlot bars too; the tokens by model a table, the API latency figures:
 * text, like the tools.
 *
 * Colours come from the stylesheet's custom properties, so the charts follow the light or dark theme; a theme
 * change redraws them.
 */
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import type { ApiLatency, DayUsage, ModelUsage, Timeline, ToolStats } from './api.ts'
import { h, setStyle } from './dom.ts'
import { compact, count, duration, money } from './format.ts'

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim()
}

const darkQuery = (): MediaQueryList => window.matchMedia('(prefers-color-scheme: dark)')

export interface ActivityChart {
  readonly element: HTMLElement
  update(timeline: Timeline): void
  destroy(): void
}

/**
 * Events, tool calls and failures per second over the timeline's window. `compact`: no legend, a small y axis
 * (the board's strip).
 */
export function activityChart(options: { height: number; compact: boolean }): ActivityChart {
  const element = h('div', { class: options.compact ? 'chart chart-compact' : 'chart' })
  let plot: uPlot | undefined
  let data: uPlot.AlignedData = [[], [], [], []]

  const build = (): void => {
    plot?.destroy()
    const text = cssVar('--dim')
    const grid = cssVar('--line')
    const axis = (size: number): uPlot.Axis => ({
      stroke: text,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      size,
      font: '11px system-ui, sans-serif',
    })
    plot = new uPlot(
      {
        width: Math.max(200, element.clientWidth),
        height: options.height,
        legend: { show: !options.compact, live: true },
        cursor: { drag: { x: false, y: false }, points: { size: 6 } },
        scales: {
          x: { time: true },
          y: { range: (_u, _min, max) => [0, Math.max(0.1, max * 1.1)] },
        },
        axes: [
          { ...axis(options.compact ? 24 : 48) },
          {
            ...axis(options.compact ? 40 : 52),
            values: (_u, splits) => splits.map((v) => (v >= 10 ? count(v) : String(+v.toFixed(2)))),
          },
        ],
        series: [
          {},
          {
            label: 'events/s',
            stroke: cssVar('--chart-events'),
            fill: cssVar('--chart-events-fill'),
            width: 1.5,
            points: { show: false },
          },
          {
            label: 'tool calls/s',
            stroke: cssVar('--chart-calls'),
            width: 1.25,
            // Sparse (drawn only where non-zero): a lone bucket is a dot.
            points: { show: true, size: 4, fill: cssVar('--chart-calls') },
          },
          {
            label: 'failures/s',
            stroke: cssVar('--chart-failures'),
            width: 1.25,
            points: { show: true, size: 5, fill: cssVar('--chart-failures') },
          },
        ],
      },
      data,
      element,
    )
  }

  const unwatch = watchPlot(element, options.height, () => plot, build)

  return {
    element,
    update(timeline) {
      const seconds = timeline.step_ms / 1000
      const xs: number[] = []
      for (let i = 0; i < timeline.events.length; i++) {
        xs.push((timeline.start + i * timeline.step_ms) / 1000)
      }
      const rate = (values: number[]): number[] => values.map((v) => v / seconds)
      // Tool calls and failures are drawn only where there are some: no line along the x axis.
      const some = (values: number[]): (number | null)[] =>
        values.map((v) => (v === 0 ? null : v / seconds))
      data = [xs, rate(timeline.events), some(timeline.tool_calls), some(timeline.failures)]
      if (plot === undefined) {
        if (element.isConnected && element.clientWidth > 0) build()
      } else plot.setData(data)
    },
    destroy() {
      unwatch()
      plot?.destroy()
      plot = undefined
    },
  }
}

/** Per tool: calls (failures in red, denied or interrupted in grey) and p50/p95 durations, as rows of bars. */
export function toolBars(tools: readonly ToolStats[]): HTMLElement {
  if (tools.length === 0) return h('p', { class: 'empty' }, 'No tool calls in this window.')
  const maxCalls = Math.max(...tools.map((t) => t.calls))
  const maxMs = Math.max(1, ...tools.map((t) => t.p95_ms ?? t.p50_ms ?? 0))
  const bar = (cls: string, fraction: number): HTMLElement => {
    const element = h('span', { class: `bar ${cls}` })
    setStyle(element, 'width', `${Math.max(0, Math.min(100, fraction * 100)).toFixed(2)}%`)
    return element
  }
  const rows = tools.map((t) => {
    const ok = t.calls - t.failures - t.other
    const calls = h(
      'div',
      { class: 'bars' },
      bar('bar-ok', ok / maxCalls),
      bar('bar-failed', t.failures / maxCalls),
      bar('bar-other', t.other / maxCalls),
    )
    const p50 = t.p50_ms === null ? 0 : t.p50_ms / maxMs
    const p95 = t.p95_ms === null ? 0 : t.p95_ms / maxMs
    const durations = h(
      'div',
      { class: 'bars bars-duration' },
      bar('bar-p50', p50),
      bar('bar-p95', Math.max(0, p95 - p50)),
    )
    const failed =
      t.failures > 0 ? h('span', { class: 'failed' }, ` ${count(t.failures)} failed`) : ''
    const other =
      t.other > 0 ? h('span', { class: 'dim' }, ` ${count(t.other)} denied/interrupted`) : ''
    return h(
      'div',
      { class: 'tool-row', 'data-tool': t.tool_name },
      h('span', { class: 'tool-name', title: t.tool_name }, t.tool_name || '(no name)'),
      calls,
      h('span', { class: 'num' }, count(t.calls), failed, other),
      durations,
      h(
        'span',
        { class: 'num' },
        t.p50_ms === null ? '–' : duration(t.p50_ms),
        h('span', { class: 'dim' }, ' / '),
        t.p95_ms === null ? '–' : duration(t.p95_ms),
      ),
    )
  })
  return h(
    'div',
    { class: 'tool-table' },
    h(
      'div',
      { class: 'tool-row tool-head' },
      h('span', null, 'tool'),
      h('span', null, 'calls ', h('span', { class: 'legend-failed' }, 'failed')),
      h('span', { class: 'num' }, 'calls'),
      h(
        'span',
        null,
        'duration ',
        h('span', { class: 'legend-p50' }, 'p50'),
        ' ',
        h('span', { class: 'legend-p95' }, 'p95'),
      ),
      h('span', { class: 'num' }, 'p50 / p95'),
    ),
    rows,
  )
}

export interface CostChart {
  readonly element: HTMLElement
  update(days: readonly DayUsage[]): void
  destroy(): void
}

/** A day `YYYY-MM-DD` as the epoch seconds of its local midnight (the page asked for days at its own offset). */
function localMidnight(day: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  return new Date(y, m - 1, d).getTime() / 1000
}

/** An axis's dollars, to three significant digits: `$0`, `$0.005`, `$0.015`, `$1.5`, `$12.5`, `$1,250`. */
function axisMoney(v: number): string {
  if (v === 0) return '$0'
  return `$${v >= 100 ? count(Math.round(v)) : +v.toPrecision(3)}`
}

/** Cost per calendar day, as bars (uPlot), with the day's requests in the legend. */
export function costChart(options: { height: number }): CostChart {
  const element = h('div', { class: 'chart chart-cost' })
  let plot: uPlot | undefined
  let data: uPlot.AlignedData = [[], [], []]

  const build = (): void => {
    plot?.destroy()
    const text = cssVar('--dim')
    const grid = cssVar('--line')
    const axis = (size: number): uPlot.Axis => ({
      stroke: text,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      size,
      font: '11px system-ui, sans-serif',
    })
    const bars = uPlot.paths.bars?.({ size: [0.7, 48], radius: 0.15 })
    plot = new uPlot(
      {
        width: Math.max(200, element.clientWidth),
        height: options.height,
        legend: { show: true, live: true },
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        scales: {
          x: {
            time: true,
            // Half a day of room either side: the first and last bars whole.
            range: (_u, min, max) => [min - 43_200, max + 43_200],
          },
          y: { range: (_u, _min, max) => [0, Math.max(0.01, max * 1.15)] },
          n: { range: (_u, _min, max) => [0, Math.max(1, max)] },
        },
        axes: [{ ...axis(48) }, { ...axis(60), values: (_u, splits) => splits.map(axisMoney) }],
        series: [
          { value: '{YYYY}-{MM}-{DD}' },
          {
            label: 'cost',
            stroke: cssVar('--chart-cost'),
            fill: cssVar('--chart-cost-fill'),
            width: 1,
            ...(bars === undefined ? {} : { paths: bars }),
            points: { show: false },
            value: (_u, v) => (v === null ? '–' : money(v)),
          },
          {
            // Not drawn: the day's requests, for the legend.
            label: 'API requests',
            scale: 'n',
            show: true,
            stroke: 'transparent',
            width: 0,
            points: { show: false },
            value: (_u, v) => (v === null ? '–' : count(v)),
          },
        ],
      },
      data,
      element,
    )
  }

  const unwatch = watchPlot(element, options.height, () => plot, build)

  return {
    element,
    update(days) {
      data = [
        days.map((d) => localMidnight(d.day)),
        days.map((d) => d.cost_usd),
        days.map((d) => d.api_requests),
      ]
      if (plot === undefined) {
        if (element.isConnected && element.clientWidth > 0) build()
      } else plot.setData(data)
    },
    destroy() {
      unwatch()
      plot?.destroy()
      plot = undefined
    },
  }
}

/** Per model: requests, input, output, cache read and write tokens, cost, API latency p50/p95. */
export function modelTable(models: readonly ModelUsage[]): HTMLElement {
  if (models.length === 0) return h('p', { class: 'empty' }, 'No API request in this window.')
  const tokens = (n: number): HTMLElement => h('td', { class: 'num', title: count(n) }, compact(n))
  const ms = (v: number | null): string => (v === null ? '–' : duration(v))
  return h(
    'table',
    { class: 'usage-table' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, 'model'),
        ...[
          'requests',
          'input',
          'output',
          'cache read',
          'cache write',
          'cost',
          'latency p50 / p95',
        ].map((label) => h('th', { scope: 'col', class: 'num' }, label)),
      ),
    ),
    h(
      'tbody',
      null,
      models.map((m) =>
        h(
          'tr',
          { 'data-model': m.model ?? '' },
          h('th', { scope: 'row', class: 'model-name' }, m.model ?? '(no model named)'),
          h('td', { class: 'num' }, count(m.api_requests)),
          tokens(m.input_tokens),
          tokens(m.output_tokens),
          tokens(m.cache_read_tokens),
          tokens(m.cache_creation_tokens),
          h('td', { class: 'num usage-cost' }, money(m.cost_usd)),
          h('td', { class: 'num' }, `${ms(m.p50_ms)} / ${ms(m.p95_ms)}`),
        ),
      ),
    ),
  )
}

/** The API latency's percentiles as figures (`data-figure`: p50, p95, p99, max). */
export function latencyFigures(latency: ApiLatency): HTMLElement {
  const figure = (key: string, label: string, value: number | null): HTMLElement =>
    h(
      'div',
      { class: 'figure', 'data-figure': key },
      h('span', { class: 'figure-value' }, value === null ? '–' : duration(value)),
      h('span', { class: 'figure-label' }, label),
    )
  return h(
    'div',
    { class: 'figures' },
    figure('p50', 'p50', latency.p50_ms),
    figure('p95', 'p95', latency.p95_ms),
    figure('p99', 'p99', latency.p99_ms),
    figure('max', 'slowest', latency.max_ms),
    h(
      'p',
      { class: 'dim figures-note' },
      `over ${count(latency.timed_requests)} of ${count(latency.api_requests)} API ${latency.api_requests === 1 ? 'request' : 'requests'} (those that reported a duration)`,
    ),
  )
}

/**
 * A chart's life around its plot: built once its element has a width, resized with it, rebuilt when the colour
 * scheme changes (the colours are read from CSS variables at build). Returns what stops watching.
 */
function watchPlot(
  element: HTMLElement,
  height: number,
  current: () => uPlot | undefined,
  build: () => void,
): () => void {
  const resize = new ResizeObserver(() => {
    const plot = current()
    if (plot === undefined) {
      if (element.clientWidth > 0) build()
      return
    }
    plot.setSize({ width: Math.max(200, element.clientWidth), height })
  })
  resize.observe(element)
  const scheme = darkQuery()
  const onScheme = (): void => {
    if (current() !== undefined) build()
  }
  scheme.addEventListener('change', onScheme)
  return () => {
    resize.disconnect()
    scheme.removeEventListener('change', onScheme)
  }
}
