#!/usr/bin/env node
/**
 * `observatory` — the command line. Subcommands are loaded on demand so `observatory query` does not pay for
 * the server's start-up. A user's mistake prints one line to stderr and exits non-zero; a stack trace is shown
 * only for our own bugs, and only with OBSERVATORY_DEBUG=1.
 */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'

const HELP = `Usage: observatory <command> [options]

Commands:
  serve      run the observatory (the default when no command is given)
  install    add the observatory's hooks to Claude Code's settings
  query      read, filter and follow stored events or logs; --sessions for a live overview
  db         the store: import logs, info, prune
  policy     check a policy file, or test what it answers to an event
  audit      verify the hash chain of an audit log
  demo       the demo API of the seeds on this project's framework, documented at /docs

Run "observatory <command> --help" for a command's options.
`

const COMMANDS = new Set(['serve', 'install', 'query', 'db', 'policy', 'audit', 'demo'])

async function run(argv: string[]): Promise<number> {
  const first = argv[0]
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(HELP)
    return 0
  }
  if (first === '--version' || first === '-V') {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      version: string
    }
    process.stdout.write(`${pkg.version}\n`)
    return 0
  }
  let command = 'serve'
  let rest = argv
  if (first !== undefined && !first.startsWith('-')) {
    if (!COMMANDS.has(first)) {
      process.stderr.write(`observatory: unknown command "${first}" (see observatory --help)\n`)
      return 2
    }
    command = first
    rest = argv.slice(1)
  }
  const io = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    homedir: homedir(),
  }
  switch (command) {
    case 'install': {
      const { runInstall } = await import('./install.ts')
      return runInstall(rest, io)
    }
    case 'query': {
      const { runQuery } = await import('./query.ts')
      return runQuery(rest, io)
    }
    case 'db': {
      const { runDb } = await import('./db.ts')
      return runDb(rest, io)
    }
    case 'policy': {
      const { runPolicy } = await import('./policy.ts')
      return runPolicy(rest, io)
    }
    case 'audit': {
      const { runAudit } = await import('./audit.ts')
      return runAudit(rest, io)
    }
    case 'demo': {
      const { runDemo } = await import('./demo.ts')
      return runDemo(rest)
    }
    default: {
      const { runServe } = await import('./serve.ts')
      return runServe(rest)
    }
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    // Long-running commands (serve, demo, query --watch) resolve when they are done; exit with their code.
    process.exitCode = code
  },
  async (error: unknown) => {
    // The one class for a user's mistake or a failure they can act on (observatory/errors.ts): one line, and
    // the documented exit code (2 usage, 1 run time). Loaded here, after the fact, to keep start-up light.
    const { UserError } = await import('../observatory/install/index.ts')
    if (error instanceof UserError) {
      process.stderr.write(`${error.message}\n`)
      process.exitCode = error.exitCode
      return
    }
    const message = error instanceof Error ? error.message : String(error)
    process.stderr.write(`observatory: internal error: ${message}\n`)
    if (process.env.OBSERVATORY_DEBUG === '1' && error instanceof Error)
      process.stderr.write(`${error.stack}\n`)
    else process.stderr.write('(set OBSERVATORY_DEBUG=1 for details)\n')
    process.exitCode = 70
  },
)
