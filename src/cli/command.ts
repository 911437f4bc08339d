/**
 * How `install` and `query` end: their result is the exit code; a `UserError` is one line on stderr after the
 * command's name with its exit code (2 usage, 1 runtime); anything else is "unexpected error" (1); and a reader of
 * our output that went away (`… | head`) is not worth a message.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util'
import {
  type CommandIO,
  errnoCode,
  parseArgsError,
  UserError,
} from '../observatory/install/index.ts'

/** `parseArgs` in strict mode without positionals; its errors become one-line usage errors (`unknown option --x`). */
export function parseOptions<const O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options }).values
  } catch (err) {
    throw parseArgsError(err) ?? err
  }
}

export async function runCommand(
  name: string,
  io: CommandIO,
  exitOnEpipe: 0 | 1,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body()
  } catch (err) {
    const code = errnoCode(err)
    if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') return exitOnEpipe
    const message =
      err instanceof UserError
        ? err.message
        : `unexpected error: ${err instanceof Error ? err.message : String(err)}`
    io.stderr.write(`${name}: ${message}\n`)
    return err instanceof UserError ? err.exitCode : 1
  }
}
