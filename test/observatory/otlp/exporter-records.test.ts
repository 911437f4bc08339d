/**
 * Hook events as OTLP log records (otlp/observatory-records.ts): the fields the exporter reads, the attributes it
 * writes, the derived trace and span ids, and the receiving side: recognition, conversion (identity moved under
 * `_forwarded`, the original line recoverable byte for byte), refusals, and the bounded set of recent uids.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { encodeJson, type JsonObject, parseJson } from '../../../src/observatory/encoding/index.ts'
import type { OtlpLogRecord } from '../../../src/observatory/otlp/index.ts'
import {
  forwardedEvent,
  isObservatoryRecord,
  lineFields,
  OBSERVATORY_SERVICE,
  originalEvent,
  RecentIds,
  recordAttributes,
  sessionTraceId,
  toolSpanId,
  turnSpanId,
} from '../../../src/observatory/otlp/observatory-records.ts'
import { enrichEvent } from '../../../src/observatory/server/event.ts'

const TS = new Date('2026-02-09T10:30:00.250Z')

/** A line as the observatory writes it, for a Unix-socket caller (kernel-verified identity). */
function localLine(payload: Record<string, unknown>): string {
  const map = parseJson(JSON.stringify(payload)) as JsonObject
  const enriched = enrichEvent(
    { ts: TS, event: 'PreToolUse', peer: { pid: 42, uid: 1000, gid: 1000 } },
    map,
  )
  return encodeJson(enriched)
}

function record(body: unknown, extra: Record<string, string> = {}): OtlpLogRecord {
  return {
    timeMs: TS.getTime(),
    body: body as OtlpLogRecord['body'],
    attributes: {
      'service.name': OBSERVATORY_SERVICE,
      'service.instance.id': 'inst-a',
      'host.name': 'laptop-a',
      'hook.event.name': 'PreToolUse',
      'log.record.uid': 'inst-a:7',
      ...extra,
    },
  }
}

describe('observatory records', () => {
  it('reads the fields the exporter needs from a line', () => {
    const line = localLine({
      session_id: 's-1',
      prompt_id: 'p-1',
      tool_name: 'Bash',
      tool_use_id: 'toolu_1',
      is_interrupt: true,
    })
    assert.deepEqual(lineFields(`${line}\n`), {
      forwarded: false,
      session_id: 's-1',
      prompt_id: 'p-1',
      tool_name: 'Bash',
      tool_use_id: 'toolu_1',
      is_interrupt: true,
    })
    assert.deepEqual(lineFields('{"_forwarded":{},"session_id":""}'), { forwarded: true })
    assert.equal(lineFields('[1]'), undefined)
    assert.equal(lineFields('not json'), undefined)
  })

  it('writes the attributes of a record', () => {
    const fields = lineFields(
      localLine({ session_id: 's-1', tool_name: 'Read', tool_use_id: 't' }),
    )!
    assert.deepEqual(recordAttributes('PreToolUse', 'i:3', 3, fields, 'p-9'), {
      'hook.event.name': 'PreToolUse',
      'log.record.uid': 'i:3',
      'hooks_observatory.event.id': 3,
      'session.id': 's-1',
      'gen_ai.conversation.id': 's-1',
      'prompt.id': 'p-9',
      'gen_ai.tool.name': 'Read',
      'gen_ai.tool.call.id': 't',
    })
    assert.deepEqual(
      recordAttributes('Notification', 'i:4', undefined, { forwarded: false }, undefined),
      {
        'hook.event.name': 'Notification',
        'log.record.uid': 'i:4',
      },
    )
  })

  it('derives trace and span ids deterministically', () => {
    assert.match(sessionTraceId('s-1'), /^[0-9a-f]{32}$/)
    assert.match(turnSpanId('p-1'), /^[0-9a-f]{16}$/)
    assert.match(toolSpanId('toolu_1'), /^[0-9a-f]{16}$/)
    assert.equal(sessionTraceId('s-1'), sessionTraceId('s-1'))
    assert.notEqual(sessionTraceId('s-1'), sessionTraceId('s-2'))
    // The same text as a prompt and as a tool call: different spans.
    assert.notEqual(turnSpanId('x'), toolSpanId('x'))
  })

  it('recognizes the records an observatory wrote, and only those', () => {
    assert.equal(isObservatoryRecord(record('{}')), true)
    const claudeCode: OtlpLogRecord = {
      timeMs: 1,
      body: 'claude_code.api_request',
      attributes: { 'service.name': 'claude-code', 'event.name': 'api_request', 'session.id': 's' },
    }
    assert.equal(isObservatoryRecord(claudeCode), false)
    const noUid = record('{}')
    delete noUid.attributes['log.record.uid']
    assert.equal(isObservatoryRecord(noUid), false)
  })

  it('moves the origin identity under _forwarded, and the original line comes back exactly', () => {
    const line = localLine({
      session_id: 's-1',
      tool_name: 'Bash',
      tool_use_id: 'toolu_1',
      n: 1.5,
      _peer_uid: 0,
    })
    const event = forwardedEvent(record(line), 0)
    assert.ok(typeof event !== 'string', String(event))
    assert.equal(event.uid, 'inst-a:7')
    assert.equal(event.event, 'PreToolUse')
    assert.equal(event.time, TS.getTime())
    const written = encodeJson(event.enriched)
    // No identity at the top level: neither the origin's kernel-verified one nor what its payload claimed.
    const top = JSON.parse(written) as Record<string, unknown>
    for (const key of ['_peer_pid', '_peer_uid', '_peer_gid', '_client']) {
      assert.equal(key in top, false, key)
    }
    assert.deepEqual(top._forwarded, {
      instance: 'inst-a',
      host: 'laptop-a',
      uid: 'inst-a:7',
      _peer_pid: 42,
      _peer_uid: 1000,
      _peer_gid: 1000,
    })
    assert.deepEqual(Object.keys(top).slice(0, 3), ['_ts', '_event', '_forwarded'])
    // The payload's own claim stays where the origin put it.
    assert.deepEqual(top._from_payload, { _peer_uid: 0 })
    assert.equal(encodeJson(originalEvent(event.enriched)), line)
  })

  it('keeps an earlier hop one level down', () => {
    const hop =
      '{"_ts":"2026-02-09T10:30:00+00:00","_event":"Stop","_forwarded":{"instance":"x"},"a":1}'
    const event = forwardedEvent(record(hop, { 'hook.event.name': 'Stop' }), 5)
    assert.ok(typeof event !== 'string')
    const top = JSON.parse(encodeJson(event.enriched)) as Record<string, unknown>
    assert.deepEqual((top._forwarded as Record<string, unknown>).previous, { instance: 'x' })
    assert.equal(encodeJson(originalEvent(event.enriched)), hop)
  })

  it('refuses what is not an event line', () => {
    assert.match(String(forwardedEvent(record(42), 0)), /not a string/)
    assert.match(String(forwardedEvent(record('{'), 0)), /not JSON/)
    assert.match(String(forwardedEvent(record('[1]'), 0)), /not a JSON object/)
    assert.match(String(forwardedEvent(record('{"a":1}'), 0)), /no _ts and _event/)
    assert.match(
      String(forwardedEvent(record('{"_ts":"t","_event":"Stop"}'), 0)),
      /is not hook.event.name/,
    )
    // A record without a time takes `now`.
    const untimed = { ...record('{"_ts":"t","_event":"PreToolUse"}'), timeMs: null }
    const event = forwardedEvent(untimed, 99)
    assert.ok(typeof event !== 'string')
    assert.equal(event.time, 99)
  })

  it('remembers recent uids, up to a bound', () => {
    const ids = new RecentIds(3)
    assert.equal(ids.add('a'), true)
    assert.equal(ids.add('a'), false)
    ids.add('b')
    ids.add('c')
    ids.add('d') // forgets 'a'
    assert.equal(ids.size, 3)
    assert.equal(ids.add('a'), true)
    ids.delete('a')
    assert.equal(ids.add('a'), true)
  })
})
