import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { statSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { UserError } from '../../../src/observatory/errors.ts'
import { SCHEMA_VERSION, Store } from '../../../src/observatory/store/store.ts'
import type { EventFields } from '../../../src/observatory/store/types.ts'
import { add, event, openStore, summary, T0, tempDir, toolCall } from './helpers.ts'

describe('Store: writing', () => {
  it('hands out increasing ids at once and writes one turn in one transaction', async (t) => {
    const { store } = openStore(t)
    const appended = Array.from({ length: 200 }, (_, i) => {
      const { line, fields } = event({ ts: T0 + i, extra: { i } })
      return store.append(line, fields)
    })
    assert.deepEqual(
      appended.map((a) => a.id),
      Array.from({ length: 200 }, (_, i) => i + 1),
    )
    assert.equal(store.lastId(), 200)
    assert.equal(store.event(1), undefined, 'not committed before the end of the turn')
    await Promise.all(appended.map((a) => a.committed))
    assert.equal(store.stats.commits, 1)
    assert.equal(store.stats.events, 200)

    const later = store.append(event({ extra: { later: true } }).line, event().fields)
    assert.equal(later.id, 201)
    await later.committed
    assert.equal(store.stats.commits, 2)

    const stored = store.event(7)
    assert.ok(stored)
    assert.equal(stored.id, 7)
    assert.equal(stored.ts, T0 + 6)
    assert.equal(stored.event, 'PreToolUse')
    assert.equal(stored.session_id, 's1')
    assert.equal(stored.line.endsWith('\n'), false, 'the trailing newline is stripped')
    assert.deepEqual(JSON.parse(stored.line).i, 6)
  })

  it('stores the indexed fields as given', async (t) => {
    const { store } = openStore(t)
    const { line, fields } = event({ tool: 'Bash', toolUseId: 'tu1', agent: 'a1', session: null })
    const { id, committed } = store.append(line, fields)
    await committed
    assert.deepEqual(store.event(id), { id, ...fields, line: line.slice(0, -1) })
  })

  it('writes sessions and tool calls in the group commit, the latest per key, as upserts', async (t) => {
    const { store } = openStore(t)
    store.putSession(summary('a', { state: 'starting', last_event_time: T0 }))
    store.putSession(summary('a', { state: 'thinking', last_event_time: T0 + 5 }))
    store.putSession(summary('b', { state: 'ended', last_event_time: T0 + 10, cwd: '/x/Widget' }))
    store.putToolCall(
      toolCall({ tool_use_id: 'c1', session_id: 'a', outcome: 'running', ended: null }),
    )
    store.putToolCall(
      toolCall({ tool_use_id: 'c1', session_id: 'a', outcome: 'ok', ended: T0 + 9 }),
    )
    store.putToolCall(toolCall({ tool_use_id: 'c2', session_id: 'a', started: T0 + 50 }))
    await store.flush()
    assert.equal(store.stats.commits, 1)

    assert.deepEqual(
      store.session('a'),
      summary('a', { state: 'thinking', last_event_time: T0 + 5 }),
    )
    assert.equal(store.session('nope'), undefined)
    assert.deepEqual(
      store.sessions().map((s) => s.session_id),
      ['b', 'a'],
      'most recent first',
    )
    assert.deepEqual(
      store.sessions({ states: ['thinking'] }).map((s) => s.session_id),
      ['a'],
    )
    assert.deepEqual(
      store.sessions({ project: 'widget' }).map((s) => s.session_id),
      ['b'],
      'a substring of cwd, case-insensitive',
    )
    assert.deepEqual(
      store.sessions({ project: 'a-proj' }).map((s) => s.session_id),
      ['a'],
    )
    assert.deepEqual(
      store.sessions({ since: T0 + 6 }).map((s) => s.session_id),
      ['b'],
    )
    assert.equal(store.sessions({ limit: 1 }).length, 1)
    assert.equal(store.sessions({ project: '%' }).length, 0, 'LIKE characters are literal')

    const calls = store.toolCalls('a')
    assert.deepEqual(
      calls.map((c) => [c.tool_use_id, c.outcome]),
      [
        ['c1', 'ok'],
        ['c2', 'ok'],
      ],
    )
    assert.deepEqual(calls[0], toolCall({ tool_use_id: 'c1', session_id: 'a', ended: T0 + 9 }))

    store.putSession(summary('a', { state: 'ended', last_event_time: T0 + 20 }))
    await store.flush()
    assert.equal(store.session('a')?.state, 'ended')
    assert.equal(store.sessions().length, 2)
  })

  it('streams a session’s events oldest first, page by page, while commits go on', async (t) => {
    const { store } = openStore(t)
    for (let i = 0; i < 2500; i++) {
      add(store, { session: 'long', extra: { i } })
      if (i % 10 === 0) add(store, { session: 'other' })
    }
    await store.flush()
    const seen: number[] = []
    for (const stored of store.sessionEvents('long')) {
      seen.push(JSON.parse(stored.line).i)
      // A consumer that awaits between events: the group commit must still run meanwhile.
      if (seen.length % 600 === 0) {
        const { committed } = store.append(event({ session: 'other' }).line, event().fields)
        await committed
      }
    }
    assert.deepEqual(
      seen,
      Array.from({ length: 2500 }, (_, i) => i),
    )
    assert.deepEqual([...store.sessionEvents('none')], [])
  })

  it('rejects the appends of a failed commit and goes on with the next', async (t) => {
    const { store, logged } = openStore(t)
    const bad = { ...event().fields, event: null } as unknown as EventFields
    const first = store.append('{"bad":1}', bad)
    const second = store.append(event().line, event().fields)
    await assert.rejects(first.committed, /NOT NULL/)
    await assert.rejects(second.committed, 'the whole batch is one transaction')
    assert.equal(store.stats.failures, 1)
    assert.match(logged.join('\n'), /a commit of 2 events failed/)
    // Ignoring a failed `committed` does not crash the process (no unhandled rejection).
    store.append('{"bad":2}', bad)
    await new Promise((resolve) => setImmediate(resolve))
    const ok = store.append(event().line, event().fields)
    await ok.committed
    assert.equal(ok.id, 4, 'ids are not reused')
    assert.equal(store.event(1), undefined)
    assert.ok(store.event(4))
  })

  it('closes once, refusing writes and reads after', async (t) => {
    const dir = tempDir(t)
    const store = Store.open({ path: join(dir, 'events.db'), retainMs: 0 })
    const pending = store.append(event().line, event().fields)
    const closing = store.close()
    assert.equal(store.close(), closing)
    await closing
    await pending.committed
    await store.flush()
    assert.throws(() => store.append(event().line, event().fields), /closed/)
    assert.throws(() => store.lastId(), /closed/)
  })

  it('keeps history over a restart and continues the ids', async (t) => {
    const path = join(tempDir(t), 'nested', 'dir', 'events.db')
    let store = Store.open({ path, retainMs: 0 })
    for (let i = 0; i < 5; i++) add(store, { ts: T0 + i, extra: { i } })
    store.putSession(summary('s1', { last_event_time: T0 + 4 }))
    store.putToolCall(toolCall({ tool_use_id: 't1' }))
    await store.flush()
    assert.equal(statSync(`${path}-wal`).mode & 0o777, 0o600, 'the WAL gets the database’s mode')
    await store.close()
    assert.equal(statSync(path).mode & 0o777, 0o600)
    assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700)

    store = Store.open({ path, retainMs: 0 })
    t.after(() => store.close())
    assert.equal(store.lastId(), 5)
    assert.deepEqual(
      store.events().events.map((e) => e.id),
      [5, 4, 3, 2, 1],
    )
    assert.equal(store.session('s1')?.last_event_time, T0 + 4)
    assert.equal(store.toolCalls('s1').length, 1)
    assert.equal(store.events({ search: 'PreToolUse' }).events.length, 5)
    const { id, committed } = store.append(event().line, event().fields)
    await committed
    assert.equal(id, 6)
  })

  it('never reuses an id, even when retention deleted the newest events', async (t) => {
    const path = join(tempDir(t), 'events.db')
    let store = Store.open({ path, retainMs: 0 })
    for (let i = 0; i < 3; i++) add(store, { ts: T0 })
    await store.flush()
    assert.equal(await store.prune(T0 + 1), 3)
    await store.close()
    store = Store.open({ path, retainMs: 0 })
    t.after(() => store.close())
    assert.equal(store.lastId(), 3)
    assert.equal(add(store), 4)
  })

  it('reports counts, span and size', async (t) => {
    const { store, path } = openStore(t)
    add(store, { ts: T0 })
    add(store, { ts: T0 + 1000 })
    store.putSession(summary('s1'))
    await store.flush()
    const info = store.info()
    assert.equal(info.path, path)
    assert.equal(info.events, 2)
    assert.equal(info.sessions, 1)
    assert.equal(info.oldest, T0)
    assert.equal(info.newest, T0 + 1000)
    assert.equal(info.schema_version, SCHEMA_VERSION)
    assert.ok(info.bytes > 4096, `bytes ${info.bytes}`)
  })

  it('works in memory', async (t) => {
    const { store } = openStore(t, { path: ':memory:' })
    add(store, { extra: { word: 'ephemeral' } })
    await store.flush()
    assert.equal(store.events({ search: 'ephemeral' }).events.length, 1)
    assert.equal(store.info().events, 1)
  })
})

describe('Store: one writer, many readers', () => {
  it('lets a read-only store read while the writer writes, its search covering the unindexed tail', async (t) => {
    const { store: writer, path } = openStore(t)
    add(writer, { extra: { word: 'alpha' } })
    await writer.flush()
    await writer.events({ search: 'alpha' }) // indexed now
    const reader = Store.open({ path, readonly: true })
    t.after(() => reader.close())
    // Committed by the group commit, not indexed yet (the background step runs every 250 ms; flush would index).
    const { line, fields } = event({ extra: { word: 'alpha beta', text: 'caf\u00e9 line\nnext' } })
    await writer.append(line, fields).committed
    const raw = new Database(path, { readonly: true })
    assert.equal(raw.prepare("SELECT value FROM meta WHERE key = 'fts_indexed'").pluck().get(), 1)
    raw.close()
    assert.equal(reader.lastId(), 2)
    assert.deepEqual(
      reader.events({ search: 'alpha' }).events.map((e) => e.id),
      [2, 1],
    )
    assert.deepEqual(
      reader.events({ search: '"alpha beta"' }).events.map((e) => e.id),
      [2],
    )
    assert.deepEqual(
      reader.events({ search: 'CAFE next alph*' }).events.map((e) => e.id),
      [2],
    )
    assert.deepEqual(reader.events({ search: 'alpha', after: 0, limit: 1 }), {
      events: [reader.event(1)],
      next: 1,
    })
    assert.throws(() => reader.append(event().line, event().fields), /read-only/)
    await assert.rejects(reader.prune(T0), /read-only/)
  })

  it('refuses a second writer on the same file', async (t) => {
    const { path } = openStore(t)
    assert.throws(
      () => Store.open({ path }),
      (error: unknown) =>
        error instanceof UserError && /already open for writing/.test(error.message),
    )
  })

  it('refuses a file another live process writes to, and takes over a dead writer’s entry', async (t) => {
    const path = join(tempDir(t), 'events.db')
    await Store.open({ path, retainMs: 0 }).close()
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], {
      stdio: 'ignore',
    })
    t.after(() => sleeper.kill('SIGKILL'))
    const setWriter = (pid: number): void => {
      const db = new Database(path)
      db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('writer', ?)").run(
        JSON.stringify({ pid, host: hostname() }),
      )
      db.close()
    }
    setWriter(sleeper.pid!)
    assert.throws(
      () => Store.open({ path }),
      (error: unknown) =>
        error instanceof UserError &&
        error.message ===
          `${path} is in use by another observatory process (pid ${sleeper.pid}); stop it or use --db PATH`,
    )
    sleeper.kill('SIGKILL')
    await new Promise((resolve) => sleeper.once('exit', resolve))
    const store = Store.open({ path, retainMs: 0 })
    await store.close()
  })
})

describe('Store: toolStats', () => {
  it('counts calls, failures and others, with nearest-rank p50/p95, in the window', async (t) => {
    const { store } = openStore(t)
    // Bash: 10 finished calls of 100, 200 … 1000 ms (ended in the window), one failed, one denied.
    for (let i = 1; i <= 10; i++) {
      store.putToolCall(
        toolCall({
          tool_use_id: `b${i}`,
          tool_name: i % 2 === 0 ? 'Bash' : 'bash',
          duration_ms: i * 100,
          started: T0 + i,
          ended: T0 + 1000 + i,
          outcome: i === 3 ? 'failed' : i === 4 ? 'denied' : 'ok',
        }),
      )
    }
    // Still running, started in the window: a call, no duration.
    store.putToolCall(
      toolCall({
        tool_use_id: 'b11',
        started: T0 + 5,
        ended: null,
        duration_ms: null,
        outcome: 'running',
      }),
    )
    // Read: 20 calls of 1 … 20 ms; interrupted ones count as other.
    for (let i = 1; i <= 20; i++) {
      store.putToolCall(
        toolCall({
          tool_use_id: `r${i}`,
          tool_name: 'Read',
          duration_ms: 21 - i,
          ended: T0 + 2000 + i,
          outcome: i <= 2 ? 'interrupted' : 'ok',
        }),
      )
    }
    // Outside the window: ended before it, and unfinished but started before it.
    store.putToolCall(toolCall({ tool_use_id: 'old', tool_name: 'Bash', ended: T0 - 10 }))
    store.putToolCall(
      toolCall({ tool_use_id: 'old2', started: T0 - 10, ended: null, outcome: 'running' }),
    )
    // After the window.
    store.putToolCall(toolCall({ tool_use_id: 'new', tool_name: 'Grep', ended: T0 + 99_999 }))
    await store.flush()

    const stats = store.toolStats({ since: T0, until: T0 + 10_000 })
    assert.deepEqual(stats, [
      { tool_name: 'Read', calls: 20, failures: 0, other: 2, p50_ms: 10, p95_ms: 19 },
      { tool_name: 'bash', calls: 11, failures: 1, other: 1, p50_ms: 500, p95_ms: 1000 },
    ])
    const all = store.toolStats()
    assert.deepEqual(
      all.map((s) => [s.tool_name, s.calls]),
      [
        ['Read', 20],
        ['bash', 13],
        ['Grep', 1],
      ],
    )
    assert.deepEqual(store.toolStats({ since: T0 + 50_000 }), [
      { tool_name: 'Grep', calls: 1, failures: 0, other: 0, p50_ms: 100, p95_ms: 100 },
    ])
    assert.deepEqual(store.toolStats({ until: T0 - 100 }), [])
  })
})
