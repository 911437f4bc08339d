/** The echo example, run as a child process the way a person would start it. */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Child, Harness } from '../test/transport/helpers.ts'

describe('examples/echo.ts', { timeout: 60_000 }, () => {
  it('echoes every method and path, passes Content-Type through, and stops on SIGINT', async (t) => {
    const echo = new Child('examples/echo.ts', ['--host', '127.0.0.1', '--port', '0'], t)
    const port = Number((await echo.line(/^echo: listening on http:\/\/127\.0\.0\.1:(\d+)$/))[1])
    const base = `http://127.0.0.1:${port}`

    const posted = await fetch(`${base}/some/path?q=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"héllo":"wörld"}',
    })
    assert.equal(posted.status, 200)
    assert.equal(posted.headers.get('content-type'), 'application/json')
    assert.equal(await posted.text(), '{"héllo":"wörld"}')

    for (const method of ['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'REPORT']) {
      const response = await fetch(`${base}/${method.toLowerCase()}`, { method, body: method })
      assert.equal(response.status, 200, method)
      assert.equal(await response.text(), method)
    }
    const bare = await fetch(`${base}/`)
    assert.equal(bare.status, 200)
    assert.equal(bare.headers.get('content-type'), null)
    assert.equal(await bare.text(), '')
    const head = await fetch(`${base}/`, { method: 'HEAD' })
    assert.equal(head.status, 200)

    echo.process.kill('SIGINT')
    await echo.line(/^echo: SIGINT, closed$/)
    assert.deepEqual(await echo.exited, { code: 0, signal: null })
  })

  it('also listens on a Unix socket, and stops on SIGTERM', async (t) => {
    const h = new Harness(t)
    const path = join(h.tempDir(), 'echo.sock')
    const echo = new Child('examples/echo.ts', ['--port', '0', '--unix', path], t)
    await echo.line(/^echo: listening on unix:(.+)$/)
    const client = await h.client({ path })
    await client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi')
    const response = await client.response()
    assert.equal(response.body.toString(), 'hi')
    client.destroy()
    echo.process.kill('SIGTERM')
    assert.deepEqual(await echo.exited, { code: 0, signal: null })
  })

  it('refuses a bad port with a usage line and exit code 2', async (t) => {
    const echo = new Child('examples/echo.ts', ['--port', 'eighty'], t)
    assert.equal((await echo.exited).code, 2)
    assert.match(echo.stderr, /--port must be a number/)
  })
})
