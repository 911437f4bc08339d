/**
 * Cluster mode, run for real: a fixture script starts a primary with two workers on one Unix socket. Requests
 * reach both workers, a killed worker is replaced, SIGTERM lets an in-flight request finish and ends the
 * primary with exit code 0, and a second cluster cannot take a live cluster's socket.
 */
import assert from 'node:assert/strict'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Child, eventually, get, Harness, header, RawClient } from './helpers.ts'

const FIXTURE = 'test/transport/fixtures/cluster-app.ts'

/** One request on its own connection; the worker answers with its pid. */
async function whoServes(path: string, target = '/'): Promise<number> {
  const client = await RawClient.connect({ path })
  try {
    await client.write(get(target, 'Connection: close\r\n'))
    const response = await client.response()
    assert.equal(response.status, 200)
    return Number(response.body.toString())
  } finally {
    client.destroy()
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('cluster', { timeout: 120_000 }, () => {
  it('spreads requests over the workers, restarts a dead one, exits 0 on SIGTERM', async (t) => {
    const h = new Harness(t)
    const path = join(h.tempDir(), 'cluster.sock')
    const child = new Child(FIXTURE, [path, '2'], t)
    const primary = Number((await child.line(/^primary (\d+)$/))[1])
    const workers = [
      Number((await child.line(/^worker (\d+) listening$/))[1]),
      Number((await child.line(/^worker (\d+) listening$/))[1]),
    ]
    assert.equal(new Set(workers).size, 2)
    assert.equal(statSync(path).mode & 0o777, 0o600)

    // Round-robin: a few connections reach both workers.
    const seen = new Set<number>()
    for (let i = 0; i < 40 && seen.size < 2; i++) seen.add(await whoServes(path))
    assert.deepEqual([...seen].sort(), [...workers].sort())

    // A worker that dies is replaced; the other keeps serving meanwhile.
    const [victim, survivor] = workers as [number, number]
    process.kill(victim, 'SIGKILL')
    // node:cluster can hand a new connection to a worker in the instant between its death and the primary
    // noticing (that connection is lost); once the primary has logged the death, it deals only to the living.
    await eventually(
      () => new RegExp(`worker ${victim} exited \\(SIGKILL\\); restarting`).test(child.stderr),
      'the primary to notice the death',
    )
    assert.equal(await whoServes(path), survivor)
    const replacement = Number((await child.line(/^worker (\d+) listening$/))[1])
    assert.ok(![victim, survivor].includes(replacement))
    const after = new Set<number>()
    for (let i = 0; i < 40 && after.size < 2; i++) after.add(await whoServes(path))
    assert.deepEqual([...after].sort(), [survivor, replacement].sort())

    // SIGTERM with a request in flight: it is answered (Connection: close), then everything exits.
    const slow = await RawClient.connect({ path })
    try {
      await slow.write(get('/slow'))
      await child.line(/^worker \d+ slow request started$/)
      process.kill(primary, 'SIGTERM')
      const response = await slow.response()
      assert.equal(response.status, 200)
      assert.equal(header(response, 'connection'), 'close')
      await slow.serverClosed()
    } finally {
      slow.destroy()
    }
    const exit = await child.exited
    assert.deepEqual(exit, { code: 0, signal: null }, child.stderr)
    assert.equal(existsSync(path), false, 'the socket file is removed')
    for (const pid of [survivor, replacement]) assert.equal(alive(pid), false, `worker ${pid}`)
  })

  it("a second cluster does not take a live cluster's socket", async (t) => {
    const h = new Harness(t)
    const path = join(h.tempDir(), 'taken.sock')
    const first = new Child(FIXTURE, [path, '1'], t)
    const worker = Number((await first.line(/^worker (\d+) listening$/))[1])
    const second = new Child(FIXTURE, [path, '1'], t)
    const failed = await second.line(/^failed: (.*)$/)
    assert.match(failed[1]!, /already listening/)
    assert.equal((await second.exited).code, 1)
    assert.equal(await whoServes(path), worker)
    first.process.kill('SIGTERM')
    assert.equal((await first.exited).code, 0, first.stderr)
  })
})
