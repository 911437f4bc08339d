/**
 * The servers under test: how each is prepared, started (one child process per run, pinned when asked) and
 * stopped. Every server listens on 127.0.0.1, port 0, and prints `LISTENING <port>` on stdout when ready.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SERVERS = join(ROOT, 'bench', 'servers')
const BUN = join(ROOT, 'node_modules', '.bin', 'bun')

export interface ServerDef {
  /** Short name used by `--only` and in the tables. */
  readonly name: string
  /** Name shown in reports. */
  readonly label: string
  /** What it is, one line, for the report. */
  readonly description: string
}

export const SERVER_DEFS: readonly ServerDef[] = [
  {
    name: 'ours-raw',
    label: 'ours-raw',
    description: 'this project: transport handler (src/transport), manual route match',
  },
  {
    name: 'ours-async',
    label: 'ours-raw (async handler)',
    description:
      'this project: transport handler written `async` (every response through a Promise)',
  },
  {
    name: 'ours-framework',
    label: 'ours-framework',
    description: 'this project: App from src/framework (router, context)',
  },
  {
    name: 'node-http',
    label: 'node:http',
    description: 'node:http, manual route match (baseline)',
  },
  { name: 'fastify', label: 'fastify', description: 'fastify, idiomatic routes' },
  { name: 'hono', label: 'hono', description: 'hono on @hono/node-server' },
  { name: 'express', label: 'express', description: 'express 5, express.json()' },
  { name: 'bun', label: 'bun', description: 'Bun.serve with routes (another runtime)' },
  {
    name: 'net-floor',
    label: 'net-floor (not a real server)',
    description: 'canned bytes on node:net, no real parsing: the ceiling node:net allows',
  },
]

/** A server ready to start: the command that runs it (without pinning). */
export interface PreparedServer extends ServerDef {
  readonly command: string
  readonly args: readonly string[]
  /** How it runs, for the report (e.g. "node, esbuild bundle"). */
  readonly how: string
}

export interface Preparation {
  readonly ready: PreparedServer[]
  readonly skipped: { name: string; label: string; reason: string }[]
  readonly notes: string[]
  /** Removes the temporary build directory. */
  cleanup(): void
}

type Bundler = (entry: string, outfile: string) => Promise<void>

async function loadBundler(): Promise<Bundler | undefined> {
  try {
    // esbuild comes with tsx (a dev dependency); bundling keeps any TS loader out of the measured process.
    const esbuild = await import('esbuild')
    return async (entry, outfile) => {
      await esbuild.build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        logLevel: 'silent',
      })
    }
  } catch {
    return undefined
  }
}

/** Does the framework exist yet, and does it export `App`? (It is being written alongside this harness.) */
async function frameworkStatus(): Promise<string | undefined> {
  const index = join(ROOT, 'src', 'framework', 'index.ts')
  if (!existsSync(index)) return 'src/framework/index.ts does not exist yet'
  try {
    const mod = (await import(pathToFileURL(index).href)) as Record<string, unknown>
    if (typeof mod.App !== 'function') return 'src/framework/index.ts does not export App'
  } catch (error) {
    return `src/framework/index.ts failed to load: ${(error as Error).message.split('\n')[0]}`
  }
  return undefined
}

/** The baseline's twin of one of our servers. */
function baseDef(def: ServerDef): ServerDef {
  return {
    name: `${def.name}@base`,
    label: `${def.label}@base`,
    description: `${def.description}, from the --baseline checkout`,
  }
}

/** The baseline checkout's server file; the bundle takes the checkout's own src/. */
function baseServer(baseline: string, name: string): string {
  const file = join(baseline, 'bench', 'servers', `${name}.ts`)
  if (!existsSync(file)) throw new Error(`--baseline: ${file} does not exist`)
  return file
}

export function bunVersion(): string | undefined {
  if (!existsSync(BUN)) return undefined
  const r = spawnSync(BUN, ['--version'], { encoding: 'utf8', timeout: 10_000 })
  if (r.status !== 0 || r.error !== undefined) return undefined
  return r.stdout.trim()
}

/**
 * Prepare the servers named. With `baseline` (another checkout of this repository), each of our servers is
 * prepared a second time from that checkout's sources, as `<name>@base`, right after the current one.
 */
export async function prepareServers(
  names: readonly string[],
  baseline?: string,
): Promise<Preparation> {
  const ready: PreparedServer[] = []
  const skipped: Preparation['skipped'] = []
  const notes: string[] = []
  // Under node_modules/ so that the bundles' bare imports (packages are left external) resolve as from the repo.
  const cache = join(ROOT, 'node_modules', '.cache')
  mkdirSync(cache, { recursive: true })
  const dir = mkdtempSync(join(cache, 'bench-servers-'))
  const bundle = await loadBundler()
  if (bundle === undefined) {
    notes.push(
      'esbuild was not found: our servers run under the tsx loader (a little more memory).',
    )
  }

  const ours = async (def: ServerDef, file: string) => {
    if (bundle !== undefined) {
      const out = join(dir, `${def.name}.mjs`)
      try {
        await bundle(file, out)
      } catch (error) {
        const reason = (error as Error).message.split('\n').slice(0, 3).join(' ')
        skipped.push({ name: def.name, label: def.label, reason: `does not build: ${reason}` })
        return
      }
      ready.push({ ...def, command: process.execPath, args: [out], how: 'node, esbuild bundle' })
    } else {
      ready.push({
        ...def,
        command: process.execPath,
        args: ['--import', 'tsx', file],
        how: 'node --import tsx',
      })
    }
  }

  for (const def of SERVER_DEFS) {
    if (!names.includes(def.name)) continue
    switch (def.name) {
      case 'ours-raw':
      case 'ours-async':
        await ours(def, join(SERVERS, `${def.name}.ts`))
        if (baseline !== undefined) await ours(baseDef(def), baseServer(baseline, def.name))
        break
      case 'ours-framework': {
        const missing = await frameworkStatus()
        if (missing !== undefined) {
          skipped.push({ name: def.name, label: def.label, reason: missing })
          break
        }
        await ours(def, join(SERVERS, 'ours-framework.ts'))
        if (baseline !== undefined) await ours(baseDef(def), baseServer(baseline, def.name))
        break
      }
      case 'bun': {
        const version = bunVersion()
        if (version === undefined) {
          skipped.push({
            name: def.name,
            label: def.label,
            reason: 'node_modules/.bin/bun is missing or does not run here',
          })
          break
        }
        ready.push({
          ...def,
          command: BUN,
          args: [join(SERVERS, 'bun.mjs')],
          how: `bun ${version}`,
        })
        break
      }
      default:
        ready.push({
          ...def,
          command: process.execPath,
          args: [join(SERVERS, `${def.name}.mjs`)],
          how: 'node',
        })
    }
  }
  return { ready, skipped, notes, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface RunningServer {
  readonly pid: number
  readonly port: number
  readonly child: ChildProcess
  /** Set when the process exited on its own (a crash). */
  exited: string | undefined
  /** The last lines the server wrote to stderr. */
  stderrTail(): string
}

/** Starts a server (under `taskset -c <cpu>` when `cpu` is given) and waits for its port. */
export function startServer(
  server: PreparedServer,
  cpu: number | undefined,
  timeoutMs = 20_000,
): Promise<RunningServer> {
  const [command, args] =
    cpu === undefined
      ? [server.command, [...server.args]]
      : ['taskset', ['-c', String(cpu), server.command, ...server.args]]
  // taskset execs the command: the child's pid is the server's own pid, so /proc readings are the server's.
  const child = spawn(command, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  })
  let stderr = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000)
  })
  return new Promise((resolve, reject) => {
    let stdout = ''
    let settled = false
    const fail = (reason: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`${server.name}: ${reason}${stderr ? `\n${stderr.trim()}` : ''}`))
    }
    const timer = setTimeout(() => fail(`no LISTENING line within ${timeoutMs} ms`), timeoutMs)
    child.on('error', (error) => fail(error.message))
    child.on('exit', (code, signal) => {
      running.exited = `exited (${signal ?? code})`
      fail(`exited before listening (${signal ?? code})`)
    })
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', (text: string) => {
      stdout += text
      const m = /LISTENING (\d+)/.exec(stdout)
      if (m !== null && !settled) {
        settled = true
        clearTimeout(timer)
        running.port = Number(m[1])
        resolve(running)
      }
    })
    const running: { -readonly [K in keyof RunningServer]: RunningServer[K] } = {
      pid: child.pid ?? -1,
      port: 0,
      child,
      exited: undefined,
      stderrTail: () => stderr.trim().split('\n').slice(-5).join('\n'),
    }
  })
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export function stopServer(server: RunningServer, graceMs = 2000): Promise<void> {
  const child = server.child
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/** Versions of the peer packages, from their package.json files. */
export function packageVersion(name: string): string | undefined {
  try {
    const pkg = JSON.parse(
      readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'),
    ) as {
      version?: string
    }
    return pkg.version
  } catch {
    return undefined
  }
}
