/** Shared by the store's tests: temporary directories, event lines, summaries and tool calls. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { SessionSummary, ToolCall } from '../../../src/observatory/sessions/types.ts'
import { Store, type StoreOptions } from '../../../src/observatory/store/store.ts'
import type { EventFields } from '../../../src/observatory/store/types.ts'

/** A fresh directory, removed when the test ends. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'obs-store-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A store on a new file in a fresh directory (or the options' path), closed when the test ends. */
export function openStore(
  t: TestContext,
  options: Partial<StoreOptions> = {},
): { store: Store; path: string; logged: string[] } {
  const path = options.path ?? join(tempDir(t), 'events.db')
  const logged: string[] = []
  const store = Store.open({ path, retainMs: 0, log: (m) => logged.push(m), ...options })
  t.after(() => store.close())
  return { store, path, logged }
}

export interface EventSpec {
  ts?: number
  event?: string
  session?: string | null
  tool?: string | null
  toolUseId?: string | null
  agent?: string | null
  /** More keys of the payload. */
  extra?: Record<string, unknown>
}

export const T0 = Date.parse('2025-03-01T12:00:00Z')

/** A log line as the server writes it (`_ts` to the second, `+00:00`, ASCII only) and its fields. */
export function event(spec: EventSpec = {}): { line: string; fields: EventFields } {
  const ts = spec.ts ?? T0
  const name = spec.event ?? 'PreToolUse'
  const payload: Record<string, unknown> = {
    _ts: new Date(ts).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
    _event: name,
    hook_event_name: name,
  }
  if (spec.session !== null) payload.session_id = spec.session ?? 's1'
  if (spec.tool != null) payload.tool_name = spec.tool
  if (spec.toolUseId != null) payload.tool_use_id = spec.toolUseId
  if (spec.agent != null) payload.agent_id = spec.agent
  Object.assign(payload, spec.extra)
  return {
    line: `${asciiJson(payload)}\n`,
    fields: {
      ts,
      event: name,
      session_id: spec.session === null ? null : (spec.session ?? 's1'),
      tool_name: spec.tool ?? null,
      tool_use_id: spec.toolUseId ?? null,
      agent_id: spec.agent ?? null,
    },
  }
}

/** JSON as the server writes it: Python's `ensure_ascii`, every non-ASCII character as `\uXXXX`. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** Append `spec`'s event; returns its id. */
export function add(store: Store, spec: EventSpec = {}): number {
  const { line, fields } = event(spec)
  return store.append(line, fields).id
}

export function summary(
  sessionId: string,
  overrides: Partial<SessionSummary> = {},
): SessionSummary {
  return {
    session_id: sessionId,
    state: 'thinking',
    state_since: T0,
    state_tool: null,
    state_reason: null,
    current_tool: null,
    cwd: `/home/me/${sessionId}-project`,
    project: `${sessionId}-project`,
    model: 'claude',
    permission_mode: 'default',
    source: 'startup',
    transcript_path: null,
    started: T0,
    last_event: 'UserPromptSubmit',
    last_event_time: T0,
    last_prompt: 'hello',
    counts: {
      events: 1,
      turns: 1,
      tool_calls: 0,
      tool_failures: 0,
      subagents: 0,
      pending_permissions: 0,
    },
    ...overrides,
  }
}

export function toolCall(overrides: Partial<ToolCall> & { tool_use_id: string }): ToolCall {
  return {
    session_id: 's1',
    agent_id: null,
    prompt_id: null,
    tool_name: 'Bash',
    input_summary: 'ls',
    started: T0,
    ended: T0 + 100,
    duration_ms: 100,
    outcome: 'ok',
    error: null,
    permission: null,
    ...overrides,
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
