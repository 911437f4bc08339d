/**
 * The README's ways of running the observatory, run as written: the stream piped from `npx observatory` and
 * from `npm start --silent` is JSON lines from the first byte (plain `npm start` prints npm's banner on stdout
 * first, which is why the README does not pipe it).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { postEvent, ROOT, startServing, tempDir } from './helpers.ts'

const README = readFileSync(join(ROOT, 'README.md'), 'utf8')

test('the README never pipes plain `npm start` (its banner is on stdout)', () => {
  // Command lines: the lines of fenced code blocks.
  const code = README.split(/^```.*$/m).filter((_, i) => i % 2 === 1)
  const piped = code
    .join('\n')
    .split('\n')
    .filter((line) => /\bnpm start\b.*\|/.test(line))
  assert.ok(piped.length > 0, 'the README shows how to pipe the stream through npm')
  for (const line of piped) assert.match(line, /npm start --silent/, line)
  assert.match(README, /npx observatory \| jq/)
  assert.match(README, /npm link/, 'how to get the observatory command on PATH')
})

for (const [command, args] of [
  ['npx', ['--no-install', 'observatory']],
  ['npm', ['start', '--silent', '--']],
] as const) {
  test(`\`${command} ${args.join(' ')}\`: stdout is JSON lines from the first byte`, {
    timeout: 180_000,
  }, async (t) => {
    const dir = tempDir(t)
    const obs = await startServing(
      t,
      command,
      [...args, '--socket', `${dir}/in.sock`, '--port', '0'],
      { group: true },
    )
    assert.equal((await postEvent(obs.tcp, 'Piped', { n: 1 })).status, 200)
    assert.equal((await postEvent(obs.unix, 'Piped', { n: 2 })).status, 200)
    const lines = await obs.waitForStdoutLines(2)
    assert.equal(
      obs.stdout()[0],
      '{',
      `stdout starts with the first event:\n${obs.stdout().slice(0, 200)}`,
    )
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).n),
      [1, 2],
    )
    // npm's own exit status after a signal is npm's business; the observatory's clean stop is ours.
    await obs.stop('SIGTERM')
    assert.match(obs.stderr(), /Shutting down \(SIGTERM\)/)
    assert.doesNotMatch(obs.stderr(), /internal error|\n\s+at /)
  })
}
