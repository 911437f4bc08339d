/**
 * Reading and safely rewriting a Claude Code settings file.
 *
 * Safety properties:
 * - a file that is not valid JSON, or whose top level is not an object, is refused and left untouched;
 * - a read-only file (no write bit in its mode, checked even for root, who could write it anyway) is refused;
 * - the file is checked again right before writing: if it changed since it was read (while the user looked at
 *   the diff), nothing is written;
 * - a timestamped copy `settings.json.bak-YYYYMMDD-HHMMSS` is made first (only when the file existed);
 * - the new text goes to a temporary file in the same directory, is fsync'ed, gets the original file's mode
 *   (and owner, when permitted), and is renamed over the original, so readers see the old or the new file,
 *   never a partial one;
 * - when the settings path is a symbolic link (dotfile managers), the link's target is written and the link
 *   stays.
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import {
  access,
  copyFile,
  lstat,
  mkdir,
  open,
  readFile,
  realpath,
  rename,
  stat,
  unlink,
} from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import {
  detectIndent,
  encodeJsonPretty,
  JsonNumber,
  JsonObject,
  JsonSyntaxError,
  type JsonValue,
  type ParseJsonOptions,
  parseJson,
} from '../encoding/index.ts'
import { errnoCode, osReason, UserError } from './command-io.ts'

/**
 * How settings files are read: strict RFC 8259 (the language Claude Code reads them in: no `NaN`, no comments),
 * every entry kept as written (a key written twice stays twice, in its places, when the file is written back),
 * and errors in plain words with line and column.
 */
export const SETTINGS_JSON: ParseJsonOptions = Object.freeze({
  nonFinite: false,
  duplicateKeys: 'keep',
  messages: 'plain',
})

/**
 * A settings tree as text: `JSON.stringify(value, null, indent)`'s layout with the file's own indentation, keys
 * in their order (repeated ones included), numbers as written (`1.0`, big integers), non-ASCII characters as they
 * are. No trailing newline.
 */
export function settingsText(settings: JsonValue, indent: string = '  '): string {
  return encodeJsonPretty(settings, indent, { ensureAscii: false })
}

/** A settings file as read from disk. */
export interface SettingsFile {
  /** The path as the user knows it (`~/.claude/settings.json` expanded). */
  path: string
  /** The file actually written: `path`, or the target of the symbolic link at `path`. */
  realPath: string
  exists: boolean
  /** The exact text read ('' when the file does not exist). */
  text: string
  /** The parsed top-level object (empty when the file does not exist or holds only whitespace). */
  settings: JsonObject
  /** Indentation to write with: the file's own (spaces or a tab), two spaces by default. */
  indent: string
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined
    if (errnoCode(err) === 'ENOTDIR') return undefined
    throw new UserError(`cannot read ${path}: ${osReason(err)}`)
  }
}

function describeValue(value: JsonValue): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (value instanceof JsonNumber) return 'a number'
  return typeof value === 'string' ? 'a string' : 'a boolean'
}

/** Reads and parses the settings file at `path`; refuses (UserError) what it must not edit. */
export async function loadSettingsFile(path: string): Promise<SettingsFile> {
  let realPath = path
  let isLink = false
  try {
    isLink = (await lstat(path)).isSymbolicLink()
    if (isLink) realPath = await realpath(path)
  } catch (err) {
    const code = errnoCode(err)
    if (isLink) {
      throw new UserError(
        `${path} is a symbolic link that cannot be followed (${osReason(err)}); fix or remove the link first`,
      )
    }
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      throw new UserError(`cannot read ${path}: ${osReason(err)}`)
    }
  }
  const raw = await readIfExists(path)
  if (raw === undefined) {
    return { path, realPath, exists: false, text: '', settings: new JsonObject(), indent: '  ' }
  }
  // A byte order mark is not JSON, but editors add it; it is dropped from the rewritten file.
  const text = raw.startsWith('\uFEFF') ? raw.slice(1) : raw
  if (text.trim() === '') {
    return { path, realPath, exists: true, text: raw, settings: new JsonObject(), indent: '  ' }
  }
  let value: JsonValue
  try {
    value = parseJson(text, SETTINGS_JSON)
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      throw new UserError(
        `${path} is not valid JSON (line ${err.line}, column ${err.column}): ${err.reason} — fix or move it first`,
      )
    }
    throw err
  }
  if (!(value instanceof JsonObject)) {
    throw new UserError(
      `${path} holds ${describeValue(value)} at the top level, not an object — fix or move it first`,
    )
  }
  return { path, realPath, exists: true, text: raw, settings: value, indent: detectIndent(text) }
}

/**
 * Checks, before anything is written, that the file can be replaced: the directory can be created and written,
 * and the file (when it exists) is not read-only.
 */
export async function checkWritable(file: SettingsFile): Promise<void> {
  const dir = dirname(file.realPath)
  try {
    await mkdir(dir, { recursive: true })
  } catch (err) {
    throw new UserError(`cannot create ${dir}: ${osReason(err)}`)
  }
  try {
    const info = await stat(dir)
    if (!info.isDirectory())
      throw new UserError(`cannot write ${file.path}: ${dir} is not a directory`)
    await access(dir, constants.W_OK)
  } catch (err) {
    if (err instanceof UserError) throw err
    throw new UserError(`cannot write ${file.path}: ${osReason(err)} on directory ${dir}`)
  }
  if (!file.exists) return
  try {
    const info = await stat(file.realPath)
    if ((info.mode & 0o222) === 0) {
      throw new UserError(
        `cannot write ${file.path}: the file is read-only (mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')}); make it writable first`,
      )
    }
    await access(file.realPath, constants.W_OK)
  } catch (err) {
    if (err instanceof UserError) throw err
    throw new UserError(`cannot write ${file.path}: ${osReason(err)}`)
  }
}

/** Fails when the file on disk is no longer what was read. */
export async function checkUnchanged(file: SettingsFile): Promise<void> {
  const now = await readIfExists(file.realPath)
  const same = file.exists ? now === file.text : now === undefined
  if (!same) {
    throw new UserError(
      `${file.path} changed while this command ran; nothing written, run it again`,
    )
  }
}

function stamp(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0')
  return (
    `${date.getFullYear()}${two(date.getMonth() + 1)}${two(date.getDate())}-` +
    `${two(date.getHours())}${two(date.getMinutes())}${two(date.getSeconds())}`
  )
}

/**
 * Copies the file to `<name>.bak-YYYYMMDD-HHMMSS` (local time) next to it, keeping its mode; `-2`, `-3`, … are
 * appended when that name is taken. Returns the backup's path.
 */
export async function backupFile(path: string, now: Date): Promise<string> {
  const base = `${path}.bak-${stamp(now)}`
  for (let n = 1; n < 100; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`
    try {
      await copyFile(path, candidate, constants.COPYFILE_EXCL)
      return candidate
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') continue
      throw new UserError(`cannot back up ${path} to ${candidate}: ${osReason(err)}`)
    }
  }
  throw new UserError(`cannot back up ${path}: too many backups named ${basename(base)}*`)
}

/**
 * Replaces `path` with `text` atomically: a temporary file in the same directory is written, fsync'ed, given the
 * original file's mode and owner, and renamed over `path`; the directory is fsync'ed afterwards (best effort).
 * `newMode` is the mode of a file that did not exist (before the umask; default 0666).
 */
export async function writeFileAtomic(
  path: string,
  text: string,
  newMode: number = 0o666,
): Promise<void> {
  const dir = dirname(path)
  let original: { mode: number; uid: number; gid: number } | undefined
  try {
    const info = await stat(path)
    original = { mode: info.mode & 0o7777, uid: info.uid, gid: info.gid }
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw new UserError(`cannot write ${path}: ${osReason(err)}`)
  }
  const temp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  let created = false
  try {
    const handle = await open(temp, 'wx', original?.mode ?? newMode)
    created = true
    try {
      await handle.writeFile(text, 'utf8')
      if (original !== undefined) {
        await handle.chmod(original.mode)
        if (typeof process.getuid === 'function' && process.getuid() === 0) {
          await handle.chown(original.uid, original.gid)
        }
      }
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
    created = false
  } catch (err) {
    if (created) await unlink(temp).catch(() => undefined)
    if (err instanceof UserError) throw err
    throw new UserError(`cannot write ${path}: ${osReason(err)}`)
  }
  try {
    const dirHandle = await open(dir, 'r')
    try {
      await dirHandle.sync()
    } finally {
      await dirHandle.close()
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename itself has happened.
  }
}
