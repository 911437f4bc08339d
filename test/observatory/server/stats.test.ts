import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { EventMeta } from '../../../src/observatory/server/hub.ts'
import { Stats } from '../../../src/observatory/server/stats.ts'

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
    for (const tool of ['t1', 't2', 't3', 't4', 't1']) f.record('PreToolUse', tool)
    f.record('A')
    f.record('B')
    f.record('C')
    f.record('A')
    const s = f.stats.snapshot()
    assert.deepEqual(s.eventsByType, { PreToolUse: 5, A: 2, '(other)': 2 })
    assert.deepEqual(s.topTools, [
      { tool: '(other)', count: 2 },
      { tool: 't1', count: 2 },
      { tool: 't2', count: 1 },
    ])
  })

  it('counts one per tool call: PreToolUse, not its PermissionRequest and PostToolUse', () => {
    const f = fixture()
    const call = (tool: string, id: string, events: string[]): void => {
      for (const event of events) {
        f.stats.record({ event, ts: new Date(START), tool, toolUseId: id })
      }
    }
    call('Bash', 'b1', ['PreToolUse', 'PermissionRequest', 'PostToolUse'])
    call('Bash', 'b2', ['PreToolUse', 'PostToolUseFailure'])
    call('Read', 'r1', ['PreToolUse', 'PostToolUse'])
    // Its PostToolUse already ended the call: a second one with the same id is not a new call either.
    call('Read', 'r1', ['PermissionRequest'])
    const s = f.stats.snapshot()
    assert.deepEqual(s.topTools, [
      { tool: 'Bash', count: 2 },
      { tool: 'Read', count: 1 },
    ])
    assert.equal(s.eventsByType.PreToolUse, 3)
    assert.equal(s.totalEvents, 8)
  })

  it('counts a PostToolUse whose PreToolUse was not received', () => {
    const f = fixture()
    // Started during the call (its PreToolUse came earlier): the call is counted on its PostToolUse.
    f.stats.record({ event: 'PostToolUse', ts: new Date(START), tool: 'Edit', toolUseId: 'e0' })
    // A normal call after it: counted once.
    f.stats.record({ event: 'PreToolUse', ts: new Date(START), tool: 'Edit', toolUseId: 'e1' })
    f.stats.record({ event: 'PostToolUse', ts: new Date(START), tool: 'Edit', toolUseId: 'e1' })
    assert.deepEqual(f.stats.snapshot().topTools, [{ tool: 'Edit', count: 2 }])

    // Without tool_use_id: PostToolUse counts while no PreToolUse at all has been received (hooks installed
    // without PreToolUse), and no longer once PreToolUse events arrive.
    const g = fixture()
    g.record('PostToolUse', 'Bash', 2)
    g.record('PostToolUseFailure', 'Bash')
    g.record('PermissionRequest', 'Bash')
    assert.deepEqual(g.stats.snapshot().topTools, [{ tool: 'Bash', count: 3 }])
    g.record('PreToolUse', 'Bash')
    g.record('PostToolUse', 'Bash')
    assert.deepEqual(g.stats.snapshot().topTools, [{ tool: 'Bash', count: 4 }])
  })

  it('forgets the oldest open calls past its bound (a PreToolUse whose call never ends)', () => {
    const f = fixture()
    for (let i = 0; i < 5000; i++) {
      f.stats.record({ event: 'PreToolUse', ts: new Date(START), tool: 'Task', toolUseId: `t${i}` })
    }
    // The newest calls are still open: their PostToolUse is not a new call; the oldest were forgotten.
    f.stats.record({ event: 'PostToolUse', ts: new Date(START), tool: 'Task', toolUseId: 't4999' })
    assert.deepEqual(f.stats.snapshot().topTools, [{ tool: 'Task', count: 5000 }])
    f.stats.record({ event: 'PostToolUse', ts: new Date(START), tool: 'Task', toolUseId: 't0' })
    assert.deepEqual(f.stats.snapshot().topTools, [{ tool: 'Task', count: 5001 }])
  })

  it('counts refused requests by status', () => {
    const f = fixture()
    assert.deepEqual(f.stats.snapshot().rejected, { total: 0, byStatus: {} })
    f.stats.recordRejected(413)
    f.stats.recordRejected(400)
    f.stats.recordRejected(413)
    assert.deepEqual(f.stats.snapshot().rejected, { total: 3, byStatus: { '400': 1, '413': 2 } })
    assert.equal(f.stats.snapshot().totalEvents, 0, 'a refused request is not an event')
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
