/**
 * The router layer: patterns in, `MatchResult`s out, no I/O. See docs/router.md.
 */
export type { BadPath } from './path.ts'
export { RouteError } from './pattern.ts'
export type { Found, MatchResult, MethodNotAllowed, NotFound, RouteEntry } from './router.ts'
export { Router } from './router.ts'
