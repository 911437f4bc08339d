/**
 * Requests refused before the observatory's handler runs (malformed, a declared body over --max-body) and hook
 * bodies refused while they arrive (chunked over --max-body) each get exactly one access line on stderr and are
 * counted in /stats `rejected`, on both engines. And /stats `topTools` counts one per tool call.
 */
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { test } from 'node:test'
import { postEvent, RawHttp, request, startCli, tempDir } from './helpers.ts'

/** Send `bytes` on a new TCP connection and collect what comes back until the server closes it. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes))
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (data: string) => {
      text += data
    })
    socket.on('close', () => resolve(text))
    socket.on('error', reject)
  })
}

for (const engine of ['raw', 'node'] as const) {
  test(`refused requests: one access line each and /stats rejected (--engine ${engine})`, {
    timeout: 60_000,
  }, async (t) => {
    const dir = tempDir(t)
    const obs = await startCli(t, [
      '--socket',
      `${dir}/in.sock`,
      '--port',
      '0',
      '--max-body',
      '1000',
      '--engine',
      engine,
    ])
    // The request line itself is malformed: nothing of it can be logged.
    assert.match(await rawExchange(obs.tcp.port, 'B@D / HTTP/1.1\r\n\r\n'), /^HTTP\/1\.1 400 /)
    // A declared body over --max-body: refused by the transport before the handler runs.
    const declared = await rawExchange(
      obs.tcp.port,
      'POST /hook?event=Big HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n',
    )
    assert.match(declared, /^HTTP\/1\.1 413 /)
    // Chunked, over --max-body as it arrives: the handler's body read fails; the app answers 413.
    const chunked = await RawHttp.connect(obs.tcp)
    t.after(() => chunked.close())
    const part = 'x'.repeat(600)
    const reply = await chunked.send(
      'POST /hook?event=BigChunked HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n' +
        `258\r\n${part}\r\n258\r\n${part}\r\n0\r\n\r\n`,
    )
    assert.equal(reply.status, 413)
    assert.equal((await postEvent(obs.tcp, 'Fine', {})).status, 200)

    const stats = JSON.parse((await request(obs.tcp, { path: '/stats' })).body)
    assert.deepEqual(stats.rejected, { total: 3, byStatus: { '400': 1, '413': 2 } })
    assert.equal(stats.totalEvents, 1)

    await obs.waitForStderr(/\[HTTP\] GET \/stats HTTP\/1\.1 200\n/)
    const access = obs
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('[HTTP]'))
    assert.equal(access.length, 5, access.join('\n'))
    assert.match(access[0]!, /^\[HTTP\] - - - 400 \S.*$/)
    assert.equal(
      access[1],
      '[HTTP] POST /hook?event=Big HTTP/1.1 413 body of 5000 bytes exceeds 1000',
    )
    assert.equal(access[2], '[HTTP] POST /hook?event=BigChunked HTTP/1.1 413')
    assert.equal(access[3], '[HTTP] POST /hook?event=Fine HTTP/1.1 200')
    assert.equal(access[4], '[HTTP] GET /stats HTTP/1.1 200')
    await obs.stopCleanly()
  })
}

test('--quiet: refused requests are still counted, without access lines', {
  timeout: 60_000,
}, async (t) => {
  const obs = await startCli(t, ['--port', '0', '--quiet'])
  assert.match(await rawExchange(obs.tcp.port, 'B@D / HTTP/1.1\r\n\r\n'), /^HTTP\/1\.1 400 /)
  const stats = JSON.parse((await request(obs.tcp, { path: '/stats' })).body)
  assert.deepEqual(stats.rejected, { total: 1, byStatus: { '400': 1 } })
  assert.doesNotMatch(obs.stderr(), /\[HTTP\]/)
  await obs.stopCleanly()
})

test('/stats topTools: one count per tool call', { timeout: 60_000 }, async (t) => {
  const obs = await startCli(t, ['--port', '0', '--quiet'])
  const call = async (tool: string, id: string, events: string[]): Promise<void> => {
    for (const event of events) {
      const payload = { session_id: 's1', tool_name: tool, tool_use_id: id }
      assert.equal((await postEvent(obs.tcp, event, payload)).status, 200)
    }
  }
  await call('Bash', 'toolu_1', ['PreToolUse', 'PermissionRequest', 'PostToolUse'])
  await call('Bash', 'toolu_2', ['PreToolUse', 'PostToolUseFailure'])
  await call('Read', 'toolu_3', ['PreToolUse', 'PostToolUse'])
  const stats = JSON.parse((await request(obs.tcp, { path: '/stats' })).body)
  assert.deepEqual(stats.topTools, [
    { tool: 'Bash', count: 2 },
    { tool: 'Read', count: 1 },
  ])
  await obs.stopCleanly()
})
