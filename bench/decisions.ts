/**
 * # Decision latency benchmark
 *
 *   node --import tsx bench/decisions.ts [--events N] [--warmup N] [--store on|memory] [--no-baseline]
 *                                        [--transports tcp,unix]
 *
 * The question (issue 15): how long does Claude Code wait for a decision? Target: p99 under 2 ms from request to
 * response for rule decisions, with a 200-rule policy.
 *
 * What runs: `observatory serve` in a child process as a user starts it, with `--policy` = a generated 200-rule
 * policy, `--audit` in a temporary directory, the store on (its file under a temporary `$XDG_STATE_HOME`, as a
 * user's default; `--store memory`: `--no-db`), `--quiet`, stdout to /dev/null. The policy mixes the three tool
 * forms and the two pattern forms: exact names (`Tool17`), globs (`mcp__server17__*`, `B*h`), regexes
 * (`/^Ba.h$/`, `/^(Read|Grep)17$/`), with `match` on `command` as globs and regexes, and `cwd` / `permission_mode`
 * conditions on some. Most rules apply to Bash (so an undecided Bash event is tested against all of them: the
 * worst case), a few deny `rm` commands.
 *
 * The client is this process on one raw keep-alive connection (node:net), sequential: a request is written when the
 * previous response has been read whole, and its latency is from the first byte written to the last byte of the
 * response read. Events are PreToolUse payloads of about 400 bytes; one in four is a `rm` command (decided: deny,
 * a ~150-byte body), the others are not matched by any rule (no decision: the empty body). Each response is
 * checked (deny body for the decided ones, empty for the others), and after each run the audit log must hold
 * exactly one line per decision with its chain intact. Each transport and setup gets a fresh server and store
 * (a store that grew in an earlier run would slow a later one). Without `--no-baseline`, the same traffic
 * against a server without a policy: the cost of the event's own path (parse, sinks, the store's commit), which
 * the 200 waits for with or without a policy.
 *
 * Results: a Markdown table on stdout.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { verifyAuditFile } from '../src/observatory/policy/index.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'src/cli/main.ts')

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '3000' },
    store: { type: 'string', default: 'on' },
    'no-baseline': { type: 'boolean', default: false },
    transports: { type: 'string', default: 'tcp,unix' },
  },
})
const TRANSPORTS = (args.transports ?? 'tcp,unix').split(',').map((name) => {
  if (name !== 'tcp' && name !== 'unix')
    throw new Error(`--transports: tcp and/or unix, not "${name}"`)
  return name
})
const EVENTS = Number(args.events)
const WARMUP = Number(args.warmup)
const STORE = args.store === 'memory' ? 'memory' : 'on'
const TARGET_P99_MS = 2

// ---- the policy ------------------------------------------------------------------------------------------

/** 200 rules: exact, glob and regex tools; glob and regex matches; a few extra conditions. */
export function generatePolicy(count = 200): string {
  const rules: string[] = []
  const quote = (text: string) => JSON.stringify(text)
  for (let i = 0; i < count; i++) {
    const kind = i % 10
    let rule: string
    switch (kind) {
      case 0:
        // The deciding ones: rm in several spellings (glob and regex).
        rule =
          i % 20 === 0
            ? `    tool: Bash\n    match:\n      command: ${quote(`rm -${'r'.repeat(1 + (i % 3))}f *`)}\n    action: deny`
            : `    tool: Bash\n    match:\n      command: ${quote(`/(^|[;&|]\\s*)rm\\s+-[a-z]*${String.fromCharCode(97 + (i % 26))}/`)}\n    action: deny`
        break
      case 1:
        rule = `    tool: Bash\n    match:\n      command: ${quote(`git push --force-${i} *`)}\n    action: ask`
        break
      case 2:
        rule = `    tool: "/^Ba.h$/"\n    match:\n      command: ${quote(`/^docker\\s+run\\s+.*--privileged-${i}/`)}\n    action: deny`
        break
      case 3:
        rule = `    tool: "B*h"\n    match:\n      command: ${quote(`curl *example-${i}.com*`)}\n    action: deny`
        break
      case 4:
        rule = `    tool: Bash\n    cwd: ${quote(`/srv/prod-${i}/*`)}\n    action: deny`
        break
      case 5:
        rule = `    tool: Bash\n    permission_mode: bypassPermissions\n    match:\n      command: ${quote(`/sudo\\s+${i}/`)}\n    action: deny`
        break
      case 6:
        rule = `    tool: ${quote(`mcp__server${i}__*`)}\n    action: allow`
        break
      case 7:
        rule = `    tool: ${quote(`/^(Read|Grep)${i}$/`)}\n    match:\n      file_path: ${quote(`/etc/secret-${i}*`)}\n    action: deny`
        break
      case 8:
        rule = `    tool: ${quote(`Tool${i}`)}\n    action: allow`
        break
      default:
        rule = `    tool: Bash\n    match:\n      command: ${quote(`npm publish --tag t${i}*`)}\n    action: ask`
    }
    rules.push(`  - name: rule-${i}\n${rule}\n    reason: ${quote(`generated rule ${i}`)}`)
  }
  return `rules:\n${rules.join('\n')}\n`
}

// ---- the requests ----------------------------------------------------------------------------------------

const SESSION = '3f5e8a9c-1b2d-4e6f-8a0b-1c2d3e4f5a6b'

function requestBytes(i: number, decided: boolean): string {
  const command = decided
    ? `rm -rf /tmp/build-${i} && echo done`
    : `git status --short && npm test -- --run ${i}`
  const body =
    `{"session_id":"${SESSION}","transcript_path":"/home/user/.claude/projects/-home-user-project/${SESSION}.jsonl",` +
    `"cwd":"/home/user/project","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash",` +
    `"tool_input":{"command":"${command}","description":"Run it","timeout":120000},` +
    `"tool_use_id":"toolu_${String(i).padStart(20, '0')}"}`
  return (
    `POST /hook?event=PreToolUse HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  )
}

type Target = { port: number } | { path: string }

/** One keep-alive connection, one request at a time; responses framed by Content-Length. */
class Connection {
  readonly socket: Socket
  #buffer = ''
  #resolve: ((response: { status: number; body: string } | undefined) => void) | undefined

  private constructor(socket: Socket) {
    this.socket = socket
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk
      this.#take()
    })
    const fail = () => {
      const resolve = this.#resolve
      this.#resolve = undefined
      resolve?.(undefined)
    }
    socket.on('close', fail)
    socket.on('error', fail)
  }

  static open(target: Target): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = 'port' in target ? connect(target.port, '127.0.0.1') : connect(target.path)
      socket.setNoDelay(true)
      socket.once('connect', () => resolve(new Connection(socket)))
      socket.once('error', reject)
    })
  }

  send(request: string): Promise<{ status: number; body: string } | undefined> {
    return new Promise((resolve) => {
      this.#resolve = resolve
      this.socket.write(request, 'latin1')
    })
  }

  #take(): void {
    const end = this.#buffer.indexOf('\r\n\r\n')
    if (end === -1) return
    const head = this.#buffer.slice(0, end)
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN)
    if (!Number.isInteger(length)) throw new Error(`no Content-Length in ${head}`)
    if (this.#buffer.length < end + 4 + length) return
    const body = this.#buffer.slice(end + 4, end + 4 + length)
    this.#buffer = this.#buffer.slice(end + 4 + length)
    const status = Number(head.slice(9, 12))
    const resolve = this.#resolve
    this.#resolve = undefined
    resolve?.({ status, body })
  }

  close(): void {
    this.socket.destroy()
  }
}

// ---- the server ------------------------------------------------------------------------------------------

interface Server {
  child: ChildProcess
  port: number
  socket: string
  stderr: () => string
}

async function startServer(dir: string, policy: string | undefined): Promise<Server> {
  const socket = join(dir, `in-${policy === undefined ? 'base' : 'policy'}.sock`)
  const argv = [
    '--import',
    'tsx',
    CLI,
    'serve',
    '--port',
    '0',
    '--socket',
    socket,
    '--quiet',
    '--audit',
    join(dir, 'audit.jsonl'),
    ...(STORE === 'memory' ? ['--no-db'] : []),
    ...(policy === undefined ? [] : ['--policy', policy]),
  ]
  const env: NodeJS.ProcessEnv = { ...process.env }
  env.XDG_STATE_HOME = mkdtempSync(join(dir, 'state-'))
  env.XDG_CONFIG_HOME = join(dir, 'no-config')
  for (const name of [
    'OBSERVATORY_DB',
    'OBSERVATORY_TOKEN',
    'CLAUDE_UNIX_HOOK_WATCHER',
    'CLAUDE_REST_HOOK_WATCHER',
    'NODE_OPTIONS',
  ]) {
    delete env[name]
  }
  const child = spawn(process.execPath, argv, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let err = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    err += chunk
  })
  const deadline = Date.now() + 30_000
  while (!/Press Ctrl\+C to stop/.test(err)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`observatory serve did not start:\n${err}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const port = Number(/http:\/\/127\.0\.0\.1:(\d+)/.exec(err)?.[1])
  return { child, port, socket, stderr: () => err }
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return
  const exited = new Promise((resolve) => server.child.once('exit', resolve))
  server.child.kill('SIGTERM')
  await exited
}

// ---- measuring -------------------------------------------------------------------------------------------

interface Measured {
  decided: Float64Array
  undecided: Float64Array
  errors: number
}

async function measure(target: Target, events: number, offset: number, policy: boolean) {
  const conn = await Connection.open(target)
  const decided: number[] = []
  const undecided: number[] = []
  let errors = 0
  for (let i = 0; i < events; i++) {
    const isDecided = i % 4 === 0
    const request = requestBytes(offset + i, isDecided)
    const t0 = performance.now()
    const response = await conn.send(request)
    const ms = performance.now() - t0
    ;(isDecided ? decided : undecided).push(ms)
    const want = policy && isDecided
    if (
      response === undefined ||
      response.status !== 200 ||
      (want ? !response.body.includes('"permissionDecision":"deny"') : response.body !== '')
    ) {
      errors++
    }
  }
  conn.close()
  return {
    decided: Float64Array.from(decided),
    undecided: Float64Array.from(undecided),
    errors,
  } satisfies Measured
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!
}

function summary(values: Float64Array): { p50: number; p99: number; max: number; n: number } {
  const sorted = Float64Array.from(values).sort()
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    n: sorted.length,
  }
}

const ms = (value: number) => value.toFixed(3)

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'obs-bench-decisions-'))
  const rows: string[] = []
  const audited: string[] = []
  let worstDecidedP99 = 0
  try {
    const policy = join(dir, 'policy.yaml')
    writeFileSync(policy, generatePolicy(200))
    const setups: { name: string; policy: string | undefined }[] = [
      { name: '200-rule policy', policy },
    ]
    if (args['no-baseline'] !== true)
      setups.push({ name: 'no policy (baseline)', policy: undefined })
    // A fresh server (and store) per transport and setup, the setups one after the other for each transport: the
    // store grows as a run goes on, so a later run on the same server would pay for the earlier ones.
    for (const transport of TRANSPORTS) {
      for (const setup of setups) {
        const server = await startServer(dir, setup.policy)
        const policyOn = setup.policy !== undefined
        let result: Measured
        try {
          if (policyOn && !/\(200 rules, enforce\)/.test(server.stderr())) {
            throw new Error(`the policy did not load:\n${server.stderr()}`)
          }
          const target: Target =
            transport === 'tcp' ? { port: server.port } : { path: server.socket }
          await measure(target, WARMUP, 0, policyOn)
          result = await measure(target, EVENTS, WARMUP, policyOn)
        } finally {
          await stopServer(server)
        }
        for (const [kind, values] of [
          ['decided (deny)', result.decided],
          ['no decision', result.undecided],
        ] as const) {
          const s = summary(values)
          const label = policyOn ? kind : kind.replace(' (deny)', ' (would be)')
          if (policyOn && kind.startsWith('decided'))
            worstDecidedP99 = Math.max(worstDecidedP99, s.p99)
          rows.push(
            `| ${setup.name} | ${transport === 'tcp' ? 'TCP' : 'Unix'} | ${label} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} | ${result.errors} |`,
          )
        }
        const auditPath = join(dir, 'audit.jsonl')
        if (policyOn) {
          // Every decision is in the audit log, and its chain holds.
          const expected = Math.ceil(WARMUP / 4) + Math.ceil(EVENTS / 4)
          const chain = await verifyAuditFile(auditPath)
          if (!chain.ok || chain.lines !== expected) {
            throw new Error(`audit log: ${JSON.stringify(chain)}, expected ${expected} lines`)
          }
          audited.push(
            `${transport === 'tcp' ? 'TCP' : 'Unix'}: ${chain.lines} lines, chain intact`,
          )
        }
        rmSync(auditPath, { force: true })
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  const out = [
    `# Decision latency (${new Date().toISOString().slice(0, 16).replace('T', ' ')})`,
    '',
    `${cpus().length} × ${cpu}, Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; store: ${STORE === 'on' ? 'a file (the default)' : 'in memory (--no-db)'}; ` +
      `${EVENTS} events per transport after ${WARMUP} of warm-up, one keep-alive connection, sequential; ` +
      'latency from the first byte written to the whole response read, in ms.',
    '',
    '| server | transport | events | n | p50 | p99 | max | errors |',
    '|---|---|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Audit log after each policy run: ${audited.join('; ')}.`,
    '',
    `Target p99 < ${TARGET_P99_MS} ms for rule decisions: **${worstDecidedP99 < TARGET_P99_MS ? 'met' : 'not met'}** (worst decided p99 ${ms(worstDecidedP99)} ms).`,
    '',
  ].join('\n')
  process.stdout.write(out)
}

// Run when executed (not when imported for generatePolicy).
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1])
  await main()
