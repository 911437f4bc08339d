/** The transport: node:net listeners (TCP and Unix sockets) driving the sans-IO protocol core. */
export { cannedResponse } from './canned.ts'
export {
  CLUSTER_WORKER_ENV,
  type ClusterOptions,
  isClusterWorker,
  runCluster,
  workerListenOptions,
} from './cluster.ts'
export { httpDate } from './http-date.ts'
export { type Logger, silentLogger, stderrLogger } from './logger.ts'
export { createNodeHttpServer, type NodeServerOptions } from './node-adapter.ts'
export {
  getPeerCredentials,
  type PeerCredentials,
  peerCredentialsAvailable,
} from './peer-credentials.ts'
export { IncomingRequest, RequestBodyError, splitTarget } from './request.ts'
export {
  createServer,
  type HttpServer,
  type ListenerAddress,
  type ListenOptions,
  type ServerOptions,
} from './server.ts'
export { type ReadPath, sharedBufferSupported } from './socket-reader.ts'
export { createWireTrace, type WireTrace } from './trace.ts'
export type { Body, Handler, Peer, RejectInfo, Request, Response } from './types.ts'
export { ListenError, listenUnix, prepareUnixSocketPath, removeUnixSocket } from './unix-socket.ts'
