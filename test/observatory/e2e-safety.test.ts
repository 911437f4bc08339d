/**
 * TCP safety and the serve options, end to end: the Host check (DNS rebinding), the bearer token, no CORS,
 * the body limit; listening options (--socket, --mode, --port, --bind and their environment variables), the
 * access log, --engine node and --trace.
 */
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs'
import { test } from 'node:test'
import { parseServeArgs } from '../../src/cli/serve-args.ts'
import { DEFAULT_PORT } from '../../src/observatory/index.ts'
import { defaultSocketPath } from '../../src/observatory/server/socket-path.ts'
import {
  eventually,
  type Observatory,
  postEvent,
  RawHttp,
  request,
  runCli,
  startCli,
  type Target,
  tempDir,
  withoutTs,
} from './helpers.ts'

/** Events on stdout whose `_event` is `name`. */
function linesFor(obs: Observatory, name: string): string[] {
  return obs.stdoutLines().filter((l) => JSON.parse(l)._event === name)
}

test('Host must be a loopback name or --allow-host; Unix sockets are not Host-checked', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t)
  const obs = await startCli(t, [
    '--socket',
    `${dir}/in.sock`,
    '--port',
    '0',
    '--allow-host',
    'Observatory.Test',
  ])
  const port = obs.tcp.port
  const hosts: [host: string, status: number][] = [
    ['evil.example', 403],
    [`evil.example:${port}`, 403],
    ['127.0.0.1.evil.example', 403],
    ['localhost.evil.example', 403],
    ['10.0.0.1', 403],
    [`localhost:${port}`, 200],
    ['LOCALHOST', 200],
    [`127.0.0.1:${port}`, 200],
    ['127.1.2.3', 200],
    [`[::1]:${port}`, 200],
    ['app.localhost', 200],
    ['observatory.test', 200],
    [`OBSERVATORY.TEST:${port}`, 200],
  ]
  for (const [host, status] of hosts) {
    const reply = await postEvent(obs.tcp, 'HostCheck', { host }, { headers: { Host: host } })
    assert.equal(reply.status, status, `Host: ${host}`)
    if (status === 403) {
      assert.match(reply.headers['content-type'] ?? '', /^application\/json/)
      assert.match(JSON.parse(reply.body).message, /Host header not allowed/)
    }
  }
  // Every route is guarded: the live page and its stream are what a rebinding page would go for.
  for (const path of ['/', '/events', '/health', '/stats', '/live.js']) {
    const reply = await request(obs.tcp, { path, headers: { Host: 'evil.example' } })
    assert.equal(reply.status, 403, `GET ${path} with a foreign Host`)
  }
  // A web page's "simple" cross-site POST carries its Origin: refused, and nothing is recorded.
  const crossSite = await postEvent(
    obs.tcp,
    'CrossSite',
    { from: 'a web page' },
    { headers: { Origin: 'http://evil.example', 'Content-Type': 'text/plain' } },
  )
  assert.equal(crossSite.status, 403)
  assert.match(JSON.parse(crossSite.body).message, /other origins/)
  const fetchMetadata = await postEvent(
    obs.tcp,
    'CrossSite',
    {},
    { headers: { 'Sec-Fetch-Site': 'cross-site' } },
  )
  assert.equal(fetchMetadata.status, 403)
  const sameOrigin = await postEvent(
    obs.tcp,
    'SameOrigin',
    {},
    { headers: { Origin: `http://127.0.0.1:${port}` } },
  )
  assert.equal(sameOrigin.status, 200)
  // A page on another local port is another origin, though the same site to a browser: refused.
  const foreignOrigins: Record<string, string>[] = [
    { Origin: 'http://127.0.0.1:8080' },
    { Origin: 'http://localhost:3000' },
    { Origin: `http://localhost:${port}` }, // another name for this port is another origin too
    { Origin: `https://127.0.0.1:${port}` },
    { Origin: `http://127.0.0.1:${port}`, 'Sec-Fetch-Site': 'same-site' },
    { 'Sec-Fetch-Site': 'same-site' },
  ]
  for (const headers of foreignOrigins) {
    const reply = await postEvent(obs.tcp, 'CrossOrigin', {}, { headers })
    assert.equal(reply.status, 403, JSON.stringify(headers))
  }
  // A link from another page still opens the live page (a top-level GET navigation only reads).
  const navigation = await request(obs.tcp, {
    path: '/',
    headers: {
      'Sec-Fetch-Site': 'same-site',
      'Sec-Fetch-Mode': 'navigate',
      'Sec-Fetch-Dest': 'document',
    },
  })
  assert.equal(navigation.status, 200)
  const embedded = await request(obs.tcp, {
    path: '/',
    headers: {
      'Sec-Fetch-Site': 'same-site',
      'Sec-Fetch-Mode': 'navigate',
      'Sec-Fetch-Dest': 'embed',
    },
  })
  assert.equal(embedded.status, 403)
  // HTTP/1.1 without a Host header is malformed (RFC 9112 §3.2).
  const noHost = await postEvent(obs.tcp, 'HostCheck', { host: 'none' }, { setHost: false })
  assert.equal(noHost.status, 400)
  // HTTP/1.0 has no Host requirement; the original accepts it, and a rebinding browser always sends one.
  const http10 = await RawHttp.connect(obs.tcp)
  try {
    const body = '{"host":"none, HTTP/1.0"}'
    const reply = await http10.send(
      `POST /hook?event=HostCheck HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    )
    assert.equal(reply.status, 200)
  } finally {
    http10.close()
  }
  const http10Foreign = await RawHttp.connect(obs.tcp)
  try {
    const reply = await http10Foreign.send('GET /health HTTP/1.0\r\nHost: evil.example\r\n\r\n')
    assert.equal(reply.status, 403, 'a wrong Host is refused in HTTP/1.0 as well')
  } finally {
    http10Foreign.close()
  }
  // Over the Unix socket the file mode decides who may connect: any Host is fine.
  const unix = await postEvent(
    obs.unix,
    'HostCheck',
    { host: 'unix' },
    { headers: { Host: 'evil.example' } },
  )
  assert.equal(unix.status, 200)

  await obs.waitForStderr(/\[HTTP\] POST \/hook\?event=HostCheck HTTP\/1\.1 200/, 7)
  const expected = [...hosts.filter(([, s]) => s === 200).map(([h]) => h), 'none, HTTP/1.0', 'unix']
  // Each line was written before its 200, but stdout and stderr are two pipes: the test may read one first.
  await eventually(
    () => linesFor(obs, 'HostCheck').length >= expected.length,
    'every accepted HostCheck line on stdout',
  )
  const accepted = linesFor(obs, 'HostCheck').map((l) => JSON.parse(l).host)
  assert.deepEqual(accepted, expected)
  assert.deepEqual(linesFor(obs, 'CrossOrigin'), [], 'no refused request was recorded')
  // Refusals are in the access log too.
  assert.match(obs.stderr(), /\[HTTP\] POST \/hook\?event=HostCheck HTTP\/1\.1 403\n/)
  await obs.stopCleanly()
})

test('--token: 401 without the bearer token, 200 with it; /health stays open; $OBSERVATORY_TOKEN', {
  timeout: 120_000,
}, async (t) => {
  for (const [args, env] of [
    [['--port', '0', '--token', 's3cret-token'], {}],
    [['--port', '0'], { OBSERVATORY_TOKEN: 's3cret-token' }],
  ] as const) {
    const dir = tempDir(t)
    const obs = await startCli(t, [...args, '--socket', `${dir}/in.sock`, '--quiet'], { env })
    const cases: [authorization: string | undefined, status: number][] = [
      [undefined, 401],
      ['Bearer wrong', 401],
      ['Bearer s3cret-toke', 401],
      ['Bearer s3cret-tokenn', 401],
      ['Basic czNjcmV0LXRva2Vu', 401],
      ['s3cret-token', 401],
      ['Bearer s3cret-token', 200],
      ['bearer   s3cret-token', 200],
    ]
    for (const [authorization, status] of cases) {
      const headers: Record<string, string> =
        authorization === undefined ? {} : { Authorization: authorization }
      const reply = await postEvent(
        obs.tcp,
        'Token',
        { authorization: authorization ?? null },
        { headers },
      )
      assert.equal(reply.status, status, `Authorization: ${authorization}`)
      if (status === 401) assert.match(reply.headers['www-authenticate'] ?? '', /^Bearer /)
    }
    assert.equal((await request(obs.tcp, { path: '/health' })).status, 200)
    assert.equal((await request(obs.tcp, { path: '/health', method: 'HEAD' })).status, 200)
    assert.equal((await request(obs.tcp, { path: '/stats' })).status, 401)
    // Only GET /health is open: a hook POSTed to that path (the ingest route takes any path) needs the token.
    for (const path of ['/health?event=PreToolUse', '/health', '/health/']) {
      const bypass = await request(obs.tcp, {
        method: 'POST',
        path,
        body: '{"tool_name":"Bash"}',
        headers: { 'Content-Type': 'application/json' },
      })
      assert.equal(bypass.status, 401, `POST ${path} without the token`)
    }
    const stats = await request(obs.tcp, {
      path: '/stats',
      headers: { Authorization: 'Bearer s3cret-token' },
    })
    assert.equal(stats.status, 200)
    assert.equal(JSON.parse(stats.body).totalEvents, 2)
    // The token guards TCP, like the Host check; the Unix socket is guarded by its file mode, and the hook
    // commands `observatory install` writes send no Authorization header.
    const unix = await postEvent(obs.unix, 'Token', { authorization: 'unix' })
    assert.equal(unix.status, 200)
    const lines = await obs.waitForStdoutLines(3)
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).authorization),
      ['Bearer s3cret-token', 'bearer   s3cret-token', 'unix'],
    )
    await obs.stopCleanly()
  }
})

test('no CORS headers on any response, preflight included', { timeout: 60_000 }, async (t) => {
  const obs = await startCli(t, ['--port', '0', '--quiet'])
  const origin = { Origin: 'http://evil.example' }
  const replies = [
    await request(obs.tcp, {
      method: 'OPTIONS',
      path: '/hook?event=X',
      headers: {
        ...origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    }),
    await postEvent(obs.tcp, 'Cors', {}, { headers: origin }),
    await request(obs.tcp, { path: '/health', headers: origin }),
    await request(obs.tcp, { path: '/stats', headers: origin }),
    await request(obs.tcp, { path: '/', headers: origin }),
  ]
  for (const reply of replies) {
    const cors = Object.keys(reply.headers).filter((name) => name.startsWith('access-control-'))
    assert.deepEqual(cors, [], `status ${reply.status}`)
  }
  // A foreign Origin is refused outright (preflight and simple request alike), and never with approving headers.
  for (const reply of replies) assert.equal(reply.status, 403)
  await obs.stopCleanly()
})

test('--max-body: a body over the limit is refused with 413 and not recorded', {
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
    '--quiet',
  ])
  const body = (size: number) => `{"p":"${'x'.repeat(size - 8)}"}`
  assert.equal(body(1000).length, 1000)
  for (const target of [obs.tcp, obs.unix] as Target[]) {
    assert.equal((await postEvent(target, 'Fits', body(1000))).status, 200)
    assert.equal((await postEvent(target, 'TooBig', body(1001))).status, 413)
  }
  // Chunked, without a Content-Length: counted as it arrives.
  const chunked = await RawHttp.connect(obs.tcp)
  t.after(() => chunked.close())
  const big = body(1500)
  const reply = await chunked.send(
    `POST /hook?event=TooBigChunked HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n` +
      `${(700).toString(16)}\r\n${big.slice(0, 700)}\r\n${(800).toString(16)}\r\n${big.slice(700)}\r\n0\r\n\r\n`,
  )
  assert.equal(reply.status, 413)
  // A declared length far over the limit is refused without waiting for the body.
  const declared = await RawHttp.connect(obs.tcp)
  t.after(() => declared.close())
  const early = await declared.send(
    'POST /hook?event=Huge HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000000\r\n\r\n',
  )
  assert.equal(early.status, 413)

  assert.equal((await request(obs.tcp, { path: '/health' })).status, 200)
  const events = obs.stdoutLines().map((l) => JSON.parse(l)._event)
  assert.deepEqual(events, ['Fits', 'Fits'])
  await obs.stopCleanly()
})

test('--socket, --mode, --port, --bind and their environment variables', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t)

  const modes = await startCli(t, ['--socket', `${dir}/a.sock`, '--mode', '0600'])
  assert.equal(statSync(`${dir}/a.sock`).mode & 0o777, 0o600)
  assert.match(modes.stderr(), /Socket permissions: 0o600\n/)
  assert.equal(modes.port, undefined, '--socket alone: no TCP listener')
  await modes.stopCleanly()

  const defaults = await startCli(t, [
    '--socket',
    `${dir}/b.sock`,
    '--port',
    '0',
    '--bind',
    '127.0.0.1',
  ])
  assert.equal(statSync(`${dir}/b.sock`).mode & 0o777, 0o660)
  assert.match(defaults.stderr(), /Socket permissions: 0o660\n/)
  assert.match(
    defaults.stderr(),
    new RegExp(`Live page: http://127\\.0\\.0\\.1:${defaults.port}/\\n`),
  )
  assert.equal((await postEvent(defaults.tcp, 'Bound', {})).status, 200)
  await defaults.stopCleanly()

  const fromEnv = await startCli(t, [], {
    env: { CLAUDE_UNIX_HOOK_WATCHER: `${dir}/env.sock`, CLAUDE_REST_HOOK_WATCHER: '0' },
  })
  assert.equal(fromEnv.socket, `${dir}/env.sock`)
  assert.ok(fromEnv.port !== undefined && fromEnv.port > 0)
  assert.equal((await postEvent(fromEnv.unix, 'Env', {})).status, 200)
  assert.equal((await postEvent(fromEnv.tcp, 'Env', {})).status, 200)
  await fromEnv.waitForStdoutLines(2)
  await fromEnv.stopCleanly()

  // The option wins over the variable; a socket from the variable alone means no TCP listener.
  const override = await startCli(t, ['--socket', `${dir}/opt.sock`], {
    env: { CLAUDE_UNIX_HOOK_WATCHER: `${dir}/ignored.sock` },
  })
  assert.equal(override.socket, `${dir}/opt.sock`)
  assert.equal(override.port, undefined)
  await override.stopCleanly()

  // Octal in any of its usual spellings; anything else is a usage error that leaves no file behind.
  for (const [spelling, mode] of [
    ['660', 0o660],
    ['0o640', 0o640],
    ['0O600', 0o600],
  ] as const) {
    const spelled = await startCli(t, ['--socket', `${dir}/m${spelling}.sock`, '--mode', spelling])
    assert.equal(statSync(`${dir}/m${spelling}.sock`).mode & 0o777, mode, spelling)
    await spelled.stopCleanly()
  }
  for (const spelling of ['rw-rw----', 'o660', '0o', '1777', '0o7777', '08', '']) {
    const bad = await runCli(['serve', '--socket', `${dir}/c.sock`, '--mode', spelling])
    assert.equal(bad.code, 2, spelling)
    assert.equal(
      bad.stderr,
      `Error: --mode must be octal permissions from 0 to 0777 like 0660, not "${spelling}"\n`,
    )
    assert.equal(existsSync(`${dir}/c.sock`), false, `--mode ${spelling} leaves no socket file`)
  }
  const unknown = await runCli(['serve', '--nope'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /^Error: unknown option --nope/)
  const help = await runCli(['serve', '--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /^Usage: observatory serve/)
  assert.equal(help.stderr, '')
})

test('socket paths: a shared directory is named at start, a missing one is said plainly', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t)
  // The original's /tmp/claude-observatory.sock, in a directory like /tmp (world-writable, sticky).
  const shared = `${dir}/shared`
  mkdirSync(shared)
  chmodSync(shared, 0o1777)
  const obs = await startCli(t, ['--socket', `${shared}/in.sock`, '--port', '0'])
  assert.match(
    obs.stderr(),
    new RegExp(
      `Warning: ${shared} is writable by every local user: one of them could create ${shared}/in\\.sock first`,
    ),
  )
  assert.equal((await postEvent(obs.unix, 'Shared', {})).status, 200, 'a warning, not a refusal')
  await obs.stopCleanly()
  // The same for the output socket.
  const out = await startCli(t, ['--port', '0', '--output-socket', `${shared}/out.sock`])
  assert.match(out.stderr(), new RegExp(`Warning: ${shared} is writable by every local user`))
  await out.stopCleanly()
  // A private directory: no warning.
  const quiet = await startCli(t, ['--socket', `${dir}/in.sock`, '--port', '0'])
  assert.doesNotMatch(quiet.stderr(), /Warning/)
  await quiet.stopCleanly()

  for (const [flag, extra] of [
    ['--socket', []],
    ['--output-socket', ['--port', '0']],
  ] as const) {
    const missing = await runCli(['serve', flag, `${dir}/missing/x.sock`, ...extra])
    assert.equal(missing.code, 1, flag)
    assert.equal(
      missing.stderr,
      `cannot listen on ${dir}/missing/x.sock: directory ${dir}/missing does not exist\n`,
    )
  }
})

test('parseServeArgs: $CLAUDE_REST_HOOK_WATCHER invalid → a warning and the defaults, socket included', () => {
  for (const value of ['abc', '70000', '-1', '80a']) {
    const warnings: string[] = []
    const options = parseServeArgs([], { CLAUDE_REST_HOOK_WATCHER: value }, (m) => warnings.push(m))
    assert.ok(options !== 'help')
    assert.equal(options.tcp?.port, DEFAULT_PORT)
    assert.equal(options.tcp?.host, '127.0.0.1')
    // An invalid variable is ignored as if unset: the default socket still opens (every installed hook uses it).
    assert.deepEqual(options.socket, { path: defaultSocketPath({}), mode: 0o660 })
    assert.deepEqual(warnings, [
      `Warning: $CLAUDE_REST_HOOK_WATCHER must be a port number 0-65535, not "${value}"; ignoring it (default port ${DEFAULT_PORT})`,
    ])
  }
  // A valid variable alone means TCP only, as in the original's TCP server.
  const valid = parseServeArgs([], { CLAUDE_REST_HOOK_WATCHER: '4000' }, () => assert.fail())
  assert.ok(valid !== 'help')
  assert.equal(valid.tcp?.port, 4000)
  assert.equal(valid.socket, undefined)
  // An invalid --port is a usage error, not a fallback.
  assert.throws(
    () => parseServeArgs(['--port', 'abc'], {}, () => {}),
    /--port must be a port number/,
  )
  // An explicit --port is used and the variable is not even looked at.
  const warnings: string[] = []
  const explicit = parseServeArgs(['--port', '4000'], { CLAUDE_REST_HOOK_WATCHER: 'abc' }, (m) =>
    warnings.push(m),
  )
  assert.ok(explicit !== 'help')
  assert.equal(explicit.tcp?.port, 4000)
  assert.deepEqual(warnings, [])
  // Nothing given: both defaults.
  const none = parseServeArgs([], {}, () => assert.fail('no warning expected'))
  assert.ok(none !== 'help')
  assert.deepEqual(none.socket, { path: defaultSocketPath({}), mode: 0o660 })
  const xdg = parseServeArgs([], { XDG_RUNTIME_DIR: '/run/user/1000' }, () => assert.fail())
  assert.ok(xdg !== 'help')
  assert.equal(xdg.socket?.path, '/run/user/1000/claude-observatory.sock')
  assert.deepEqual(none.tcp, { port: DEFAULT_PORT, host: '127.0.0.1' })
})

test('access lines on stderr, one per request', { timeout: 60_000 }, async (t) => {
  const obs = await startCli(t, ['--port', '0'])
  await postEvent(obs.tcp, 'X', {})
  await request(obs.tcp, { path: '/health' })
  await postEvent(obs.tcp, 'Pre+Tool', {})
  await obs.waitForStderr(/\[HTTP\] POST \/hook\?event=Pre\+Tool HTTP\/1\.1 200\n/)
  const access = obs
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('[HTTP]'))
  assert.deepEqual(access, [
    '[HTTP] POST /hook?event=X HTTP/1.1 200',
    '[HTTP] GET /health HTTP/1.1 200',
    '[HTTP] POST /hook?event=Pre+Tool HTTP/1.1 200',
  ])
  assert.doesNotMatch(obs.stdout(), /\[HTTP\]/)
  await obs.stopCleanly()
})

test('--engine node writes the same lines as the default engine', {
  timeout: 120_000,
}, async (t) => {
  const requests: [event: string, body: string | Buffer][] = [
    ['PreToolUse', '{"tool_name":"Bash","tool_input":{"command":"ls"},"u":"é😀"}'],
    ['Pre+Tool%20Use', '{"n":12345678901234567890123,"f":1.0,"e":1e5}'],
    ['Empty', ''],
    ['Raw', '{not json'],
    ['List', '[1,2]'],
    ['Collide', '{"_event":"Mine","_client":"me","x":1}'],
    ['%F0%9F%98%80', Buffer.from([0xff, 0xfe, 0x41])],
  ]
  const results: string[][] = []
  for (const engine of ['raw', 'node']) {
    const dir = tempDir(t)
    const obs = await startCli(t, [
      '--socket',
      `${dir}/in.sock`,
      '--port',
      '0',
      '--engine',
      engine,
      '--quiet',
    ])
    for (const [event, body] of requests) {
      assert.equal((await postEvent(obs.tcp, event, body)).status, 200)
      assert.equal((await postEvent(obs.unix, event, body)).status, 200)
    }
    assert.equal((await request(obs.tcp, { path: '/health' })).body, '{"status":"ok"}')
    const lines = await obs.waitForStdoutLines(requests.length * 2)
    await obs.stopCleanly()
    results.push(lines.map(withoutTs))
  }
  assert.equal(results[0]!.length, requests.length * 2)
  assert.deepEqual(results[1], results[0])
  // Both saw this process as the Unix peer.
  assert.match(results[0]![1]!, new RegExp(`"_peer_pid":${process.pid},`))
})

test('--trace prints the raw bytes of each connection on stderr', {
  timeout: 60_000,
}, async (t) => {
  const obs = await startCli(t, ['--port', '0', '--trace', '--quiet'])
  await postEvent(obs.tcp, 'Traced', '{"a":1}')
  await obs.waitForStderr(/>>> HTTP\/1\.1 200 OK\\r\\n/)
  const err = obs.stderr()
  assert.match(err, /#\d+ <<< POST \/hook\?event=Traced HTTP\/1\.1\\r\\n\n/)
  assert.match(err, /#\d+ <<< Content-Type: application\/json\\r\\n\n/)
  assert.match(err, /#\d+ <<< \{"a":1\}/)
  assert.match(err, /#\d+ >>> HTTP\/1\.1 200 OK\\r\\n\n/)
  assert.doesNotMatch(obs.stdout(), /<<</)
  assert.equal(obs.stdoutLines().length, 1)
  await obs.stopCleanly()
})
