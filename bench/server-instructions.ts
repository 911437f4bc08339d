/**
 * User-space instructions per request of a whole server process, counted by valgrind's callgrind: the server
 * runs under callgrind (node `--single-threaded`), a client in this process sends requests on one connection,
 * sequentially (`--depth 1`: one request per read, one response per write) or pipelined, and a run with no
 * requests is subtracted. Unlike req/s, the count repeats to about 0.5% on a busy machine, so a driver change
 * of a few percent can be seen. Kernel work (the system calls themselves) is not counted.
 *
 *   node --import tsx bench/server-instructions.ts [--server ours-raw] [--requests 20000] [--depth 1]
 *                                                  [--scenario hello|echo] [--base DIR] [--per-connection]
 *
 * `--scenario echo` sends bench/fixtures/echo-1k.txt as POST /echo (the echo row of `npm run bench`).
 * `--base DIR` counts the same server from another checkout (e.g. `git archive HEAD src bench | tar -x -C DIR`)
 * as well, so a change's before/after comes from one invocation. `--per-connection` opens a connection for each
 * request and closes it once the response is read (a curl hook's pattern): what a connection's whole life costs.
 *
 * Servers are those of bench/servers (ours-raw, ours-framework, node-http, net-floor, …). Needs valgrind.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { parseArgs } from 'node:util'
import { callgrindArgs, collectedInstructions, requireValgrind } from './lib/callgrind.ts'
import { ECHO_BODY_FILE } from './lib/load.ts'
import { type PreparedServer, prepareServers } from './lib/servers.ts'

const { values } = parseArgs({
  options: {
    server: { type: 'string', default: 'ours-raw' },
    requests: { type: 'string', default: '20000' },
    depth: { type: 'string', default: '1' },
    scenario: { type: 'string', default: 'hello' },
    base: { type: 'string' },
    'per-connection': { type: 'boolean', default: false },
  },
})
const scenario = values.scenario === 'echo' ? 'echo' : 'hello'
const requests = Math.max(100, Number(values.requests))
const depth = Math.max(1, Number(values.depth))
const perConnection = values['per-connection']

requireValgrind('server-instructions')

const prepared = await prepareServers([values.server], values.base)
const targets = prepared.ready
if (targets.length === 0 || targets.some((s) => s.command !== process.execPath)) {
  process.stderr.write(
    `server-instructions: ${values.server} is not a Node.js server of bench/servers\n`,
  )
  process.exit(2)
}

const one =
  scenario === 'echo'
    ? (() => {
        const body = readFileSync(ECHO_BODY_FILE)
        return `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.toString('latin1')}`
      })()
    : 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
// Every response starts with a status line; neither body contains one.
const marker = 'HTTP/1.1 200 '

/** `n` requests, each on a connection of its own that the client closes once the response is in. */
async function loadPerConnection(port: number, n: number): Promise<void> {
  const request = Buffer.from(one, 'latin1')
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1')
      socket.setNoDelay(true)
      let text = ''
      socket.on('connect', () => socket.write(request))
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1')
        if (text.includes(marker)) socket.end()
      })
      socket.on('error', reject)
      socket.on('close', () => resolve())
    })
  }
}

/** Sends `n` GET / requests, `depth` per write, each batch after the previous one's responses. */
function load(port: number, n: number): Promise<void> {
  if (perConnection && n > 0) return loadPerConnection(port, n)
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    socket.setNoDelay(true)
    const batch = Buffer.from(one.repeat(depth), 'latin1')
    let done = 0
    let inBatch = 0
    let text = ''
    socket.on('connect', () => (n === 0 ? socket.end() : socket.write(batch)))
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1')
      for (let i = text.indexOf(marker); i !== -1; i = text.indexOf(marker)) {
        text = text.slice(i + marker.length)
        done++
        if (++inBatch < depth) continue
        inBatch = 0
        if (done >= n) socket.end()
        else socket.write(batch)
      }
    })
    socket.on('error', reject)
    socket.on('close', () => resolve())
  })
}

/** Instructions the server process executed for `n` requests (plus its start and exit). */
function count(server: PreparedServer, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', callgrindArgs(server.command, server.args), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    })
    let stdout = ''
    let stderr = ''
    let started = false
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000)
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text
      const m = /LISTENING (\d+)/.exec(stdout)
      if (m === null || started) return
      started = true
      load(Number(m[1]), n).then(
        () => child.kill('SIGINT'),
        (error: unknown) => {
          child.kill('SIGKILL')
          reject(error)
        },
      )
    })
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text
    })
    child.on('close', () => {
      clearTimeout(timer)
      try {
        resolve(collectedInstructions(stderr))
      } catch (error) {
        reject(error)
      }
    })
  })
}

try {
  for (const server of targets) {
    const base = await count(server, 0)
    const loaded = await count(server, requests)
    const perRequest = (loaded - base) / requests
    process.stdout.write(
      `${server.name}: ${Math.round(perRequest).toLocaleString('en-US')} instructions per request ` +
        `(user space; ${requests.toLocaleString('en-US')} ${scenario} requests, ` +
        `${perConnection ? 'one per connection' : `depth ${depth}`}, Node ${process.version})\n`,
    )
  }
} finally {
  prepared.cleanup()
}
