/**
 * # The connection's state machines, as data
 *
 * Everything that moves a state lives in this file (h11's `_state.py`: "everything that affects the state machine
 * must live here"). `connection.ts` reads bytes and writes bytes; when it needs to know whether a step is allowed
 * and where it leads, it asks these tables. `docs/protocol.md`'s diagram is generated from them
 * (`node --import tsx scripts/state-diagram.ts`), and `test/protocol/state-table.test.ts` walks them.
 *
 * A connection is two state machines, one per side: the client's (`theirState`) and ours (`ourState`). One request
 * and its response form a _cycle_:
 *
 *   client:  IDLE ─request→ SEND_BODY ─end-of-message→ DONE
 *   server:  IDLE ─(client-request)→ SEND_RESPONSE ─response→ SEND_BODY ─end-of-message→ DONE
 *   then (DONE, DONE) → (IDLE, IDLE) for the next cycle, or MUST_CLOSE on a side whose connection will not persist.
 *
 * Two kinds of transition, as in h11:
 *
 * - **Event-triggered** (`CLIENT_TRANSITIONS`, `SERVER_TRANSITIONS`): a side's own event moves that side. A
 *   server trigger named `client-…` is the client's event moving our side (h11's `(Request, CLIENT)` key): a
 *   request we received puts us in SEND_RESPONSE. For a side's own events a missing entry means the event is
 *   illegal in that state (`send()` throws `LocalProtocolError` and changes nothing; the readers never make such
 *   an event); for the `client-…` triggers a missing entry means our side does not move.
 * - **State-triggered** (`STATE_TRIGGERED_TRANSITIONS`): taken because of where both sides are, not because of an
 *   event. The close rule (a side in DONE on a connection that will not persist goes to MUST_CLOSE) is applied
 *   after every step that can end a message or turn keep-alive off; the next cycle ((DONE, DONE) → (IDLE, IDLE))
 *   is taken when `nextEvent()` is next called, so the states stay observable as DONE until then.
 *
 * Rule 1: one request at a time. Once a request is complete, `nextEvent()` returns PAUSED until its response is
 * complete too; only then does it read the next pipelined request. Responses therefore leave in request order, and
 * a broken request behind good ones is only reported after the good ones were answered (RFC 9112 §9.3.2).
 *
 * Rule 2: when either side will close (Connection: close, HTTP/1.0 without keep-alive, CL+TE framing, a response
 * without a length to a 1.0 client, a final response while the client waits for 100 Continue, an error), the
 * state after DONE is MUST_CLOSE and nothing more is read from the connection: bytes after such a request are
 * never parsed, so they can never become a request. `closeRule()` is that rule, once.
 *
 * Rule 3: CLOSED and ERROR are dead. Nothing leads from them back to a live state.
 *
 * Leniencies kept from before the tables existed (neither is used by the transport, which closes sockets itself):
 * `send({ type: 'connection-closed' })` is accepted in every state (h11 refuses it in the middle of a message),
 * and `sendFailed()` marks our side ERROR from any state.
 */

export type State =
  | 'IDLE'
  | 'SEND_RESPONSE'
  | 'SEND_BODY'
  | 'DONE'
  | 'MUST_CLOSE'
  | 'CLOSED'
  | 'ERROR'

/** Every state, in the order a cycle visits them. */
export const STATES: readonly State[] = Object.freeze([
  'IDLE',
  'SEND_RESPONSE',
  'SEND_BODY',
  'DONE',
  'MUST_CLOSE',
  'CLOSED',
  'ERROR',
])

/** What moves the client's side: the events `nextEvent()` returns, and a protocol error it throws. */
export type ClientTrigger =
  | 'request'
  | 'data'
  | 'end-of-message'
  | 'connection-closed'
  | 'protocol-error'

/** What moves our side: the events given to `send()`, a failed write, and two of the client's events. */
export type ServerTrigger =
  | 'client-request'
  | 'client-closed'
  | 'informational'
  | 'response'
  | 'error-response'
  | 'data'
  | 'end-of-message'
  | 'connection-closed'
  | 'send-failed'

/** The client's triggers, each with what it is (the docs' legend is generated from this). */
export const CLIENT_TRIGGERS: Readonly<Record<ClientTrigger, string>> = Object.freeze({
  request: 'a complete request head was read',
  data: 'a piece of the request body',
  'end-of-message': 'the request body (and trailers) ended',
  'connection-closed': 'the client closed its side (EOF) where that is clean',
  'protocol-error': 'the client broke HTTP/1.1: `nextEvent()` throws `RemoteProtocolError`',
})

export const SERVER_TRIGGERS: Readonly<Record<ServerTrigger, string>> = Object.freeze({
  'client-request': "the client's `request` event: an answer is now due",
  'client-closed': "the client's `connection-closed` while both sides are idle",
  informational: 'an interim response (1xx) was sent',
  response: 'a final response head was sent',
  'error-response':
    'a final response head was sent while the client is in ERROR (the answer to a broken request)',
  data: 'a piece of the response body was sent',
  'end-of-message': 'the response ended',
  'connection-closed': 'we closed the connection',
  'send-failed': '`sendFailed()`: a write failed, nothing more can be sent',
})

type Transitions<T extends string> = Readonly<Record<State, Readonly<Partial<Record<T, State>>>>>

/** The client's side: events from its bytes. SEND_RESPONSE is a server state and never the client's. */
export const CLIENT_TRANSITIONS: Transitions<ClientTrigger> = deepFreeze({
  IDLE: { request: 'SEND_BODY', 'connection-closed': 'CLOSED', 'protocol-error': 'ERROR' },
  SEND_RESPONSE: {},
  SEND_BODY: { data: 'SEND_BODY', 'end-of-message': 'DONE', 'protocol-error': 'ERROR' },
  // Nothing is read in DONE (Rule 1: PAUSED until our response is complete).
  DONE: {},
  // EOF is reported here only once our response is complete (see responseInProgress).
  MUST_CLOSE: { 'connection-closed': 'CLOSED' },
  CLOSED: {},
  ERROR: {},
})

/** Our side: what the application sends, plus the client's request and clean EOF. */
export const SERVER_TRANSITIONS: Transitions<ServerTrigger> = deepFreeze({
  IDLE: {
    'client-request': 'SEND_RESPONSE',
    'client-closed': 'CLOSED',
    'error-response': 'SEND_BODY',
    'connection-closed': 'CLOSED',
    'send-failed': 'ERROR',
  },
  SEND_RESPONSE: {
    informational: 'SEND_RESPONSE',
    response: 'SEND_BODY',
    'error-response': 'SEND_BODY',
    'connection-closed': 'CLOSED',
    'send-failed': 'ERROR',
  },
  SEND_BODY: {
    data: 'SEND_BODY',
    'end-of-message': 'DONE',
    'connection-closed': 'CLOSED',
    'send-failed': 'ERROR',
  },
  DONE: { 'connection-closed': 'CLOSED', 'send-failed': 'ERROR' },
  MUST_CLOSE: { 'connection-closed': 'CLOSED', 'send-failed': 'ERROR' },
  CLOSED: { 'connection-closed': 'CLOSED', 'send-failed': 'ERROR' },
  ERROR: { 'connection-closed': 'CLOSED', 'send-failed': 'ERROR' },
})

/**
 * Which trigger a final response is: the answer to a request (`response`), or the one answer allowed after the
 * client broke the protocol (`error-response`, which may also come before any request was read).
 */
export function responseTrigger(theirState: State): 'response' | 'error-response' {
  return theirState === 'ERROR' ? 'error-response' : 'response'
}

/**
 * True while our response is being sent. The client's EOF in MUST_CLOSE is only reported (as
 * `connection-closed`) once it is not: until then the application is still answering that client.
 */
export function responseInProgress(ourState: State): boolean {
  return ourState === 'SEND_RESPONSE' || ourState === 'SEND_BODY'
}

/** A transition taken because of the states (and keep-alive), not because of an event. */
export interface StateTriggeredTransition {
  /** `each`: applies to either side on its own; `both`: both sides must be in `from`, and both move. */
  readonly sides: 'each' | 'both'
  readonly from: State
  readonly to: State
  readonly keepAlive: boolean
  /** For people: the diagram's label, and when the rule is applied. */
  readonly label: string
  readonly note: string
}

/** Rule 2: a side that has finished its message on a connection that will not persist must close. */
export const CLOSE_RULE: StateTriggeredTransition = Object.freeze({
  sides: 'each',
  from: 'DONE',
  to: 'MUST_CLOSE',
  keepAlive: false,
  label: 'keep-alive off',
  note: 'each side on its own, whenever a message ends or keep-alive turns off (`requestClose()`, an error, a response that closes)',
})

/** Both sides finished a cycle on a persistent connection: forget it and read the next request. */
export const NEXT_CYCLE: StateTriggeredTransition = Object.freeze({
  sides: 'both',
  from: 'DONE',
  to: 'IDLE',
  keepAlive: true,
  label: 'both DONE, next cycle',
  note: 'both sides at once, when both are DONE on a persistent connection; taken by the next `nextEvent()` call',
})

export const STATE_TRIGGERED_TRANSITIONS: readonly StateTriggeredTransition[] = Object.freeze([
  CLOSE_RULE,
  NEXT_CYCLE,
])

/** The close rule (Rule 2) for one side: its state once keep-alive is known. */
export function closeRule(state: State, keepAlive: boolean): State {
  return state === CLOSE_RULE.from && keepAlive === CLOSE_RULE.keepAlive ? CLOSE_RULE.to : state
}

/**
 * True when both sides are done with a cycle and the next one may start. Keep-alive need not be checked: a
 * side in DONE on a connection that will not persist has already moved to MUST_CLOSE (the close rule runs first).
 */
export function startsNextCycle(theirState: State, ourState: State): boolean {
  return theirState === NEXT_CYCLE.from && ourState === NEXT_CYCLE.from
}

/**
 * One state of one side, with the tables compiled in: `node[trigger]` is the node that trigger leads to (null
 * when the table has no such step), `node.closing` where the close rule leads (MUST_CLOSE from DONE, the node
 * itself otherwise). The connection holds one node per side, so a step is one property load.
 * why: looking a step up as `TABLE[state][trigger]` cost about 200 instructions (V8's megamorphic keyed loads),
 * 1,000 a request; compiled, the nodes of a side share one shape and every load is monomorphic
 * (bench/protocol-instructions.ts).
 */
export type StateNode<T extends string> = {
  readonly state: State
  readonly closing: StateNode<T>
} & { readonly [K in T]: StateNode<T> | null }

export type ClientNode = StateNode<ClientTrigger>
export type ServerNode = StateNode<ServerTrigger>

/** The client's machine, compiled from CLIENT_TRANSITIONS and CLOSE_RULE when this module loads. */
export const CLIENT_MACHINE: Readonly<Record<State, ClientNode>> = compile(
  CLIENT_TRANSITIONS,
  CLIENT_TRIGGERS,
)
/** Our machine, compiled from SERVER_TRANSITIONS and CLOSE_RULE when this module loads. */
export const SERVER_MACHINE: Readonly<Record<State, ServerNode>> = compile(
  SERVER_TRANSITIONS,
  SERVER_TRIGGERS,
)

function compile<T extends string>(
  table: Transitions<T>,
  triggers: Readonly<Record<T, string>>,
): Readonly<Record<State, StateNode<T>>> {
  const names = Object.keys(triggers) as T[]
  const nodes = {} as Record<State, Record<string, unknown>>
  // Every node gets the same properties in the same order first, so that they share one hidden class.
  for (const state of STATES) {
    const node: Record<string, unknown> = { state, closing: null }
    for (const trigger of names) node[trigger] = null
    nodes[state] = node
  }
  for (const state of STATES) {
    const node = nodes[state]
    for (const trigger of names) {
      const to = table[state][trigger]
      if (to !== undefined) node[trigger] = nodes[to]
    }
    node.closing = nodes[closeRule(state, false)]
  }
  for (const state of STATES) Object.freeze(nodes[state])
  return Object.freeze(nodes) as unknown as Readonly<Record<State, StateNode<T>>>
}

function deepFreeze<T extends object>(table: T): T {
  for (const row of Object.values(table)) Object.freeze(row)
  return Object.freeze(table)
}
