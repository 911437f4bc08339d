import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { eventFields, fieldsOfLine } from '../../../src/observatory/store/fields.ts'
import { defaultStorePath } from '../../../src/observatory/store/paths.ts'

describe('eventFields / fieldsOfLine', () => {
  it('takes the indexed fields of a log line', () => {
    assert.deepEqual(
      fieldsOfLine(
        '{"_ts":"2025-03-01T12:00:00+00:00","_event":"PreToolUse","hook_event_name":"X","session_id":"s","tool_name":"Bash","tool_use_id":"t","agent_id":"a"}\n',
      ),
      {
        ts: Date.parse('2025-03-01T12:00:00Z'),
        event: 'PreToolUse',
        session_id: 's',
        tool_name: 'Bash',
        tool_use_id: 't',
        agent_id: 'a',
      },
    )
  })

  it('falls back to hook_event_name, and to null for missing or non-string fields', () => {
    assert.deepEqual(
      eventFields({ _ts: '2025-03-01T12:00:00.250Z', hook_event_name: 'Stop', session_id: 5 }),
      {
        ts: Date.parse('2025-03-01T12:00:00.250Z'),
        event: 'Stop',
        session_id: null,
        tool_name: null,
        tool_use_id: null,
        agent_id: null,
      },
    )
  })

  it('rejects lines without a usable _ts or event name, and non-objects', () => {
    assert.equal(eventFields({ _event: 'Stop' }), undefined)
    assert.equal(eventFields({ _ts: 'yesterday', _event: 'Stop' }), undefined)
    assert.equal(eventFields({ _ts: '2025', _event: 'Stop' }), undefined)
    assert.equal(eventFields({ _ts: '2025-13-45T99:00:00Z', _event: 'Stop' }), undefined)
    assert.equal(eventFields({ _ts: 1_700_000_000_000, _event: 'Stop' }), undefined)
    assert.equal(eventFields({ _ts: '2025-03-01T12:00:00Z' }), undefined)
    assert.equal(eventFields({ _ts: '2025-03-01T12:00:00Z', _event: '' }), undefined)
    for (const line of ['', 'nope', '[1]', 'null', '"x"', '{"_ts":']) {
      assert.equal(fieldsOfLine(line), undefined, line)
    }
  })
})

describe('defaultStorePath', () => {
  it('uses XDG_STATE_HOME when it is absolute, else ~/.local/state', () => {
    assert.equal(
      defaultStorePath({ XDG_STATE_HOME: '/var/state' }, '/home/me'),
      '/var/state/hooks-observatory/events.db',
    )
    assert.equal(
      defaultStorePath({}, '/home/me'),
      '/home/me/.local/state/hooks-observatory/events.db',
    )
    assert.equal(
      defaultStorePath({ XDG_STATE_HOME: '' }, '/home/me'),
      '/home/me/.local/state/hooks-observatory/events.db',
    )
    assert.equal(
      defaultStorePath({ XDG_STATE_HOME: 'relative/state' }, '/home/me'),
      '/home/me/.local/state/hooks-observatory/events.db',
    )
  })
})
