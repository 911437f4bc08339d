import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { Store } from '../../../src/observatory/store/store.ts'
import { add, event, openStore, sleep, summary, T0, tempDir, toolCall } from './helpers.ts'

const DAY = 24 * 60 * 60 * 1000

describe('Store: retention', () => {
  it('prunes old events with their index entries, old tool calls and sessions, and nothing newer', async (t) => {
    const path = join(tempDir(t), 'events.db')
    const store = Store.open({ path, retainMs: 0 })
    const cut = T0
    for (let i = 0; i < 10; i++) add(store, { ts: cut - DAY + i, extra: { word: 'ancient' } })
    const indexedOld = store.events({ search: 'ancient' }) // committed? not yet: nothing
    assert.equal(indexedOld.events.length, 0)
    await store.flush()
    assert.equal(store.events({ search: 'ancient' }).events.length, 10, 'indexed before the prune')
    // Old events not indexed yet: the prune must not touch the index for them.
    for (let i = 0; i < 5; i++) add(store, { ts: cut - 1, extra: { word: 'ancient unindexed' } })
    for (let i = 0; i < 7; i++) add(store, { ts: cut + i, extra: { word: 'recent' } })
    add(store, { ts: cut, extra: { word: 'ancient but kept' } })
    store.putSession(summary('old', { last_event_time: cut - 1 }))
    store.putSession(summary('new', { last_event_time: cut }))
    store.putToolCall(toolCall({ tool_use_id: 'ended-old', ended: cut - 1 }))
    store.putToolCall(toolCall({ tool_use_id: 'ended-new', ended: cut }))
    store.putToolCall(toolCall({ tool_use_id: 'running-old', started: cut - 1, ended: null }))
    store.putToolCall(toolCall({ tool_use_id: 'running-new', started: cut, ended: null }))
    const committed = store.append(event().line, event({ ts: cut + 100 }).fields).committed
    await committed

    assert.equal(await store.prune(cut), 15)
    assert.equal(store.info().events, 9)
    assert.equal(store.info().oldest, cut)
    assert.deepEqual(
      store.events({ search: 'ancient' }).events.map((e) => JSON.parse(e.line).word),
      ['ancient but kept'],
    )
    assert.equal(store.events({ search: 'recent' }).events.length, 7)
    assert.deepEqual(
      store.sessions().map((s) => s.session_id),
      ['new'],
    )
    assert.deepEqual(
      store
        .toolCalls('s1')
        .map((c) => c.tool_use_id)
        .sort(),
      ['ended-new', 'running-new'],
    )
    assert.equal(await store.prune(cut), 0, 'nothing left to prune')
    await store.close()

    // The index holds exactly the events left.
    const db = new Database(path, { readonly: true })
    t.after(() => db.close())
    assert.equal(db.prepare('SELECT count(*) FROM events_fts').pluck().get(), 9)
    assert.deepEqual(db.prepare('PRAGMA integrity_check').pluck().all(), ['ok'])
  })

  it('prunes many rows in chunks of 5,000, letting appends commit in between', async (t) => {
    const { store } = openStore(t)
    const insert = (n: number, ts: number): void => {
      for (let i = 0; i < n; i++) add(store, { ts, extra: { i } })
    }
    insert(12_001, T0 - DAY)
    insert(3, T0)
    await store.flush()
    const commitsBefore = store.stats.commits
    const pruning = store.prune(T0)
    // While the prune yields between chunks, the group commit goes on.
    const during = store.append(event().line, event({ ts: T0 + 1 }).fields)
    await during.committed
    assert.equal(await pruning, 12_001)
    assert.ok(store.stats.commits > commitsBefore)
    assert.ok(store.stats.pruneChunks >= 3, `${store.stats.pruneChunks} chunks`)
    assert.equal(store.info().events, 4)
    assert.ok(store.event(during.id))
  })

  it('prunes by retainMs shortly after open', async (t) => {
    const path = join(tempDir(t), 'events.db')
    const now = Date.now()
    let store = Store.open({ path, retainMs: 0 })
    add(store, { ts: now - 3 * DAY })
    add(store, { ts: now })
    await store.close()
    const logged: string[] = []
    store = Store.open({ path, retainMs: DAY, log: (m) => logged.push(m) })
    t.after(() => store.close())
    const deadline = Date.now() + 10_000
    while (store.info().events !== 1 && Date.now() < deadline) await sleep(50)
    assert.equal(store.info().events, 1)
    assert.equal(store.info().newest, now)
    assert.match(logged.join('\n'), /pruned 1 events older than/)
  })

  it('keeps everything with retainMs 0', async (t) => {
    const { store } = openStore(t, { retainMs: 0 })
    add(store, { ts: 0 })
    await sleep(1200)
    assert.equal(store.info().events, 1)
  })
})
