/**
 * Line-at-a-time questions on the command's stdin. One readline interface serves every question of a run, so
 * answers typed (or piped) ahead are not lost between questions. Prompts go to stderr: stdout carries the diff.
 */
import { createInterface, type Interface } from 'node:readline'

export class Prompter {
  private readonly input: NodeJS.ReadableStream
  private readonly output: NodeJS.WritableStream
  private rl: Interface | undefined
  private readonly lines: string[] = []
  private waiting: ((line: string | undefined) => void) | undefined
  private closed = false

  constructor(input: NodeJS.ReadableStream, output: NodeJS.WritableStream) {
    this.input = input
    this.output = output
  }

  private start(): void {
    if (this.rl !== undefined || this.closed) return
    const rl = createInterface({ input: this.input, terminal: false })
    rl.on('line', (line) => {
      const waiting = this.waiting
      if (waiting !== undefined) {
        this.waiting = undefined
        waiting(line)
      } else {
        this.lines.push(line)
      }
    })
    rl.on('close', () => {
      this.closed = true
      const waiting = this.waiting
      this.waiting = undefined
      waiting?.(undefined)
    })
    this.rl = rl
  }

  /** Prints `question` and resolves with the next line typed, or undefined at end of input. */
  ask(question: string): Promise<string | undefined> {
    this.output.write(question)
    const queued = this.lines.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    this.start()
    if (this.closed) return Promise.resolve(undefined)
    return new Promise((resolve) => {
      this.waiting = resolve
    })
  }

  /** Releases stdin (call once the command is done asking). */
  close(): void {
    this.rl?.close()
    this.rl = undefined
    this.closed = true
  }
}
