/**
 * Shared by the instruction-counting benchmarks (protocol-instructions.ts, server-instructions.ts): run a
 * Node.js program under valgrind's callgrind and read the total instruction count it prints at exit.
 */
import { spawnSync } from 'node:child_process'

/** Exits with a one-line reason when valgrind is not installed. */
export function requireValgrind(tool: string): void {
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    process.stderr.write(`${tool}: valgrind is not installed (apt-get install valgrind)\n`)
    process.exit(2)
  }
}

/**
 * valgrind's arguments to run `node args…` under callgrind. `--single-threaded`: no concurrent compiler or GC
 * threads, whose work callgrind would count too and which make the count move from run to run.
 */
export function callgrindArgs(node: string, args: readonly string[]): string[] {
  return ['--tool=callgrind', '--callgrind-out-file=/dev/null', node, '--single-threaded', ...args]
}

/** The "Collected" total from callgrind's stderr. */
export function collectedInstructions(stderr: string): number {
  const m = /Collected : (\d+)/.exec(stderr)
  if (m === null) throw new Error(`callgrind printed no count:\n${stderr.slice(-2000)}`)
  return Number(m[1])
}
