/**
 * The server room: the HTTP application that receives hook events and everything `observatory serve` starts.
 *
 *   serve.ts        startObservatory: sinks, hub, stats, the app and its listeners; stopping in order
 *   app.ts          the routes: POST /hook (ingest), /health, /stats, the dashboard, the API, /docs
 *   guard.ts        TCP safety: Host allow-list, same origin only, bearer token (and the middleware)
 *   live-stream.ts  GET /events: Server-Sent Events (ids, Last-Event-ID replay from the store)
 *   live-page.ts    the dashboard's page shell and its bundled assets (dist/web)
 *   decisions.ts    what PreToolUse and PermissionRequest are answered: the policy, a person, or no decision;
 *                   every decision audited and stored
 *   approvals.ts    approvals from the page: requests waiting for a person, finality, allow for the session
 *   audit-writer.ts the audit log's writer (the policy room's chained lines, written synchronously)
 *   recorder.ts     numbers each event, moves the session model, feeds the store
 *   event.ts        request → event: name from the query, payload from the body, metadata in front
 *   hub.ts          publish one line to every sink; the Sink interface
 *   stats.ts        /stats counters
 *   socket-path.ts  where the Unix socket lives, and its private directory
 *   options.ts      ObservatoryOptions, what the CLI hands to startObservatory
 */
export { createObservatoryApp, type ObservatoryApp, type ObservatoryAppOptions } from './app.ts'
export { type Approval, type ApprovalChoice, Approvals } from './approvals.ts'
export { Decisions, NO_DECISION } from './decisions.ts'
export { EventHub, type Sink } from './hub.ts'
export type { DecisionOptions, ObservatoryOptions } from './options.ts'
export {
  type Governance,
  type ObservatoryIO,
  type RunningObservatory,
  startObservatory,
} from './serve.ts'
export { defaultSocketPath, socketPathFrom } from './socket-path.ts'
export { Stats } from './stats.ts'
