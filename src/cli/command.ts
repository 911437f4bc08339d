/**
 * What `install` and `query` share: strict argument parsing, and how they end: their result is the exit code; a `UserError` is one line on stderr after the
 * command's name with its exit code (2 usage, 1 runtime); anything else is "unexpected error" (1); and a reader of
 * our output that went away (`… | head`) is not worth a message.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util'
import {
  type CommandIO,
  errnoCode,
  parseArgsError,
  parseDuration,
  UserError,
} from '../observatory/install/index.ts'

type OptionsConfig = NonNullable<ParseArgsConfig['options']>

/** What {@link parseOptions} returns for `O` (written out so that the declaration file can name it). */
export type ParsedOptions<O extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>
>['values']

/** `parseArgs` in strict mode without positionals; its errors become one-line usage errors (`unknown option --x`). */
export function parseOptions<const O extends OptionsConfig>(
  argv: string[],
  options: O,
): ParsedOptions<O> {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options }).values
  } catch (err) {
    throw parseArgsError(err) ?? err
  }
}

/** Run a command's body and turn what it throws into one line on stderr and an exit code (see the top). */
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

export { parseDuration }
