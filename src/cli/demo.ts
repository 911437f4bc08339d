/**
 * `observatory demo`: its arguments, its help and its exit codes. The demo API itself is src/demo/.
 */
import { parseArgs } from 'node:util'
import { type DemoAddress, serveDemo } from '../demo/index.ts'

/** `observatory demo --help`. */
export const DEMO_HELP = `Usage: observatory demo [--host HOST] [--port PORT] [--workers N]

Run the demo API (welcome message, health, users with a validated create, echo) on this project's
framework, with interactive docs at /docs. Ctrl-C stops it.

Options:
  --host HOST     address to listen on (default 127.0.0.1)
  --port PORT     TCP port, 0 for any free one (default 8000)
  --workers N     worker processes sharing the port, 1-256 (default 1: this process)
  -h, --help      show this help
`

/**
 * Parses `--host`, `--port` and `--workers` (`'help'` for `--help`/`-h`); throws an Error saying what is wrong for
 * anything else.
 */
export function parseDemoArgs(argv: readonly string[]): DemoAddress | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  })
  if (values.help === true) return 'help'
  const host = values.host ?? '127.0.0.1'
  const portText = values.port ?? '8000'
  const port = Number(portText)
  if (!/^\d{1,5}$/.test(portText) || port > 65535) {
    throw new Error(`--port must be an integer from 0 to 65535, got ${JSON.stringify(portText)}`)
  }
  const workersText = values.workers ?? '1'
  const workers = Number(workersText)
  if (!/^\d{1,3}$/.test(workersText) || workers < 1 || workers > 256) {
    throw new Error(
      `--workers must be an integer from 1 to 256, got ${JSON.stringify(workersText)}`,
    )
  }
  return { host, port, workers }
}

/**
 * The `demo` command: resolves with the exit code (0 after a clean stop or --help, 2 for bad arguments, 1 when it
 * cannot listen).
 */
export async function runDemo(
  argv: readonly string[],
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  err: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<number> {
  let parsed: DemoAddress | 'help'
  try {
    parsed = parseDemoArgs(argv)
  } catch (error) {
    err(`observatory demo: ${argumentProblem(error)} (see observatory demo --help)`)
    return 2
  }
  if (parsed === 'help') {
    out(DEMO_HELP.trimEnd())
    return 0
  }
  return serveDemo(parsed, out, err)
}

/**
 * One line for an argument error: parseArgs' own messages go on with advice on `--` (`Unknown option '--x'. To
 * specify a positional argument…`); the first sentence is what the user needs.
 */
function argumentProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return message
  const first = (message.split(/\.\s/)[0] ?? message).split('\n')[0]!
  return first.charAt(0).toLowerCase() + first.slice(1)
}
