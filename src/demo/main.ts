/**
 * Runs the demo API (`observatory demo`, arguments in src/cli/demo.ts): prints the URL and the docs page's URL;
 * stops gracefully on SIGINT/SIGTERM.
 */

import cluster from 'node:cluster'
import { type HttpServer, runCluster } from '../transport/index.ts'
import { createDemoApp } from './app.ts'

/** Where the demo listens. */
export interface DemoAddress {
  readonly host: string
  readonly port: number
  /** Worker processes (node:cluster) sharing the port; 1 runs in this process. */
  readonly workers: number
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
 * Serve the demo until SIGINT/SIGTERM; resolves with the exit code (0 after a clean stop, 1 when it cannot
 * listen). The CLI parses the arguments (src/cli/demo.ts).
 */
export async function serveDemo(
  address: DemoAddress,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
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
