/**
 * `observatory audit verify FILE`: checks the hash chain of an audit log (docs/policy.md). Exit codes: 0 the chain
 * is intact (`FILE: N lines, chain intact`), 1 a broken link (`FILE:LINE: reason`, the first one) or a file that
 * cannot be read, 2 a usage mistake.
 */
import { parseArgs } from 'node:util'
import {
  type CommandIO,
  parseArgsError,
  usageError,
  writeText,
} from '../observatory/install/index.ts'
import { verifyAuditFile } from '../observatory/policy/index.ts'
import { runCommand } from './command.ts'

export const AUDIT_HELP = `Usage: observatory audit verify FILE

The audit log of policy decisions has one JSON line per decision, each carrying the SHA-256 of the line
before it ("prev") and of itself ("hash"). See docs/policy.md.

Commands:
  verify FILE            check the chain: "FILE: N lines, chain intact" (exit code 0), or the first
                         broken link as FILE:LINE: reason (exit code 1): an edited line, a removed or
                         reordered line, a last line cut short

Options:
  -h, --help             this help

Exit codes: 0 intact, 1 broken or unreadable, 2 a usage mistake.
`

export function parseAuditArgs(argv: string[]): { command: 'verify'; file: string } | 'help' {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    throw parseArgsError(error) ?? error
  }
  const { values, positionals } = parsed
  if (values.help === true) return 'help'
  const [command, ...files] = positionals
  switch (command) {
    case 'verify': {
      const [file, ...extra] = files
      if (file === undefined) throw usageError('audit verify needs a file')
      if (extra.length > 0) throw usageError(`audit verify takes one file (got '${extra[0]}' too)`)
      return { command, file }
    }
    case undefined:
      throw usageError('audit needs a command: verify (see observatory audit --help)')
    default:
      throw usageError(`audit: unknown command '${command}' (verify)`)
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  })
}

/** `observatory audit …`: resolves to the exit code (see the top). */
export function runAudit(argv: string[], io: CommandIO): Promise<number> {
  return runCommand('observatory audit', io, 0, async () => {
    const args = parseAuditArgs(argv)
    if (args === 'help') {
      await writeText(io.stdout, AUDIT_HELP)
      return 0
    }
    const result = await verifyAuditFile(args.file)
    if (!result.ok) {
      io.stderr.write(`${args.file}:${result.line}: ${result.reason}\n`)
      return 1
    }
    await writeText(
      io.stdout,
      `${args.file}: ${result.lines} line${result.lines === 1 ? '' : 's'}, chain intact\n`,
    )
    return 0
  })
}
