/** OTLP JSON log requests of Claude Code's `api_request` events, at given times (for the usage tests). */

export interface ApiRequestSpec {
  /** Epoch ms. */
  ts: number
  session: string
  prompt?: string
  model?: string
  cost: number
  input: number
  output: number
  cacheRead?: number
  cacheCreation?: number
  durationMs?: number
}

/** A `POST /v1/logs` body holding one `claude_code.api_request` record per spec, as Claude Code sends them. */
export function apiRequestLogBody(requests: readonly ApiRequestSpec[]): string {
  const string = (key: string, value: string) => ({ key, value: { stringValue: value } })
  const int = (key: string, value: number) => ({ key, value: { intValue: String(value) } })
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [string('service.name', 'claude-code')] },
        scopeLogs: [
          {
            scope: { name: 'com.anthropic.claude_code.events', version: '2.1.0' },
            logRecords: requests.map((r) => {
              const attributes = [
                string('event.name', 'api_request'),
                string('event.timestamp', new Date(r.ts).toISOString()),
                string('session.id', r.session),
                string('model', r.model ?? 'claude-sonnet-4-5'),
                { key: 'cost_usd', value: { doubleValue: r.cost } },
                int('input_tokens', r.input),
                int('output_tokens', r.output),
                int('cache_read_tokens', r.cacheRead ?? 0),
                int('cache_creation_tokens', r.cacheCreation ?? 0),
              ]
              if (r.prompt !== undefined) attributes.push(string('prompt.id', r.prompt))
              if (r.durationMs !== undefined) attributes.push(int('duration_ms', r.durationMs))
              const nanos = `${BigInt(r.ts) * 1_000_000n}`
              return {
                timeUnixNano: nanos,
                observedTimeUnixNano: nanos,
                body: { stringValue: 'claude_code.api_request' },
                attributes,
              }
            }),
          },
        ],
      },
    ],
  })
}
