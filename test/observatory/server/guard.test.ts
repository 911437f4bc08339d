import assert from 'node:assert/strict'
import { test } from 'node:test'
import { App } from '../../../src/framework/index.ts'
import {
  hostChecker,
  hostName,
  isLoopbackName,
  sameOriginRequest,
  TOKEN_COOKIE,
  tcpGuard,
  tokenChecker,
  tokenCookie,
  tokenCookieChecker,
  tokenCookieValue,
  withoutToken,
} from '../../../src/observatory/server/guard.ts'
import { call } from '../../framework/helpers.ts'

test('hostName strips the port and IPv6 brackets, lower-cased', () => {
  assert.equal(hostName('LocalHost:23518'), 'localhost')
  assert.equal(hostName('[::1]:80'), '::1')
  assert.equal(hostName('127.0.0.1'), '127.0.0.1')
})

test('loopback names: localhost and its subdomains, 127/8, ::1', () => {
  for (const name of [
    'localhost',
    'app.localhost',
    '127.0.0.1',
    '127.9.9.9',
    '::1',
    '::ffff:127.0.0.1',
  ]) {
    assert.ok(isLoopbackName(name), name)
  }
  for (const name of ['example.com', 'localhost.example.com', '10.0.0.1', '128.0.0.1', '::2', '']) {
    assert.ok(!isLoopbackName(name), name)
  }
})

test('the Host check accepts loopback, the bind address and --allow-host names, nothing else', () => {
  const ok = hostChecker(['Obs.Internal:9000'], '192.168.1.5')
  assert.ok(ok('127.0.0.1:23518'))
  assert.ok(ok('localhost'))
  assert.ok(ok('192.168.1.5:23518'))
  assert.ok(ok('obs.internal'))
  assert.ok(!ok('evil.example'))
  assert.ok(!ok('attacker.localhost.evil.example'))
  assert.ok(!ok(undefined))
  const wildcard = hostChecker([], '0.0.0.0')
  assert.ok(!wildcard('0.0.0.0'), 'a wildcard bind address is not a name to accept')
})

test('the token check wants exactly "Bearer <token>"', () => {
  const ok = tokenChecker('s3cret')
  assert.ok(ok('Bearer s3cret'))
  assert.ok(ok('bearer   s3cret'))
  assert.ok(!ok('Bearer s3cre'))
  assert.ok(!ok('Bearer s3cret2'))
  assert.ok(!ok('Basic s3cret'))
  assert.ok(!ok(undefined))
})

test("only the observatory's own origin passes: scheme, host and port", () => {
  const base = {
    method: 'POST',
    host: '127.0.0.1:23518',
    fetchMode: undefined,
    fetchDest: undefined,
  }
  const ok = (origin: string | undefined, fetchSite?: string, host: string | null = base.host) =>
    sameOriginRequest({ ...base, host: host ?? undefined, origin, fetchSite })
  assert.ok(ok(undefined), 'curl and hooks send no Origin')
  assert.ok(ok('http://127.0.0.1:23518', 'same-origin'), 'the live page')
  assert.ok(ok('http://LOCALHOST:23518', undefined, 'localhost:23518'))
  assert.ok(ok('http://[::1]:23518', undefined, '[::1]:23518'))
  assert.ok(ok('http://127.0.0.1', undefined, '127.0.0.1:80'), 'the default port is the same port')
  assert.ok(ok(undefined, 'none'), 'typed into the address bar')
  assert.ok(!ok('http://evil.example'))
  assert.ok(!ok('null'), 'sandboxed frames and file: pages')
  assert.ok(!ok('http://127.0.0.1:8080'), 'another local port')
  assert.ok(!ok('http://localhost:3000'))
  assert.ok(!ok('http://localhost:23518'), 'another name for the same port is another origin')
  assert.ok(!ok('https://127.0.0.1:23518'))
  assert.ok(!ok('http://127.0.0.1:23518', undefined, null), 'an Origin but no Host (HTTP/1.0)')
  assert.ok(!ok(undefined, 'cross-site'))
  assert.ok(!ok(undefined, 'same-site'), 'same-site: another port of this machine')
  assert.ok(!ok('http://127.0.0.1:23518', 'cross-site'))
})

test('a top-level GET navigation from another site may open a page; nothing else may', () => {
  const nav = {
    host: '127.0.0.1:23518',
    origin: undefined,
    fetchSite: 'cross-site',
    fetchMode: 'navigate',
  }
  assert.ok(sameOriginRequest({ ...nav, method: 'GET', fetchDest: 'document' }))
  assert.ok(sameOriginRequest({ ...nav, method: 'HEAD', fetchDest: 'document' }))
  assert.ok(!sameOriginRequest({ ...nav, method: 'POST', fetchDest: 'document' }), 'a form post')
  assert.ok(!sameOriginRequest({ ...nav, method: 'GET', fetchDest: 'embed' }))
  assert.ok(!sameOriginRequest({ ...nav, method: 'GET', fetchDest: 'object' }))
  assert.ok(!sameOriginRequest({ ...nav, method: 'GET', fetchMode: 'no-cors', fetchDest: 'image' }))
})

// ---- the dashboard's token cookie ------------------------------------------------------------------------

test('the token cookie holds an HMAC of the token, never the token; HttpOnly, SameSite=Strict, Path=/', () => {
  const value = tokenCookieValue('s3cret')
  assert.notEqual(value, 's3cret')
  assert.ok(!value.includes('s3cret'))
  assert.match(value, /^[A-Za-z0-9_-]{43}$/)
  assert.equal(tokenCookieValue('s3cret'), value, 'the same token, the same cookie')
  assert.notEqual(tokenCookieValue('other'), value)
  const header = tokenCookie('s3cret')
  assert.equal(header, `${TOKEN_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict`)
})

test('the cookie check accepts that cookie among others, and nothing else', () => {
  const ok = tokenCookieChecker('s3cret')
  const value = tokenCookieValue('s3cret')
  assert.ok(ok(`${TOKEN_COOKIE}=${value}`))
  assert.ok(ok(`theme=dark; ${TOKEN_COOKIE}=${value}; x=1`))
  assert.ok(!ok(undefined))
  assert.ok(!ok(''))
  assert.ok(!ok(`${TOKEN_COOKIE}=s3cret`), 'the token itself is not the cookie')
  assert.ok(!ok(`${TOKEN_COOKIE}=${tokenCookieValue('other')}`))
  assert.ok(!ok(`${TOKEN_COOKIE}=${value.slice(1)}`))
  assert.ok(!ok(`other_${TOKEN_COOKIE}=${value}`))
})

test('the redirect after ?token= keeps the path and the rest of the query, and stays on this origin', () => {
  assert.equal(withoutToken('/', 'token=abc'), '/')
  assert.equal(withoutToken('/stream', 'q=a+b&token=abc&tool=Bash'), '/stream?q=a+b&tool=Bash')
  assert.equal(withoutToken('/sessions/x%2Fy', 'token=abc'), '/sessions/x%2Fy')
  assert.equal(withoutToken('//evil.example/path', 'token=abc'), '/', 'a network-path reference')
  assert.equal(withoutToken('/\\evil.example', 'token=abc'), '/', 'browsers read \\ as /')
  assert.equal(withoutToken('http://evil.example/', 'token=abc'), '/')
})

/** The guard alone in an app whose routes answer 200, called with real requests (no socket). */
function guarded(token: string | undefined) {
  const app = new App()
  app.use(tcpGuard({ allowHosts: [], bindAddress: '127.0.0.1', token }))
  app.get('/{*path}', () => ({ ok: true }))
  app.post('/{*path}', () => ({ ok: true }))
  app.get('/', () => ({ ok: true }))
  return (target: string, method = 'GET', headers: Record<string, string> = {}) =>
    call(app.handler, target, { method, headers: { Host: '127.0.0.1:23518', ...headers } })
}

test('GET ?token=T (right) sets the cookie and redirects (303) without the token; wrong: 401, no cookie', async () => {
  const send = guarded('s3cret')
  const right = await send('/stream?q=x&token=s3cret')
  assert.equal(right.status, 303)
  assert.equal(right.headers.get('location'), '/stream?q=x')
  assert.equal(right.headers.get('set-cookie'), tokenCookie('s3cret'))
  assert.equal(right.headers.get('cache-control'), 'no-store')
  assert.equal((await send('/?token=s3cret', 'HEAD')).status, 303)

  const wrong = await send('/?token=nope', 'GET', { Accept: 'text/html,application/xhtml+xml' })
  assert.equal(wrong.status, 401)
  assert.equal(wrong.headers.get('set-cookie'), undefined)
  assert.match(wrong.headers.get('content-type') ?? '', /^text\/html/)
  assert.match(wrong.text, /\?token=/, 'the page says which address to open')
  const empty = await send('/?token=')
  assert.equal(empty.status, 401)
  assert.equal(empty.headers.get('set-cookie'), undefined)
  assert.match(empty.headers.get('content-type') ?? '', /^application\/json/, 'JSON for clients')

  // Hooks cannot trade a query token for anything: POST needs the header.
  assert.equal((await send('/hook?event=X&token=s3cret', 'POST')).status, 401)
})

test('the cookie stands in for the token on GET and HEAD only, and the origin checks still apply', async () => {
  const send = guarded('s3cret')
  const cookie = { Cookie: `${TOKEN_COOKIE}=${tokenCookieValue('s3cret')}` }
  assert.equal((await send('/api/sessions', 'GET', cookie)).status, 200)
  assert.equal((await send('/events', 'HEAD', cookie)).status, 200)
  assert.equal(
    (await send('/api/sessions', 'GET', { ...cookie, 'Sec-Fetch-Site': 'same-origin' })).status,
    200,
  )
  assert.equal((await send('/hook?event=X', 'POST', cookie)).status, 401, 'hooks need the header')
  assert.equal(
    (await send('/api/sessions', 'GET', { ...cookie, Origin: 'http://evil.example' })).status,
    403,
  )
  assert.equal(
    (await send('/api/sessions', 'GET', { ...cookie, 'Sec-Fetch-Site': 'same-site' })).status,
    403,
    'another local port of the same site',
  )
  assert.equal(
    (await send('/api/sessions', 'GET', { ...cookie, Host: 'evil.example' })).status,
    403,
  )
  assert.equal((await send('/api/sessions')).status, 401)
  const other = { Cookie: `${TOKEN_COOKIE}=${tokenCookieValue('another-token')}` }
  assert.equal((await send('/api/sessions', 'GET', other)).status, 401)
  assert.equal((await send('/api/sessions', 'GET', { Authorization: 'Bearer s3cret' })).status, 200)
  assert.equal((await send('/health')).status, 200)
  // A browser's navigation without the cookie gets a page that says what to do.
  const page = await send('/', 'GET', { 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Site': 'none' })
  assert.equal(page.status, 401)
  assert.match(page.text, /needs its token/)
})

test('without --token, ?token= and cookies change nothing', async () => {
  const send = guarded(undefined)
  const reply = await send('/?token=whatever')
  assert.equal(reply.status, 200)
  assert.equal(reply.headers.get('set-cookie'), undefined)
})
