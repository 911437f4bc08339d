import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Store } from '../../../src/observatory/store/store.ts'
import { searchTerms, searchText } from '../../../src/observatory/store/store.ts'
import type { EventQuery } from '../../../src/observatory/store/types.ts'
import { add, event, openStore, T0 } from './helpers.ts'

const ids = (store: Store, q: EventQuery): number[] => store.events(q).events.map((e) => e.id)

describe('Store: full-text search', () => {
  it('finds words, phrases, MCP tool names, paths, prefixes, accents and words after a newline', async (t) => {
    const { store } = openStore(t)
    const create = add(store, {
      tool: 'mcp__github__create_issue',
      extra: {
        tool_input: { title: 'Login button broken', body: 'steps:\nclick login\tthen wait' },
      },
    })
    const list = add(store, {
      tool: 'mcp__github__list_issues',
      extra: { tool_input: { state: 'open' } },
    })
    const read = add(store, {
      tool: 'Read',
      extra: { tool_input: { file_path: '/home/me/src/observatory/store.ts' } },
    })
    const bash = add(store, {
      tool: 'Bash',
      extra: { tool_input: { command: 'rm -rf "/tmp/x" && echo Café déjà-vu' } },
    })
    const windows = add(store, { extra: { path: 'C:\\new\\table' } })
    await store.flush()

    assert.deepEqual(ids(store, { search: 'login' }), [create])
    assert.deepEqual(
      ids(store, { search: 'LOGIN Button' }),
      [create],
      'case-insensitive, all words',
    )
    assert.deepEqual(ids(store, { search: '"button broken"' }), [create])
    assert.deepEqual(ids(store, { search: '"broken button"' }), [], 'a phrase is in order')
    assert.deepEqual(ids(store, { search: 'mcp__github__create_issue' }), [create])
    assert.deepEqual(ids(store, { search: 'github' }), [list, create])
    assert.deepEqual(ids(store, { search: 'create_issue' }), [create])
    assert.deepEqual(ids(store, { search: '/home/me/src/observatory/store.ts' }), [read])
    assert.deepEqual(ids(store, { search: 'store.ts' }), [read])
    assert.deepEqual(ids(store, { search: 'observ*' }), [read])
    assert.deepEqual(ids(store, { search: 'click' }), [create], 'the word after \\n')
    assert.deepEqual(ids(store, { search: 'then' }), [create], 'the word after \\t')
    assert.deepEqual(ids(store, { search: 'cafe deja' }), [bash], '\\u00e9 decoded, accents folded')
    assert.deepEqual(ids(store, { search: 'Café' }), [bash])
    assert.deepEqual(ids(store, { search: 'rm -rf' }), [bash])
    assert.deepEqual(
      ids(store, { search: 'new table' }),
      [windows],
      'an escaped backslash before n',
    )
    assert.deepEqual(ids(store, { search: 'nothing-like-this' }), [])
  })

  it('never throws on hostile input', async (t) => {
    const { store } = openStore(t)
    const id = add(store, { extra: { command: 'rm -rf "/" AND (echo) OR NOT near' } })
    await store.flush()
    const hostile = [
      '"',
      '""',
      '"""',
      'AND (',
      'AND',
      '(',
      ')',
      '*',
      '**',
      '-',
      '- -',
      '^',
      ':',
      'col:x',
      'line:rm',
      'NEAR(a b)',
      'a OR',
      'NOT',
      "'",
      '\\',
      '{',
      '+',
      'rm -rf "/"',
      'a"b',
      '"unclosed phrase',
      '😀',
      '\u0000',
      ' ',
      '*rm',
    ]
    for (const search of hostile) {
      assert.doesNotThrow(() => store.events({ search }), `search ${JSON.stringify(search)}`)
    }
    assert.deepEqual(ids(store, { search: 'rm -rf "/"' }), [id])
    assert.deepEqual(ids(store, { search: 'AND (' }), [id], 'AND is a word here')
    assert.deepEqual(ids(store, { search: 'near' }), [id])
    assert.deepEqual(ids(store, { search: '"unclosed echo' }), [], 'the open quote runs to the end')
    assert.deepEqual(ids(store, { search: '*' }), [], 'no word: nothing matches')
    assert.deepEqual(ids(store, { search: '   ' }), [id], 'blank: no search filter')
  })

  it('finds events appended in the same turn, after flush', async (t) => {
    const { store } = openStore(t)
    add(store, { extra: { word: 'first' } })
    await store.flush()
    assert.equal(store.events({ search: 'first' }).events.length, 1)
    add(store, { extra: { word: 'second' } })
    add(store, { extra: { word: 'second' } })
    await store.flush()
    assert.equal(store.events({ search: 'second' }).events.length, 2)
    // Committed by the group commit only (no flush): the search still indexes first.
    const { line, fields } = (await import('./helpers.ts')).event({ extra: { word: 'third' } })
    await store.append(line, fields).committed
    assert.equal(store.events({ search: 'third' }).events.length, 1)
  })

  it('splits the user’s text into quoted terms', () => {
    assert.deepEqual(searchTerms('a "b c" d* "e'), [
      { text: 'a', prefix: false },
      { text: 'b c', prefix: false },
      { text: 'd', prefix: true },
      { text: 'e', prefix: false },
    ])
    assert.deepEqual(searchTerms('* - ( ) "" AND'), [{ text: 'AND', prefix: false }])
    assert.equal(searchText('{"a":"x\\ny\\u00e9\\\\n\\"q\\""}'), '{"a":"x yé\\n"q""}')
  })

  it('in memory, indexes when a search needs it, not on flush; the timer only past a backlog', async (t) => {
    // Timers mocked: any index timer would have to run at `tick`; the group commit (setImmediate) stays real.
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout'] })
    try {
      const { store: file } = openStore(t)
      const { line, fields } = event({ extra: { word: 'lazy' } })
      const onFile = file.append(line, fields)
      await onFile.committed // the group commit, not flush (which indexes a file store)
      assert.equal(file.stats.indexed, 0)
      t.mock.timers.tick(1000)
      assert.equal(file.stats.indexed, onFile.id, 'a file store is indexed by its timer')

      const { store } = openStore(t, { path: ':memory:' })
      const first = add(store, { extra: { word: 'lazy' } })
      await store.flush()
      const second = add(store, { extra: { word: 'lazy tail' } })
      await store.flush()
      t.mock.timers.tick(1000)
      assert.equal(store.stats.indexed, 0, 'neither a timer nor flush indexed it')
      assert.deepEqual(ids(store, { search: 'lazy' }), [second, first])
      assert.equal(store.stats.indexed, second, 'the search caught the index up')
      const third = add(store, { extra: { word: 'lazy' } })
      await store.flush()
      assert.deepEqual(ids(store, { search: 'tail' }), [second])
      assert.deepEqual(ids(store, { search: 'lazy', session: 's1' }), [third, second, first])
      assert.equal(store.stats.indexed, third)

      // 20,000 waiting: the timer indexes them (in batches, one per setImmediate), so no search pays for them all.
      let last = third
      for (let i = 0; i < 20_000; i++) last = add(store, { extra: { word: 'bulk' } })
      await store.flush()
      assert.equal(store.stats.indexed, third, 'flush did not index')
      t.mock.timers.tick(1000)
      for (let i = 0; i < 100 && store.stats.indexed < last; i++) {
        await new Promise((resolve) => setImmediate(resolve))
      }
      assert.equal(store.stats.indexed, last, 'the timer indexed the backlog')
    } finally {
      t.mock.timers.reset() // real timers again for the stores' close (the checkpointer's stop has a timeout)
    }
  })
})

describe('Store: events() pages and filters', () => {
  it('pages newest first with a cursor: three pages, no duplicate, no gap', async (t) => {
    const { store } = openStore(t)
    for (let i = 0; i < 250; i++) add(store, { extra: { word: i % 2 === 0 ? 'even' : 'odd' } })
    await store.flush()
    const seen: number[] = []
    let before: number | undefined
    const sizes: number[] = []
    for (let page = 0; page < 10; page++) {
      const result = store.events({ before, limit: 100 })
      sizes.push(result.events.length)
      seen.push(...result.events.map((e) => e.id))
      if (result.next === null) break
      before = result.next
    }
    assert.deepEqual(sizes, [100, 100, 50])
    assert.deepEqual(
      seen,
      Array.from({ length: 250 }, (_, i) => 250 - i),
    )

    // The same with a search: 125 even events over pages of 50.
    const found: number[] = []
    before = undefined
    sizes.length = 0
    for (let page = 0; page < 10; page++) {
      const result = store.events({ search: 'even', before, limit: 50 })
      sizes.push(result.events.length)
      found.push(...result.events.map((e) => e.id))
      if (result.next === null) break
      before = result.next
    }
    assert.deepEqual(sizes, [50, 50, 25])
    assert.deepEqual(
      found,
      Array.from({ length: 125 }, (_, i) => 249 - 2 * i),
    )

    // An exact multiple: the last full page says there is no next.
    assert.equal(store.events({ limit: 250 }).next, null)
    assert.equal(store.events({ limit: 249 }).next, 2)
  })

  it('lists oldest first after a cursor, `next` continuing as `after`', async (t) => {
    const { store } = openStore(t)
    for (let i = 0; i < 30; i++) add(store)
    await store.flush()
    const first = store.events({ after: 10, limit: 15 })
    assert.deepEqual(
      first.events.map((e) => e.id),
      Array.from({ length: 15 }, (_, i) => 11 + i),
    )
    assert.equal(first.next, 25)
    const second = store.events({ after: first.next ?? 0, limit: 15 })
    assert.deepEqual(
      second.events.map((e) => e.id),
      [26, 27, 28, 29, 30],
    )
    assert.equal(second.next, null)
    assert.deepEqual(ids(store, { after: 5, before: 9 }), [6, 7, 8])
  })

  it('filters by session, event names, tool (case-insensitive) and time, all combined', async (t) => {
    const { store } = openStore(t)
    const a1 = add(store, { session: 'A', event: 'PreToolUse', tool: 'Bash', ts: T0 })
    const a2 = add(store, { session: 'A', event: 'PostToolUse', tool: 'bash', ts: T0 + 1000 })
    const a3 = add(store, { session: 'A', event: 'Stop', ts: T0 + 2000 })
    const b1 = add(store, { session: 'B', event: 'PreToolUse', tool: 'Read', ts: T0 + 3000 })
    const b2 = add(store, { session: 'B', event: 'PreToolUse', tool: 'BASH', ts: T0 + 4000 })
    const n1 = add(store, { session: null, event: 'Notification', ts: T0 + 5000 })
    await store.flush()

    assert.deepEqual(ids(store, {}), [n1, b2, b1, a3, a2, a1])
    assert.deepEqual(ids(store, { session: 'A' }), [a3, a2, a1])
    assert.deepEqual(ids(store, { events: ['PreToolUse'] }), [b2, b1, a1])
    assert.deepEqual(ids(store, { events: ['Stop', 'Notification'] }), [n1, a3])
    assert.deepEqual(
      ids(store, { events: [] }),
      [n1, b2, b1, a3, a2, a1],
      'an empty list: no filter',
    )
    assert.deepEqual(ids(store, { tool: 'BaSh' }), [b2, a2, a1])
    assert.deepEqual(ids(store, { tool: 'bas' }), [], 'exact, not a prefix')
    assert.deepEqual(ids(store, { since: T0 + 1000, until: T0 + 3000 }), [b1, a3, a2], 'inclusive')
    assert.deepEqual(ids(store, { session: 'B', tool: 'bash', events: ['PreToolUse'] }), [b2])
    assert.deepEqual(ids(store, { tool: 'bash', since: T0 + 500 }), [b2, a2])
    assert.deepEqual(ids(store, { search: 'PreToolUse', session: 'B', tool: 'read' }), [b1])
    assert.deepEqual(ids(store, { search: 'bash', until: T0 + 1000 }), [a2, a1])
    assert.deepEqual(ids(store, { search: 'bash', after: a1 }), [a2, b2])
  })

  it('limits to 100 by default and to 1000 at most', async (t) => {
    const { store } = openStore(t)
    for (let i = 0; i < 1005; i++) add(store)
    await store.flush()
    assert.equal(store.events().events.length, 100)
    assert.equal(store.events({ limit: 5000 }).events.length, 1000)
    assert.equal(store.events({ limit: 5000 }).next, 6)
    assert.equal(store.events({ limit: 0 }).events.length, 1)
  })
})
