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
