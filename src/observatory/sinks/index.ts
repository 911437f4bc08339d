/**
 * The sinks room: where event lines go. Each declares its loss policy (docs/observatory.md, "Outputs and what
 * each may lose").
 *
 *   stream.ts         stdout (or any writable stream): lossless, awaited
 *   log-file.ts       --log: append, rotate, optional fsync: lossless, awaited
 *   output-socket.ts  --output-socket: readers on a Unix socket, bounded buffers, lossy per reader
 */
export { type LogFileCounters, type LogFileOptions, LogFileSink } from './log-file.ts'
export {
  type OutputSocketCounters,
  type OutputSocketOptions,
  OutputSocketSink,
} from './output-socket.ts'
export { type LineFormatter, StreamSink, type StreamSinkOptions } from './stream.ts'
