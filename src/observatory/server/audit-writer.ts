/**
 * The server's writer of the audit log: the same hash-chained lines as the policy room's `AuditLog`
 * (policy/audit.ts: `auditLine`, checked by `verifyAuditFile` and `observatory audit verify`), written with one
 * synchronous `write(2)` per decision on a descriptor opened for appending.
 *
 * Why not `AuditLog.append` itself: its write goes through a `FileHandle` (the libuv thread pool), and the answer
 * must wait for the audit line (nothing is sent that the trail does not have). That round trip per decision cost
 * about 0.15 ms at the median and 1.5 ms at p99 in bench/decisions.ts on a loaded 2-core machine, most of the
 * 2 ms budget; a synchronous append of a ~600-byte line into the page cache costs a few microseconds and keeps
 * the same guarantee (in the kernel before the answer goes: a process crash cannot lose it; like `AuditLog`, no
 * fsync, so a machine crash can lose the last lines).
 *
 * Opening verifies the existing chain and continues it; a broken chain is refused, as `AuditLog.open` does. After
 * a failed write (a full disk), every later append fails: the file may end in a partial line, and the decisions
 * are answered with "no decision" from then on (decisions.ts).
 */
import { createHash } from 'node:crypto'
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { UserError } from '../errors.ts'
import { osReason } from '../install/command-io.ts'
import { auditLine, verifyAuditFile } from '../policy/index.ts'
import type { AuditRecord } from '../policy/types.ts'
import type { AuditSink } from './decisions.ts'

export class AuditWriter implements AuditSink {
  readonly path: string
  #fd: number | undefined
  #seq: number
  #prev: string
  #failed: Error | undefined

  private constructor(path: string, fd: number, lines: number, head: string) {
    this.path = path
    this.#fd = fd
    this.#seq = lines
    this.#prev = head
  }

  /** Open (or create: directory 0700, file 0600) the log at `path`, verifying and continuing its chain. */
  static async open(path: string): Promise<AuditWriter> {
    let fd: number
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
      fd = openSync(path, 'a', 0o600)
    } catch (error) {
      throw new UserError(`audit log ${path}: ${osReason(error)}`, 'RUNTIME', { cause: error })
    }
    try {
      const chain = await verifyAuditFile(path)
      if (!chain.ok) {
        throw new UserError(
          `audit log ${path}:${chain.line}: ${chain.reason}; refusing to append to a broken chain (move the file aside to start a new one)`,
        )
      }
      return new AuditWriter(path, fd, chain.lines, chain.head)
    } catch (error) {
      closeSync(fd)
      throw error
    }
  }

  /** Lines in the log. */
  get lines(): number {
    return this.#seq
  }

  /** Chain and write `record` now; the promise is settled already (rejected when the line could not be written). */
  append(record: AuditRecord): Promise<void> {
    try {
      this.appendSync(record)
      return Promise.resolve()
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Chain and write `record` now (throws when it could not be written). */
  appendSync(record: AuditRecord): void {
    if (this.#failed !== undefined) throw this.#failed
    const fd = this.#fd
    if (fd === undefined) throw new Error(`audit log ${this.path} is closed`)
    const seq = this.#seq + 1
    const line = auditLine(seq, this.#prev, record)
    const bytes = Buffer.from(`${line}\n`, 'utf8')
    try {
      let written = 0
      while (written < bytes.length) written += writeSync(fd, bytes, written)
    } catch (error) {
      this.#failed = new UserError(`audit log ${this.path}: ${osReason(error)}`, 'RUNTIME', {
        cause: error,
      })
      throw this.#failed
    }
    this.#seq = seq
    this.#prev = createHash('sha256').update(line).digest('hex')
  }

  close(): Promise<void> {
    const fd = this.#fd
    this.#fd = undefined
    if (fd !== undefined) closeSync(fd)
    return Promise.resolve()
  }
}
