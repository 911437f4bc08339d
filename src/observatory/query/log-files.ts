/**
 * Reading log files line by line: rotated siblings in age order, chunked reads that split on newline bytes
 * (so a multi-byte character is never cut), and a cursor that remembers where the last complete line ended so
 * that `--watch` can carry on from there.
 */
import type { FileHandle } from 'node:fs/promises'
import { open, readdir, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { errnoCode, osReason, UserError } from '../install/command-io.ts'

const CHUNK = 64 * 1024
const NEWLINE = 0x0a

/** Strips one trailing carriage return (CRLF files). */
function chomp(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line
}

/**
 * The files making up the log `path`, oldest first: `path.N` … `path.2`, `path.1` (numeric order, so `.10` is
 * older than `.9`), then `path` itself when it exists. Compressed siblings (`path.1.gz`) are not read.
 * Throws a UserError when there is nothing at all to read.
 */
export async function logFiles(path: string): Promise<string[]> {
  const dir = dirname(path)
  const name = basename(path)
  let entries: string[] = []
  try {
    entries = await readdir(dir)
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${osReason(err)}`)
  }
  const rotated = entries
    .map((entry) => {
      if (!entry.startsWith(`${name}.`)) return undefined
      const suffix = entry.slice(name.length + 1)
      return /^\d+$/.test(suffix) ? { entry, n: Number(suffix) } : undefined
    })
    .filter((item): item is { entry: string; n: number } => item !== undefined)
    .sort((a, b) => b.n - a.n)
    .map((item) => join(dir, item.entry))
  let current = false
  try {
    const info = await stat(path)
    if (info.isDirectory()) throw new UserError(`cannot read ${path}: it is a directory`)
    current = true
  } catch (err) {
    if (err instanceof UserError) throw err
    if (errnoCode(err) !== 'ENOENT' || rotated.length === 0) {
      throw new UserError(`cannot read ${path}: ${osReason(err)}`)
    }
  }
  return current ? [...rotated, path] : rotated
}

/**
 * Reads an open file from an offset, yielding complete lines; an incomplete last line stays in `pending` until
 * its newline arrives (or {@link takePartial} hands it out).
 */
export class FileCursor {
  readonly handle: FileHandle
  readonly path: string
  /** Inode of the open file (to notice when the name points to another file after a rotation). */
  readonly ino: number
  /** Byte offset of the next byte to read. */
  offset: number
  private pending: Buffer = Buffer.alloc(0)

  private constructor(handle: FileHandle, path: string, ino: number) {
    this.handle = handle
    this.path = path
    this.ino = ino
    this.offset = 0
  }

  static async open(path: string): Promise<FileCursor> {
    let handle: FileHandle
    try {
      handle = await open(path, 'r')
    } catch (err) {
      throw new UserError(`cannot read ${path}: ${osReason(err)}`)
    }
    const info = await handle.stat()
    return new FileCursor(handle, path, info.ino)
  }

  /** Whether a partial line is buffered. */
  get hasPartial(): boolean {
    return this.pending.length > 0
  }

  /** Reads to the current end of the file, yielding batches of complete lines. */
  async *read(): AsyncGenerator<string[]> {
    const buffer = Buffer.allocUnsafe(CHUNK)
    while (true) {
      let bytesRead: number
      try {
        const result = await this.handle.read(buffer, 0, CHUNK, this.offset)
        bytesRead = result.bytesRead
      } catch (err) {
        throw new UserError(`cannot read ${this.path}: ${osReason(err)}`)
      }
      if (bytesRead === 0) return
      this.offset += bytesRead
      const lines = this.split(buffer.subarray(0, bytesRead))
      if (lines.length > 0) yield lines
    }
  }

  private split(chunk: Buffer): string[] {
    const lines: string[] = []
    let start = 0
    let nl = chunk.indexOf(NEWLINE, start)
    while (nl >= 0) {
      const piece = chunk.subarray(start, nl)
      const bytes = this.pending.length > 0 ? Buffer.concat([this.pending, piece]) : piece
      this.pending = Buffer.alloc(0)
      lines.push(chomp(bytes.toString('utf8')))
      start = nl + 1
      nl = chunk.indexOf(NEWLINE, start)
    }
    if (start < chunk.length) {
      this.pending = Buffer.concat([this.pending, chunk.subarray(start)])
    }
    return lines
  }

  /** Hands out the buffered incomplete line (and forgets it), or undefined. */
  takePartial(): string | undefined {
    if (this.pending.length === 0) return undefined
    const line = chomp(this.pending.toString('utf8'))
    this.pending = Buffer.alloc(0)
    return line
  }

  /** Forgets a buffered incomplete line and starts over at `offset` (after truncation). */
  reset(offset: number): void {
    this.pending = Buffer.alloc(0)
    this.offset = offset
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined)
  }
}

/** Splits a byte or text stream (stdin) into lines; a last line without newline is yielded too. */
export async function* streamLines(stream: NodeJS.ReadableStream): AsyncGenerator<string> {
  let pending = Buffer.alloc(0)
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk)
    let data = pending.length > 0 ? Buffer.concat([pending, bytes]) : bytes
    let nl = data.indexOf(NEWLINE)
    while (nl >= 0) {
      yield chomp(data.subarray(0, nl).toString('utf8'))
      data = data.subarray(nl + 1)
      nl = data.indexOf(NEWLINE)
    }
    pending = Buffer.from(data)
  }
  if (pending.length > 0) yield chomp(pending.toString('utf8'))
}
