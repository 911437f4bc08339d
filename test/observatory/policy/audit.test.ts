/**
 * The audit log's hash chain: lines as documented, an intact chain verifies, and the first broken link is found
 * for an edited field, a removed line, reordered lines and a cut last line; reopening continues the chain, and a
 * broken chain is refused.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import {
  AuditLog,
  type AuditRecord,
  GENESIS,
  verifyAuditFile,
} from '../../../src/observatory/policy/index.ts'

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'obs-audit-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function record(i: number): AuditRecord {
  return {
    ts: `2026-02-09T10:00:0${i}.000Z`,
    session_id: 'sess-1',
    tool_name: 'Bash',
    tool_use_id: `toolu_${i}`,
    event: 'PreToolUse',
    decided_by: i % 2 === 0 ? 'no-rm' : 'allow-ls',
    action: i % 2 === 0 ? 'deny' : 'allow',
    reason: `reason ${i} — “unicode” and "quotes"`,
    mode: 'enforce',
    answer: i % 2 === 0 ? '{"hookSpecificOutput":{"permissionDecision":"deny"}}' : '',
    latency_ms: 0.25 * i,
    event_id: i,
  }
}

async function writeLog(path: string, n: number): Promise<string[]> {
  const log = await AuditLog.open(path)
  await Promise.all(Array.from({ length: n }, (_, i) => log.append(record(i + 1))))
  await log.close()
  return readFileSync(path, 'utf8').split('\n').slice(0, -1)
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe('AuditLog', () => {
  it('writes hash-chained lines, in call order, as documented', async (t) => {
    const path = join(tempDir(t), 'sub', 'audit.jsonl')
    const lines = await writeLog(path, 5)
    assert.equal(lines.length, 5)
    assert.equal(statSync(path).mode & 0o777, 0o600)
    let prev = GENESIS
    lines.forEach((line, i) => {
      const parsed = JSON.parse(line) as Record<string, unknown>
      assert.deepEqual(Object.keys(parsed), ['seq', 'prev', ...Object.keys(record(1)), 'hash'])
      assert.equal(parsed.seq, i + 1)
      assert.equal(parsed.prev, prev)
      assert.equal(parsed.tool_use_id, `toolu_${i + 1}`)
      const withoutHash = line.replace(/,"hash":"[0-9a-f]{64}"\}$/, '}')
      assert.equal(parsed.hash, sha256(withoutHash))
      prev = sha256(line)
    })
    assert.deepEqual(await verifyAuditFile(path), { ok: true, lines: 5, head: prev })
  })

  it('reopening continues the chain', async (t) => {
    const path = join(tempDir(t), 'audit.jsonl')
    await writeLog(path, 3)
    const log = await AuditLog.open(path)
    assert.equal(log.lines, 3)
    await log.append(record(4))
    await log.append(record(5))
    await log.close()
    const result = await verifyAuditFile(path)
    assert.equal(result.ok, true)
    assert.equal(result.ok && result.lines, 5)
    await assert.rejects(log.append(record(6)), /closed/)
  })

  it('an empty or new file is an intact chain of 0 lines', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'empty.jsonl'), '')
    assert.deepEqual(await verifyAuditFile(join(dir, 'empty.jsonl')), {
      ok: true,
      lines: 0,
      head: GENESIS,
    })
    const log = await AuditLog.open(join(dir, 'new.jsonl'))
    assert.equal(log.head, GENESIS)
    await log.close()
  })

  it('refuses to append to a broken chain, in one line', async (t) => {
    const path = join(tempDir(t), 'audit.jsonl')
    const lines = await writeLog(path, 3)
    writeFileSync(path, `${[lines[0], lines[2]].join('\n')}\n`)
    await assert.rejects(AuditLog.open(path), (err: Error) => {
      assert.equal(
        err.message,
        `audit log ${path}:2: seq 3 where 2 was expected: a line before it was removed, or lines were reordered; refusing to append to a broken chain (move the file aside to start a new one)`,
      )
      return true
    })
    assert.equal(readFileSync(path, 'utf8').split('\n').length, 3, 'nothing appended')
  })

  it('a missing file cannot be verified', async (t) => {
    await assert.rejects(
      verifyAuditFile(join(tempDir(t), 'nope.jsonl')),
      /nope\.jsonl: no such file or directory \(ENOENT\)/,
    )
  })
})

describe('verifyAuditFile: the first broken link', () => {
  async function broken(t: TestContext, edit: (lines: string[]) => string) {
    const path = join(tempDir(t), 'audit.jsonl')
    const lines = await writeLog(path, 5)
    writeFileSync(path, edit(lines))
    return verifyAuditFile(path)
  }
  const joined = (lines: string[]) => `${lines.join('\n')}\n`

  it('a tampered field: that line, hash mismatch', async (t) => {
    const result = await broken(t, (lines) => {
      const tampered = lines[2]!.replace('"action":"allow"', '"action":"deny"')
      assert.notEqual(tampered, lines[2])
      lines[2] = tampered
      return joined(lines)
    })
    assert.deepEqual(result, { ok: false, line: 3, reason: 'hash mismatch: the line was changed' })
  })

  it('a tampered line with its own hash recomputed: the next line', async (t) => {
    const result = await broken(t, (lines) => {
      const edited = lines[1]!
        .replace('reason 2', 'reason X')
        .replace(/,"hash":"[0-9a-f]{64}"\}$/, '}')
      lines[1] = `${edited.slice(0, -1)},"hash":"${sha256(edited)}"}`
      return joined(lines)
    })
    assert.deepEqual(result, {
      ok: false,
      line: 3,
      reason: 'prev does not match the hash of line 2: a line was removed or replaced',
    })
  })

  it('a deleted line: the line after it', async (t) => {
    const result = await broken(t, (lines) => joined(lines.filter((_, i) => i !== 1)))
    assert.deepEqual(result, {
      ok: false,
      line: 2,
      reason: 'seq 3 where 2 was expected: a line before it was removed, or lines were reordered',
    })
  })

  it('the first line deleted', async (t) => {
    const result = await broken(t, (lines) => joined(lines.slice(1)))
    assert.equal(result.ok, false)
    assert.equal(!result.ok && result.line, 1)
  })

  it('reordered lines', async (t) => {
    const result = await broken(t, (lines) =>
      joined([lines[0]!, lines[2]!, lines[1]!, lines[3]!, lines[4]!]),
    )
    assert.deepEqual(result, {
      ok: false,
      line: 2,
      reason: 'seq 3 where 2 was expected: a line before it was removed, or lines were reordered',
    })
  })

  it('a cut last line', async (t) => {
    const result = await broken(
      t,
      (lines) => `${joined(lines.slice(0, 4))}${lines[4]!.slice(0, 40)}`,
    )
    assert.deepEqual(result, {
      ok: false,
      line: 5,
      reason: 'the last line is cut short (no newline at its end)',
    })
  })

  it('a last line without its newline, even if whole', async (t) => {
    const result = await broken(t, (lines) => lines.join('\n'))
    assert.equal(!result.ok && result.line, 5)
  })

  it('garbage, an empty line, a line without hash', async (t) => {
    assert.deepEqual(await broken(t, (lines) => joined([lines[0]!, 'hello', ...lines.slice(1)])), {
      ok: false,
      line: 2,
      reason: 'no "hash" field at the end of the line',
    })
    assert.deepEqual(await broken(t, (lines) => joined([lines[0]!, '', ...lines.slice(1)])), {
      ok: false,
      line: 2,
      reason: 'empty line',
    })
  })

  it('a long log streams through (lines split across read chunks)', async (t) => {
    const path = join(tempDir(t), 'audit.jsonl')
    const log = await AuditLog.open(path)
    const big = { ...record(1), reason: 'x'.repeat(5000) }
    for (let i = 0; i < 100; i++) void log.append(big)
    await log.close()
    assert.deepEqual((await verifyAuditFile(path)).ok, true)
    appendFileSync(path, '{"seq":101}\n')
    assert.deepEqual(await verifyAuditFile(path), {
      ok: false,
      line: 101,
      reason: 'no "hash" field at the end of the line',
    })
  })
})
