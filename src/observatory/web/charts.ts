/**
 * Charts. Time series (events, tool calls and failures per second) are drawn by uPlot, on a canvas; per-tool
 * numbers (calls and failures, p50/p95 duration) are bars made of elements sized through the CSSOM: a tool's name
 * can be long (`mcp__github__create_pull_request`), and a row per tool with its name in full reads better than
 * names slanted under a canvas axis, and stays text (searchable, copyable, read by screen readers).
 *
 * Colours come from the stylesheet's custom properties, so the charts follow the light or dark theme; a theme
 * change redraws them.
 */
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import type { Timeline, ToolStats } from './api.ts'
import { h, setStyle } from './dom.ts'
import { count, duration } from './format.ts'

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

  const resize = new ResizeObserver(() => {
    if (plot === undefined) {
      if (element.clientWidth > 0) build()
      return
    }
    plot.setSize({ width: Math.max(200, element.clientWidth), height: options.height })
  })
  resize.observe(element)
  const scheme = darkQuery()
  const onScheme = (): void => {
    if (plot !== undefined) build()
  }
  scheme.addEventListener('change', onScheme)

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
      resize.disconnect()
      scheme.removeEventListener('change', onScheme)
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
