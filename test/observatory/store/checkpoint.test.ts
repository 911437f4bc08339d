/**
 * WAL checkpoints run on a thread of their own (src/observatory/store/checkpointer.ts): the writer never runs one
 * inside a commit, yet committed pages do reach the database file, and closing leaves no WAL behind.
 */
import assert from 'node:assert/strict'
import { existsSync, statSync } from 'node:fs'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { add, openStore, sleep } from './helpers.ts'

test('the checkpoint thread copies committed pages into the database file while the writer goes on', async (t) => {
  const { store, path, logged } = openStore(t)
  const before = statSync(path).size
  for (let i = 0; i < 2_000; i++) add(store, { extra: { n: i, text: 'x'.repeat(300) } })
  await store.flush()
  // SQLite's own checkpoint is off on the writer's connection: only the worker moves pages to the file.
  let grown = false
  for (let i = 0; i < 100 && !grown; i++) {
    await sleep(50)
    grown = statSync(path).size > before
  }
  assert.ok(grown, 'the database file grew: a checkpoint ran')
  assert.deepEqual(logged, [], 'no fallback to main-thread checkpoints')
  await store.close()
  assert.equal(existsSync(`${path}-wal`), false, 'no WAL left after close')
  const db = new Database(path, { readonly: true })
  t.after(() => db.close())
  assert.equal(db.prepare('SELECT count(*) FROM events').pluck().get(), 2_000)
})
