/**
 * hooks-observatory's public library API: the HTTP/1.1 protocol core, the raw-socket server, the router and
 * the application framework. The observatory itself is an application of these; run it with the CLI.
 */

export * from './framework/index.ts'
export * from './protocol/index.ts'
export * from './router/index.ts'
export * from './transport/index.ts'
