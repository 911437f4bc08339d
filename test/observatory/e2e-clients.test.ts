/**
 * Real clients against a real observatory process: curl run through `/bin/sh -c` with the payload on stdin,
 * exactly as Claude Code runs the hook command (over the Unix socket and over TCP), Node's fetch on a
 * keep-alive connection, and a Node client in a child process (its pid must be the `_peer_pid`).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import {
  CURL,
  completeLines,
  type Observatory,
  runCurlHook,
  startCli,
  type Target,
  tempDir,
  WAIT_MS,
  withoutTs,
} from './helpers.ts'

const uid = process.getuid?.()
const gid = process.getgid?.()

/** The log's lines whose `_event` is `event`. */
function logged(log: string, event: string): string[] {
  return completeLines(readFileSync(log, 'utf8')).filter((l) => l.includes(`"_event":"${event}"`))
}

if (CURL === undefined)
  process.stderr.write('e2e-clients: curl is not on PATH: curl cases skipped\n')

test('curl as the hook command runs it: Unix socket and TCP', {
  skip: CURL === undefined ? 'curl is not on PATH' : false,
  timeout: 180_000,
}, async (t) => {
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
  ])
  const targets: [name: string, target: Target][] = [
    ['unix', obs.unix],
    ['tcp', obs.tcp],
  ]
  const send = async (target: Target, event: string, payload: string | Buffer) => {
    const result = await runCurlHook(target, event, payload)
    assert.equal(result.code, 0, `curl exit status; stderr: ${result.stderr}`)
    assert.equal(result.stdout, '', 'the 200 has an empty body')
    return result
  }

  for (const [name, target] of targets) {
    const meta = (event: string, pid?: number) =>
      name === 'tcp'
        ? `{"_ts":"<TS>","_event":"${event}","_client":"127.0.0.1"`
        : `{"_ts":"<TS>","_event":"${event}","_peer_pid":${pid},"_peer_uid":${uid},"_peer_gid":${gid}`
    const peerPid = (line: string): number | undefined => {
      if (name === 'tcp') return undefined
      const pid = JSON.parse(line)._peer_pid
      assert.ok(Number.isInteger(pid) && pid > 0, `_peer_pid ${pid} is a positive integer`)
      assert.notEqual(pid, obs.pid, '_peer_pid is the client, not the server')
      assert.notEqual(pid, process.pid, '_peer_pid is the client, not the test process')
      return pid
    }

    await t.test(`${name}: unicode (BMP and astral)`, async () => {
      const event = `Unicode${name}`
      await send(target, event, '{"prompt":"héllo wörld ✓ 中文 😀🚀","tool_name":"Bash"}\n')
      const [line] = logged(log, event)
      assert.ok(line !== undefined)
      assert.equal(
        withoutTs(line),
        `${meta(event, peerPid(line))},"prompt":"h\\u00e9llo w\\u00f6rld \\u2713 \\u4e2d\\u6587 \\ud83d\\ude00\\ud83d\\ude80","tool_name":"Bash"}`,
      )
    })

    await t.test(`${name}: a 2 MB payload arrives whole`, async () => {
      const event = `Big${name}`
      const unit = 'abc é 😀 '
      const repeat = 180_000
      const payload = Buffer.from(
        `{"tool_name":"Write","tool_input":{"file_path":"/tmp/x","content":"${unit.repeat(repeat)}"}}`,
        'utf8',
      )
      assert.ok(payload.length > 2_000_000)
      await send(target, event, payload)
      const [line] = logged(log, event)
      assert.ok(line !== undefined, 'the big event is in the log')
      assert.equal(
        withoutTs(line),
        `${meta(event, peerPid(line))},"tool_name":"Write","tool_input":{"file_path":"/tmp/x","content":"${'abc \\u00e9 \\ud83d\\ude00 '.repeat(repeat)}"}}`,
      )
    })

    await t.test(`${name}: invalid JSON becomes _raw`, async () => {
      const event = `Invalid${name}`
      await send(target, event, "{'single': quotes}")
      const [line] = logged(log, event)
      assert.ok(line !== undefined)
      assert.equal(withoutTs(line), `${meta(event, peerPid(line))},"_raw":"{'single': quotes}"}`)
    })

    await t.test(`${name}: the payload cannot replace metadata; its values are kept`, async () => {
      const spoofed = `Spoofed${name}`
      const event = `Collide${name}`
      await send(target, event, `{"_event":"${spoofed}","_client":"x","_peer_pid":-1,"k":"v"}`)
      const spoofedLines = logged(log, spoofed).filter((l) => JSON.parse(l)._event === spoofed)
      assert.deepEqual(spoofedLines, [], 'the query name stays the event name')
      const lines = logged(log, event)
      assert.equal(lines.length, 1)
      assert.equal(
        withoutTs(lines[0]!),
        `${meta(event, peerPid(lines[0]!))},"k":"v",` +
          `"_from_payload":{"_event":"${spoofed}","_client":"x","_peer_pid":-1}}`,
      )
    })
  }
  await obs.stopCleanly()
})

test('fetch on a keep-alive connection', { timeout: 120_000 }, async (t) => {
  const obs = await startCli(t, ['--port', '0', '--trace', '--quiet'])
  const url = `http://127.0.0.1:${obs.tcp.port}/hook?event=Fetched`
  const payloads = [
    '{"i":0,"text":"plain"}',
    '{"i":1,"text":"é ✓ 😀"}',
    `{"i":2,"text":"${'z'.repeat(200_000)}"}`,
    '{"i":3,"bad":',
  ]
  for (const body of payloads) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      signal: AbortSignal.timeout(WAIT_MS),
    })
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'application/json')
    assert.equal(await response.text(), '')
  }
  const lines = await obs.waitForStdoutLines(payloads.length)
  assert.deepEqual(lines.map(withoutTs), [
    '{"_ts":"<TS>","_event":"Fetched","_client":"127.0.0.1","i":0,"text":"plain"}',
    '{"_ts":"<TS>","_event":"Fetched","_client":"127.0.0.1","i":1,"text":"\\u00e9 \\u2713 \\ud83d\\ude00"}',
    `{"_ts":"<TS>","_event":"Fetched","_client":"127.0.0.1","i":2,"text":"${'z'.repeat(200_000)}"}`,
    '{"_ts":"<TS>","_event":"Fetched","_client":"127.0.0.1","_raw":"{\\"i\\":3,\\"bad\\":"}',
  ])
  // The wire trace numbers connections: fetch reused its connections. (Node 20's fetch alternates between two
  // idle connections after a request with a body; node:http as the server shows the same.)
  const perConnection = new Map<string, number>()
  for (const m of obs.stderr().matchAll(/^#(\d+) <<< POST \/hook\?event=Fetched /gm)) {
    perConnection.set(m[1]!, (perConnection.get(m[1]!) ?? 0) + 1)
  }
  assert.ok(perConnection.size <= 2, `at most two connections, saw ${perConnection.size}`)
  for (const [id, count] of perConnection)
    assert.ok(count >= 2, `connection #${id} carried ${count}`)
  await obs.stopCleanly()
})

/** Post one event from a separate Node process over the Unix socket; resolve with that process's pid. */
async function postFromChild(obs: Observatory, event: string): Promise<number> {
  const script = `
    const http = require('node:http')
    const req = http.request(
      { socketPath: process.argv[1], path: '/hook?event=' + process.argv[2], method: 'POST',
        headers: { 'Content-Type': 'application/json' } },
      (res) => { res.resume(); res.on('end', () => process.exit(res.statusCode === 200 ? 0 : 3)) },
    )
    req.on('error', () => process.exit(4))
    req.end(JSON.stringify({ from: 'child', pid: process.pid }))
  `
  const child = spawn(process.execPath, ['-e', script, obs.unix.socketPath, event], {
    stdio: 'ignore',
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS)
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  clearTimeout(timer)
  assert.equal(code, 0)
  assert.ok(child.pid !== undefined)
  return child.pid
}

test('peer credentials are the sending process: a Node client in a child process', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t)
  const obs = await startCli(t, ['--socket', `${dir}/in.sock`, '--quiet'])
  const pids = [await postFromChild(obs, 'Child'), await postFromChild(obs, 'Child')]
  assert.notEqual(pids[0], pids[1])
  const lines = await obs.waitForStdoutLines(2)
  for (const [i, line] of lines.entries()) {
    const event = JSON.parse(line)
    assert.equal(event._peer_pid, pids[i], 'the pid the kernel reports is the child that connected')
    assert.equal(event.pid, pids[i])
    assert.equal(event._peer_uid, uid)
    assert.equal(event._peer_gid, gid)
  }
  await obs.stopCleanly()
})
