/**
 * Listening: Unix socket files (mode, never stealing a live server's socket, replacing a stale one, never
 * deleting a file that is not a socket), peer identity over Unix sockets, IPv6 loopback, TCP errors.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { peerCredentialsAvailable } from '../../src/transport/peer-credentials.ts'
import { createServer } from '../../src/transport/server.ts'
import type { Handler, Peer } from '../../src/transport/types.ts'
import { ListenError } from '../../src/transport/unix-socket.ts'
import { get, Harness, recordingLogger } from './helpers.ts'

const peerHandler: Handler = (request) => ({ status: 200, body: JSON.stringify(request.peer) })

/** Leave a stale socket file at `path`: a process binds it, listens, and exits without closing it. */
function makeStaleSocket(path: string): void {
  const script = `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`
  const result = spawnSync(process.execPath, ['-e', script], { timeout: 20_000 })
  assert.equal(result.status, 0, result.stderr.toString())
  assert.ok(lstatSync(path).isSocket())
}

describe('Unix sockets', { timeout: 60_000 }, () => {
  it('sets the mode asked for (0o600), and 0o660 by default', async (t) => {
    const h = new Harness(t)
    const dir = h.tempDir()
    const { target } = await h.server(
      peerHandler,
      {},
      { path: join(dir, 'private.sock'), mode: 0o600 },
    )
    await h.server(peerHandler, {}, { path: join(dir, 'default.sock') })
    assert.equal(statSync(join(dir, 'private.sock')).mode & 0o777, 0o600)
    assert.equal(statSync(join(dir, 'default.sock')).mode & 0o777, 0o660)
    const client = await h.client(target)
    await client.write(get('/'))
    assert.equal((await client.response()).status, 200)
  })

  it('tells the handler who is calling (kernel credentials when the addon is built)', async (t) => {
    const h = new Harness(t)
    const path = join(h.tempDir(), 'peer.sock')
    const { target } = await h.server(peerHandler, {}, { path })
    const client = await h.client(target)
    await client.write(get('/'))
    const peer = JSON.parse((await client.response()).body.toString()) as Peer
    assert.equal(peer.transport, 'unix')
    if (peer.transport !== 'unix') return
    assert.equal(peer.path, path)
    if (peerCredentialsAvailable()) {
      assert.equal(peer.pid, process.pid)
      assert.equal(peer.uid, process.getuid?.())
      assert.equal(peer.gid, process.getgid?.())
    } else {
      console.log('# peer credentials not checked: the native addon is not built')
      assert.equal(peer.pid, undefined)
    }
  })

  it("does not steal a live server's socket: EADDRINUSE, and the first keeps working", async (t) => {
    const h = new Harness(t)
    const path = join(h.tempDir(), 'live.sock')
    const { target } = await h.server(() => ({ status: 200, body: 'first' }), {}, { path })
    const second = h.own(createServer(() => ({ status: 200, body: 'second' })))
    await assert.rejects(second.listen({ path }), (error: unknown) => {
      assert.ok(error instanceof ListenError)
      assert.equal(error.code, 'EADDRINUSE')
      assert.match(error.message, /already listening/)
      return true
    })
    const client = await h.client(target)
    await client.write(get('/'))
    assert.equal((await client.response()).body.toString(), 'first')
  })

  it('replaces a stale socket file left by a dead server', async (t) => {
    const h = new Harness(t)
    const path = join(h.tempDir(), 'stale.sock')
    makeStaleSocket(path)
    // Told not to replace it, listening fails (bind finds the file in the way).
    const careful = h.own(createServer(peerHandler, { logger: recordingLogger().logger }))
    await assert.rejects(careful.listen({ path, replaceStale: false }), { code: 'EADDRINUSE' })
    const { target } = await h.server(() => ({ status: 200, body: 'new' }), {}, { path })
    const client = await h.client(target)
    await client.write(get('/'))
    assert.equal((await client.response()).body.toString(), 'new')
  })

  it('refuses a path holding a regular file (EEXIST) and leaves the file untouched', async (t) => {
    const h = new Harness(t)
    const path = join(h.tempDir(), 'notes.txt')
    writeFileSync(path, 'precious data\n')
    const server = h.own(createServer(peerHandler))
    await assert.rejects(server.listen({ path }), (error: unknown) => {
      assert.ok(error instanceof ListenError)
      assert.equal(error.code, 'EEXIST')
      return true
    })
    assert.equal(readFileSync(path, 'utf8'), 'precious data\n')
    await server.close()
    assert.ok(existsSync(path), 'close() does not remove a file it never bound')
  })

  it('says in words that the directory does not exist (libuv says EACCES)', async (t) => {
    const h = new Harness(t)
    const path = join(h.tempDir(), 'missing', 'in.sock')
    const server = h.own(createServer(peerHandler))
    await assert.rejects(server.listen({ path }), {
      name: 'ListenError',
      message: `cannot listen on ${path}: directory ${join(path, '..')} does not exist`,
    })
    const file = join(h.tempDir(), 'file')
    writeFileSync(file, '')
    await assert.rejects(server.listen({ path: join(file, 'in.sock') }), {
      name: 'ListenError',
      message: new RegExp(`: ${file} is not a directory$`),
    })
    await server.close()
  })

  it('refuses an invalid mode before creating anything', async (t) => {
    const h = new Harness(t)
    const dir = h.tempDir()
    for (const mode of [Number.NaN, -1, 0o1000, 1.5]) {
      const path = join(dir, 'in.sock')
      const server = h.own(createServer(peerHandler))
      await assert.rejects(server.listen({ path, mode }), { name: 'ListenError', code: 'EINVAL' })
      assert.equal(existsSync(path), false, `mode ${mode}: no socket file left behind`)
      await server.close()
    }
  })
})

describe('TCP', { timeout: 60_000 }, () => {
  it('listens on ::1 when the machine has IPv6 loopback', async (t) => {
    const h = new Harness(t)
    let listened: Awaited<ReturnType<Harness['server']>>
    try {
      listened = await h.server(peerHandler, {}, { port: 0, host: '::1' })
    } catch (error) {
      const reason = `no IPv6 loopback here (${(error as Error).message})`
      console.log(`# skipped: ${reason}`)
      t.skip(reason)
      return
    }
    const { server, target } = listened
    assert.deepEqual(
      server.addresses.map((a) => (a.transport === 'tcp' ? [a.host, a.family] : [])),
      [['::1', 'IPv6']],
    )
    const client = await h.client({ ...target, host: '::1' })
    await client.write(get('/'))
    const peer = JSON.parse((await client.response()).body.toString()) as Peer
    assert.equal(peer.transport, 'tcp')
    if (peer.transport !== 'tcp') return
    assert.equal(peer.address, '::1')
    assert.equal(peer.family, 'IPv6')
    assert.equal(peer.port, client.socket.localPort)
  })

  it('reports a port in use as ListenError EADDRINUSE', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(peerHandler)
    const second = h.own(createServer(peerHandler))
    await assert.rejects(second.listen({ port, host: '127.0.0.1' }), (error: unknown) => {
      assert.ok(error instanceof ListenError)
      assert.equal(error.code, 'EADDRINUSE')
      assert.match(error.message, /already in use/)
      return true
    })
  })

  it('listens on several addresses at once and serves each', async (t) => {
    const h = new Harness(t)
    const { server, port } = await h.server(peerHandler)
    const path = join(h.tempDir(), 'also.sock')
    await server.listen({ path })
    assert.equal(server.addresses.length, 2)
    for (const target of [{ port }, { path }]) {
      const client = await h.client(target)
      await client.write(get('/'))
      assert.equal((await client.response()).status, 200)
    }
  })
})
