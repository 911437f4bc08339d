/**
 * The top functions by self time in a `node --cpu-prof` profile, over a window of the run (the measured part, not
 * start-up or warm-up). Shared by bench/observatory.ts, bench/store.ts and bench/python-original.ts.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

export interface TopSelfTimeOptions {
  /** How many functions. */
  top: number
  /** The repository's root: stripped from the functions' file URLs. */
  root: string
  /** Leave `(idle)` out of the samples and the total (percentages of busy time). */
  skipIdle?: boolean
  /** A last line giving the samples' total: `(N ms <footer>)`. */
  footer?: string
}

/** `window`: [start, end] in the profile's microseconds. One line per function: `  12.3%  name file:line`. */
export function topSelfTime(
  profileDir: string,
  window: [number, number],
  options: TopSelfTimeOptions,
): string[] {
  const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))
  if (files.length === 0) return ['(no profile written)']
  const profile = JSON.parse(readFileSync(join(profileDir, files[0]!), 'utf8')) as {
    nodes: ProfileNode[]
    startTime: number
    samples: number[]
    timeDeltas: number[]
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  let at = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0
    at += dt
    if (at < window[0] || at > window[1]) continue
    const f = byId.get(profile.samples[i]!)?.callFrame
    if (options.skipIdle === true && f?.functionName === '(idle)') continue
    total += dt
    if (f === undefined) continue
    const where =
      f.url === '' ? '' : ` ${f.url.replace(`file://${options.root}`, '')}:${f.lineNumber + 1}`
    const key = `${f.functionName || '(anonymous)'}${where}`
    self.set(key, (self.get(key) ?? 0) + dt)
  }
  const lines = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, options.top)
    .map(([name, us]) => `${((us / total) * 100).toFixed(1).padStart(5)}%  ${name}`)
  if (options.footer !== undefined)
    lines.push(`(${(total / 1000).toFixed(0)} ms ${options.footer})`)
  return lines
}
