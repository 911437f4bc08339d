/** OTLP JSON requests for the tests: the specification's logs example, and Claude Code-shaped events. */

/** Shaped like opentelemetry-proto's examples/logs.json (two records, every anyValue kind). */
export const SPEC_LOGS = {
  resourceLogs: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'my.service' } }] },
      scopeLogs: [
        {
          scope: {
            name: 'my.library',
            version: '1.0.0',
            attributes: [
              { key: 'my.scope.attribute', value: { stringValue: 'some scope attribute' } },
            ],
          },
          logRecords: [
            {
              timeUnixNano: '1544712660300000000',
              observedTimeUnixNano: '1544712660300000000',
              severityNumber: 10,
              severityText: 'Information',
              traceId: '5B8EFFF798038103D269B633813FC60C',
              spanId: 'EEE19B7EC3C1B174',
              body: { stringValue: 'Example log record' },
              attributes: [
                { key: 'string.attribute', value: { stringValue: 'some string' } },
                { key: 'boolean.attribute', value: { boolValue: true } },
                { key: 'int.attribute', value: { intValue: '10' } },
                { key: 'double.attribute', value: { doubleValue: 637.704 } },
                {
                  key: 'array.attribute',
                  value: {
                    arrayValue: { values: [{ stringValue: 'many' }, { stringValue: 'values' }] },
                  },
                },
                {
                  key: 'map.attribute',
                  value: {
                    kvlistValue: {
                      values: [{ key: 'some.map.key', value: { stringValue: 'some value' } }],
                    },
                  },
                },
                { key: 'bytes.attribute', value: { bytesValue: 'aGVsbG8=' } },
              ],
            },
            {
              // 64-bit integers as JSON numbers, as some exporters write them.
              timeUnixNano: 1544712660301000000,
              body: { stringValue: 'Second record' },
              attributes: [{ key: 'int.attribute', value: { intValue: 11 } }],
            },
          ],
        },
      ],
    },
  ],
}

export interface Request {
  session?: string
  prompt?: string
  cost: number | string
  input: number | string
  output: number | string
  cacheRead?: number | string
  cacheCreation?: number | string
  /** `api_request` unless said. */
  kind?: string
}

const value = (v: number | string) =>
  typeof v === 'string'
    ? { stringValue: v }
    : Number.isInteger(v)
      ? { intValue: v }
      : { doubleValue: v }

/** Claude Code's log events as it sends them (body `claude_code.<kind>`, attribute `event.name`). */
export function apiRequestLogs(requests: Request[]): unknown {
  return {
    resourceLogs: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'claude-code' } },
            { key: 'service.version', value: { stringValue: '2.1.0' } },
          ],
        },
        scopeLogs: [
          {
            scope: { name: 'com.anthropic.claude_code.events', version: '2.1.0' },
            logRecords: requests.map((r) => {
              const kind = r.kind ?? 'api_request'
              const attributes = [
                { key: 'event.name', value: { stringValue: kind } },
                { key: 'event.timestamp', value: { stringValue: '2023-11-14T22:13:20.000Z' } },
                { key: 'model', value: { stringValue: 'claude-sonnet-4-5' } },
                { key: 'cost_usd', value: value(r.cost) },
                { key: 'input_tokens', value: value(r.input) },
                { key: 'output_tokens', value: value(r.output) },
                { key: 'cache_read_tokens', value: value(r.cacheRead ?? 0) },
                { key: 'cache_creation_tokens', value: value(r.cacheCreation ?? 0) },
                { key: 'duration_ms', value: { stringValue: '40' } },
              ]
              if (r.session !== undefined) {
                attributes.push({ key: 'session.id', value: { stringValue: r.session } })
              }
              if (r.prompt !== undefined) {
                attributes.push({ key: 'prompt.id', value: { stringValue: r.prompt } })
              }
              return {
                timeUnixNano: '1700000000000000000',
                observedTimeUnixNano: '1700000000000000000',
                body: { stringValue: `claude_code.${kind}` },
                attributes,
              }
            }),
          },
        ],
      },
    ],
  }
}

const str = (key: string, v: string) => ({ key, value: { stringValue: v } })

/** One Claude Code log event (body `claude_code.<name>`, attribute `event.name`) with string attributes. */
export function claudeEvent(
  name: string,
  attributes: Record<string, string>,
  timeUnixNano = '1700000001000000000',
): unknown {
  return {
    timeUnixNano,
    body: { stringValue: `claude_code.${name}` },
    attributes: [
      str('event.name', name),
      ...Object.entries(attributes).map(([key, v]) => str(key, v)),
    ],
  }
}

/** Log records in one request, under Claude Code's resource. */
export function logsOf(records: unknown[]): unknown {
  return {
    resourceLogs: [
      {
        resource: { attributes: [str('service.name', 'claude-code')] },
        scopeLogs: [{ scope: { name: 'com.anthropic.claude_code.events' }, logRecords: records }],
      },
    ],
  }
}

/** Claude Code-shaped metrics: `claude_code.token.usage` (a delta sum, one point per type), a histogram. */
export function claudeMetrics(session: string): unknown {
  const point = (type: string, asInt: string) => ({
    startTimeUnixNano: '1700000000000000000',
    timeUnixNano: '1700000060000000000',
    asInt,
    attributes: [str('type', type), str('model', 'claude-sonnet-4-5')],
  })
  return {
    resourceMetrics: [
      {
        resource: { attributes: [str('service.name', 'claude-code'), str('session.id', session)] },
        scopeMetrics: [
          {
            scope: { name: 'com.anthropic.claude_code' },
            metrics: [
              {
                name: 'claude_code.token.usage',
                unit: 'tokens',
                sum: {
                  aggregationTemporality: 1,
                  isMonotonic: true,
                  dataPoints: [
                    point('input', '100'),
                    point('output', '20'),
                    point('cacheRead', '5'),
                    { ...point('cacheCreation', '0'), asInt: 7 },
                  ],
                },
              },
              {
                name: 'claude_code.cost.usage',
                unit: 'USD',
                sum: {
                  aggregationTemporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE',
                  dataPoints: [{ timeUnixNano: '1700000060000000000', asDouble: 0.0123 }],
                },
              },
              {
                name: 'tool.duration',
                unit: 'ms',
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      timeUnixNano: '1700000060000000000',
                      count: '3',
                      sum: 42.5,
                      bucketCounts: ['1', '2'],
                      explicitBounds: [10],
                      attributes: [str('session.id', `${session}-point`)],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  }
}

export const TRACE_ID = '5b8efff798038103d269b633813fc60c'

/** Claude Code-shaped spans: an interaction (with session.id) and its children (one without it). */
export function claudeSpans(session: string): unknown {
  return {
    resourceSpans: [
      {
        resource: { attributes: [str('service.name', 'claude-code')] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: TRACE_ID.toUpperCase(),
                spanId: 'eee19b7ec3c1b174',
                name: 'claude_code.interaction',
                kind: 1,
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000005000000000',
                attributes: [str('session.id', session)],
                status: { code: 1 },
              },
              {
                traceId: TRACE_ID,
                spanId: 'eee19b7ec3c1b175',
                parentSpanId: 'eee19b7ec3c1b174',
                name: 'claude_code.llm_request',
                kind: 'SPAN_KIND_CLIENT',
                startTimeUnixNano: '1700000000100000000',
                endTimeUnixNano: '1700000002000000000',
                attributes: [str('session.id', session), str('model', 'claude-sonnet-4-5')],
              },
              {
                traceId: TRACE_ID,
                spanId: 'eee19b7ec3c1b176',
                parentSpanId: 'eee19b7ec3c1b174',
                name: 'claude_code.tool',
                startTimeUnixNano: '1700000002000000000',
                endTimeUnixNano: '1700000003000000000',
                attributes: [str('tool_name', 'Bash')],
                status: { code: 'STATUS_CODE_ERROR', message: 'exit 1' },
              },
            ],
          },
        ],
      },
    ],
  }
}
