import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sameSiteRequest } from './app.ts'
import { hostChecker, hostName, isLoopbackName, tokenChecker } from './guard.ts'

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

test('cross-site browser requests are refused; hooks and the live page pass', () => {
  const hostOk = hostChecker([], '127.0.0.1')
  assert.ok(sameSiteRequest(undefined, undefined, hostOk), 'curl and hooks send no Origin')
  assert.ok(sameSiteRequest('http://127.0.0.1:23518', 'same-origin', hostOk), 'the live page')
  assert.ok(sameSiteRequest('http://localhost:23518', undefined, hostOk))
  assert.ok(!sameSiteRequest('http://evil.example', undefined, hostOk))
  assert.ok(!sameSiteRequest('null', undefined, hostOk), 'sandboxed frames and file: pages')
  assert.ok(!sameSiteRequest(undefined, 'cross-site', hostOk))
  assert.ok(!sameSiteRequest('http://127.0.0.1:23518', 'cross-site', hostOk))
})
