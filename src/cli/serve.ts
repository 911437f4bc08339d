/** `observatory serve`: parse, start, print where it listens, run until SIGINT/SIGTERM, stop cleanly. */
import { startObservatory } from '../observatory/index.ts'
import { parseServeArgs, SERVE_HELP } from './serve-args.ts'

export async function runServe(argv: string[]): Promise<number> {
  const message = (line: string): void => {
    process.stderr.write(`${line}\n`)
  }
  const options = parseServeArgs(argv, process.env, message)
  if (options === 'help') {
    process.stdout.write(SERVE_HELP)
    return 0
  }
  const running = await startObservatory(options, { stdout: process.stdout, message })
  // Listening from before the banner: whoever waits for "Press Ctrl+C" may signal at once, and a signal that
  // arrives before its handler is installed kills the process instead of stopping it cleanly.
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })

  const where = running.addresses.map((a) =>
    a.transport === 'unix'
      ? a.path
      : `http://${a.family === 'IPv6' ? `[${a.host}]` : a.host}:${a.port}`,
  )
  message(`Claude Code Hooks Observatory listening on ${where.join(' and ')}`)
  if (options.socket !== undefined)
    message(`Socket permissions: 0o${options.socket.mode.toString(8)}`)
  if (options.outputSocket !== undefined) {
    message(`Output socket: ${options.outputSocket}${options.tee ? ' (tee: stdout + socket)' : ''}`)
  }
  if (options.log !== undefined) message(`Log file: ${options.log.path}`)
  if (options.otlpExport !== undefined) {
    message(
      `OTLP export: ${options.otlpExport.endpoint} (events as logs, tool calls and turns as spans; ` +
        `up to ${options.otlpExport.maxQueue} waiting)`,
    )
  }
  const store = running.recorder.store
  if (options.store === undefined) {
    message('Store: none (--no-store): no history, the sessions in memory only')
  } else if (store !== undefined) {
    const kept = options.store?.retainMs
      ? `, events kept ${Math.round(options.store.retainMs / 86_400_000)}d`
      : ''
    message(
      store.path === ':memory:'
        ? 'Store: in memory, for this run only (--no-db)'
        : `Store: ${store.path} (${store.info().events} events${kept})`,
    )
  }
  const governance = running.governance
  if (governance === undefined) {
    message('Policy: none')
  } else {
    const { policyFiles, rules, mode } = governance
    message(
      policyFiles.length === 0
        ? 'Policy: none'
        : `Policy: ${policyFiles.join(', ')} (${rules} rule${rules === 1 ? '' : 's'}, ${mode})`,
    )
    if (governance.approvalTimeoutMs !== undefined) {
      message(
        `Approvals from the page: on, up to ${formatSeconds(governance.approvalTimeoutMs)} each ` +
          '(install the hooks with --approvals so that Claude Code waits longer)',
      )
    }
    message(`Audit log: ${governance.auditPath}`)
  }
  const tcp = running.addresses.find((a) => a.transport === 'tcp')
  if (tcp !== undefined && tcp.transport === 'tcp') {
    const base = `http://${tcp.family === 'IPv6' ? `[${tcp.host}]` : tcp.host}:${tcp.port}`
    message(
      `Live page: ${base}/${options.token === undefined ? '' : `?token=${encodeURIComponent(options.token)}`}`,
    )
    message(`API: ${base}/api/sessions (documented at ${base}/docs)`)
  }
  message('Press Ctrl+C to stop\n')

  const signal = await stopSignal
  message(`\nShutting down (${signal})...`)
  // A second Ctrl-C while draining means "now".
  process.once('SIGINT', () => process.exit(130))
  await running.close()
  return 0
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`
}
