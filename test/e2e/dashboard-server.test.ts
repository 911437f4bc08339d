/**
 * The dashboard's server side over HTTP, without a browser: every view's path answers the same page with its
 * CSP; the bundle is served with its types, immutable caching, ETag revalidation and gzip; `GET /events` is still
 * the SSE stream; `GET /api/stats/timeline` counts what was stored; without a bundle, the page says to build it.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { DASHBOARD_CSP, Dashboard } from '../../src/observatory/server/live-page.ts'
import { postEvent, request, startCli } from '../observatory/helpers.ts'

test('the page, its assets and the timeline API', { timeout: 120_000 }, async (t) => {
  const obs = await startCli(t, ['--port', '0', '--quiet'])
  const target = obs.tcp
  const origin = `http://127.0.0.1:${target.port}`

  const home = await request(target, { path: '/' })
  assert.equal(home.status, 200)
  assert.equal(home.headers['content-type'], 'text/html; charset=utf-8')
  assert.equal(home.headers['content-security-policy'], DASHBOARD_CSP)
  assert.doesNotMatch(DASHBOARD_CSP, /unsafe-inline|unsafe-eval/)
  assert.equal(home.headers['cache-control'], 'no-cache')
  assert.doesNotMatch(home.body, /<script>|<style|style=/, 'no inline script or style')
  const script = /<script defer src="(\/assets\/app-[A-Z0-9]+\.js)"><\/script>/.exec(home.body)?.[1]
  const style = /<link rel="stylesheet" href="(\/assets\/app-[A-Z0-9]+\.css)">/.exec(home.body)?.[1]
  assert.ok(script !== undefined && style !== undefined, home.body)

  // Every view is the same page (the script renders the view the URL names).
  for (const path of ['/sessions/abc-123', '/stream?q=x&event=Stop', '/charts?window=1h']) {
    const reply = await request(target, { path })
    assert.equal(reply.status, 200, path)
    assert.equal(reply.body, home.body, path)
  }
  // /events stays the stream.
  const controller = new AbortController()
  const stream = await fetch(`${origin}/events`, {
    headers: { Accept: 'text/event-stream' },
    signal: controller.signal,
  })
  assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8')
  controller.abort()

  // Assets: types, immutable, ETag, gzip.
  for (const [path, type] of [
    [script, 'text/javascript; charset=utf-8'],
    [style, 'text/css; charset=utf-8'],
  ] as const) {
    const plain = await request(target, { path })
    assert.equal(plain.status, 200)
    assert.equal(plain.headers['content-type'], type)
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable')
    assert.equal(plain.headers['x-content-type-options'], 'nosniff')
    assert.equal(plain.headers['content-encoding'], undefined)
    const etag = plain.headers.etag
    assert.match(etag ?? '', /^"[\w-]+"$/)
    const again = await request(target, { path, headers: { 'If-None-Match': etag! } })
    assert.equal(again.status, 304)
    assert.equal(again.body, '')
    const zipped = await fetch(`${origin}${path}`, { headers: { 'Accept-Encoding': 'gzip' } })
    assert.equal(zipped.headers.get('content-encoding'), 'gzip')
    assert.ok(Number(zipped.headers.get('content-length')) < Buffer.byteLength(plain.body) / 2)
    assert.equal(await zipped.text(), plain.body, 'the same bytes once decoded')
  }
  assert.equal((await request(target, { path: '/assets/app-NOPE.js' })).status, 404)
  const icon = await request(target, { path: '/favicon.svg' })
  assert.equal(icon.headers['content-type'], 'image/svg+xml')
  assert.match(icon.body, /^<svg /)

  // The timeline: the stored events, by step.
  await postEvent(target, 'PreToolUse', { session_id: 's', tool_name: 'Bash', tool_use_id: 't1' })
  await postEvent(target, 'PostToolUseFailure', {
    session_id: 's',
    tool_name: 'Bash',
    tool_use_id: 't1',
  })
  await postEvent(target, 'Stop', { session_id: 's' })
  const reply = await request(target, { path: '/api/stats/timeline?window=1h&step=10s' })
  assert.equal(reply.status, 200)
  const timeline = JSON.parse(reply.body) as Record<string, number & number[]>
  assert.equal(timeline.step_ms, 10_000)
  assert.equal(timeline.events.length, 360)
  assert.equal(timeline.start % 10_000, 0)
  assert.equal(timeline.total, 3)
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)
  assert.equal(sum(timeline.events), 3)
  assert.equal(sum(timeline.tool_calls), 1)
  assert.equal(sum(timeline.failures), 1)
  assert.ok(timeline.events.at(-1)! + timeline.events.at(-2)! === 3, 'in the last two steps')
  const byDefault = JSON.parse((await request(target, { path: '/api/stats/timeline' })).body)
  assert.equal(byDefault.window_ms, 3_600_000)
  assert.equal(byDefault.step_ms, 10_000)
  for (const query of ['window=1y', 'window=2h&step=1s', 'step=0s', 'window=30d']) {
    assert.equal(
      (await request(target, { path: `/api/stats/timeline?${query}` })).status,
      400,
      query,
    )
  }
  const openapi = JSON.parse((await request(target, { path: '/openapi.json' })).body)
  assert.ok(openapi.paths['/api/stats/timeline']?.get, 'documented in the OpenAPI document')
  await obs.stopCleanly()
})

test('without a bundle the page says to run npm run build', () => {
  const dir = mkdtempSync(join(tmpdir(), 'no-web-'))
  try {
    const dashboard = new Dashboard(dir)
    const page = dashboard.page()
    assert.equal(page.status, 200)
    assert.match(String(page.body), /Run <code>npm run build<\/code>/)
    assert.equal(dashboard.asset('app-X.js', undefined, undefined), undefined)
    assert.equal(dashboard.icon(undefined, undefined), undefined)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
