/**
 * The state tables of src/protocol/state.ts, walked: their shape (every state has a row, dead states stay dead,
 * every state can be reached), the compiled machines against the tables, and ServerConnection against both —
 * every state × every event either takes the table's step or is refused, and no request vector ever makes the
 * connection take a step the tables do not have.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ServerConnection } from '../../src/protocol/connection.ts'
import { LocalProtocolError, RemoteProtocolError } from '../../src/protocol/errors.ts'
import { type ClientEvent, NEED_DATA, PAUSED, type ServerEvent } from '../../src/protocol/events.ts'
import {
  CLIENT_MACHINE,
  CLIENT_TRANSITIONS,
  CLIENT_TRIGGERS,
  CLOSE_RULE,
  type ClientTrigger,
  closeRule,
  NEXT_CYCLE,
  responseInProgress,
  responseTrigger,
  SERVER_MACHINE,
  SERVER_TRANSITIONS,
  SERVER_TRIGGERS,
  type ServerTrigger,
  STATE_TRIGGERED_TRANSITIONS,
  STATES,
  type State,
  startsNextCycle,
} from '../../src/protocol/state.ts'
import { REQUEST_VECTORS } from '../vectors/requests.ts'
import { byteChunks, bytes, EOF, MINIMAL_RESPONSE } from './helpers.ts'

const CLIENT_TRIGGER_NAMES = Object.keys(CLIENT_TRIGGERS) as ClientTrigger[]
const SERVER_TRIGGER_NAMES = Object.keys(SERVER_TRIGGERS) as ServerTrigger[]
const DEAD: readonly State[] = ['CLOSED', 'ERROR']

type Table = Readonly<Record<State, Readonly<Partial<Record<string, State>>>>>

/** Every state reachable from IDLE by the table's steps and the state-triggered ones. */
function reachable(table: Table): Set<State> {
  const seen = new Set<State>(['IDLE'])
  const queue: State[] = ['IDLE']
  while (queue.length > 0) {
    const state = queue.shift()!
    const next = [...Object.values(table[state]), closeRule(state, false)] as State[]
    if (state === NEXT_CYCLE.from) next.push(NEXT_CYCLE.to)
    for (const to of next) {
      if (!seen.has(to)) {
        seen.add(to)
        queue.push(to)
      }
    }
  }
  return seen
}

describe('the tables', () => {
  for (const [side, table, triggers] of [
    ['client', CLIENT_TRANSITIONS, CLIENT_TRIGGER_NAMES],
    ['server', SERVER_TRANSITIONS, SERVER_TRIGGER_NAMES],
  ] as const) {
    test(`${side}: one row per state, known triggers only, every target a state`, () => {
      assert.deepEqual(Object.keys(table).sort(), [...STATES].sort())
      for (const state of STATES) {
        for (const [trigger, to] of Object.entries(table[state])) {
          assert.ok((triggers as readonly string[]).includes(trigger), `${state}: ${trigger}`)
          assert.ok(STATES.includes(to as State), `${state} --${trigger}--> ${to}`)
        }
      }
    })

    test(`${side}: CLOSED and ERROR are dead: nothing leads from them to a live state`, () => {
      for (const state of DEAD) {
        for (const [trigger, to] of Object.entries(table[state])) {
          assert.ok(DEAD.includes(to as State), `${state} --${trigger}--> ${to}`)
        }
        assert.equal(closeRule(state, false), state)
        assert.equal(closeRule(state, true), state)
      }
    })

    test(`${side}: the tables are frozen`, () => {
      assert.ok(Object.isFrozen(table))
      for (const state of STATES) assert.ok(Object.isFrozen(table[state]), state)
    })
  }

  test('client: every state but SEND_RESPONSE (a server state) can be reached', () => {
    assert.deepEqual(
      [...reachable(CLIENT_TRANSITIONS)].sort(),
      STATES.filter((s) => s !== 'SEND_RESPONSE').sort(),
    )
    assert.deepEqual(CLIENT_TRANSITIONS.SEND_RESPONSE, {})
  })

  test('server: every state can be reached', () => {
    assert.deepEqual([...reachable(SERVER_TRANSITIONS)].sort(), [...STATES].sort())
  })

  test('the client can be dead only by EOF or by breaking the protocol', () => {
    for (const state of STATES) {
      for (const [trigger, to] of Object.entries(CLIENT_TRANSITIONS[state])) {
        if (to === 'CLOSED') assert.equal(trigger, 'connection-closed', `${state} --${trigger}-->`)
        if (to === 'ERROR') assert.equal(trigger, 'protocol-error', `${state} --${trigger}-->`)
      }
    }
    // A protocol error can only happen where something is read.
    const reading = STATES.filter((s) => CLIENT_TRANSITIONS[s]['protocol-error'] !== undefined)
    assert.deepEqual(reading, ['IDLE', 'SEND_BODY'])
  })

  test('one cycle on each side: IDLE → … → DONE by events alone', () => {
    const walk = (table: Table, triggers: readonly string[]): State[] => {
      const out: State[] = ['IDLE']
      for (const t of triggers) out.push(table[out.at(-1)!]![t]!)
      return out
    }
    assert.deepEqual(walk(CLIENT_TRANSITIONS, ['request', 'data', 'end-of-message']), [
      'IDLE',
      'SEND_BODY',
      'SEND_BODY',
      'DONE',
    ])
    assert.deepEqual(
      walk(SERVER_TRANSITIONS, [
        'client-request',
        'informational',
        'response',
        'data',
        'end-of-message',
      ]),
      ['IDLE', 'SEND_RESPONSE', 'SEND_RESPONSE', 'SEND_BODY', 'SEND_BODY', 'DONE'],
    )
  })

  test('MUST_CLOSE is entered only by the close rule, never by an event', () => {
    for (const table of [CLIENT_TRANSITIONS, SERVER_TRANSITIONS] as Table[]) {
      for (const state of STATES) {
        for (const to of Object.values(table[state])) assert.notEqual(to, 'MUST_CLOSE')
      }
    }
  })

  test('the close rule: DONE → MUST_CLOSE when keep-alive is off; nothing else moves', () => {
    assert.ok(STATE_TRIGGERED_TRANSITIONS.includes(CLOSE_RULE))
    for (const state of STATES) {
      assert.equal(closeRule(state, true), state, `${state}, keep-alive on`)
      assert.equal(
        closeRule(state, false),
        state === 'DONE' ? 'MUST_CLOSE' : state,
        `${state}, keep-alive off`,
      )
    }
  })

  test('the next cycle: (DONE, DONE) → (IDLE, IDLE), from no other pair', () => {
    assert.ok(STATE_TRIGGERED_TRANSITIONS.includes(NEXT_CYCLE))
    for (const their of STATES) {
      for (const ours of STATES) {
        assert.equal(
          startsNextCycle(their, ours),
          their === 'DONE' && ours === 'DONE',
          `${their}/${ours}`,
        )
      }
    }
    assert.deepEqual([NEXT_CYCLE.from, NEXT_CYCLE.to], ['DONE', 'IDLE'])
  })

  test('a response while the client is in ERROR is the error response; only IDLE or SEND_RESPONSE send it', () => {
    for (const state of STATES) {
      assert.equal(responseTrigger(state), state === 'ERROR' ? 'error-response' : 'response')
      assert.equal(responseInProgress(state), state === 'SEND_RESPONSE' || state === 'SEND_BODY')
    }
    const from = STATES.filter((s) => SERVER_TRANSITIONS[s]['error-response'] !== undefined)
    assert.deepEqual(from, ['IDLE', 'SEND_RESPONSE'])
  })
})

describe('the compiled machines (state.ts compile)', () => {
  for (const [side, machine, table, triggers] of [
    ['client', CLIENT_MACHINE, CLIENT_TRANSITIONS, CLIENT_TRIGGER_NAMES],
    ['server', SERVER_MACHINE, SERVER_TRANSITIONS, SERVER_TRIGGER_NAMES],
  ] as const) {
    test(`${side}: one frozen node per state, each step and the close rule as the tables say`, () => {
      assert.ok(Object.isFrozen(machine))
      for (const state of STATES) {
        const node = machine[state] as unknown as Record<string, { state: State } | null> & {
          state: State
          closing: { state: State }
        }
        assert.ok(Object.isFrozen(node), state)
        assert.equal(node.state, state)
        assert.equal(node.closing.state, closeRule(state, false))
        for (const trigger of triggers) {
          const to = (table[state] as Partial<Record<string, State>>)[trigger]
          assert.equal(node[trigger]?.state ?? undefined, to, `${state} --${trigger}-->`)
        }
      }
    })

    test(`${side}: every node has the same keys in the same order (one hidden class)`, () => {
      const keys = Object.keys(machine.IDLE)
      for (const state of STATES) assert.deepEqual(Object.keys(machine[state]), keys, state)
    })
  }
})

// ---------------------------------------------------------------------------------------------------------------
// ServerConnection against the tables

const GET = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n'
const END: ServerEvent = { type: 'end-of-message' }

/** Ways to put a connection in each of our states (and the client's state that goes with it). */
const OUR_STATES: Record<string, () => ServerConnection> = {
  'IDLE (client IDLE)': () => new ServerConnection(),
  'IDLE (client ERROR)': () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('BAD\x01 / HTTP/1.1\r\n\r\n'))
    assert.throws(() => conn.nextEvent(), RemoteProtocolError)
    return conn
  },
  SEND_RESPONSE: () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes(GET))
    drainAll(conn)
    return conn
  },
  'SEND_RESPONSE (client ERROR)': () => {
    const conn = new ServerConnection()
    conn.receiveData(
      bytes('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
    )
    assert.throws(() => drainAll(conn), RemoteProtocolError)
    return conn
  },
  SEND_BODY: () => {
    const conn = OUR_STATES.SEND_RESPONSE!()
    conn.send({ type: 'response', status: 200 })
    return conn
  },
  DONE: () => {
    const conn = OUR_STATES.SEND_BODY!()
    conn.send(END)
    return conn
  },
  MUST_CLOSE: () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'))
    drainAll(conn)
    conn.send({ type: 'response', status: 200, headers: [['Content-Length', '0']] })
    conn.send(END)
    return conn
  },
  CLOSED: () => {
    const conn = new ServerConnection()
    conn.send({ type: 'connection-closed' })
    return conn
  },
  ERROR: () => {
    const conn = OUR_STATES.SEND_BODY!()
    conn.sendFailed()
    return conn
  },
}

/** One event of each kind the application can send, each valid wherever its step is allowed. */
const SENDS: Record<string, ServerEvent> = {
  informational: { type: 'informational', status: 100 },
  response: { type: 'response', status: 200, headers: [['Content-Length', '0']] },
  data: { type: 'data', data: bytes('x') },
  'end-of-message': END,
  'connection-closed': { type: 'connection-closed' },
}

function drainAll(conn: ServerConnection): ClientEvent[] {
  const out: ClientEvent[] = []
  for (;;) {
    const ev = conn.nextEvent()
    if (ev === NEED_DATA || ev === PAUSED) return out
    out.push(ev)
  }
}

function triggerOf(event: ServerEvent, theirState: State): ServerTrigger {
  return event.type === 'response' ? responseTrigger(theirState) : event.type
}

/** Our state after `send(event)` from `before`, as the tables say; undefined when the send is refused. */
function expectedAfterSend(
  event: ServerEvent,
  before: { their: State; ours: State },
  keepAliveAfter: boolean,
): State | undefined {
  const to = SERVER_TRANSITIONS[before.ours][triggerOf(event, before.their)]
  return to === undefined ? undefined : closeRule(to, keepAliveAfter)
}

describe('ServerConnection takes exactly the steps of the tables', () => {
  test('the recipes reach the states they are named after', () => {
    for (const [name, make] of Object.entries(OUR_STATES)) {
      const conn = make()
      assert.equal(conn.ourState, name.split(' ')[0], name)
      if (name.includes('client ERROR')) assert.equal(conn.theirState, 'ERROR', name)
    }
  })

  for (const [name, make] of Object.entries(OUR_STATES)) {
    for (const [kind, event] of Object.entries(SENDS)) {
      test(`our ${name} × ${kind}: the table's step, or refused with nothing changed`, () => {
        const conn = make()
        const before = { their: conn.theirState, ours: conn.ourState }
        let refused: unknown
        try {
          conn.send(event)
        } catch (error) {
          refused = error
        }
        const expected = expectedAfterSend(event, before, conn.keepAlive)
        if (expected === undefined) {
          assert.ok(refused instanceof LocalProtocolError, `expected a refusal, got ${refused}`)
          assert.equal(refused.code, 'ILLEGAL_SEND')
          assert.equal(conn.ourState, before.ours)
          assert.equal(conn.theirState, before.their)
        } else {
          assert.equal(refused, undefined)
          assert.equal(conn.ourState, expected)
        }
      })
    }

    test(`our ${name} × send-failed: the table's step`, () => {
      const conn = make()
      const before = conn.ourState
      conn.sendFailed()
      assert.equal(conn.ourState, SERVER_TRANSITIONS[before]['send-failed'])
    })
  }

  test('requestClose() applies the close rule to both sides, and only that', () => {
    for (const [name, make] of Object.entries(OUR_STATES)) {
      const conn = make()
      const before = { their: conn.theirState, ours: conn.ourState }
      conn.requestClose()
      assert.equal(conn.ourState, closeRule(before.ours, false), name)
      assert.equal(conn.theirState, closeRule(before.their, false), name)
    }
  })

  /**
   * Checks one `nextEvent()` call against the tables: the next cycle first when both sides are DONE, then the
   * client's event (and our side's step on it), the close rule after an end-of-message; nothing moves on
   * NEED_DATA or PAUSED; a protocol error only where the table has one.
   */
  function checkedNextEvent(
    conn: ServerConnection,
    where: string,
  ): ReturnType<typeof conn.nextEvent> {
    let their = conn.theirState
    let ours = conn.ourState
    if (startsNextCycle(their, ours)) [their, ours] = [NEXT_CYCLE.to, NEXT_CYCLE.to]
    let ev: ReturnType<typeof conn.nextEvent>
    try {
      ev = conn.nextEvent()
    } catch (error) {
      if (!(error instanceof RemoteProtocolError)) throw error
      if (their !== 'ERROR') {
        assert.notEqual(
          CLIENT_TRANSITIONS[their]['protocol-error'],
          undefined,
          `${where}: error in ${their}`,
        )
      }
      assert.equal(conn.theirState, 'ERROR', where)
      assert.equal(conn.ourState, ours, where)
      throw error
    }
    if (ev === NEED_DATA || ev === PAUSED) {
      assert.equal(conn.theirState, their, `${where}: ${String(ev)}`)
      assert.equal(conn.ourState, ours, `${where}: ${String(ev)}`)
      return ev
    }
    const to = CLIENT_TRANSITIONS[their][ev.type]
    assert.notEqual(to, undefined, `${where}: ${ev.type} read in ${their}`)
    const cross =
      ev.type === 'request'
        ? 'client-request'
        : ev.type === 'connection-closed'
          ? 'client-closed'
          : undefined
    let oursTo = cross === undefined ? ours : (SERVER_TRANSITIONS[ours][cross] ?? ours)
    let theirTo = to!
    if (ev.type === 'end-of-message') {
      theirTo = closeRule(theirTo, conn.keepAlive)
      oursTo = closeRule(oursTo, conn.keepAlive)
    }
    assert.equal(conn.theirState, theirTo, `${where}: their ${their} --${ev.type}-->`)
    assert.equal(conn.ourState, oursTo, `${where}: our ${ours} on ${ev.type}`)
    return ev
  }

  function checkedSend(conn: ServerConnection, event: ServerEvent, where: string): void {
    const before = { their: conn.theirState, ours: conn.ourState }
    conn.send(event)
    assert.equal(conn.ourState, expectedAfterSend(event, before, conn.keepAlive), where)
  }

  /** Drives `chunks` (then EOF) as test/protocol/helpers.ts `drive` does, every step checked. */
  function checkedDrive(
    conn: ServerConnection,
    chunks: readonly Uint8Array[],
    where: string,
  ): void {
    const pump = (): boolean => {
      for (let calls = 0; calls < 100_000; calls++) {
        let ev: ReturnType<typeof conn.nextEvent>
        try {
          ev = checkedNextEvent(conn, where)
        } catch (error) {
          if (!(error instanceof RemoteProtocolError)) throw error
          // One error response, as a transport sends it, then nothing more is read.
          if (conn.ourState === 'IDLE' || conn.ourState === 'SEND_RESPONSE') {
            checkedSend(
              conn,
              { type: 'response', status: 400, headers: [['Content-Length', '0']] },
              where,
            )
            checkedSend(conn, END, where)
          }
          return false
        }
        if (ev === NEED_DATA || ev === PAUSED) return true
        if (ev.type === 'connection-closed') return false
        if (ev.type === 'end-of-message') {
          checkedSend(conn, MINIMAL_RESPONSE, where)
          checkedSend(conn, END, where)
        }
      }
      throw new Error(`${where}: no end`)
    }
    for (const chunk of chunks) {
      conn.receiveData(chunk)
      if (!pump()) return
    }
    conn.receiveData(EOF)
    pump()
  }

  test('every request vector, whole and byte by byte, then EOF: no step outside the tables', () => {
    for (const v of REQUEST_VECTORS) {
      const input = bytes(v.input)
      for (const [how, chunks] of [
        ['whole', [input]],
        ['byte by byte', byteChunks(input)],
      ] as const) {
        const conn = new ServerConnection(v.limits === undefined ? {} : { limits: v.limits })
        checkedDrive(conn, chunks, `${v.name} (${how})`)
      }
    }
  })
})
