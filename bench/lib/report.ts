/** The Markdown report and the SVG chart, both written by hand from the medians. */
import type { Scenario } from './load.ts'

export interface RunRecord {
  readonly server: string
  readonly scenario: string
  readonly round: number
  /** Undefined when the run failed (see `failure`). */
  readonly rps: number | undefined
  readonly p50: number | undefined
  readonly p99: number | undefined
  readonly errors: number
  readonly errorDetail: string
  /** Peak resident memory of the server process, KiB. */
  readonly peakRssKiB: number | undefined
  /** Server CPU use during the measured run, as a fraction of one core. */
  readonly serverCpu: number | undefined
  /** Server CPU time per response, microseconds (less sensitive to a busy machine than req/s). */
  readonly cpuPerRequestUs: number | undefined
  /** Connections the kernel dropped from the full accept queue during the measured run (TcpExt ListenOverflows). */
  readonly listenOverflows: number | undefined
  readonly failure?: string
}

export interface Summary {
  readonly server: string
  readonly label: string
  readonly scenario: string
  readonly rps: number | undefined
  readonly rpsMin: number | undefined
  readonly rpsMax: number | undefined
  readonly p50: number | undefined
  readonly p99: number | undefined
  readonly errors: number
  readonly errorDetail: string
  readonly peakRssKiB: number | undefined
  readonly serverCpu: number | undefined
  readonly cpuPerRequestUs: number | undefined
  readonly listenOverflows: number | undefined
  readonly runs: number
  readonly failures: string[]
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

const defined = (xs: readonly (number | undefined)[]): number[] =>
  xs.filter((x): x is number => x !== undefined && Number.isFinite(x))

export function summarize(
  records: readonly RunRecord[],
  server: { name: string; label: string },
  scenario: string,
): Summary {
  const runs = records.filter((r) => r.server === server.name && r.scenario === scenario)
  const rps = defined(runs.map((r) => r.rps))
  const details = runs.map((r) => r.errorDetail).filter((d) => d !== '')
  return {
    server: server.name,
    label: server.label,
    scenario,
    rps: median(rps),
    rpsMin: rps.length > 0 ? Math.min(...rps) : undefined,
    rpsMax: rps.length > 0 ? Math.max(...rps) : undefined,
    p50: median(defined(runs.map((r) => r.p50))),
    p99: median(defined(runs.map((r) => r.p99))),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    errorDetail: [...new Set(details)].join('; '),
    peakRssKiB: median(defined(runs.map((r) => r.peakRssKiB))),
    serverCpu: median(defined(runs.map((r) => r.serverCpu))),
    cpuPerRequestUs: median(defined(runs.map((r) => r.cpuPerRequestUs))),
    listenOverflows: median(defined(runs.map((r) => r.listenOverflows))),
    runs: runs.length,
    failures: runs.flatMap((r) => (r.failure === undefined ? [] : [r.failure])),
  }
}

export const fmtInt = (n: number | undefined): string =>
  n === undefined ? '–' : Math.round(n).toLocaleString('en-US')

export const fmtMs = (n: number | undefined): string => {
  if (n === undefined) return '–'
  if (n === 0) return '< 1 ms' // autocannon reports whole milliseconds
  if (n < 1) return `${(n * 1000).toFixed(0)} µs`
  if (n < 10) return `${n.toFixed(2)} ms`
  if (n < 100) return `${n.toFixed(1)} ms`
  return `${n.toFixed(0)} ms`
}

export const fmtRatio = (n: number | undefined, base: number | undefined): string =>
  n === undefined || base === undefined || base === 0 ? '–' : `${(n / base).toFixed(2)}×`

const fmtMiB = (kib: number | undefined): string =>
  kib === undefined ? '–' : `${(kib / 1024).toFixed(kib < 10 * 1024 ? 1 : 0)} MiB`

const fmtCpu = (f: number | undefined): string =>
  f === undefined ? '–' : `${Math.round(f * 100)}%`

export function compactNumber(n: number): string {
  const trim = (s: string) => s.replace(/\.0$/, '')
  if (n >= 1_000_000) return `${trim((n / 1_000_000).toFixed(n >= 10_000_000 ? 0 : 1))}M`
  if (n >= 1000) return `${trim((n / 1000).toFixed(n >= 100_000 ? 0 : 1))}k`
  return String(Math.round(n))
}

export interface ReportInput {
  readonly title: string
  readonly header: readonly (readonly [string, string])[]
  readonly warnings: readonly string[]
  readonly scenarios: readonly Scenario[]
  readonly servers: readonly { name: string; label: string; description: string; how: string }[]
  readonly skipped: readonly { label: string; reason: string }[]
  readonly records: readonly RunRecord[]
  readonly rounds: number
  readonly svgName: string
  readonly notes: readonly string[]
}

export function markdownReport(input: ReportInput): string {
  const { scenarios, servers, records } = input
  const lines: string[] = [`# ${input.title}`, '']
  for (const w of input.warnings) lines.push(`> **${w}**`, '')
  lines.push('| | |', '| --- | --- |')
  for (const [k, v] of input.header) lines.push(`| ${k} | ${v} |`)
  lines.push('', `![req/s per server and scenario](${input.svgName})`, '')

  const table = (s: Scenario) => servers.map((sv) => summarize(records, sv, s.name))
  const baseOf = (rows: Summary[]) => rows.find((r) => r.server === 'node-http')?.rps

  lines.push('## Summary: requests per second (median) and ratio to node:http', '')
  lines.push(`| server | ${scenarios.map((s) => s.name).join(' | ')} |`)
  lines.push(`| --- | ${scenarios.map(() => '---:').join(' | ')} |`)
  const perScenario = new Map(scenarios.map((s) => [s.name, table(s)]))
  for (const sv of servers) {
    const cells = scenarios.map((s) => {
      const rows = perScenario.get(s.name)!
      const row = rows.find((r) => r.server === sv.name)!
      if (row.rps === undefined) return 'failed'
      const ratio = fmtRatio(row.rps, baseOf(rows))
      return `${fmtInt(row.rps)} (${ratio})${row.errors > 0 ? ' ⚠' : ''}`
    })
    lines.push(`| ${sv.label} | ${cells.join(' | ')} |`)
  }
  lines.push('', '⚠ = errors during the run (see the scenario table).', '')

  for (const s of scenarios) {
    const rows = perScenario.get(s.name)!
    const base = baseOf(rows)
    lines.push(`## ${s.name}: ${s.title}`, '')
    lines.push(
      `| server | req/s | × node:http | ${input.rounds > 1 ? 'range (min–max) | ' : ''}p50 | p99 | errors | peak RSS | server CPU | CPU µs/req |`,
    )
    lines.push(
      `| --- | ---: | ---: | ${input.rounds > 1 ? '---: | ' : ''}---: | ---: | ---: | ---: | ---: | ---: |`,
    )
    const sorted = [...rows].sort((a, b) => (b.rps ?? -1) - (a.rps ?? -1))
    const drops = rows.some((r) => (r.listenOverflows ?? 0) > 0)
    if (drops) {
      lines[lines.length - 2] += ' accept-queue drops |'
      lines[lines.length - 1] += ' ---: |'
    }
    for (const r of sorted) {
      const range = input.rounds > 1 ? `${fmtInt(r.rpsMin)}–${fmtInt(r.rpsMax)} | ` : ''
      const errors = r.errors === 0 ? '0' : `${fmtInt(r.errors)} (${r.errorDetail})`
      lines.push(
        `| ${r.label} | ${r.rps === undefined ? 'failed' : fmtInt(r.rps)} | ${fmtRatio(r.rps, base)} | ${range}${fmtMs(r.p50)} | ${fmtMs(r.p99)} | ${errors} | ${fmtMiB(r.peakRssKiB)} | ${fmtCpu(r.serverCpu)} | ${r.cpuPerRequestUs === undefined ? '–' : r.cpuPerRequestUs.toFixed(1)} |${drops ? ` ${fmtInt(r.listenOverflows)} |` : ''}`,
      )
    }
    const failures = rows.flatMap((r) => r.failures.map((f) => `${r.label}: ${f}`))
    if (failures.length > 0) {
      lines.push('', 'Failed runs:', '')
      for (const f of failures) lines.push(`- ${f.replace(/\n/g, ' ')}`)
    }
    lines.push('')
  }

  lines.push('## Servers', '')
  lines.push('| server | what | runs as |', '| --- | --- | --- |')
  for (const sv of servers) lines.push(`| ${sv.label} | ${sv.description} | ${sv.how} |`)
  for (const sk of input.skipped) lines.push(`| ${sk.label} | **skipped**: ${sk.reason} | – |`)
  lines.push('')

  if (input.rounds > 1) {
    lines.push('## Every run (req/s per round, in the order they ran)', '')
    lines.push(
      `| scenario | server | ${Array.from({ length: input.rounds }, (_, i) => `round ${i + 1}`).join(' | ')} |`,
    )
    lines.push(`| --- | --- | ${Array.from({ length: input.rounds }, () => '---:').join(' | ')} |`)
    for (const s of scenarios) {
      for (const sv of servers) {
        const cells = Array.from({ length: input.rounds }, (_, i) => {
          const r = records.find(
            (x) => x.server === sv.name && x.scenario === s.name && x.round === i + 1,
          )
          return r === undefined ? '–' : r.rps === undefined ? 'failed' : fmtInt(r.rps)
        })
        lines.push(`| ${s.name} | ${sv.label} | ${cells.join(' | ')} |`)
      }
    }
    lines.push('')
  }

  lines.push('## Notes', '')
  for (const n of input.notes) lines.push(`- ${n}`)
  lines.push('')
  return lines.join('\n')
}

const COLORS: Record<string, string> = {
  'ours-raw': '#e8590c',
  'ours-async': '#d9480f',
  'ours-framework': '#f59f00',
  'node-http': '#495057',
  fastify: '#1c7ed6',
  hono: '#2f9e44',
  express: '#7048e8',
  bun: '#c2255c',
  'net-floor': '#ced4da',
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** A "nice" axis maximum (1, 2, 2.5 or 5 × 10^k) at or above `max`. */
function niceMax(max: number): number {
  if (max <= 0) return 1
  const exp = 10 ** Math.floor(Math.log10(max))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= max) return m * exp
  return 10 * exp
}

/**
 * Grouped bars, one panel per scenario with its own scale (req/s differ by 100× between `close` and
 * `pipelined`; one shared axis would flatten half the chart). Each bar carries its value; a legend names the
 * servers. Plain SVG 1.1 with a white background, so it reads the same in light and dark READMEs.
 */
export function svgChart(input: {
  title: string
  subtitle: string
  scenarios: readonly Scenario[]
  servers: readonly { name: string; label: string }[]
  records: readonly RunRecord[]
}): string {
  const { scenarios, servers } = input
  const cols = Math.min(3, scenarios.length)
  const rows = Math.ceil(scenarios.length / cols)
  const panelW = 320
  const panelH = 250
  const legendRows = Math.ceil(servers.length / 4)
  const top = 64 + legendRows * 20
  const width = cols * panelW + 20
  const height = top + rows * panelH + 10
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" role="img" aria-label="${esc(input.title)}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="17" font-weight="bold" fill="#212529">${esc(input.title)}</text>`,
    `<text x="${width / 2}" y="43" text-anchor="middle" font-size="11.5" fill="#495057">${esc(input.subtitle)}</text>`,
  ]
  // Legend: four per row.
  servers.forEach((sv, i) => {
    const x = 20 + (i % 4) * ((width - 40) / 4)
    const y = 58 + Math.floor(i / 4) * 20
    out.push(
      `<rect x="${x}" y="${y}" width="12" height="12" fill="${COLORS[sv.name] ?? '#868e96'}" stroke="#495057" stroke-width="0.5"/>`,
      `<text x="${x + 17}" y="${y + 10.5}" font-size="12" fill="#212529">${esc(sv.label)}</text>`,
    )
  })
  scenarios.forEach((s, si) => {
    const px = 10 + (si % cols) * panelW
    const py = top + Math.floor(si / cols) * panelH
    const plotX = px + 52
    const plotY = py + 34
    const plotW = panelW - 66
    const plotH = panelH - 70
    const values = servers.map((sv) => summarize(input.records, sv, s.name).rps)
    const max = niceMax(Math.max(1, ...defined(values)))
    out.push(
      `<text x="${px + panelW / 2}" y="${py + 20}" text-anchor="middle" font-size="14" font-weight="bold" fill="#212529">${esc(s.name)}</text>`,
    )
    for (let t = 0; t <= 4; t++) {
      const v = (max * t) / 4
      const y = plotY + plotH - (plotH * t) / 4
      out.push(
        `<line x1="${plotX}" y1="${y}" x2="${plotX + plotW}" y2="${y}" stroke="${t === 0 ? '#868e96' : '#e9ecef'}" stroke-width="1"/>`,
        `<text x="${plotX - 6}" y="${y + 4}" text-anchor="end" font-size="10.5" fill="#495057">${compactNumber(v)}</text>`,
      )
    }
    const slot = plotW / servers.length
    const barW = Math.max(6, slot * 0.72)
    servers.forEach((sv, i) => {
      const v = values[i]
      const x = plotX + i * slot + (slot - barW) / 2
      if (v === undefined) {
        out.push(
          `<text x="${x + barW / 2}" y="${plotY + plotH - 4}" text-anchor="middle" font-size="10" fill="#c92a2a">✕</text>`,
        )
        return
      }
      const h = (plotH * v) / max
      const y = plotY + plotH - h
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[sv.name] ?? '#868e96'}"${sv.name === 'net-floor' ? ' stroke="#868e96" stroke-dasharray="3,2"' : ''}><title>${esc(`${sv.label}: ${fmtInt(v)} req/s`)}</title></rect>`,
        `<text x="${(x + barW / 2).toFixed(1)}" y="${(y - 3).toFixed(1)}" text-anchor="middle" font-size="9.5" fill="#212529">${compactNumber(v)}</text>`,
      )
    })
    out.push(
      `<text x="${px + 14}" y="${plotY + plotH / 2}" text-anchor="middle" font-size="10.5" fill="#495057" transform="rotate(-90 ${px + 14} ${plotY + plotH / 2})">req/s</text>`,
    )
  })
  out.push('</svg>', '')
  return out.join('\n')
}
