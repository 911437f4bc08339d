/** The sans-IO HTTP/1.1 core: bytes in, events out; events in, bytes out. No sockets, no timers. */
export { ServerConnection, type ServerConnectionOptions } from './connection.ts'
export {
  LocalProtocolError,
  ProtocolError,
  type ProtocolErrorCode,
  RemoteProtocolError,
} from './errors.ts'
export * from './events.ts'
export { CONNECT_REFUSED } from './head-rules.ts'
export { HeaderFields, type HeaderInit } from './headers.ts'
export { DEFAULT_LIMITS, type ProtocolLimits } from './limits.ts'
export {
  type ExchangeFacts,
  type Framing,
  planResponse,
  type ResponseHeadInit,
  type ResponsePlan,
} from './response-plan.ts'
export type { State } from './state.ts'
export { REASON_PHRASES, reasonPhrase } from './status.ts'
export { type FieldFacts, newFieldFacts } from './writers.ts'
