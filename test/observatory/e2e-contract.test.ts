/**
 * The observatory's wire contract, end to end: `observatory serve` runs as a child process, requests go over
 * real TCP and Unix-socket connections, and the lines are read from the child's stdout.
 *
 *   POST <any path>?event=NAME → 200, Content-Type: application/json, empty body; GET /health → {"status":"ok"}
 *   one compact JSON line per event: _ts, _event, _client | _peer_pid/_peer_uid/_peer_gid, then the payload
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  hookBytes,
  type Observatory,
  postEvent,
  RawHttp,
  type Reply,
  request,
  startCli,
  tempDir,
  withoutTs,
} from './helpers.ts'

/** Run `send`, expect one 200 with the hook's response, and return the one new stdout line. */
async function oneLine(obs: Observatory, send: () => Promise<Reply>): Promise<string> {
  const before = obs.stdoutLines().length
  const reply = await send()
  assert.equal(reply.status, 200, reply.body)
  assert.equal(reply.headers['content-type'], 'application/json')
  assert.equal(reply.body, '')
  const lines = await obs.waitForStdoutLines(before + 1)
  return lines[before]!
}

test('routes, event names and line format through a real observatory process', {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir(t)
  const obs = await startCli(t, ['--socket', `${dir}/in.sock`, '--port', '0', '--quiet'])
  const tcp = obs.tcp
  const unix = obs.unix
  const uid = process.getuid?.()
  const gid = process.getgid?.()

  await t.test('POST on any path is a hook; GET /health; keep-alive on TCP and Unix', async () => {
    for (const target of [tcp, unix]) {
      const client = await RawHttp.connect(target)
      try {
        const before = obs.stdoutLines().length
        const paths = [
          '/hook?event=KeepA',
          '/hook?event=KeepB',
          '/other/path?event=KeepC',
          '/?event=KeepD',
        ]
        for (const path of paths) {
          const body = Buffer.from('{"n":1}')
          const reply = await client.send(
            Buffer.concat([
              Buffer.from(
                `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
              ),
              body,
            ]),
          )
          assert.equal(reply.status, 200, path)
          assert.equal(reply.headers.get('content-type'), 'application/json')
          assert.equal(reply.headers.get('content-length'), '0')
          assert.equal(reply.body.length, 0)
          assert.notEqual(reply.headers.get('connection'), 'close')
        }
        const health = await client.send('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n')
        assert.equal(health.status, 200)
        assert.match(health.headers.get('content-type') ?? '', /^application\/json/)
        assert.deepEqual(JSON.parse(health.body.toString('utf8')), { status: 'ok' })
        assert.equal(client.socket.destroyed, false, 'the connection stayed open throughout')
        const lines = await obs.waitForStdoutLines(before + paths.length)
        assert.deepEqual(
          lines.slice(before).map((l) => JSON.parse(l)._event),
          ['KeepA', 'KeepB', 'KeepC', 'KeepD'],
        )
      } finally {
        client.close()
      }
    }
    const health = await request(tcp, { path: '/health' })
    assert.equal(health.status, 200)
    assert.equal(health.body, '{"status":"ok"}')
  })

  await t.test('the event name is read like Python parse_qs', async () => {
    const cases: [query: string, event: string][] = [
      ['?event=PreToolUse', 'PreToolUse'],
      ['?event=Pre+Tool+Use', 'Pre Tool Use'],
      ['?event=Pre%20Tool', 'Pre Tool'],
      ['?event=a%2Bb', 'a+b'],
      ['?event=x%26y', 'x&y'],
      ['?event=a;b', 'a;b'],
      ['?event=%F0%9F%98%80%C3%A9', '\u{1F600}\u00e9'],
      ['?event=%C3%28', '\ufffd('],
      ['?event=%ZZ', '%ZZ'],
      ['?event=%20', ' '],
      ['?event=&event=Stop', 'Stop'],
      ['?a=1&event=First&event=Second', 'First'],
      ['?ev%65nt=Pre%54oolUse', 'PreToolUse'],
      ['?event', 'Unknown'],
      ['?event=', 'Unknown'],
      ['?other=1', 'Unknown'],
      ['', 'Unknown'],
    ]
    const client = await RawHttp.connect(tcp)
    try {
      const before = obs.stdoutLines().length
      for (const [query] of cases) {
        const reply = await client.send(
          `POST /hook${query} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n`,
        )
        assert.equal(reply.status, 200, query)
      }
      const lines = (await obs.waitForStdoutLines(before + cases.length)).slice(before)
      for (const [i, [query, event]] of cases.entries()) {
        assert.equal(JSON.parse(lines[i]!)._event, event, `query ${JSON.stringify(query)}`)
      }
      // Non-ASCII names are escaped like every other string.
      assert.ok(lines[6]!.includes('"_event":"\\ud83d\\ude00\\u00e9"'), lines[6])
    } finally {
      client.close()
    }
  })

  await t.test('TCP lines: key order, escaping, exact bytes', async () => {
    const line = await oneLine(obs, () =>
      postEvent(tcp, 'PreToolUse', '{"tool_name":"Bash","text":"é ✓ 😀","n":1}'),
    )
    assert.equal(
      withoutTs(line),
      '{"_ts":"<TS>","_event":"PreToolUse","_client":"127.0.0.1","tool_name":"Bash","text":"\\u00e9 \\u2713 \\ud83d\\ude00","n":1}',
    )
  })

  await t.test('Unix lines carry the peer credentials of the sending process', async () => {
    const line = await oneLine(obs, () => postEvent(unix, 'Stop', '{"a":1}'))
    assert.equal(
      withoutTs(line),
      `{"_ts":"<TS>","_event":"Stop","_peer_pid":${process.pid},"_peer_uid":${uid},"_peer_gid":${gid},"a":1}`,
    )
  })

  await t.test('a payload key equal to a metadata key is kept under _from_payload', async () => {
    // The original lets the payload replace its metadata; here the server's values always win.
    const tcpLine = await oneLine(obs, () =>
      postEvent(tcp, 'Real', '{"a":1,"_client":"spoof","_event":"Over","_ts":"then","z":2}'),
    )
    assert.equal(
      withoutTs(tcpLine),
      '{"_ts":"<TS>","_event":"Real","_client":"127.0.0.1","a":1,"z":2,' +
        '"_from_payload":{"_client":"spoof","_event":"Over","_ts":"then"}}',
    )
    const unixLine = await oneLine(obs, () =>
      postEvent(unix, 'E', '{"_peer_uid":"me","x":1,"_peer_pid":1}'),
    )
    assert.equal(
      withoutTs(unixLine),
      `{"_ts":"<TS>","_event":"E","_peer_pid":${process.pid},"_peer_uid":${uid},"_peer_gid":${gid},"x":1,` +
        '"_from_payload":{"_peer_uid":"me","_peer_pid":1}}',
    )
  })

  await t.test('empty body, invalid JSON and non-objects', async () => {
    const cases: [body: string | Buffer, rest: string][] = [
      ['', ''],
      ['{"a":', ',"_raw":"{\\"a\\":"'],
      ['[1,2]', ',"_raw":"[1,2]"'],
      ['"text"', ',"_raw":"\\"text\\""'],
      ['42', ',"_raw":"42"'],
      ['null', ',"_raw":"null"'],
      ['  ', ',"_raw":"  "'],
      ['not json ✓', ',"_raw":"not json \\u2713"'],
      [
        Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
        ',"_raw":"{\\"a\\":\\"\\ufffd\\"}"',
      ],
    ]
    for (const [body, rest] of cases) {
      const line = await oneLine(obs, () => postEvent(tcp, 'Body', body))
      assert.equal(
        withoutTs(line),
        `{"_ts":"<TS>","_event":"Body","_client":"127.0.0.1"${rest}}`,
        `body ${JSON.stringify(body.toString())}`,
      )
    }
  })

  await t.test('numbers are kept exactly; JSON is re-emitted compact', async () => {
    const numbers =
      '{"big":12345678901234567890123,"f":1.0,"e":1e5,"E":-2.5E-3,"z":-0,"arr":[1.10,0.0]}'
    const line = await oneLine(obs, () => postEvent(tcp, 'Num', numbers))
    assert.equal(
      withoutTs(line),
      `{"_ts":"<TS>","_event":"Num","_client":"127.0.0.1",${numbers.slice(1)}`,
    )
    const spaced = await oneLine(obs, () =>
      postEvent(tcp, 'Ws', ' { "a" : [ 1 , { "b" : null } ] ,\n\t"t" : true , "f" : false } '),
    )
    assert.equal(
      withoutTs(spaced),
      '{"_ts":"<TS>","_event":"Ws","_client":"127.0.0.1","a":[1,{"b":null}],"t":true,"f":false}',
    )
  })

  await t.test('string escapes as Python json.dumps (ensure_ascii)', async () => {
    const body =
      '{"s":"q\\" b\\\\ n\\n t\\t r\\r b\\b f\\f c\\u0001 s/ d\\u007f e\\u00e9 lone\\ud800 \\u2028"}'
    const line = await oneLine(obs, () => postEvent(tcp, 'Esc', body))
    assert.equal(
      withoutTs(line),
      '{"_ts":"<TS>","_event":"Esc","_client":"127.0.0.1","s":"q\\" b\\\\ n\\n t\\t r\\r b\\b f\\f c\\u0001 s/ d\\u007f e\\u00e9 lone\\ud800 \\u2028"}',
    )
    // Raw UTF-8 in the body, astral and BMP, comes out escaped the same way.
    const raw = await oneLine(obs, () =>
      postEvent(unix, 'Utf8', Buffer.from('{"k\u00e9y":"\u4e2d\u{1F680}"}', 'utf8')),
    )
    assert.ok(raw.endsWith(',"k\\u00e9y":"\\u4e2d\\ud83d\\ude80"}'), raw)
  })

  await t.test('stdout holds only whole ASCII lines, each ending in a single \\n', async () => {
    const bytes = obs.stdoutBytes()
    assert.equal(bytes[bytes.length - 1], 0x0a)
    assert.ok(!bytes.includes(0x0d), 'no carriage return')
    assert.ok(
      bytes.every((b) => b < 0x80),
      'every byte is ASCII',
    )
    const text = bytes.toString('ascii')
    assert.ok(!text.includes('\n\n'), 'no empty line')
    for (const line of text.slice(0, -1).split('\n')) {
      assert.match(line, /^\{"_ts":"[^"]*","_event":/)
      assert.doesNotThrow(() => JSON.parse(line), line)
    }
    // Messages never go to stdout: with --quiet there are no access lines, and the banner is on stderr.
    assert.ok(!text.includes('[HTTP]') && !text.includes('listening'))
    assert.match(obs.stderr(), /listening on/)
    assert.doesNotMatch(obs.stderr(), /\[HTTP\]/)
  })

  await t.test('a bare hookBytes POST over Unix with the Host of the hook config', async () => {
    const client = await RawHttp.connect(unix)
    try {
      const before = obs.stdoutLines().length
      const reply = await client.send(hookBytes('SessionStart', '{"session_id":"s1"}'))
      assert.equal(reply.status, 200)
      const line = (await obs.waitForStdoutLines(before + 1))[before]!
      assert.match(
        line,
        /"_event":"SessionStart","_peer_pid":\d+,"_peer_uid":\d+,"_peer_gid":\d+,"session_id":"s1"\}$/,
      )
    } finally {
      client.close()
    }
  })

  await obs.stopCleanly('SIGINT')
})
