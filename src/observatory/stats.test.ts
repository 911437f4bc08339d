import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { EventMeta } from './hub.ts'
import { Stats } from './stats.ts'

const START = Date.parse('2025-06-01T12:00:00.000Z')

/** A Stats on a fake clock, and helpers to move the clock and record events "now". */
function fixture(options: { topTools?: number; maxNames?: number } = {}) {
  let now = START
  const stats = new Stats({ now: () => now, ...options })
  return {
    stats,
    advance(ms: number): void {
      now += ms
    },
    record(event: string, tool?: string, count = 1): void {
      const meta: EventMeta = { event, ts: new Date(now), ...(tool ? { tool } : {}) }
      for (let i = 0; i < count; i++) stats.record(meta)
    },
  }
}

describe('Stats', () => {
  it('counts totals and events per type, most frequent first', () => {
    const f = fixture()
    f.record('PostToolUse', 'Bash', 2)
    f.record('PreToolUse', 'Bash', 3)
    f.record('Stop')
    const s = f.stats.snapshot()
    assert.equal(s.totalEvents, 6)
    assert.deepEqual(Object.entries(s.eventsByType), [
      ['PreToolUse', 3],
      ['PostToolUse', 2],
      ['Stop', 1],
    ])
    assert.equal(s.startedAt, '2025-06-01T12:00:00.000Z')
  })

  it('reports uptime from the injected clock', () => {
    const f = fixture()
    f.advance(90_500)
    assert.equal(f.stats.snapshot().uptimeSeconds, 90)
  })

  it('keeps per-second counts for the last 60 seconds, oldest first', () => {
    const f = fixture()
    f.record('A', undefined, 5) // second 0
    f.advance(1000)
    f.record('A', undefined, 3) // second 1
    f.advance(2000)
    f.record('A', undefined, 7) // second 3
    const s = f.stats.snapshot()
    assert.equal(s.perSecond.length, 60)
    assert.deepEqual(s.perSecond.slice(-4), [5, 3, 0, 7])
    assert.ok(s.perSecond.slice(0, -4).every((n) => n === 0))
    assert.equal(s.eventsLastMinute, 15)
    // Only 3 seconds elapsed since start: the rate covers 3 seconds, not 60.
    assert.equal(s.eventsPerSecond, 5)
  })

  it('forgets seconds that slide out of the window', () => {
    const f = fixture()
    f.record('A', undefined, 10) // second 0
    f.advance(30_000)
    f.record('A', undefined, 20) // second 30
    f.advance(29_000) // now second 59: both still inside
    assert.equal(f.stats.snapshot().eventsLastMinute, 30)
    f.advance(1000) // second 60: second 0 is out
    let s = f.stats.snapshot()
    assert.equal(s.eventsLastMinute, 20)
    assert.equal(s.eventsPerSecond, 0.33)
    f.advance(30_000) // second 90: second 30 is out
    s = f.stats.snapshot()
    assert.equal(s.eventsLastMinute, 0)
    assert.equal(s.totalEvents, 30, 'totals are not windowed')
  })

  it('clears the whole ring after a long idle gap', () => {
    const f = fixture()
    f.record('A', undefined, 4)
    f.advance(3_600_000)
    f.record('A')
    const s = f.stats.snapshot()
    assert.equal(s.eventsLastMinute, 1)
    assert.equal(s.perSecond.at(-1), 1)
  })

  it('puts a late-stamped event in its own second, and ignores the window for one older than it', () => {
    const f = fixture()
    f.advance(10_000)
    f.record('A')
    f.stats.record({ event: 'A', ts: new Date(START + 8_000) }) // two seconds late: counted at second 8
    f.stats.record({ event: 'A', ts: new Date(START - 120_000) }) // outside the window
    const s = f.stats.snapshot()
    assert.deepEqual(s.perSecond.slice(-3), [1, 0, 1])
    assert.equal(s.eventsLastMinute, 2)
    assert.equal(s.totalEvents, 3)
  })

  it('lists the top tools by count, ties in name order, at most topTools', () => {
    const f = fixture({ topTools: 3 })
    f.record('PreToolUse', 'Read', 5)
    f.record('PreToolUse', 'Bash', 9)
    f.record('PreToolUse', 'Edit', 5)
    f.record('PreToolUse', 'Write', 1)
    f.record('Stop') // no tool
    assert.deepEqual(f.stats.snapshot().topTools, [
      { tool: 'Bash', count: 9 },
      { tool: 'Edit', count: 5 },
      { tool: 'Read', count: 5 },
    ])
  })

  it('lists ten tools by default', () => {
    const f = fixture()
    for (let i = 0; i < 15; i++) f.record('PreToolUse', `tool${String(i).padStart(2, '0')}`, i + 1)
    const top = f.stats.snapshot().topTools
    assert.equal(top.length, 10)
    assert.deepEqual(top[0], { tool: 'tool14', count: 15 })
    assert.deepEqual(top[9], { tool: 'tool05', count: 6 })
  })

  it('folds names beyond maxNames into "(other)"', () => {
    const f = fixture({ maxNames: 2 })
    f.record('A', 't1')
    f.record('B', 't2')
    f.record('C', 't3')
    f.record('D', 't4')
    f.record('A', 't1')
    const s = f.stats.snapshot()
    assert.deepEqual(s.eventsByType, { A: 2, '(other)': 2, B: 1 })
    assert.deepEqual(s.topTools, [
      { tool: '(other)', count: 2 },
      { tool: 't1', count: 2 },
      { tool: 't2', count: 1 },
    ])
  })

  it('merges extra counters into a JSON-able snapshot', () => {
    const f = fixture()
    f.record('A', 'Bash')
    const s = f.stats.snapshot({ readersConnected: 2, readersDropped: 1 })
    assert.equal(s.readersConnected, 2)
    assert.equal(s.readersDropped, 1)
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s)
  })
})
