/**
 * The demo API end to end: our server on a loopback port, Node's fetch as the client, every route and every
 * error path.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { parseDemoArgs, runDemo } from '../../src/cli/demo.ts'
import { createDemoApp } from '../../src/demo/index.ts'
import type { HttpServer } from '../../src/transport/server.ts'
import { memoryLogger } from './helpers.ts'

let server: HttpServer
let base: string

before(async () => {
  server = await createDemoApp({ logger: memoryLogger() }).listen({ port: 0, host: '127.0.0.1' })
  const address = server.addresses[0]
  assert.ok(address?.transport === 'tcp')
  base = `http://127.0.0.1:${address.port}`
})

after(async () => {
  await server.close({ timeout: 2000 })
})

async function get(
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: unknown; response: globalThis.Response }> {
  const response = await fetch(base + path, init)
  const text = await response.text()
  const type = response.headers.get('content-type') ?? ''
  return {
    status: response.status,
    body: type.startsWith('application/json') && text !== '' ? JSON.parse(text) : text,
    response,
  }
}

function postJson(path: string, body: string, type = 'application/json') {
  return get(path, { method: 'POST', headers: { 'content-type': type }, body })
}

describe('demo API', () => {
  test('GET / and /health', async () => {
    assert.deepEqual((await get('/')).body, { message: 'Welcome to my API!' })
    const health = await get('/health')
    assert.deepEqual([health.status, health.body], [200, { status: 'ok' }])
    assert.equal(health.response.headers.get('content-type'), 'application/json')
  })

  test('users: list, one, unknown id, non-numeric id', async () => {
    const list = await get('/users')
    assert.deepEqual(list.body, [
      { id: 1, name: 'Alice' },
      { id: 2, name: 'Bob' },
    ])
    assert.deepEqual((await get('/users/2')).body, { id: 2, name: 'Bob' })
    const unknown = await get('/users/99')
    assert.deepEqual([unknown.status, unknown.body], [404, { error: 'User not found' }])
    const notNumber = await get('/users/abc')
    assert.deepEqual([notNumber.status, notNumber.body], [404, { error: 'Not Found' }])
  })

  test('POST /users creates a user (201), then it is listed', async () => {
    const created = await postJson('/users', '{"name":"Carol"}')
    assert.equal(created.status, 201)
    const user = created.body as { id: number; name: string }
    assert.equal(user.name, 'Carol')
    assert.ok(user.id >= 3)
    assert.deepEqual((await get(`/users/${user.id}`)).body, user)
    assert.ok(Array.isArray((await get('/users')).body))
    assert.deepEqual(((await get('/users')).body as unknown[]).at(-1), user)
  })

  test('POST /users validation: missing, not a string, empty, too long → 422 with issues', async () => {
    for (const body of [
      '{}',
      '{"name":5}',
      '{"name":null}',
      '{"name":""}',
      `{"name":"${'n'.repeat(101)}"}`,
      '[]',
    ]) {
      const r = await postJson('/users', body)
      assert.equal(r.status, 422, body)
      const answer = r.body as {
        error: string
        issues: { in: string; path: string; message: string }[]
      }
      assert.equal(answer.error, 'Validation failed')
      assert.ok(answer.issues.length >= 1)
      assert.ok(answer.issues.every((i) => i.in === 'body' && typeof i.message === 'string'))
    }
    const missing = (await postJson('/users', '{}')).body as { issues: { path: string }[] }
    assert.equal(missing.issues[0]!.path, 'name')
    const unchanged = (await get('/users')).body as unknown[]
    assert.ok(unchanged.every((u) => typeof (u as { name: unknown }).name === 'string'))
  })

  test('POST /users: malformed JSON 400, wrong content type 415, no body 422, too large 413', async () => {
    const malformed = await postJson('/users', '{"name":')
    assert.equal(malformed.status, 400)
    assert.equal((malformed.body as { error: string }).error, 'Malformed JSON')
    const form = await postJson('/users', 'name=x', 'application/x-www-form-urlencoded')
    assert.equal(form.status, 415)
    const empty = await get('/users', { method: 'POST' })
    assert.equal(empty.status, 422)
    const huge = await postJson('/users', JSON.stringify({ name: 'x'.repeat(1024 * 1024) }))
    assert.deepEqual(huge.body, {
      error: 'Content Too Large',
      detail: 'request body exceeds 1048576 bytes',
    })
  })

  test('POST /echo returns the JSON body; errors are JSON too', async () => {
    const value = { a: [1, 'two', { three: null }], é: true }
    assert.deepEqual((await postJson('/echo', JSON.stringify(value))).body, value)
    assert.equal((await postJson('/echo', 'nope')).status, 400)
    assert.equal((await postJson('/echo', '1', 'text/plain')).status, 415)
  })

  test('405 with Allow, OPTIONS 204 with Allow, HEAD without body, 404, 400', async () => {
    const wrong = await get('/users', { method: 'DELETE' })
    assert.deepEqual([wrong.status, wrong.body], [405, { error: 'Method Not Allowed' }])
    assert.equal(wrong.response.headers.get('allow'), 'GET, HEAD, OPTIONS, POST')
    const options = await get('/users/1', { method: 'OPTIONS' })
    assert.deepEqual(
      [options.status, options.response.headers.get('allow')],
      [204, 'GET, HEAD, OPTIONS'],
    )
    const head = await get('/health', { method: 'HEAD' })
    assert.deepEqual([head.status, head.body], [200, ''])
    assert.equal(head.response.headers.get('content-length'), '15')
    assert.deepEqual((await get('/nowhere')).body, { error: 'Not Found' })
    assert.equal((await get('/users/%E0%A4%A')).status, 400)
  })

  test('/openapi.json lists every demo route; /docs serves the page, its script and its assets', async () => {
    const doc = (await get('/openapi.json')).body as {
      openapi: string
      info: { title: string }
      paths: Record<
        string,
        Record<
          string,
          { summary?: string; requestBody?: unknown; responses: Record<string, unknown> }
        >
      >
    }
    assert.equal(doc.openapi, '3.1.0')
    assert.equal(doc.info.title, 'Demo API')
    assert.deepEqual(Object.keys(doc.paths).sort(), [
      '/',
      '/echo',
      '/health',
      '/users',
      '/users/{id}',
    ])
    assert.equal(doc.paths['/users']!.post!.summary, 'Create a user')
    assert.deepEqual(Object.keys(doc.paths['/users']!.post!.responses).sort(), ['201', '422'])
    assert.ok(doc.paths['/users']!.post!.requestBody)
    assert.ok(doc.paths['/users/{id}']!.get!.responses['404'])

    const page = await get('/docs')
    assert.equal(page.status, 200)
    assert.equal(page.response.headers.get('content-type'), 'text/html; charset=utf-8')
    assert.match(page.response.headers.get('content-security-policy') ?? '', /script-src 'self'/)
    const html = page.body as string
    assert.doesNotMatch(html, /https?:\/\//)
    assert.doesNotMatch(html, /<script>/)
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    assert.ok(assets.includes('/docs/init.js'))
    for (const asset of assets) {
      const r = await fetch(base + asset)
      assert.equal(r.status, 200, asset)
      await r.arrayBuffer()
      if (asset.includes('/assets/')) {
        assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable')
        const etag = r.headers.get('etag')
        assert.ok(etag)
        const again = await fetch(base + asset, { headers: { 'if-none-match': etag } })
        assert.equal(again.status, 304)
        await again.arrayBuffer()
      }
    }
    const css = await fetch(base + assets.find((a) => a.endsWith('.css'))!)
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8')
    await css.arrayBuffer()
    const init = await get('/docs/init.js')
    assert.equal(init.response.headers.get('content-type'), 'text/javascript; charset=utf-8')
    assert.match(init.body as string, /"\/openapi\.json"/)
    assert.equal((await get('/docs/assets/0.0.0/swagger-ui.css')).status, 404)
    assert.equal((await get(`${assets[0]!.replace(/[^/]+$/, '')}package.json`)).status, 404)
  })

  test('each app has its own store', async () => {
    const a = createDemoApp({ logger: memoryLogger() })
    const b = createDemoApp({ logger: memoryLogger() })
    const other = await a.listen({ port: 0, host: '127.0.0.1' })
    const another = await b.listen({ port: 0, host: '127.0.0.1' })
    try {
      const [x, y] = [other, another].map(
        (s) => `http://127.0.0.1:${(s.addresses[0] as { port: number }).port}`,
      )
      await fetch(`${x}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name":"Zed"}',
      }).then((r) => r.arrayBuffer())
      const listA = (await (await fetch(`${x}/users`)).json()) as unknown[]
      const listB = (await (await fetch(`${y}/users`)).json()) as unknown[]
      assert.deepEqual([listA.length, listB.length], [3, 2])
    } finally {
      await Promise.all([other.close({ timeout: 2000 }), another.close({ timeout: 2000 })])
    }
  })
})

describe('demo over a Unix socket', () => {
  test('the same app answers on a socket path', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-uds-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const socketPath = join(dir, 'demo.sock')
    const unix = await createDemoApp({ logger: memoryLogger() }).listen({ path: socketPath })
    t.after(() => unix.close({ timeout: 2000 }))
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        { socketPath, path: '/users/1', headers: { connection: 'close' } },
        (res) => {
          let text = ''
          res.setEncoding('utf8').on('data', (d: string) => {
            text += d
          })
          res.on('end', () => resolve(`${res.statusCode} ${text}`))
        },
      )
      req.on('error', reject)
      req.end()
    })
    assert.equal(body, '200 {"id":1,"name":"Alice"}')
  })
})

describe('demo main', () => {
  test('argument parsing', () => {
    assert.deepEqual(parseDemoArgs([]), { host: '127.0.0.1', port: 8000, workers: 1 })
    assert.deepEqual(parseDemoArgs(['--host', '::1', '--port', '0']), {
      host: '::1',
      port: 0,
      workers: 1,
    })
    assert.deepEqual(parseDemoArgs(['--workers', '2']), {
      host: '127.0.0.1',
      port: 8000,
      workers: 2,
    })
    assert.throws(() => parseDemoArgs(['--workers', '0']), /--workers must be/)
    assert.throws(() => parseDemoArgs(['--port', 'http']), /--port must be an integer/)
    assert.throws(() => parseDemoArgs(['--port', '70000']), /--port/)
    assert.throws(() => parseDemoArgs(['--nope']), /Unknown option/)
    assert.equal(parseDemoArgs(['--help']), 'help')
    assert.equal(parseDemoArgs(['--port', '0', '-h']), 'help')
  })

  test('bad arguments exit 2 with usage on stderr', async () => {
    const errors: string[] = []
    assert.equal(
      await runDemo(
        ['--port', 'x'],
        () => {},
        (line) => errors.push(line),
      ),
      2,
    )
    assert.deepEqual(errors, [
      'observatory demo: --port must be an integer from 0 to 65535, got "x" (see observatory demo --help)',
    ])
  })

  test('the script prints its URLs, serves, and stops cleanly on SIGTERM', async (t) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'demo', '--port', '0'],
      {
        cwd: new URL('../..', import.meta.url),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL')
    })
    let output = ''
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${output}`)), 20_000)
      child.stdout.setEncoding('utf8').on('data', (data: string) => {
        output += data
        const match = /Interactive docs at (http:\/\/127\.0\.0\.1:\d+)\/docs/.exec(output)
        if (match) {
          clearTimeout(timer)
          resolve(match[1]!)
        }
      })
      child.once('exit', () => reject(new Error(`exited early: ${output}`)))
    })
    assert.match(output, /Demo API listening on http:\/\/127\.0\.0\.1:\d+\n/)
    assert.deepEqual(await (await fetch(url)).json(), { message: 'Welcome to my API!' })
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    )
    child.kill('SIGTERM')
    assert.equal(await exited, 0)
  })
})
