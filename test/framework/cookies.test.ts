import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { isJsonMediaType, parseCookies, serializeCookie } from '../../src/framework/index.ts'

test('parseCookies: RFC 6265 §5.4 pairs, first wins, quotes, percent-decoding, junk skipped', () => {
  assert.deepEqual({ ...parseCookies(undefined) }, {})
  assert.deepEqual({ ...parseCookies('') }, {})
  assert.deepEqual(
    { ...parseCookies('a=1; b=2;c=3 ;  d = 4 ') },
    { a: '1', b: '2', c: '3', d: '4' },
  )
  assert.deepEqual({ ...parseCookies('a=1; a=2') }, { a: '1' })
  assert.deepEqual({ ...parseCookies('q="x y"; e=; eq=a=b') }, { q: 'x y', e: '', eq: 'a=b' })
  assert.deepEqual({ ...parseCookies('novalue; =nameless; ;;; ok=1') }, { ok: '1' })
  assert.deepEqual({ ...parseCookies('p=%E2%82%AC; bad=%E2%82') }, { p: '€', bad: '%E2%82' })
  const proto = parseCookies('__proto__=x; constructor=y')
  assert.equal(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, 'x')
  assert.equal(Object.getPrototypeOf(proto), null)
})

test('parseCookies never throws, and serializeCookie values round-trip', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (header) => {
      parseCookies(header)
    }),
  )
  fc.assert(
    fc.property(
      fc.stringMatching(/^[A-Za-z0-9_-]{1,10}$/),
      fc.string({ unit: 'grapheme' }),
      (name, value) => {
        const pair = serializeCookie(name, value).split(';')[0]!
        assert.equal(parseCookies(pair)[name], value)
      },
    ),
  )
})

test('serializeCookie: attributes, refusals', () => {
  assert.equal(
    serializeCookie('sid', 'v', {
      maxAge: 60.9,
      domain: 'example.com',
      path: '/',
      httpOnly: true,
      sameSite: 'None',
      expires: new Date(0),
    }),
    'sid=v; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=None',
  )
  assert.throws(() => serializeCookie('bad name', 'v'), TypeError)
  assert.throws(() => serializeCookie('n', 'v', { path: '/a;b' }), TypeError)
  assert.throws(() => serializeCookie('n', 'v', { maxAge: Number.NaN }), TypeError)
})

test('isJsonMediaType', () => {
  for (const yes of [
    'application/json',
    'Application/JSON',
    'application/json;charset=utf-8',
    'application/json; charset="UTF-8"',
    'application/vnd.api+json',
    'application/json; foo=bar',
  ]) {
    assert.equal(isJsonMediaType(yes), true, yes)
  }
  for (const no of [
    'text/plain',
    'application/jsonx',
    'application/json; charset=latin1',
    'text/json',
    'application/+json',
    '',
  ]) {
    assert.equal(isJsonMediaType(no), false, no)
  }
})
