/**
 * Runs the demo API: `node --import tsx src/demo/main.ts [--host H] [--port N]` (default 127.0.0.1:8000).
 * Prints the URL and the docs page's URL; stops gracefully on SIGINT/SIGTERM.
 */

import cluster from 'node:cluster'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { runCluster } from '../transport/cluster.ts'
import type { HttpServer } from '../transport/server.ts'
import { createDemoApp } from './app.ts'

/** Where the demo listens. */
export interface DemoAddress {
  readonly host: string
  readonly port: number
  /** Worker processes (node:cluster) sharing the port; 1 runs in this process. */
  readonly workers: number
}

/** `observatory demo --help`. */
export const DEMO_USAGE = `Usage: observatory demo [--host HOST] [--port PORT] [--workers N]

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
 * Starts the demo app on our server and prints where. Resolves once listening.
 *
 * ```ts
 * const { url, server } = await startDemo({ host: '127.0.0.1', port: 0 }, console.log)
 * await server.close()
 * ```
 */
export async function startDemo(
  address: DemoAddress,
  print: (line: string) => void,
): Promise<{ url: string; server: HttpServer }> {
  const server = await createDemoApp().listen({ port: address.port, host: address.host })
  const bound = server.addresses[0]
  if (bound === undefined || bound.transport !== 'tcp')
    throw new Error('the demo has no TCP address')
  const host = bound.family === 'IPv6' ? `[${bound.host}]` : bound.host
  const url = `http://${host}:${bound.port}`
  print(`Demo API listening on ${url}`)
  print(`Interactive docs at ${url}/docs`)
  return { url, server }
}

/**
 * The `demo` command: parses `argv`, serves until SIGINT/SIGTERM, resolves with the exit code
 * (0 after a clean stop or --help, 2 for bad arguments, 1 when it cannot listen).
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
    out(DEMO_USAGE.trimEnd())
    return 0
  }
  const address = parsed
  if (address.workers > 1) {
    // Every worker runs this same command; runCluster forks them in the primary and starts the app in each.
    // Each worker keeps its own in-memory users: a POST and a later GET may reach different workers.
    let printed = false
    await runCluster({
      workers: address.workers,
      start: async () => {
        const { server } = await startDemo(address, (line) => {
          if (!printed && cluster.worker?.id === 1) out(line)
        })
        printed = true
        server.closeOnSignals()
      },
    })
    if (cluster.isPrimary) out(`Demo API: ${address.workers} workers on port ${address.port}`)
    return new Promise<number>(() => {
      // The primary exits on its own once every worker has stopped after SIGINT/SIGTERM.
    })
  }
  let server: HttpServer
  try {
    ;({ server } = await startDemo(address, out))
  } catch (error) {
    err(`demo: ${(error as Error).message}`)
    return 1
  }
  await new Promise<void>((resolve) => {
    server.closeOnSignals(() => resolve())
  })
  return 0
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

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runDemo(process.argv.slice(2))
}
