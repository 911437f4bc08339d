import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Store } from '../../../src/observatory/store/store.ts'
import { tempDir } from './helpers.ts'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const FIXTURE = fileURLToPath(new URL('./fixtures/ingest.ts', import.meta.url))

describe('Store: durability', () => {
  it('loses no acknowledged event when the writer is killed with SIGKILL mid-ingest', async (t) => {
    const path = join(tempDir(t), 'events.db')
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, path], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    t.after(() => child.kill('SIGKILL'))
    const acknowledged: number[] = []
    let partial = ''
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    )
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`no 20,000 acknowledgements in 30 s (${acknowledged.length}); ${stderr}`))
      }, 30_000)
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n')
        partial = lines.pop() ?? '' // an incomplete last line: not counted
        for (const line of lines) acknowledged.push(Number(line))
        if (acknowledged.length >= 20_000 && child.exitCode === null && child.signalCode === null) {
          // Mid-ingest: the child is still appending as fast as it can.
          child.kill('SIGKILL')
          clearTimeout(timer)
          resolve()
        }
      })
      child.once('exit', () => {
        clearTimeout(timer)
        if (acknowledged.length < 20_000) reject(new Error(`child exited early: ${stderr}`))
      })
    })
    assert.equal(await exited, 'SIGKILL')

    // The dead writer's entry is taken over; every acknowledged id is there.
    const store = Store.open({ path, retainMs: 0 })
    t.after(() => store.close())
    const missing = acknowledged.filter((id) => store.event(id) === undefined)
    assert.deepEqual(
      missing,
      [],
      `${missing.length} of ${acknowledged.length} acknowledged events lost`,
    )
    const last = store.lastId()
    assert.ok(last >= Math.max(...acknowledged), `last id ${last}`)
    assert.equal(store.event(acknowledged[0]!)?.session_id, 'kill')
    // The index resumes where it stopped: a search sees every committed event.
    assert.equal(store.events({ search: 'PreToolUse', limit: 1 }).events[0]?.id, last)
  })
})
