/**
 * Real clients against the raw server: curl (TCP, --unix-socket, uploads with and without
 * `Expect: 100-continue`, HTTP/1.0, HEAD, connection reuse) and Node's global fetch (undici).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import type { Handler } from '../../src/transport/types.ts'
import { Harness } from './helpers.ts'

const run = promisify(execFile)

function curlPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, 'curl'))) return join(dir, 'curl')
  }
  return undefined
}

/** Describes the request: method, target, what Expect said, the body's length and SHA-256, the peer port. */
const describeHandler: Handler = async (request) => {
  const body = Buffer.from(await request.body())
  const described = {
    method: request.method,
    target: request.target,
    version: request.version,
    expect: request.headers.get('expect') ?? null,
    contentType: request.headers.get('content-type') ?? null,
    length: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
    port: request.peer.transport === 'tcp' ? request.peer.port : null,
    unix: request.peer.transport === 'unix',
  }
  return {
    status: 200,
    headers: [['Content-Type', 'application/json']],
    body: `${JSON.stringify(described)}\n`,
  }
}

type Described = {
  method: string
  target: string
  version: string
  expect: string | null
  contentType: string | null
  length: number
  sha256: string
  port: number | null
  unix: boolean
}

const curl = curlPath()
if (curl === undefined) console.log('# curl tests skipped: curl is not on PATH')

describe('curl', {
  skip: curl === undefined ? 'curl is not on PATH' : false,
  timeout: 60_000,
}, () => {
  const curlRun = async (args: string[]): Promise<string> => {
    const { stdout } = await run(curl!, ['-sS', '--max-time', '20', ...args], {
      maxBuffer: 8 * 1024 * 1024,
    })
    return stdout
  }

  it('GET over TCP, twice on one kept-alive connection', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(describeHandler)
    const out = await curlRun([`http://127.0.0.1:${port}/a?x=1`, `http://127.0.0.1:${port}/b`])
    const [a, b] = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Described)
    assert.equal(a!.target, '/a?x=1')
    assert.equal(b!.target, '/b')
    assert.equal(a!.port, b!.port, 'curl reused the connection')
  })

  it('GET over --unix-socket', async (t) => {
    const h = new Harness(t)
    const path = join(h.tempDir(), 'curl.sock')
    await h.server(describeHandler, {}, { path })
    const out = await curlRun(['--unix-socket', path, 'http://localhost/over/unix'])
    const d = JSON.parse(out) as Described
    assert.equal(d.target, '/over/unix')
    assert.equal(d.unix, true)
  })

  it('POST -d @file, with and without Expect: 100-continue', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(describeHandler)
    // No newlines: `-d` strips them, `--data-binary` would not.
    const file = join(h.tempDir(), 'upload.txt')
    const content = Buffer.alloc(3 * 1024 * 1024 + 17)
    for (let i = 0; i < content.length; i++) content[i] = 0x61 + (i % 26)
    writeFileSync(file, content)
    const sha256 = createHash('sha256').update(content).digest('hex')
    const url = `http://127.0.0.1:${port}/upload`

    // curl asks for 100-continue by itself for a body this large, and waits for it.
    const withExpect = JSON.parse(await curlRun(['-d', `@${file}`, url])) as Described
    assert.equal(withExpect.method, 'POST')
    assert.equal(withExpect.length, content.length)
    assert.equal(withExpect.sha256, sha256)
    console.log(`# curl sent Expect: ${withExpect.expect} for a ${content.length}-byte body`)
    assert.equal(withExpect.contentType, 'application/x-www-form-urlencoded')

    const forced = JSON.parse(
      await curlRun(['-d', `@${file}`, '-H', 'Expect: 100-continue', url]),
    ) as Described
    assert.equal(forced.expect, '100-continue')
    assert.equal(forced.sha256, sha256)

    const without = JSON.parse(await curlRun(['-d', `@${file}`, '-H', 'Expect:', url])) as Described
    assert.equal(without.expect, null)
    assert.equal(without.sha256, sha256)
  })

  it('HTTP/1.0 and HEAD', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(describeHandler)
    const old = JSON.parse(await curlRun(['-0', `http://127.0.0.1:${port}/old`])) as Described
    assert.equal(old.version, '1.0')
    const head = await curlRun(['-I', `http://127.0.0.1:${port}/head`])
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/)
    assert.match(head, /\r\nContent-Length: \d+\r\n/i)
    assert.match(head, /\r\nContent-Type: application\/json\r\n/i)
  })

  it('shows the response head with -i exactly as the server wrote it', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(() => ({
      status: 201,
      headers: [
        ['X-One', '1'],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
      ],
      body: 'created',
    }))
    const out = await curlRun(['-i', `http://127.0.0.1:${port}/`])
    assert.match(
      out,
      /^HTTP\/1\.1 201 Created\r\nX-One: 1\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nDate: .+ GMT\r\nContent-Length: 7\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\ncreated$/,
    )
  })
})

describe('fetch (undici)', { timeout: 60_000 }, () => {
  it('reuses kept-alive connections for sequential requests', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(describeHandler)
    const ports: (number | null)[] = []
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`http://127.0.0.1:${port}/seq/${i}`)
      assert.equal(response.status, 200)
      assert.equal(response.headers.get('connection'), 'keep-alive')
      ports.push(((await response.json()) as Described).port)
    }
    // undici gives a connection back to its pool a tick after the body was read, so a request sent at once
    // may take a second connection (it does the same against node:http); ten requests, at most two.
    assert.ok(new Set(ports).size <= 2, `ports: ${ports.join(', ')}`)
  })

  it('POSTs JSON and reads JSON back', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(async (request) => {
      const input = JSON.parse(Buffer.from(await request.body()).toString('utf8')) as {
        name: string
        values: number[]
      }
      return {
        status: 200,
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ hello: input.name, sum: input.values.reduce((a, b) => a + b, 0) }),
      }
    })
    const response = await fetch(`http://127.0.0.1:${port}/sum`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Zoë ✓', values: [1, 2, 3.5] }),
    })
    assert.equal(response.status, 200)
    assert.deepEqual(await response.json(), { hello: 'Zoë ✓', sum: 6.5 })
  })

  it('HEAD has the Content-Length a GET would have and no body', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(() => ({ status: 200, body: 'twelve bytes' }))
    const head = await fetch(`http://127.0.0.1:${port}/`, { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(head.headers.get('content-length'), '12')
    assert.equal(await head.text(), '')
    const got = await fetch(`http://127.0.0.1:${port}/`)
    assert.equal(await got.text(), 'twelve bytes')
  })

  it('reads a streamed (chunked) response as it comes', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(() => ({
      status: 200,
      body: (async function* () {
        for (let i = 0; i < 5; i++) {
          await new Promise((resolve) => setImmediate(resolve))
          yield Buffer.from(`part ${i};`)
        }
      })(),
    }))
    const response = await fetch(`http://127.0.0.1:${port}/`)
    assert.equal(response.headers.get('transfer-encoding'), 'chunked')
    assert.equal(await response.text(), 'part 0;part 1;part 2;part 3;part 4;')
  })
})
