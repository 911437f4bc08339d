import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { UserError } from '../../../src/observatory/errors.ts'
import { SCHEMA_VERSION, Store } from '../../../src/observatory/store/store.ts'
import { add, event, openStore, T0, tempDir } from './helpers.ts'

/** The error `open` throws: a one-line, RUNTIME UserError whose message matches `pattern`. */
function userError(pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof UserError, `a UserError, got ${String(error)}`)
    assert.equal(error.code, 'RUNTIME')
    assert.equal(error.exitCode, 1)
    assert.doesNotMatch(error.message, /\n/, 'one line')
    assert.match(error.message, pattern)
    return true
  }
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Version 1 of the schema, as that release created it (store.ts's first migration). */
const V1 = `
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    event TEXT NOT NULL,
    session_id TEXT,
    tool_name TEXT COLLATE NOCASE,
    tool_use_id TEXT,
    agent_id TEXT,
    line TEXT NOT NULL
  );
  CREATE INDEX events_ts ON events(ts);
  CREATE INDEX events_session ON events(session_id, id);
  CREATE INDEX events_tool ON events(tool_name, id);
  CREATE INDEX events_event ON events(event, id);
  CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    last_event_time INTEGER,
    state TEXT,
    cwd TEXT,
    summary TEXT NOT NULL
  );
  CREATE TABLE tool_calls (
    session_id TEXT NOT NULL,
    tool_use_id TEXT NOT NULL,
    tool_name TEXT COLLATE NOCASE,
    started INTEGER,
    ended INTEGER,
    duration_ms INTEGER,
    outcome TEXT,
    call TEXT NOT NULL,
    PRIMARY KEY (session_id, tool_use_id)
  );
  CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);
  PRAGMA user_version = 1;
`

describe('Store.open: schema', () => {
  it('creates the current schema in WAL mode', async (t) => {
    const { store, path } = openStore(t)
    assert.equal(store.info().schema_version, SCHEMA_VERSION)
    await store.close()
    const db = new Database(path, { readonly: true })
    t.after(() => db.close())
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
    const names = db
      .prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'index') ORDER BY name")
      .pluck()
      .all()
    for (const name of [
      'events',
      'events_event',
      'events_fts',
      'events_session',
      'events_tool',
      'events_ts',
      'meta',
      'sessions',
      'tool_calls',
      'tool_calls_window',
      'tool_calls_open',
    ]) {
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`)
    }
    assert.equal(
      db.prepare("SELECT count(*) FROM meta WHERE key = 'writer'").pluck().get(),
      0,
      'close releases the writer entry',
    )
  })

  it('migrates a version-1 database, keeping its rows and indexing them for search', async (t) => {
    const path = join(tempDir(t), 'old.db')
    const db = new Database(path)
    db.exec(V1)
    const insert = db.prepare(
      'INSERT INTO events(id, ts, event, session_id, tool_name, tool_use_id, agent_id, line) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    )
    for (let i = 1; i <= 3; i++) {
      const { line, fields } = event({ ts: T0 + i, extra: { word: i === 2 ? 'needle' : 'hay' } })
      insert.run(i, fields.ts, fields.event, fields.session_id, null, null, null, line.trimEnd())
    }
    db.prepare("INSERT INTO tool_calls VALUES ('s1', 't1', 'Bash', 1, 2, 1, 'ok', '{}')").run()
    db.close()

    const { store, logged } = openStore(t, { path })
    assert.equal(store.info().schema_version, SCHEMA_VERSION)
    assert.match(
      logged.join('\n'),
      new RegExp(`schema upgraded from version 1 to ${SCHEMA_VERSION}`),
    )
    assert.equal(store.info().events, 3)
    assert.deepEqual(
      store.events({ search: 'needle' }).events.map((e) => e.id),
      [2],
    )
    assert.equal(add(store), 4)
    await store.close()

    const after = new Database(path, { readonly: true })
    t.after(() => after.close())
    assert.equal(after.pragma('user_version', { simple: true }), SCHEMA_VERSION)
    const indexes = after
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'tool_calls'")
      .pluck()
      .all()
    assert.ok(indexes.includes('tool_calls_window'), 'the v4 migration ran')
    assert.ok(!indexes.includes('tool_calls_ended'), "v2's index, replaced by v4's")
    assert.equal(
      after.prepare('SELECT count(*) FROM events_fts').pluck().get(),
      4,
      'close indexed the new one',
    )
  })

  it('refuses a schema newer than it knows', (t) => {
    const path = join(tempDir(t), 'new.db')
    const db = new Database(path)
    db.exec(V1)
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    assert.throws(
      () => Store.open({ path }),
      userError(
        new RegExp(
          `^${escapeRegExp(path)} has schema version ${SCHEMA_VERSION + 1}, newer than this program knows \\(${SCHEMA_VERSION}\\)`,
        ),
      ),
    )
    assert.throws(() => Store.open({ path, readonly: true }), userError(/newer than this program/))
  })

  it('refuses another program’s database', (t) => {
    const path = join(tempDir(t), 'other.db')
    const db = new Database(path)
    db.exec('CREATE TABLE photos (id INTEGER PRIMARY KEY)')
    db.close()
    assert.throws(() => Store.open({ path }), userError(/is a database of another program/))
  })
})

describe('Store.open: errors a user can act on', () => {
  it('says in one line that a garbage file is not a database, every time', (t) => {
    const path = join(tempDir(t), 'events.db')
    writeFileSync(path, 'this is not SQLite\n'.repeat(300))
    const expected = `${path} is not a valid database (file is not a database); move it away or use --db PATH`
    for (let i = 0; i < 2; i++) {
      assert.throws(
        () => Store.open({ path }),
        userError(new RegExp(`^${escapeRegExp(expected)}$`)),
      )
      assert.throws(() => Store.open({ path, readonly: true }), userError(/not a valid database/))
    }
  })

  it('says the file is locked when another connection holds the write lock past the busy timeout', async (t) => {
    const path = join(tempDir(t), 'events.db')
    await Store.open({ path, retainMs: 0 }).close()
    const other = new Database(path)
    t.after(() => other.close())
    other.exec("BEGIN IMMEDIATE; INSERT INTO meta(key, value) VALUES ('x', 1)")
    const started = Date.now()
    assert.throws(
      () => Store.open({ path, busyTimeoutMs: 100 }),
      userError(
        new RegExp(
          `^${escapeRegExp(path)} is locked by another process \\(still busy after 100 ms\\); stop it or use --db PATH$`,
        ),
      ),
    )
    assert.ok(Date.now() - started < 5000)
    // A reader is not blocked by a writer (WAL).
    const reader = Store.open({ path, readonly: true, busyTimeoutMs: 100 })
    assert.equal(reader.lastId(), 0)
    await reader.close()
    other.exec('ROLLBACK')
    const store = Store.open({ path, busyTimeoutMs: 100, retainMs: 0 })
    await store.close()
  })

  it('says when the directory cannot be created', (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'file'), '')
    const path = join(dir, 'file', 'sub', 'events.db')
    assert.throws(
      () => Store.open({ path }),
      userError(
        /^cannot create the directory .*file\/sub for the store \(ENOTDIR: not a directory\); use --db PATH$/,
      ),
    )
  })

  it('says when the directory is not writable', {
    skip: process.getuid?.() === 0 && 'root writes anywhere',
  }, (t) => {
    const dir = join(tempDir(t), 'locked')
    mkdirSync(dir, { mode: 0o500 })
    t.after(() => chmodSync(dir, 0o700))
    assert.throws(() => Store.open({ path: join(dir, 'events.db') }), userError(/EACCES/))
  })

  it('says when a read-only store has no file or an old schema', (t) => {
    const dir = tempDir(t)
    assert.throws(
      () => Store.open({ path: join(dir, 'missing.db'), readonly: true }),
      userError(/^no store at .*missing\.db yet/),
    )
    const path = join(dir, 'v1.db')
    const db = new Database(path)
    db.exec(V1)
    db.close()
    assert.throws(
      () => Store.open({ path, readonly: true }),
      userError(/has schema version 1, older than this program's/),
    )
  })
})
