/**
 * `observatory install --telemetry`, end to end with the real Claude Code CLI: the hooks go to the project's
 * `.claude/settings.json` (through the Unix socket), the telemetry variables to the temporary user's
 * `~/.claude/settings.json`, and `claude -p` is given no telemetry variable of its own: whatever telemetry the
 * observatory receives comes from the `env` block install wrote. The session in `/api/sessions` gains a cost equal
 * to the CLI's own `total_cost_usd`. Also with `serve --token`, the token written in `OTEL_EXPORTER_OTLP_HEADERS`.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { describe, type TestContext, test } from 'node:test'
import { TELEMETRY_PROTOCOL } from '../../src/observatory/install/index.ts'
import { type ClaudeSession, type Line, runClaudeSession, skipped } from './claude-code-harness.ts'
import { request } from './helpers.ts'

const LABEL = 'claude-code-install-telemetry.test'

/** A TCP port free right now on 127.0.0.1, for `serve --port` and `install --port` alike. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  assert.ok(address !== null && typeof address === 'object')
  return address.port
}

/** The session's usage from `/api/sessions`, waited for (10 s at most). */
async function usageOf(t: TestContext, s: ClaudeSession): Promise<Record<string, number>> {
  const id = String(s.lines[0]!.session_id)
  const deadline = Date.now() + 10_000
  for (;;) {
    const reply = await request(s.obs.unix, { path: '/api/sessions' })
    const sessions = (JSON.parse(reply.body) as { sessions: Line[] }).sessions
    const usage = sessions.find((x) => x.session_id === id)?.usage as Line | null | undefined
    if (usage !== null && usage !== undefined) {
      t.diagnostic(
        `usage ${JSON.stringify(usage)}; total_cost_usd ${String(s.result?.total_cost_usd)}`,
      )
      return usage as unknown as Record<string, number>
    }
    assert.ok(Date.now() < deadline, `no telemetry for ${id} within 10 s\n${s.context()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** The user's settings as install left them, checked: the telemetry variables in `env`, and no hooks. */
function userEnv(s: ClaudeSession): Record<string, string> {
  const user = JSON.parse(readFileSync(join(s.home, '.claude/settings.json'), 'utf8')) as {
    env?: Record<string, string>
    hooks?: unknown
  }
  assert.equal(user.hooks, undefined, 'the hooks stay in the project')
  const project = JSON.parse(readFileSync(join(s.project, '.claude/settings.json'), 'utf8'))
  assert.equal(project.env, undefined, 'no telemetry variable in the project')
  assert.ok(user.env !== undefined)
  return user.env
}

describe('observatory install --telemetry with the real Claude Code CLI', {
  timeout: 150_000,
}, () => {
  test('the env block install wrote is all the CLI needs: cost matches total_cost_usd', async (t) => {
    if (skipped(t, true, LABEL)) return
    const port = await freePort()
    const s = await runClaudeSession(t, {
      prompt: 'Say hello with bash',
      args: ['--allowedTools', 'Bash'],
      required: ['Stop'],
      serve: ['--port', String(port)],
      install: ['--telemetry', '--port', String(port)],
    })
    assert.equal(s.claude.code, 0, s.context())
    const env = userEnv(s)
    assert.equal(env.CLAUDE_CODE_ENABLE_TELEMETRY, '1')
    assert.equal(env.OTEL_EXPORTER_OTLP_PROTOCOL, TELEMETRY_PROTOCOL)
    assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, `http://127.0.0.1:${port}`)
    assert.equal(env.OTEL_EXPORTER_OTLP_HEADERS, undefined)

    const cost = s.result?.total_cost_usd
    assert.equal(typeof cost, 'number', s.context())
    const usage = await usageOf(t, s)
    assert.ok(Math.abs(usage.cost_usd! - (cost as number)) < 1e-9, `${usage.cost_usd} vs ${cost}`)
    assert.ok(usage.input_tokens! > 0)
    assert.ok(usage.output_tokens! > 0)
  })

  test('through serve --token: install --token writes a header the guard accepts', async (t) => {
    if (skipped(t, true, LABEL)) return
    const port = await freePort()
    const token = 'install-telemetry-token=0123456789'
    const s = await runClaudeSession(t, {
      prompt: 'Say hello with bash',
      args: ['--allowedTools', 'Bash'],
      required: ['Stop'],
      serve: ['--port', String(port), '--token', token],
      install: ['--telemetry', '--port', String(port), '--token', token],
    })
    assert.equal(s.claude.code, 0, s.context())
    assert.equal(userEnv(s).OTEL_EXPORTER_OTLP_HEADERS, `Authorization=Bearer ${token}`)
    const usage = await usageOf(t, s)
    assert.ok(Math.abs(usage.cost_usd! - Number(s.result?.total_cost_usd)) < 1e-9)
  })
})
