/**
 * Every subcommand answers `--help` and `-h` with its usage on stdout and exit code 0, through the real CLI
 * (`node --import tsx src/cli/main.ts <command> --help`); an unknown option is one line on stderr and exit code 2.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { runCli } from './helpers.ts'

describe('observatory <command> --help', { concurrency: true, timeout: 120_000 }, () => {
  for (const command of ['serve', 'install', 'query', 'demo']) {
    for (const flag of ['--help', '-h']) {
      test(`${command} ${flag}: usage on stdout, exit 0`, async () => {
        const { code, stdout, stderr } = await runCli([command, flag])
        assert.equal(stderr, '', `${command} ${flag} wrote to stderr`)
        assert.equal(code, 0, `${command} ${flag} exit code`)
        assert.match(stdout, new RegExp(`^Usage: observatory ${command}\\b`))
        assert.match(stdout, /-h, --help/)
      })
    }
  }
})

describe('observatory demo: argument errors', { concurrency: true, timeout: 60_000 }, () => {
  test('an unknown option: one line on stderr, exit 2, no stack', async () => {
    const { code, stdout, stderr } = await runCli(['demo', '--bogus'])
    assert.equal(code, 2)
    assert.equal(stdout, '')
    assert.equal(
      stderr,
      "observatory demo: unknown option '--bogus' (see observatory demo --help)\n",
    )
  })

  test('a positional argument or a missing value: one line, exit 2', async () => {
    for (const args of [
      ['demo', 'extra'],
      ['demo', '--port'],
    ]) {
      const { code, stderr } = await runCli(args)
      assert.equal(code, 2, args.join(' '))
      assert.equal(stderr.split('\n').length, 2, `one line for ${args.join(' ')}: ${stderr}`)
      assert.match(stderr, /^observatory demo: .+ \(see observatory demo --help\)\n$/)
      assert.doesNotMatch(stderr, /\bat .+:\d+:\d+/)
    }
  })
})
