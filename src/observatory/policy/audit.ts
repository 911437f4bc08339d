/**
 * The audit trail: every decision, one JSON line each, hash-chained so that an edited, removed, reordered or cut
 * line shows.
 *
 * A line (UTF-8, ending in "\n") is exactly
 *
 *   {"seq":N,"prev":"<64 hex>",<the AuditRecord's fields, JSON.stringify order>,"hash":"<64 hex>"}
 *
 * - `seq` counts the lines from 1;
 * - `prev` is the SHA-256 (lowercase hex) of the previous line's bytes, without its "\n"; for line 1, 64 zeros;
 * - `hash` is the SHA-256 of this line's bytes with its final `,"hash":"<64 hex>"}` replaced by `}`: the line as
 *   it would read without the hash field. Verification works on the bytes as they are; nothing is re-serialized.
 *
 * {@link verifyAuditFile} reports the first broken link: a line whose hash does not match its text (edited), a
 * seq that is not the one expected (a line removed, or lines reordered), a prev that is not the hash of the line
 * before (a line removed or replaced), a line that is not JSON or has no hash, or a last line without its
 * newline (cut short, e.g. by a crash mid-write). What a chain without a key cannot show: lines removed from the
 * end (keep the last hash elsewhere if that matters), or a rewrite of the whole chain from some line on.
 *
 * Appends are written in call order through one file descriptor opened for appending (O_APPEND), one write per
 * line; there is no fsync, so a machine crash can lose the last lines (a process crash cannot: the write is in
 * the kernel). One writer at a time: two observatories appending to one file break the chain.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { type FileHandle, mkdir, open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { UserError } from '../errors.ts'
import { osReason } from '../install/command-io.ts'
import type { AuditRecord } from './types.ts'

/** The `prev` of the first line. */
export const GENESIS = '0'.repeat(64)

/** The bytes every line ends with: `,"hash":"` + 64 hex + `"}`. */
const HASH_TAIL = /,"hash":"([0-9a-f]{64})"\}$/
const HASH_TAIL_LENGTH = ',"hash":"'.length + 64 + '"}'.length

export type AuditVerification =
  | { ok: true; lines: number; head: string }
  | { ok: false; line: number; reason: string }

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** The line (without "\n") for `record`, following `prev` as line `seq`. */
export function auditLine(seq: number, prev: string, record: AuditRecord): string {
  const body = JSON.stringify({ seq, prev, ...record })
  const hash = sha256(body)
  return `${body.slice(0, -1)},"hash":"${hash}"}`
}

/** Checks lines one after the other (fed as raw bytes, without "\n"). */
class ChainChecker {
  lines = 0
  /** The hash of the last line checked (GENESIS before the first). */
  head = GENESIS
  failure: { line: number; reason: string } | undefined

  /** False once a link is broken (then {@link failure} says where and why). */
  check(bytes: Buffer): boolean {
    if (this.failure !== undefined) return false
    const n = this.lines + 1
    const fail = (reason: string): boolean => {
      this.failure = { line: n, reason }
      return false
    }
    if (bytes.length === 0) return fail('empty line')
    const text = bytes.toString('utf8')
    const tail = HASH_TAIL.exec(text.slice(-HASH_TAIL_LENGTH))
    if (tail === null) return fail('no "hash" field at the end of the line')
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return fail('not a JSON object')
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return fail('not a JSON object')
    }
    const body = Buffer.concat([
      bytes.subarray(0, bytes.length - HASH_TAIL_LENGTH),
      Buffer.from('}'),
    ])
    if (sha256(body) !== tail[1]) return fail('hash mismatch: the line was changed')
    const { seq, prev } = parsed as { seq?: unknown; prev?: unknown }
    if (seq !== n) {
      return fail(
        typeof seq === 'number'
          ? `seq ${seq} where ${n} was expected: a line before it was removed, or lines were reordered`
          : 'no "seq" number',
      )
    }
    if (prev !== this.head) {
      return fail(
        n === 1
          ? 'prev is not 64 zeros: the first line is not the start of the chain'
          : `prev does not match the hash of line ${n - 1}: a line was removed or replaced`,
      )
    }
    this.head = sha256(bytes)
    this.lines = n
    return true
  }
}

/**
 * Reads the file line by line (streaming: a long log is not held in memory) and checks the chain. A missing file
 * or a read error throws (UserError); an empty file is an intact chain of 0 lines.
 */
export async function verifyAuditFile(path: string): Promise<AuditVerification> {
  const checker = new ChainChecker()
  let rest: Buffer = Buffer.alloc(0)
  try {
    for await (const chunk of createReadStream(path)) {
      let data = rest.length === 0 ? (chunk as Buffer) : Buffer.concat([rest, chunk as Buffer])
      let nl = data.indexOf(0x0a)
      while (nl !== -1) {
        if (!checker.check(data.subarray(0, nl))) return { ok: false, ...checker.failure! }
        data = data.subarray(nl + 1)
        nl = data.indexOf(0x0a)
      }
      rest = Buffer.from(data)
    }
  } catch (err) {
    throw new UserError(`${path}: ${osReason(err)}`, 'RUNTIME', { cause: err })
  }
  if (rest.length > 0) {
    return {
      ok: false,
      line: checker.lines + 1,
      reason: 'the last line is cut short (no newline at its end)',
    }
  }
  return { ok: true, lines: checker.lines, head: checker.head }
}

/** An audit log open for appending; see the top of this file for the format. */
export class AuditLog {
  readonly path: string
  readonly #file: FileHandle
  #seq: number
  #prev: string
  #writing: Promise<void> = Promise.resolve()
  #failed: unknown
  #closed = false

  private constructor(path: string, file: FileHandle, lines: number, head: string) {
    this.path = path
    this.#file = file
    this.#seq = lines
    this.#prev = head
  }

  /**
   * Opens (or creates, with its directory; mode 0600) the log at `path`. An existing file's chain is verified
   * first and continued from its last line; a broken chain is refused (UserError, one line): appending to it
   * would hide the break.
   */
  static async open(path: string): Promise<AuditLog> {
    try {
      await mkdir(dirname(path), { recursive: true })
    } catch (err) {
      throw new UserError(`audit log ${path}: ${osReason(err)}`, 'RUNTIME', { cause: err })
    }
    let lines = 0
    let head = GENESIS
    let file: FileHandle
    try {
      file = await open(path, 'a', 0o600)
    } catch (err) {
      throw new UserError(`audit log ${path}: ${osReason(err)}`, 'RUNTIME', { cause: err })
    }
    try {
      const result = await verifyAuditFile(path)
      if (!result.ok) {
        throw new UserError(
          `audit log ${path}:${result.line}: ${result.reason}; refusing to append to a broken chain (move the file aside to start a new one)`,
        )
      }
      lines = result.lines
      head = result.head
    } catch (err) {
      await file.close()
      throw err
    }
    return new AuditLog(path, file, lines, head)
  }

  /** Lines in the log (those on disk at open plus those appended). */
  get lines(): number {
    return this.#seq
  }

  /** The hash of the last line (64 zeros for an empty log). */
  get head(): string {
    return this.#prev
  }

  /**
   * Appends one record. The line is made at call time, so lines are chained and written in call order; the
   * promise settles when it is written. After a failed write every later append rejects (the chain in memory
   * no longer matches the file).
   */
  append(record: AuditRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`audit log ${this.path} is closed`))
    if (this.#failed !== undefined) return Promise.reject(this.#failed)
    this.#seq += 1
    const line = auditLine(this.#seq, this.#prev, record)
    this.#prev = sha256(line)
    const write = this.#writing.then(async () => {
      if (this.#failed !== undefined) throw this.#failed
      try {
        await this.#file.write(`${line}\n`)
      } catch (err) {
        this.#failed = new UserError(`audit log ${this.path}: ${osReason(err)}`, 'RUNTIME', {
          cause: err,
        })
        throw this.#failed
      }
    })
    this.#writing = write.catch(() => {})
    return write
  }

  /** Waits for the pending appends, then closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#writing
    await this.#file.close()
  }
}
