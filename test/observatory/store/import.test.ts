import assert from 'node:assert/strict'
import { createReadStream, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, it } from 'node:test'
import { fieldsOfLine } from '../../../src/observatory/store/fields.ts'
import { add, event, openStore, T0, tempDir } from './helpers.ts'

describe('Store.importLines', () => {
  it('imports rotated logs in order, keeps ts, skips what is stored already and counts the unreadable', async (t) => {
    const dir = tempDir(t)
    const { store } = openStore(t)
    const lines = (from: number, to: number): string[] => {
      const out: string[] = []
      for (let i = from; i < to; i++) {
        out.push(event({ ts: T0 + i * 1000, session: `s${i % 3}`, extra: { i } }).line)
      }
      return out
    }
    // events.jsonl.2 (oldest), events.jsonl.1, events.jsonl: as rotation leaves them.
    const files = [
      { name: 'events.jsonl.2', text: lines(0, 40).join('') },
      {
        name: 'events.jsonl.1',
        text: `${lines(40, 70).join('')}not json\n[1,2]\n{"_event":"Stop"}\n\n{"_ts":"2025-03-01T12:00:00+00:00","_event":"Stop"`,
      },
      { name: 'events.jsonl', text: lines(70, 100).join('').replaceAll('\n', '\r\n') },
    ]
    for (const file of files) writeFileSync(join(dir, file.name), file.text)

    // Already in the store, recorded live by the server: the same line, its ts to the millisecond (the line's `_ts`
    // has whole seconds). A duplicate.
    const first = event({ ts: T0, session: 's0', extra: { i: 0 } })
    add(store, { ts: T0 + 437, session: 's0', extra: { i: 0 } })
    await store.flush()
    assert.equal(store.events().events[0]?.line, first.line.trimEnd())

    async function* all(): AsyncGenerator<string> {
      for (const file of files) {
        const reader = createInterface({
          input: createReadStream(join(dir, file.name)),
          crlfDelay: Number.POSITIVE_INFINITY,
        })
        yield* reader
      }
    }
    const result = await store.importLines(all(), fieldsOfLine)
    assert.deepEqual(result, { imported: 99, duplicates: 1, unreadable: 4 })
    assert.equal(store.info().events, 100)
    const page = store.events({ after: 1, limit: 1000 })
    assert.deepEqual(
      page.events.map((e) => JSON.parse(e.line).i),
      Array.from({ length: 99 }, (_, i) => i + 1),
      'ids ascending in input order',
    )
    assert.equal(page.events[0]?.id, 2)
    assert.equal(page.events[98]?.ts, T0 + 99_000, 'each keeps its own ts')
    assert.equal(page.events[98]?.line.endsWith('\r'), false)
    assert.equal(page.events[5]?.session_id, 's0')
    assert.equal(store.events({ session: 's1', limit: 1000 }).events.length, 33)

    // The same logs again: nothing new.
    const again = await store.importLines(all(), fieldsOfLine)
    assert.deepEqual(again, { imported: 0, duplicates: 100, unreadable: 4 })
    assert.equal(store.info().events, 100)

    // Imported events are searchable, and appends go on after them.
    assert.deepEqual(
      store.events({ search: '"i 42"' }).events.map((e) => JSON.parse(e.line).i),
      [42],
    )
    const { id } = store.append(event().line, event().fields)
    assert.equal(id, 101)
  })

  it('writes large imports in several transactions, after the appends queued before', async (t) => {
    const { store } = openStore(t)
    const queued = store.append(event({ extra: { queued: true } }).line, event().fields)
    const many = Array.from({ length: 25_000 }, (_, i) => event({ ts: T0 + i, extra: { i } }).line)
    const result = await store.importLines(many, fieldsOfLine)
    await queued.committed
    assert.deepEqual(result, { imported: 25_000, duplicates: 0, unreadable: 0 })
    assert.equal(queued.id, 1)
    assert.equal(store.event(2)?.ts, T0)
    assert.equal(store.lastId(), 25_001)
  })
})
