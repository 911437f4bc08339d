/**
 * A handler that returns a response HTTP/1.1 cannot carry (a Content-Length that does not match its body, a
 * header with a line break) gets a 500 in its place, and the connection goes on serving.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { get, Harness } from './helpers.ts'

test('a body that contradicts its Content-Length becomes a 500, and the next request is served', async (t) => {
  const h = new Harness(t)
  const { port } = await h.server((request) =>
    request.path === '/bad'
      ? { status: 200, headers: { 'content-length': '5' }, body: 'abc' }
      : { status: 200, body: 'fine' },
  )
  const client = await h.client(port)
  await client.write(get('/bad') + get('/good'))
  const [bad, good] = await client.responses(2)
  assert.equal(bad!.status, 500)
  assert.equal(good!.status, 200)
  assert.equal(good!.body.toString(), 'fine')
})

test('a header value with CR LF becomes a 500 and is never written', async (t) => {
  const h = new Harness(t)
  const { port } = await h.server(() => ({
    status: 200,
    headers: { 'x-a': 'ok\r\nSet-Cookie: evil=1' },
    body: '',
  }))
  const client = await h.client(port)
  await client.write(get('/'))
  const response = await client.response()
  assert.equal(response.status, 500)
  assert.ok(!response.headers.some(([name]) => name.toLowerCase() === 'set-cookie'))
})
