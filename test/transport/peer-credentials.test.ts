import assert from 'node:assert/strict'
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { createConnection, createServer, Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'
import {
  getPeerCredentials,
  peerCredentialsAvailable,
} from '../../src/transport/peer-credentials.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const addonFile = join(root, 'native', 'build', 'Release', 'peercred.node')
const buildScript = join(root, 'scripts', 'build-native.mjs')
const WAIT_MS = 20_000

function onPath(name: string): boolean {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((d) => d !== '' && existsSync(join(d, name)))
}

/** Why the addon cannot be built here at all (no compiler, make or Python), or false. */
function buildImpossible(): string | false {
  if (process.platform !== 'linux' && process.platform !== 'darwin') {
    return `no peer-credential support on ${process.platform}`
  }
  const compiler = process.env.CC ?? 'cc'
  if (!onPath(compiler)) return `no C compiler (${compiler}) on PATH`
  if (!onPath('make')) return 'no make on PATH'
  if (!onPath('python3') && !onPath('python') && !process.env.npm_config_python) {
    return 'no Python on PATH'
  }
  return false
}

const skip = buildImpossible()
if (skip) console.log(`# peer-credentials tests skipped: ${skip}`)

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

async function listen(server: Server, path: string): Promise<void> {
  server.listen(path)
  await withTimeout(once(server, 'listening'), 'listen')
}

function nextConnection(server: Server): Promise<Socket> {
  return withTimeout(
    once(server, 'connection').then(([socket]) => socket as Socket),
    'a connection',
  )
}

async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return
  const closed = once(server, 'close')
  server.close()
  await withTimeout(closed, 'server close')
}

describe('peer credentials over Unix domain sockets', { skip }, () => {
  let dir = ''
  const sockets: Socket[] = []
  const servers: Server[] = []
  const children: ChildProcess[] = []

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'peercred-'))
  })

  after(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit')
        child.kill()
        await withTimeout(exited, 'child exit')
      }
    }
    for (const socket of sockets) socket.destroy()
    for (const server of servers) await closeServer(server)
    rmSync(dir, { recursive: true, force: true })
  })

  function track<T extends Socket | Server>(handle: T): T {
    if (handle instanceof Server) servers.push(handle)
    else sockets.push(handle as Socket)
    return handle
  }

  it('has the addon built (building it with scripts/build-native.mjs when missing)', () => {
    if (!existsSync(addonFile)) {
      const result = spawnSync(process.execPath, [buildScript], {
        cwd: root,
        encoding: 'utf8',
        timeout: 10 * 60_000,
      })
      assert.equal(result.status, 0, 'build-native.mjs must exit 0 whatever happens')
      assert.ok(existsSync(addonFile), `addon not built: ${result.stderr.trim()}`)
    }
    assert.equal(peerCredentialsAvailable(), true)
  })

  it('reports this process for a client connected from the same process', async () => {
    const path = join(dir, 'self.sock')
    const server = track(createServer())
    await listen(server, path)
    const accepted = nextConnection(server)
    const client = track(createConnection(path))
    await withTimeout(once(client, 'connect'), 'connect')
    const serverSide = track(await accepted)

    const expected = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() }
    assert.deepEqual(getPeerCredentials(serverSide), expected)
    // The client's peer is the listening server: the same process again.
    assert.deepEqual(getPeerCredentials(client), expected)

    serverSide.destroy()
    assert.equal(getPeerCredentials(serverSide), undefined, 'a destroyed socket has no fd')
  })

  it("reports a child process's own pid while it stays connected", async () => {
    const path = join(dir, 'child.sock')
    const server = track(createServer())
    await listen(server, path)
    const accepted = nextConnection(server)

    const childCode = `
      const net = require('node:net')
      const guard = setTimeout(() => process.exit(3), ${WAIT_MS})
      const s = net.createConnection(process.argv[1])
      s.on('data', (d) => { if (String(d).includes('bye')) s.end() })
      s.on('close', () => { clearTimeout(guard); process.exit(0) })
      s.on('error', () => process.exit(2))
    `
    const child = spawn(process.execPath, ['-e', childCode, path], { stdio: 'ignore' })
    children.push(child)
    const exited = once(child, 'exit')
    const serverSide = track(await accepted)

    assert.ok(child.pid !== undefined && child.pid !== process.pid)
    assert.deepEqual(getPeerCredentials(serverSide), {
      pid: child.pid,
      uid: process.getuid!(),
      gid: process.getgid!(),
    })

    serverSide.write('bye')
    const [code] = await withTimeout(exited, 'the child to exit')
    assert.equal(code, 0)
  })

  it('gives undefined for a TCP socket, and the addon itself refuses non-Unix descriptors', async () => {
    const server = track(createServer())
    server.listen(0, '127.0.0.1')
    await withTimeout(once(server, 'listening'), 'listen')
    const address = server.address()
    assert.ok(address !== null && typeof address === 'object')
    const accepted = nextConnection(server)
    const client = track(createConnection(address.port, '127.0.0.1'))
    await withTimeout(once(client, 'connect'), 'connect')
    const serverSide = track(await accepted)

    assert.equal(getPeerCredentials(serverSide), undefined)
    assert.equal(getPeerCredentials(client), undefined)

    // Bypass the remoteFamily shortcut: the C code must check the socket family on its own.
    const addon = createRequire(import.meta.url)(addonFile) as {
      getPeerCred(fd: unknown): unknown
    }
    const fd = (serverSide as unknown as { _handle?: { fd?: number } })._handle?.fd
    assert.ok(typeof fd === 'number' && fd >= 0)
    assert.equal(addon.getPeerCred(fd), null)

    // Nor does it throw on garbage: wrong types, fractions, out of range, non-socket fds.
    for (const bad of [-1, 1.5, 2 ** 40, Number.NaN, '3', undefined]) {
      assert.equal(addon.getPeerCred(bad), null, `getPeerCred(${String(bad)})`)
    }
    const file = openSync(addonFile, 'r')
    try {
      assert.equal(addon.getPeerCred(file), null)
    } finally {
      closeSync(file)
    }
  })

  it('degrades without the addon: one warning per process, then undefined', async () => {
    // A copy of the module two levels below a directory with no native/ build in it.
    const nested = join(dir, 'nobuild', 'src', 'transport')
    mkdirSync(nested, { recursive: true })
    const copy = join(nested, 'peer-credentials.mts')
    copyFileSync(
      fileURLToPath(new URL('../../src/transport/peer-credentials.ts', import.meta.url)),
      copy,
    )
    const path = join(dir, 'degraded.sock')

    const script = `
      import net from 'node:net'
      import { once } from 'node:events'
      const mod = await import(${JSON.stringify(pathToFileURL(copy).href)})
      const codes = []
      process.on('warning', (w) => codes.push(w.code))
      const server = net.createServer()
      server.listen(${JSON.stringify(path)})
      await once(server, 'listening')
      const accepted = once(server, 'connection')
      const client = net.createConnection(${JSON.stringify(path)})
      await once(client, 'connect')
      const [socket] = await accepted
      const results = [mod.getPeerCredentials(socket), mod.getPeerCredentials(client)]
      const available = [mod.peerCredentialsAvailable(), mod.peerCredentialsAvailable()]
      await new Promise((r) => setImmediate(r))
      client.destroy(); socket.destroy(); server.close()
      console.log(JSON.stringify({ results: results.map(String), available, codes }))
    `
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>(
      (resolve, reject) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script],
          { cwd: root, timeout: WAIT_MS, encoding: 'utf8' },
          (error, out, err) => (error ? reject(error) : resolve({ stdout: out, stderr: err })),
        )
      },
    )
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '')
    assert.deepEqual(report, {
      results: ['undefined', 'undefined'],
      available: [false, false],
      codes: ['OBSERVATORY_NO_PEERCRED'],
    })
    const printed = stderr.split('\n').filter((l) => l.includes('OBSERVATORY_NO_PEERCRED'))
    assert.equal(printed.length, 1, stderr)
    assert.match(printed[0] ?? '', /peercred\.node is missing/)
    assert.match(printed[0] ?? '', /build-native\.mjs/)
  })
})
