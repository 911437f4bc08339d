/**
 * Claude Code's own telemetry, end to end with the real CLI: `claude -p` against the fake Messages API (which
 * reports `usage`), its hooks to the observatory and its OTLP logs, metrics and traces (`http/protobuf`, the CLI's default, and `http/json`) to the same
 * observatory's `/v1/logs` and `/v1/metrics`. The session in `/api/sessions` gains tokens and a cost equal to the
 * CLI's own `total_cost_usd`; its turn in `/api/sessions/{id}` has the same usage; its Bash call has the CLI's
 * `tool_result` event joined by `tool_use_id` (`telemetry.success`, a duration), and the CLI's metric points
 * (`claude_code.token.usage`, `claude_code.cost.usage`) are stored (`/api/sessions/{id}/telemetry`). Also through
 * `--token`, the token sent by the exporter's `OTEL_EXPORTER_OTLP_HEADERS`.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type Line, runClaudeSession, skipped } from './claude-code-harness.ts'
import { request } from './helpers.ts'

const LABEL = 'claude-code-telemetry.test'

describe('Claude Code telemetry (OTLP/HTTP, protobuf and JSON) joined with the hooks', {
  timeout: 150_000,
}, () => {
  // http/protobuf is Claude Code's default; the protobuf run also turns traces on (beta), and its spans are stored.
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    test(`${protocol}: cost and tokens per session and per turn match the CLI’s own total_cost_usd`, async (t) => {
      if (skipped(t, true, LABEL)) return
      const traces = protocol === 'http/protobuf'
      const s = await runClaudeSession(t, {
        prompt: 'Say hello with bash',
        args: ['--allowedTools', 'Bash'],
        required: ['Stop'],
        claudeEnv: (obs) => ({
          CLAUDE_CODE_ENABLE_TELEMETRY: '1',
          OTEL_LOGS_EXPORTER: 'otlp',
          OTEL_METRICS_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${obs.tcp.port}`,
          ...(traces
            ? { OTEL_TRACES_EXPORTER: 'otlp', CLAUDE_CODE_ENHANCED_TELEMETRY_BETA: '1' }
            : {}),
        }),
      })
      assert.equal(s.claude.code, 0, s.context())
      const cost = s.result?.total_cost_usd
      assert.equal(typeof cost, 'number', s.context())
      const id = String(s.lines[0]!.session_id)

      // Flushed before the CLI exits; waited for, bounded.
      let usage: Line | null = null
      const deadline = Date.now() + 10_000
      while (usage === null) {
        const reply = await request(s.obs.unix, { path: '/api/sessions' })
        const sessions = (JSON.parse(reply.body) as { sessions: Line[] }).sessions
        usage =
          (sessions.find((x) => x.session_id === id)?.usage as Line | null | undefined) ?? null
        if (usage !== null) break
        assert.ok(Date.now() < deadline, `no telemetry for ${id} within 10 s\n${s.context()}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      const u = usage as unknown as Record<string, number>
      t.diagnostic(`usage ${JSON.stringify(u)}; total_cost_usd ${String(cost)}`)
      assert.ok(Math.abs(u.cost_usd! - (cost as number)) < 1e-9, `${u.cost_usd} vs ${String(cost)}`)
      assert.ok(u.input_tokens! > 0)
      assert.ok(u.output_tokens! > 0)
      assert.ok(u.api_requests! >= 2, 'a tool call, then the answer')

      const reply = await request(s.obs.unix, { path: `/api/sessions/${encodeURIComponent(id)}` })
      const detail = JSON.parse(reply.body) as { turns: Line[]; usage: Line }
      assert.equal(detail.turns.length, 1)
      const turn = detail.turns[0]!.usage as Record<string, number>
      assert.ok(Math.abs(turn.cost_usd! - (cost as number)) < 1e-9)
      assert.equal(turn.api_requests, u.api_requests)

      // The CLI's tool_result, joined with the hook call by tool_use_id (bounded wait: the logs may come in two
      // exports).
      let bash: Line | undefined
      const joinDeadline = Date.now() + 10_000
      for (;;) {
        const r = await request(s.obs.unix, { path: `/api/sessions/${encodeURIComponent(id)}` })
        const calls = (JSON.parse(r.body) as { tool_calls: Line[] }).tool_calls
        bash = calls.find((c) => c.tool_name === 'Bash')
        if (bash?.telemetry !== undefined && bash.telemetry !== null) break
        assert.ok(
          Date.now() < joinDeadline,
          `no tool_result joined within 10 s: ${JSON.stringify(calls)}\n${s.context()}`,
        )
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      const telemetry = bash.telemetry as Record<string, unknown>
      t.diagnostic(`Bash call telemetry ${JSON.stringify(telemetry)}`)
      assert.equal(telemetry.success, true)
      assert.equal(typeof telemetry.duration_ms, 'number')
      assert.ok((telemetry.duration_ms as number) >= 0)

      // The CLI's metrics (flushed at exit), stored as data points naming the session.
      let names = new Set<string>()
      const metricsDeadline = Date.now() + 10_000
      for (;;) {
        const r = await request(s.obs.unix, {
          path: `/api/sessions/${encodeURIComponent(id)}/telemetry`,
        })
        assert.equal(r.status, 200, r.body)
        const page = JSON.parse(r.body) as {
          metrics: { name: string }[]
          events: Line[]
          spans: { name: string }[]
        }
        names = new Set(page.metrics.map((m) => m.name))
        const spans = new Set(page.spans.map((x) => x.name))
        if (
          names.has('claude_code.token.usage') &&
          names.has('claude_code.cost.usage') &&
          (!traces || spans.has('claude_code.tool'))
        ) {
          assert.ok(page.events.some((e) => e.name === 'tool_result'))
          if (traces) t.diagnostic(`spans stored: ${[...spans].sort().join(', ')}`)
          break
        }
        assert.ok(
          Date.now() < metricsDeadline,
          `no token/cost metric points within 10 s: ${[...names].join(', ')}\n${s.context()}`,
        )
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      t.diagnostic(`metrics stored: ${[...names].sort().join(', ')}`)

      // Every telemetry event named this session: no telemetry-only session beside it.
      const list = await request(s.obs.unix, { path: '/api/sessions' })
      assert.equal((JSON.parse(list.body) as { total: number }).total, 1)
    })
  }
  test('through the token guard, with OTEL_EXPORTER_OTLP_HEADERS', async (t) => {
    if (skipped(t, true, LABEL)) return
    const token = 'telemetry-token-0123456789'
    const s = await runClaudeSession(t, {
      prompt: 'Say hello with bash',
      args: ['--allowedTools', 'Bash'],
      required: ['Stop'],
      serve: ['--token', token],
      claudeEnv: (obs) => ({
        CLAUDE_CODE_ENABLE_TELEMETRY: '1',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${obs.tcp.port}`,
        // A literal space: Claude Code (2.1.337) sends `Bearer%20…` as it is when the space is percent-encoded.
        OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${token}`,
      }),
    })
    assert.equal(s.claude.code, 0, s.context())
    const id = String(s.lines[0]!.session_id)
    const deadline = Date.now() + 10_000
    for (;;) {
      const reply = await request(s.obs.unix, { path: '/api/sessions' })
      const sessions = (JSON.parse(reply.body) as { sessions: Line[] }).sessions
      const usage = sessions.find((x) => x.session_id === id)?.usage as Line | null | undefined
      if (usage !== null && usage !== undefined) {
        assert.ok(Math.abs(Number(usage.cost_usd) - Number(s.result?.total_cost_usd)) < 1e-9)
        break
      }
      assert.ok(Date.now() < deadline, `no telemetry for ${id} within 10 s\n${s.context()}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })
})
