/**
 * Bodies both ways: request bodies read whole (with a limit) or as a stream, chunked request bodies, streaming
 * responses (chunked to HTTP/1.1, close-delimited to HTTP/1.0), and `Expect: 100-continue`.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { get, Harness, header } from './helpers.ts'

describe('request bodies', { timeout: 60_000 }, () => {
  it('body(limit) past its limit → 413 with Connection: close (Content-Length and chunked)', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(async (request) => ({
      status: 200,
      body: await request.body(10),
    }))
    for (const request of [
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n',
    ]) {
      const client = await h.client(port)
      await client.write(request)
      const response = await client.response()
      assert.equal(response.status, 413)
      assert.match(response.body.toString(), /^Content Too Large: request body exceeds 10 bytes/)
      assert.equal(header(response, 'connection'), 'close')
      await client.serverClosed()
    }
    // Within the limit: fine.
    const client = await h.client(port)
    await client.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhelloworld')
    assert.equal((await client.response()).body.toString(), 'helloworld')
  })

  it('stream() yields the body piece by piece as it arrives', async (t) => {
    const h = new Harness(t)
    const pieces: string[] = []
    let gotPiece: (() => void) | undefined
    const { port } = await h.server(async (request) => {
      for await (const chunk of request.stream()) {
        pieces.push(Buffer.from(chunk).toString())
        gotPiece?.()
      }
      return { status: 200, body: pieces.join('|') }
    })
    const client = await h.client(port)
    client.socket.setNoDelay(true)
    await client.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n')
    for (const part of ['one', 'two', 'six']) {
      // The next part is sent only once the handler has seen the previous one: each arrives on its own.
      const seen = new Promise<void>((resolve) => {
        gotPiece = resolve
      })
      await client.write(part)
      await seen
    }
    const response = await client.response()
    assert.equal(response.body.toString(), 'one|two|six')
  })

  it('reads a chunked request body with extensions and trailers', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(async (request) => ({
      status: 200,
      body: `${request.hasBody} ${request.contentLength} ${Buffer.from(await request.body()).toString()}`,
    }))
    const client = await h.client(port)
    await client.write(
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Checksum: 1\r\n\r\n' +
        get('/next'),
    )
    assert.equal((await client.response()).body.toString(), 'true undefined hello 0123456789')
    // The request after the trailers is read normally.
    assert.equal((await client.response()).body.toString(), 'false 0 ')
  })
})

describe('streaming responses', { timeout: 60_000 }, () => {
  const handler = () => ({
    status: 200,
    headers: [['Content-Type', 'text/plain']] as [string, string][],
    body: (async function* () {
      for (const word of ['alpha ', 'beta ', 'gamma']) {
        await new Promise((resolve) => setImmediate(resolve))
        yield Buffer.from(word)
      }
    })(),
  })

  it('is sent chunked to an HTTP/1.1 client, which keeps its connection', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(handler)
    const client = await h.client(port)
    await client.write(get('/'))
    const response = await client.response()
    assert.equal(header(response, 'transfer-encoding'), 'chunked')
    assert.equal(header(response, 'content-length'), undefined)
    assert.ok(response.chunked)
    assert.equal(response.body.toString(), 'alpha beta gamma')
    assert.equal(header(response, 'connection'), 'keep-alive')
    await client.write(get('/again'))
    assert.equal((await client.response()).body.toString(), 'alpha beta gamma')
  })

  it('is sent close-delimited to an HTTP/1.0 client', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(handler)
    const client = await h.client(port)
    await client.write('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
    await client.serverClosed()
    const response = await client.response()
    assert.equal(header(response, 'transfer-encoding'), undefined)
    assert.equal(header(response, 'content-length'), undefined)
    assert.equal(header(response, 'connection'), 'close')
    assert.ok(response.closeDelimited)
    assert.equal(response.body.toString(), 'alpha beta gamma')
  })

  it('uses a Content-Length the handler gives instead of chunking', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(() => ({
      status: 200,
      headers: { 'Content-Length': '6' },
      body: (async function* () {
        yield Buffer.from('abc')
        yield Buffer.from('def')
      })(),
    }))
    const client = await h.client(port)
    await client.write(get('/'))
    const response = await client.response()
    assert.equal(header(response, 'transfer-encoding'), undefined)
    assert.equal(response.body.toString(), 'abcdef')
    assert.equal(header(response, 'connection'), 'keep-alive')
  })
})

describe('Expect: 100-continue', { timeout: 60_000 }, () => {
  const head =
    'POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n'

  it('sends 100 Continue when the handler reads the body, then the final response', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(async (request) => ({
      status: 200,
      body: await request.body(),
    }))
    const client = await h.client(port)
    await client.write(head)
    const interim = await client.response()
    assert.equal(interim.status, 100)
    assert.equal(interim.reason, 'Continue')
    await client.write('hello')
    const response = await client.response()
    assert.equal(response.status, 200)
    assert.equal(response.body.toString(), 'hello')
    assert.equal(header(response, 'connection'), 'keep-alive')
  })

  it('sends no 100 and closes when the handler answers without reading the body', async (t) => {
    const h = new Harness(t)
    // headersTimeout far longer: the close must follow the response, not a timeout.
    const { port } = await h.server(() => ({ status: 401, body: 'who are you?' }), {
      headersTimeout: 60_000,
    })
    const client = await h.client(port)
    await client.write(head)
    const response = await client.response()
    assert.equal(response.status, 401)
    assert.equal(response.body.toString(), 'who are you?')
    // The client may or may not send the body now: the connection cannot be trusted for another request.
    assert.equal(header(response, 'connection'), 'close')
    await client.serverClosed(10_000)
    assert.doesNotMatch(client.text, /100 Continue/)
  })

  it('ignores 100-continue from an HTTP/1.0 client (no interim response)', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(async (request) => ({
      status: 200,
      body: await request.body(),
    }))
    const client = await h.client(port)
    await client.write('POST / HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello')
    const response = await client.response()
    assert.equal(response.status, 200)
    assert.equal(response.body.toString(), 'hello')
    assert.doesNotMatch(client.text, /100 Continue/)
  })
})
