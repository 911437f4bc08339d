import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  hostChecker,
  hostName,
  isLoopbackName,
  sameOriginRequest,
  tokenChecker,
} from '../../../src/observatory/server/guard.ts'

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
