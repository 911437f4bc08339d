/**
 * `observatory policy check|test`: a policy file (docs/policy.md) checked and tried without a server, for editors
 * and CI. Exit codes: 0 done (for `test`, whatever the decision), 1 an invalid or unreadable policy or event file
 * (the user's input: one line `FILE:LINE:COLUMN: what is wrong` per broken file), 2 a usage mistake.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import {
  type CommandIO,
  osReason,
  parseArgsError,
  UserError,
  usageError,
  writeText,
} from '../observatory/install/index.ts'
import { decisionBody, eventNameOf, Policy } from '../observatory/policy/index.ts'
import { runCommand } from './command.ts'

export const POLICY_HELP = `Usage: observatory policy check FILE...
       observatory policy test FILE... [--event EVENT.json] [--json]

Policy files (YAML) answer PreToolUse and PermissionRequest with allow, deny, ask or defer.
See docs/policy.md for the format.

Commands:
  check FILE...          validate each file: "FILE: N rules OK", or one line per broken file,
                         FILE:LINE:COLUMN: what is wrong (exit code 1)
  test FILE...           what the files (merged in this order) would answer to one event: a hook
                         payload as JSON (Claude Code's, or a line of the observatory's log), from
                         --event or stdin; prints "deny by rule NAME (FILE): REASON" or
                         "no decision" (exit code 0 either way). An event without
                         hook_event_name is taken as a PreToolUse.

Options:
  --event FILE           the event to test (default: stdin)
  --json                 with test: print the body Claude Code would receive instead (nothing
                         for no decision)
  -h, --help             this help

Exit codes: 0 done, 1 an invalid or unreadable policy or event file, 2 a usage mistake.
`

type PolicyCommand =
  | { command: 'check'; files: string[] }
  | { command: 'test'; files: string[]; event: string | undefined; json: boolean }

export function parsePolicyArgs(argv: string[]): PolicyCommand | 'help' {
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
    case 'check':
      if (files.length === 0) throw usageError('policy check needs at least one file')
      if (values.event !== undefined) throw usageError('--event is for policy test')
      if (values.json === true) throw usageError('--json is for policy test')
      return { command, files }
    case 'test':
      if (files.length === 0) throw usageError('policy test needs at least one policy file')
      if (values.event === '') throw usageError('--event needs a file')
      return { command, files, event: values.event, json: values.json === true }
    case undefined:
      throw usageError('policy needs a command: check or test (see observatory policy --help)')
    default:
      throw usageError(`policy: unknown command '${command}' (check or test)`)
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      event: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

async function readPolicy(file: string): Promise<Policy> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new UserError(`${file}: ${osReason(err)}`)
  }
  return Policy.parse(text, file)
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The event to test, from --event or stdin, as a plain object. */
async function readEvent(
  io: CommandIO,
  file: string | undefined,
): Promise<Record<string, unknown>> {
  let text: string
  const name = file ?? 'stdin'
  if (file !== undefined) {
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      throw new UserError(`${file}: ${osReason(err)}`)
    }
  } else {
    if (io.stdin.isTTY === true) {
      throw usageError('policy test needs an event: --event EVENT.json, or the JSON on stdin')
    }
    text = await readAll(io.stdin)
    if (text.trim() === '') {
      throw usageError('policy test needs an event: --event EVENT.json, or the JSON on stdin')
    }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err)
    throw new UserError(`${name}: the event is not JSON (${why})`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError(`${name}: the event must be a JSON object (a hook payload)`)
  }
  return value as Record<string, unknown>
}

/** `observatory policy …`: resolves to the exit code (see the top). */
export function runPolicy(argv: string[], io: CommandIO): Promise<number> {
  return runCommand('observatory policy', io, 0, async () => {
    const args = parsePolicyArgs(argv)
    if (args === 'help') {
      await writeText(io.stdout, POLICY_HELP)
      return 0
    }
    if (args.command === 'check') {
      let failed = false
      for (const file of args.files) {
        try {
          const policy = await readPolicy(file)
          await writeText(io.stdout, `${file}: ${plural(policy.rules, 'rule')} OK\n`)
        } catch (err) {
          if (!(err instanceof UserError)) throw err
          // a PolicyError's message starts with FILE:LINE:COLUMN; a read error with FILE:
          io.stderr.write(`${err.message}\n`)
          failed = true
        }
      }
      return failed ? 1 : 0
    }
    const policies: Policy[] = []
    for (const file of args.files) {
      try {
        policies.push(await readPolicy(file))
      } catch (err) {
        if (!(err instanceof UserError)) throw err
        io.stderr.write(`${err.message}\n`)
        return 1
      }
    }
    const policy = Policy.merge(policies)
    const event = await readEvent(io, args.event)
    const name = eventNameOf(event)
    const decided = name === undefined ? { ...event, hook_event_name: 'PreToolUse' } : event
    const decision = policy.decide(decided)
    if (args.json) {
      const body = decision === undefined ? '' : decisionBody(decision, decided)
      if (body !== '') await writeText(io.stdout, `${body}\n`)
      return 0
    }
    if (decision === undefined) {
      const why =
        name === undefined || name === 'PreToolUse' || name === 'PermissionRequest'
          ? ''
          : ` (a policy decides PreToolUse and PermissionRequest, not ${name})`
      await writeText(io.stdout, `no decision${why}\n`)
      return 0
    }
    await writeText(
      io.stdout,
      `${decision.action} by rule ${decision.rule} (${decision.source}): ${decision.reason}\n`,
    )
    return 0
  })
}
