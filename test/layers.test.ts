/**
 * The floors of docs/architecture.md, enforced: each folder of src/ imports only from its own floor or the
 * floors below it, and the protocol core uses no I/O, no timers and no clock.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'node:test'

const SRC = resolve(import.meta.dirname, '../src')
const FLOORS = [
  'protocol',
  'transport',
  'router',
  'framework',
  'observatory',
  'demo',
  'cli',
] as const
const rank = (floor: string): number => {
  // The demo API is an application like the observatory: same floor.
  const r = FLOORS.indexOf(floor as (typeof FLOORS)[number])
  return floor === 'demo' ? FLOORS.indexOf('observatory') : r
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name)
    if (statSync(full).isDirectory()) return sources(full)
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [full] : []
  })
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map(
    (m) => m[1]!,
  )
}

const floorOf = (file: string): string => relative(SRC, file).split('/')[0]!

test('each floor imports only from itself and the floors below', () => {
  const violations: string[] = []
  for (const file of sources(SRC)) {
    const floor = floorOf(file)
    if (!FLOORS.includes(floor as (typeof FLOORS)[number])) continue // src/index.ts: the public exports
    for (const spec of imports(file)) {
      if (!spec.startsWith('.')) continue
      const target = floorOf(resolve(dirname(file), spec))
      if (!FLOORS.includes(target as (typeof FLOORS)[number])) continue
      if (rank(target) > rank(floor))
        violations.push(`${relative(SRC, file)} imports ${spec} (${target})`)
    }
  }
  assert.deepEqual(violations, [])
})

test('the protocol core has no I/O, timers or clock', () => {
  const io =
    /^node:(net|http|https|fs|fs\/promises|dgram|tls|child_process|timers|timers\/promises)$/
  const clock = /\bset(Timeout|Interval|Immediate)\(|Date\.now\(|new Date\(|performance\.now\(/
  const withoutComments = (text: string): string => text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
  const hits = sources(join(SRC, 'protocol')).filter(
    (file) =>
      imports(file).some((spec) => io.test(spec)) ||
      clock.test(withoutComments(readFileSync(file, 'utf8'))),
  )
  assert.deepEqual(
    hits.map((f) => relative(SRC, f)),
    [],
  )
})

test('a floor reaches another only through an index', () => {
  // Each floor's index.ts is its front door: what it exports is what the floors above may use, so a floor's
  // files can be moved and split without touching its callers. A floor with rooms may also open a room's own
  // index.ts (observatory/query/index.ts), so that a command loads only the room it needs.
  const deep: string[] = []
  for (const file of sources(SRC)) {
    const floor = floorOf(file)
    if (!FLOORS.includes(floor as (typeof FLOORS)[number])) continue
    for (const spec of imports(file)) {
      if (!spec.startsWith('.')) continue
      const target = resolve(dirname(file), spec)
      const targetFloor = floorOf(target)
      if (targetFloor === floor || !FLOORS.includes(targetFloor as (typeof FLOORS)[number]))
        continue
      if (!target.endsWith('/index.ts')) {
        deep.push(`${relative(SRC, file)} imports ${spec}`)
      }
    }
  }
  assert.deepEqual(deep, [])
})
