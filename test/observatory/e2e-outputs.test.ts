/**
 * Where the lines go, end to end: stdout, output-socket readers (--output-socket, --tee), the pretty formats,
 * the log file with rotation, and what a graceful stop (SIGINT/SIGTERM) guarantees about all of them.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { type TestContext, test } from 'node:test'
import {
  completeLines,
  eventually,
  type Observatory,
  postEvent,
  RawHttp,
  Reader,
  request,
  runCli,
  sleep,
  startCli,
  tempDir,
  withoutTs,
} from './helpers.ts'

test('--output-socket: readers get the lines published after they connect; stdout gets none', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t)
  const out = `${dir}/out.sock`
  const obs = await startCli(t, ['--port', '0', '--output-socket', out, '--quiet'])
  assert.match(obs.stderr(), new RegExp(`Output socket: ${out}\\n`))

  await postEvent(obs.tcp, 'Before', { n: 0 })
  const first = await Reader.connect(t, obs, out)
  assert.match(obs.stderr(), /Output reader connected \(1 total\)/)
  await postEvent(obs.tcp, 'One', { n: 1 })
  const second = await Reader.connect(t, obs, out)
  assert.match(obs.stderr(), /Output reader connected \(2 total\)/)
  await postEvent(obs.tcp, 'Two', { n: 2, text: 'é😀' })

  const a = await first.waitForLines(2)
  const b = await second.waitForLines(1)
  assert.deepEqual(a.map(withoutTs), [
    '{"_ts":"<TS>","_event":"One","_client":"127.0.0.1","n":1}',
    '{"_ts":"<TS>","_event":"Two","_client":"127.0.0.1","n":2,"text":"\\u00e9\\ud83d\\ude00"}',
  ])
  assert.deepEqual(b, [a[1]])
  const stats = JSON.parse((await request(obs.tcp, { path: '/stats' })).body)
  assert.equal(stats.readers.readersConnected, 2)

  // A reader leaving is noticed; the others carry on.
  first.socket.destroy()
  await obs.waitForStderr(/Output reader disconnected \(1 total\)/)
  await postEvent(obs.tcp, 'Three', {})
  await second.waitForLines(2)

  assert.equal(obs.stdout(), '', 'no data on stdout without --tee')
  await obs.stopCleanly('SIGINT')
  assert.equal(existsSync(out), false, 'the output socket file is removed')
  assert.equal(second.text().endsWith('\n'), true)
})

test('--tee: stdout and readers get the same lines; --tee alone is refused', {
  timeout: 120_000,
}, async (t) => {
  const refused = await runCli(['serve', '--tee', '--port', '0'])
  assert.equal(refused.code, 2)
  assert.equal(refused.stderr, 'Error: --tee requires --output-socket\n')
  assert.equal(refused.stdout, '')

  const dir = tempDir(t)
  const out = `${dir}/out.sock`
  const obs = await startCli(t, [
    '--socket',
    `${dir}/in.sock`,
    '--output-socket',
    out,
    '--tee',
    '--quiet',
  ])
  assert.match(obs.stderr(), /\(tee: stdout \+ socket\)/)
  const reader = await Reader.connect(t, obs, out)
  for (let i = 0; i < 5; i++) await postEvent(obs.unix, 'Tee', { i })
  const atReader = await reader.waitForLines(5)
  const onStdout = await obs.waitForStdoutLines(5)
  assert.deepEqual(onStdout, atReader)
  assert.deepEqual(
    onStdout.map((l) => JSON.parse(l).i),
    [0, 1, 2, 3, 4],
  )
  await obs.stopCleanly()
})

test('a reader that stops reading is dropped; other readers and the server carry on', {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir(t)
  const out = `${dir}/out.sock`
  const obs = await startCli(t, ['--port', '0', '--output-socket', out, '--quiet'])
  const slow = await Reader.connect(t, obs, out)
  slow.socket.pause()
  const fast = await Reader.connect(t, obs, out)

  // 100 KB events: the slow reader's kernel buffers and its 1 MiB queue fill up after a few dozen.
  const filler = 'x'.repeat(100_000)
  const client = await RawHttp.connect(obs.tcp)
  t.after(() => client.close())
  let sent = 0
  while (sent < 400 && !/Output reader dropped/.test(obs.stderr())) {
    const body = JSON.stringify({ seq: sent, filler })
    const reply = await client.send(
      `POST /hook?event=Big HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    )
    assert.equal(reply.status, 200)
    sent++
    // The drop notice is written as the next line is queued; give stderr a moment to arrive now and then.
    if (sent % 20 === 0) await sleep(50)
  }
  await obs.waitForStderr(/Output reader dropped: too slow \(1 total\)/)

  // The server still works and the fast reader still gets everything.
  const health = await client.send('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n')
  assert.equal(health.status, 200)
  await postEvent(obs.tcp, 'After', { seq: sent })
  sent++
  const lines = await fast.waitForLines(sent, 60_000)
  assert.deepEqual(
    lines.map((l) => JSON.parse(l).seq),
    Array.from({ length: sent }, (_, i) => i),
  )

  // The dropped reader, reading again, gets whole lines (a prefix of the stream, in order) and then EOF.
  slow.socket.resume()
  await eventually(() => slow.ended, 'the dropped reader to see EOF')
  const text = slow.text()
  assert.ok(text.length > 0 && text.endsWith('\n'), 'the dropped reader ends on a whole line')
  const got = completeLines(text).map((l) => JSON.parse(l).seq)
  assert.deepEqual(
    got,
    Array.from({ length: got.length }, (_, i) => i),
  )
  assert.ok(got.length < sent, 'it missed the lines after it was dropped')

  const stats = JSON.parse((await request(obs.tcp, { path: '/stats' })).body)
  assert.equal(stats.readers.readersDropped, 1)
  assert.equal(stats.readers.readersConnected, 1)
  await obs.stopCleanly()
})

test("--output-socket: one event larger than a reader's 1 MiB buffer reaches a reader that keeps reading", {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t)
  const out = `${dir}/out.sock`
  const obs = await startCli(t, ['--port', '0', '--output-socket', out, '--quiet'])
  const reader = await Reader.connect(t, obs, out)

  // About 2 MiB, like a PostToolUse carrying a large file read; the server accepts up to 32 MiB.
  const content = 'line of a large file\n'.repeat(100_000)
  const big = await postEvent(obs.tcp, 'PostToolUse', {
    tool_name: 'Read',
    tool_response: { content },
  })
  assert.equal(big.status, 200)
  await postEvent(obs.tcp, 'Stop', { after: true })
  // A dropped reader sees EOF: stop waiting then.
  await eventually(
    () => reader.lines().length >= 2 || reader.ended,
    'both lines at the reader, or its EOF',
  )
  assert.equal(reader.ended, false, 'the reader is still connected')
  const lines = reader.lines()
  assert.ok(reader.text().endsWith('\n'))
  assert.equal(lines.length, 2)
  assert.ok(Buffer.byteLength(lines[0]!) > 2 * 1024 * 1024, 'the line is over 2 MiB')
  assert.equal(JSON.parse(lines[0]!).tool_response.content, content, 'the 2 MiB event, whole')
  assert.equal(JSON.parse(lines[1]!).after, true, 'and the next one')
  assert.doesNotMatch(obs.stderr(), /Output reader dropped/)
  const stats = JSON.parse((await request(obs.tcp, { path: '/stats' })).body)
  assert.equal(stats.readers.readersDropped, 0)
  assert.equal(stats.readers.readersConnected, 1)
  await obs.stopCleanly()
})

/**
 * A reader like `socat` behind a slow pipe: it reads at most 4 KiB, waits 50 ms, reads again (80 KiB/s), and
 * never stops. Resolves once the observatory announced it.
 */
async function connectSlowReader(
  t: TestContext,
  obs: Observatory,
  path: string,
): Promise<{ socket: Socket; text(): string; ended(): boolean }> {
  const before = obs.countStderr(/Output reader connected \(\d+ total\)/)
  const chunks: Buffer[] = []
  let ended = false
  const socket: Socket = connect({
    path,
    onread: {
      buffer: Buffer.alloc(4096),
      callback: (size: number, buffer: Uint8Array): boolean => {
        chunks.push(Buffer.from(buffer.subarray(0, size)))
        socket.pause()
        setTimeout(() => socket.resume(), 50)
        return true
      },
    },
  })
  socket.on('end', () => {
    ended = true
  })
  socket.on('close', () => {
    ended = true
  })
  socket.on('error', () => {})
  t.after(() => socket.destroy())
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  await obs.waitForStderr(/Output reader connected \(\d+ total\)/, before + 1)
  return { socket, text: () => Buffer.concat(chunks).toString('utf8'), ended: () => ended }
}

test('a dropped reader that keeps reading slowly ends on a whole line', {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir(t)
  const out = `${dir}/out.sock`
  const obs = await startCli(t, ['--port', '0', '--output-socket', out, '--quiet'])
  const slow = await connectSlowReader(t, obs, out)

  // About 1 KB events, faster than 80 KiB/s, until the reader is dropped (its 1 MiB buffer is full).
  const filler = 'x'.repeat(1000)
  const client = await RawHttp.connect(obs.tcp)
  t.after(() => client.close())
  let sent = 0
  const send = async (): Promise<void> => {
    const body = JSON.stringify({ seq: sent, filler })
    const reply = await client.send(
      `POST /hook?event=Post HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    )
    assert.equal(reply.status, 200)
    sent++
  }
  while (sent < 20_000 && !/Output reader dropped/.test(obs.stderr())) {
    await send()
    // The drop notice reaches stderr a moment after the line that caused it; check now and then.
    if (sent % 200 === 0) await sleep(20)
  }
  await obs.waitForStderr(/Output reader dropped: too slow \(0 total\)/)
  for (let i = 0; i < 20; i++) await send()

  // Reading all the while, it reads what it was sent before being dropped, then EOF: whole lines, in order. (It
  // takes the reader longer than the 10 s grace period to read a whole 1 MiB buffer.)
  await eventually(slow.ended, 'the dropped reader to see EOF', 120_000)
  const text = slow.text()
  assert.ok(
    text.endsWith('\n'),
    `the dropped reader ends on a whole line, not on a ${text.length - text.lastIndexOf('\n') - 1}-byte fragment`,
  )
  const got = completeLines(text).map((l) => JSON.parse(l).seq)
  assert.ok(got.length > 0 && got.length < sent)
  assert.deepEqual(
    got,
    Array.from({ length: got.length }, (_, i) => i),
  )
  const stats = JSON.parse((await request(obs.tcp, { path: '/stats' })).body)
  assert.equal(stats.readers.readersDropped, 1)
  assert.equal(stats.readers.readersFlushing, 0)
  await obs.stopCleanly()
})

test('--pretty-json and --pretty-yaml on stdout; the log keeps compact lines; both at once is refused', {
  timeout: 120_000,
}, async (t) => {
  const both = await runCli(['serve', '--pretty-json', '--pretty-yaml', '--port', '0'])
  assert.notEqual(both.code, 0)
  assert.match(both.stderr, /--pretty-json and --pretty-yaml are mutually exclusive/)
  assert.equal(both.stdout, '')

  const dir = tempDir(t)
  const payload =
    '{"tool_name":"Bash","tool_input":{"command":"ls -la","list":[1,2.50,{}],"e":[]},"u":"\u00e9"}'

  const json = await startCli(t, ['--port', '0', '--pretty-json', '--log', `${dir}/json.log`])
  await postEvent(json.tcp, 'PreToolUse', payload)
  await postEvent(json.tcp, 'Stop', '')
  await eventually(() => json.stdout().endsWith('"_client": "127.0.0.1"\n}\n'), 'the second event')
  assert.equal(
    json.stdout().replace(/"_ts": "[^"]+"/g, '"_ts": "<TS>"'),
    [
      '{',
      '  "_ts": "<TS>",',
      '  "_event": "PreToolUse",',
      '  "_client": "127.0.0.1",',
      '  "tool_name": "Bash",',
      '  "tool_input": {',
      '    "command": "ls -la",',
      '    "list": [',
      '      1,',
      '      2.50,',
      '      {}',
      '    ],',
      '    "e": []',
      '  },',
      '  "u": "\\u00e9"',
      '}',
      '{',
      '  "_ts": "<TS>",',
      '  "_event": "Stop",',
      '  "_client": "127.0.0.1"',
      '}',
      '',
    ].join('\n'),
  )
  // Human messages stay on stderr.
  assert.match(json.stderr(), /\[HTTP\] POST \/hook\?event=PreToolUse HTTP\/1\.1 200/)
  await json.stopCleanly()
  assert.deepEqual(completeLines(readFileSync(`${dir}/json.log`, 'utf8')).map(withoutTs), [
    `{"_ts":"<TS>","_event":"PreToolUse","_client":"127.0.0.1",${payload.slice(1).replace('\u00e9', '\\u00e9')}`,
    '{"_ts":"<TS>","_event":"Stop","_client":"127.0.0.1"}',
  ])

  const yaml = await startCli(t, ['--port', '0', '--pretty-yaml', '--quiet'])
  await postEvent(yaml.tcp, 'PreToolUse', payload)
  await postEvent(yaml.tcp, 'Stop', '{"reason":"done"}')
  await eventually(() => yaml.stdout().includes('reason: done\n'), 'the second YAML document')
  const docs = yaml.stdout().split(/^---\n/m)
  assert.equal(docs[0], '', 'stdout starts with ---')
  assert.equal(docs.length, 3, 'two documents')
  assert.match(
    docs[1]!,
    /^_ts: '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00'\n_event: PreToolUse\n_client: 127\.0\.0\.1\n/,
  )
  assert.match(docs[1]!, /\ntool_name: Bash\ntool_input:\n {2}command: ls -la\n/)
  assert.match(docs[2]!, /\n_event: Stop\n_client: 127\.0\.0\.1\nreason: done\n$/)
  assert.doesNotMatch(yaml.stderr(), /tool_name/)
  await yaml.stopCleanly()
})

test('--log: the line is in the file when the 200 arrives; --fsync is accepted', {
  timeout: 120_000,
}, async (t) => {
  for (const extra of [[], ['--fsync']]) {
    const dir = tempDir(t)
    const log = `${dir}/events.jsonl`
    const obs = await startCli(t, [
      '--socket',
      `${dir}/in.sock`,
      '--port',
      '0',
      '--log',
      log,
      '--quiet',
      ...extra,
    ])
    assert.match(obs.stderr(), new RegExp(`Log file: ${log}\\n`))
    for (let i = 0; i < 30; i++) {
      const reply = await postEvent(i % 2 === 0 ? obs.tcp : obs.unix, 'Logged', { i })
      assert.equal(reply.status, 200)
      // Read right after the 200, without waiting: the line must already be there.
      const lines = completeLines(readFileSync(log, 'utf8'))
      assert.equal(lines.length, i + 1, `after event ${i} ${extra.join(' ')}`)
      assert.equal(JSON.parse(lines[i]!).i, i)
    }
    assert.equal(statSync(log).mode & 0o777, 0o600, 'the log is private to its owner')
    await obs.stopCleanly()
    assert.deepEqual(completeLines(readFileSync(log, 'utf8')), await obs.waitForStdoutLines(30))
  }
})

test('--log rotation with --log-max-bytes 2000 --log-max-files 3', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t)
  const log = `${dir}/events.jsonl`
  const obs = await startCli(t, [
    '--port',
    '0',
    '--log',
    log,
    '--log-max-bytes',
    '2000',
    '--log-max-files',
    '3',
    '--quiet',
  ])
  const client = await RawHttp.connect(obs.tcp)
  t.after(() => client.close())
  const count = 120
  for (let i = 0; i < count; i++) {
    const body = JSON.stringify({ id: i, pad: 'p'.repeat(80) })
    const reply = await client.send(
      `POST /hook?event=Rot HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    )
    assert.equal(reply.status, 200)
  }
  await obs.stopCleanly()

  const files = readdirSync(dir).sort()
  assert.deepEqual(files, ['events.jsonl', 'events.jsonl.1', 'events.jsonl.2', 'events.jsonl.3'])
  const ids: number[] = []
  for (const name of ['events.jsonl.3', 'events.jsonl.2', 'events.jsonl.1', 'events.jsonl']) {
    const text = readFileSync(`${dir}/${name}`, 'utf8')
    assert.ok(Buffer.byteLength(text) <= 2000, `${name} is at most 2000 bytes`)
    assert.ok(text.endsWith('\n'), `${name} ends with a whole line`)
    for (const line of completeLines(text)) ids.push(JSON.parse(line).id)
  }
  // The newest events, consecutive, oldest first; the oldest files were deleted.
  assert.equal(ids.at(-1), count - 1)
  assert.ok(ids[0]! > 0, 'the oldest events were rotated away')
  assert.deepEqual(
    ids,
    Array.from({ length: ids.length }, (_, i) => ids[0]! + i),
  )
  // All lines on stdout, whatever the log kept.
  assert.equal(obs.stdoutLines().length, count)
})

test('SIGTERM: in-flight requests finish, every acknowledged event is logged, socket files go, exit 0', {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir(t)
  const log = `${dir}/events.jsonl`
  const inSock = `${dir}/in.sock`
  const outSock = `${dir}/out.sock`
  const obs = await startCli(t, [
    '--socket',
    inSock,
    '--port',
    '0',
    '--output-socket',
    outSock,
    '--tee',
    '--log',
    log,
    '--quiet',
  ])
  const reader = await Reader.connect(t, obs, outSock)

  // One request stuck half-way through its body when the signal comes.
  const slow = await RawHttp.connect(obs.tcp)
  t.after(() => slow.close())
  const body = '{"id":"in-flight","pad":"0123456789"}'
  slow.socket.write(
    `POST /hook?event=Slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
  )

  // And a crowd of requests racing the signal, over both listeners.
  const acknowledged: string[] = []
  const refused: string[] = []
  const crowd = Array.from({ length: 60 }, async (_, i) => {
    const id = `crowd-${i}`
    await sleep(i * 5)
    try {
      const reply = await postEvent(i % 2 === 0 ? obs.tcp : obs.unix, 'Crowd', { id })
      if (reply.status === 200) acknowledged.push(id)
      else refused.push(`${id}: ${reply.status}`)
    } catch {
      refused.push(id) // connection refused once the listeners closed: fine, not acknowledged
    }
  })
  await sleep(150)
  obs.child.kill('SIGTERM')
  await obs.waitForStderr(/Shutting down \(SIGTERM\)/)
  // The in-flight request still completes after the signal.
  await sleep(100)
  const rest = slow.send(body.slice(10))
  const [reply] = await Promise.all([rest, ...crowd])
  assert.equal(reply.status, 200)
  acknowledged.push('in-flight')

  assert.deepEqual(await obs.exited, { code: 0, signal: null }, obs.stderr())
  assert.equal(existsSync(inSock), false, 'the input socket file is removed')
  assert.equal(existsSync(outSock), false, 'the output socket file is removed')

  const logged = new Set(completeLines(readFileSync(log, 'utf8')).map((l) => JSON.parse(l).id))
  for (const id of acknowledged)
    assert.ok(logged.has(id), `${id} was acknowledged and is in the log`)
  const onStdout = new Set(obs.stdoutLines().map((l) => JSON.parse(l).id))
  for (const id of acknowledged) assert.ok(onStdout.has(id), `${id} is on stdout`)
  // The reader was flushed before the socket closed: it has every logged line, whole.
  assert.ok(reader.text().endsWith('\n'))
  assert.deepEqual(new Set(reader.lines().map((l) => JSON.parse(l).id)), logged)
  t.diagnostic(`${acknowledged.length} acknowledged, ${refused.length} refused after the signal`)
})

test('SIGINT stops an idle observatory with exit 0 and removes its socket', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t)
  const obs = await startCli(t, ['--socket', `${dir}/in.sock`])
  assert.ok(existsSync(`${dir}/in.sock`))
  await obs.stopCleanly('SIGINT')
  assert.match(obs.stderr(), /Shutting down \(SIGINT\)/)
  assert.equal(existsSync(`${dir}/in.sock`), false)
})
