/**
 * What the `observatory install` and `observatory query` subcommands share: the I/O they run against, the
 * error type that becomes one line on stderr plus an exit code, and the translation of `node:util` parseArgs
 * and operating-system errors into short, human sentences.
 *
 * The commands never touch `process` directly (except `query --watch`, which listens for SIGINT when no
 * AbortSignal is given); everything comes in through a {@link CommandIO}, so tests drive them with streams and
 * temporary directories.
 */
import { getSystemErrorMap } from 'node:util'
import { type UserError, usageError } from '../errors.ts'

/** The streams, environment and directories a subcommand runs with. */
export interface CommandIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
  cwd: string
  homedir: string
}

export { UserError, usageError } from '../errors.ts'

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') {
    return err.code
  }
  return undefined
}

/**
 * Turns an error thrown by `parseArgs` (strict mode) into a usage error, e.g. `unknown option --x`.
 * Returns undefined for anything that is not a parseArgs error.
 */
export function parseArgsError(err: unknown): UserError | undefined {
  const code = errorCode(err)
  if (code === undefined || !code.startsWith('ERR_PARSE_ARGS_')) return undefined
  const message = err instanceof Error ? err.message : String(err)
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? ''
  const option = quoted.split(' ')[0] ?? quoted
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return usageError(`unknown option ${option}`)
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return usageError(`unexpected argument '${quoted}'`)
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(message)) {
        return usageError(`option ${option} does not take a value`)
      }
      return usageError(`option ${option} needs a value`)
    default:
      return usageError(message.split('\n')[0] ?? message)
  }
}

/**
 * The operating system's reason for a failed call, as `permission denied (EACCES)`; falls back to the error's
 * own first line for errors that carry no errno.
 */
export function osReason(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'errno' in err && typeof err.errno === 'number') {
    const entry = getSystemErrorMap().get(err.errno)
    if (entry !== undefined) return `${entry[1]} (${entry[0]})`
  }
  const code = errorCode(err)
  const message = err instanceof Error ? err.message : String(err)
  const first = message.split('\n')[0] ?? message
  return code !== undefined && !first.includes(code) ? `${first} (${code})` : first
}

/** The error's `code` (`ENOENT`, `EACCES`, …) when it has one. */
export function errnoCode(err: unknown): string | undefined {
  return errorCode(err)
}

interface StreamState {
  error: unknown
  waiters: Set<(err: unknown) => void>
}

const streamStates = new WeakMap<NodeJS.WritableStream, StreamState>()

/**
 * A stream's error state, with one lasting 'error' listener: an EPIPE reported after a write returned (the
 * reader of `observatory query | head` went away) must not become an uncaught exception.
 */
function stateOf(stream: NodeJS.WritableStream): StreamState {
  let state = streamStates.get(stream)
  if (state === undefined) {
    const created: StreamState = { error: undefined, waiters: new Set() }
    stream.on('error', (err: unknown) => {
      if (created.error === undefined) created.error = err
      for (const waiter of created.waiters) waiter(err)
      created.waiters.clear()
    })
    streamStates.set(stream, created)
    state = created
  }
  return state
}

/**
 * Writes text and waits for the stream to drain when its buffer is full, so that a large query output does not
 * pile up in memory. Rejects once the stream has reported an error (EPIPE when the reader went away).
 */
export function writeText(stream: NodeJS.WritableStream, text: string): Promise<void> {
  const state = stateOf(stream)
  if (state.error !== undefined) return Promise.reject(state.error)
  return new Promise((resolve, reject) => {
    let flushed: boolean
    try {
      flushed = stream.write(text)
    } catch (err) {
      reject(err)
      return
    }
    if (flushed) {
      resolve()
      return
    }
    const onError = (err: unknown): void => {
      stream.removeListener('drain', onDrain)
      reject(err)
    }
    const onDrain = (): void => {
      state.waiters.delete(onError)
      resolve()
    }
    state.waiters.add(onError)
    stream.once('drain', onDrain)
  })
}

/** Terminal width of a stream when it is a terminal, else undefined. */
export function terminalColumns(stream: NodeJS.WritableStream): number | undefined {
  if ('columns' in stream && typeof stream.columns === 'number' && stream.columns > 0) {
    return stream.columns
  }
  return undefined
}
