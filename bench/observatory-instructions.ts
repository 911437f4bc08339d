/**
 * User-space instructions per hook event of `observatory serve`, counted by valgrind's callgrind: the server runs
 * under callgrind (node `--single-threaded`, the CLI under tsx as `npm start` runs it), and a client in this process
 * sends the benchmarks' Bash-call events (bench/lib/hook-events.ts) one at a time: on one keep-alive connection, or
 * with `--per-connection` each on a connection of its own (a curl hook's pattern). Two runs, `--events` and
 * `--events` × 5, are counted and their difference divided by the extra events, so start-up, loading and the
 * exit cancel out. Unlike events/s on a shared machine, the count repeats to within about 1%: a change's cost or
 * saving per event is read here. Read it as a relative figure (before/after): node runs `--single-threaded`, so
 * the JIT's compiling between the two counts is in it too (a third of a whole run's instructions are TurboFan's),
 * more for the observatory's many functions than for the floor's few. Kernel work (the system calls themselves) is not counted: `bench/observatory.ts
 * --syscalls` counts those.
 *
 *   node --import tsx bench/observatory-instructions.ts [--events 2000] [--per-connection] [--tcp]
 *        [--outputs none|log|reader|full] [--store off|memory] [--root DIR] [--floor]
 *
 * `--outputs`: `full` (default) is the setup of bench/observatory.ts, a log file and a reader (socat, or a Node
 * reader) on the output socket, stdout to /dev/null; `none`: stdout to /dev/null only. `--root DIR`: count the CLI
 * of another checkout (e.g. `git worktree add /tmp/base HEAD~3`), for a before/after from one invocation. Needs
 * valgrind; about 1.5 minutes per count. `--floor` counts bench/servers/ingest-floor.ts instead (the transport
 * reading each body and answering `200 {}`, nothing else): the part of the observatory's count that is not its own.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DB_ENV, PORT_ENV, SOCKET_ENV, TOKEN_ENV } from '../src/observatory/defaults.ts'
import { callgrindArgs, collectedInstructions, requireValgrind } from './lib/callgrind.ts'
import { HookTraffic, openSocket, type Target } from './lib/hook-events.ts'

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000' },
    'per-connection': { type: 'boolean', default: false },
    tcp: { type: 'boolean', default: false },
    outputs: { type: 'string', default: 'full' },
    store: { type: 'string', default: 'off' },
    root: { type: 'string', multiple: true },
    floor: { type: 'boolean', default: false },
  },
})

const HERE = fileURLToPath(new URL('..', import.meta.url))
const EVENTS = Math.max(100, Number(values.events))
const PER_CONNECTION = values['per-connection'] === true
const OUTPUTS = values.outputs ?? 'full'
if (!['none', 'log', 'reader', 'full'].includes(OUTPUTS)) {
  process.stderr.write('observatory-instructions: --outputs is none, log, reader or full\n')
  process.exit(2)
}
const FLOOR = values.floor === true
const STORE = values.store ?? 'off'
if (STORE !== 'off' && STORE !== 'memory') {
  process.stderr.write('observatory-instructions: --store is off or memory\n')
  process.exit(2)
}
const ROOTS = (values.root ?? [HERE]).map((dir: string) => resolve(dir))
const SOCAT = ['/usr/bin/socat', '/usr/local/bin/socat', '/bin/socat'].find((p) => existsSync(p))

requireValgrind('observatory-instructions')

/** Sends `request` and resolves once a whole response (head + Content-Length body) came back. */
function exchange(socket: Socket, request: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = ''
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1')
      const end = text.indexOf('\r\n\r\n')
      if (end === -1) return
      if (!text.startsWith('HTTP/1.1 200 ')) {
        cleanup()
        reject(new Error(`unexpected answer: ${text.slice(0, 80)}`))
        return
      }
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))
      if (text.length < end + 4 + Number(length?.[1] ?? 0)) return
      cleanup()
      resolve()
    }
    const onError = (error: Error) => {
      cleanup()
      reject(error)
    }
    const cleanup = () => {
      socket.off('data', onData)
      socket.off('error', onError)
    }
    socket.on('data', onData)
    socket.on('error', onError)
    socket.write(request)
  })
}

async function load(target: Target, events: number, tag: string): Promise<void> {
  const traffic = new HookTraffic(0, tag)
  if (PER_CONNECTION) {
    for (let i = 0; i < events; i++) {
      const socket = await openSocket(target)
      await exchange(socket, traffic.next(`${tag}-${i}`))
      socket.destroy()
    }
    return
  }
  const socket = await openSocket(target)
  for (let i = 0; i < events; i++) await exchange(socket, traffic.next(`${tag}-${i}`))
  socket.destroy()
}

/**
 * Instructions of one server process that handled `events` events (plus its start and exit). `traced` false: the
 * same run without valgrind, to fill tsx's compile cache first (a cold cache in one count and not the other made
 * the difference of two counts vary threefold).
 */
async function count(root: string, events: number, traced = true): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'obs-instr-'))
  let reader: ChildProcess | undefined
  let child: ChildProcess | undefined
  try {
    mkdirSync(join(dir, 'state'))
    const inSock = join(dir, 'in.sock')
    const out = join(dir, 'out.sock')
    const outputs: string[] = []
    if (OUTPUTS === 'log' || OUTPUTS === 'full') outputs.push('--log', join(dir, 'events.jsonl'))
    if (OUTPUTS === 'reader' || OUTPUTS === 'full') outputs.push('--output-socket', out)
    const args = FLOOR
      ? ['--import', 'tsx', join(HERE, 'bench/servers/ingest-floor.ts'), '--socket', inSock]
      : [
          '--import',
          'tsx',
          join(root, 'src/cli/main.ts'),
          'serve',
          '--socket',
          inSock,
          '--port',
          '0',
          ...outputs,
          STORE === 'memory' ? '--no-db' : '--no-store',
          '--quiet',
        ]
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_OPTIONS: '',
      XDG_STATE_HOME: join(dir, 'state'),
    }
    for (const name of [DB_ENV, TOKEN_ENV, SOCKET_ENV, PORT_ENV]) delete env[name]
    child = spawn(
      traced ? 'valgrind' : process.execPath,
      traced ? callgrindArgs(process.execPath, args) : args,
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
      },
    )
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr += text
    })
    let stdout = ''
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      stdout += text
    })
    const server = child
    const exited = new Promise<void>((resolve) => server.once('close', () => resolve()))
    const deadline = Date.now() + 300_000
    const ready = FLOOR ? /LISTENING (\d+)/ : /Press Ctrl\+C to stop/
    while (!ready.test(FLOOR ? stdout : stderr)) {
      if (server.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the observatory did not start under valgrind:\n${stderr.slice(-2000)}`)
      }
      await new Promise((r) => setTimeout(r, 200))
    }
    if (!FLOOR && (OUTPUTS === 'reader' || OUTPUTS === 'full')) {
      reader =
        SOCAT !== undefined
          ? spawn(SOCAT, ['-u', `UNIX-CONNECT:${out}`, 'OPEN:/dev/null'], { stdio: 'ignore' })
          : spawn(
              process.execPath,
              ['-e', `require('net').connect(${JSON.stringify(out)}).resume()`],
              {
                stdio: 'ignore',
              },
            )
      while (!/Output reader connected/.test(stderr)) {
        if (Date.now() > deadline) throw new Error('the reader did not connect')
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    const port = FLOOR ? /LISTENING (\d+)/.exec(stdout) : /http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)
    const target: Target = values.tcp === true ? { port: Number(port?.[1]) } : { path: inSock }
    await load(target, events, `e${events}`)
    server.kill('SIGINT')
    await exited
    return traced ? collectedInstructions(stderr) : 0
  } finally {
    // Still running only when something above failed.
    if (child !== undefined && child.exitCode === null && child.signalCode === null)
      child.kill('SIGKILL')
    reader?.kill()
    rmSync(dir, { recursive: true, force: true })
  }
}

const setup =
  `${FLOOR ? 'bench/servers/ingest-floor.ts, ' : ''}${PER_CONNECTION ? 'a connection per event' : 'one keep-alive connection'}, ` +
  `${values.tcp === true ? 'TCP' : 'Unix socket'}, outputs ${OUTPUTS}, store ${STORE}, Node ${process.version}`
for (const root of ROOTS) {
  await count(root, 100, false)
  const small = await count(root, EVENTS)
  const large = await count(root, EVENTS * 5)
  const perEvent = (large - small) / (EVENTS * 4)
  process.stdout.write(
    `${FLOOR ? 'floor' : root}: ${Math.round(perEvent).toLocaleString('en-US')} instructions per event ` +
      `(user space; ${EVENTS.toLocaleString('en-US')} vs ${(EVENTS * 5).toLocaleString('en-US')} events; ${setup})\n`,
  )
}
