/**
 * The governance routes of the JSON API (see docs/observatory.md, "Decisions"):
 *
 *   GET  /api/approvals        the approvals waiting for a person, oldest first
 *   POST /api/approvals/{id}   a person's decision: {"decision": "allow" | "deny" | "allow-session", "message"?}
 *   GET  /api/policy           the policy in force: mode, files, rules, and the last reload's error
 *
 * Over TCP a POST needs the bearer token, or the dashboard's cookie on a same-origin request (server/guard.ts).
 * Pages learn of changes on `GET /events` (`event: approval`).
 */
import { z } from 'zod'
import { type App, ERROR_BODY_SCHEMA, HttpError } from '../../framework/index.ts'
import type { Approval, Approvals } from '../server/approvals.ts'

/** What `GET /api/policy` says. */
export interface PolicyInfo {
  mode: 'enforce' | 'shadow'
  /** The policy files watched, in merge order. */
  files: string[]
  /** Rules in force (the last good policy's). */
  rules: number
  /** Why the last load or reload failed (the last good policy stays in force), else null. */
  error: string | null
  /** Approvals from the page: on (with the timeout) or off. */
  approvals: { enabled: boolean; timeout_ms: number | null }
}

export interface ApprovalsApiOptions {
  /** Absent: approvals are off (the list is empty, every id is unknown). */
  approvals: Approvals | undefined
  policy: () => PolicyInfo
}

/** The largest decision body (a message is a few lines at most). */
const DECISION_BODY_LIMIT = 64 * 1024
const MESSAGE_MAX = 2000

const DECISION_BODY = z.object({
  decision: z
    .enum(['allow', 'deny', 'allow-session'])
    .describe(
      'allow: this request; deny: refuse it (Claude is told `message`); allow-session: this request, and this tool for the rest of the session',
    ),
  message: z
    .string()
    .max(MESSAGE_MAX)
    .optional()
    .describe('Shown to Claude Code with the decision (a deny’s reason)'),
})

const APPROVAL_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    session_id: { type: ['string', 'null'] },
    cwd: { type: ['string', 'null'] },
    tool_name: { type: 'string' },
    tool_input: { description: 'the PermissionRequest’s tool_input, as sent' },
    input_summary: { type: 'string', description: 'the input in one line' },
    permission_mode: { type: ['string', 'null'] },
    agent_id: { type: ['string', 'null'] },
    created: { type: 'integer', description: 'epoch ms' },
    deadline: { type: 'integer', description: 'epoch ms: then Claude Code asks in the terminal' },
    state: { type: 'string', enum: ['pending', 'allowed', 'denied', 'expired', 'withdrawn'] },
    decided_by: {
      type: ['string', 'null'],
      description: 'person, person (session), timeout, withdrawn or shutdown; null while pending',
    },
    choice: { type: ['string', 'null'], enum: ['allow', 'deny', 'allow-session', null] },
    message: { type: ['string', 'null'] },
    resolved: { type: ['integer', 'null'], description: 'epoch ms' },
  },
  required: ['id', 'tool_name', 'created', 'deadline', 'state'],
} as const

export function registerApprovals(app: App, options: ApprovalsApiOptions): void {
  const { approvals } = options

  app.get(
    '/api/approvals',
    () => ({
      approvals: approvals?.pending() ?? [],
      enabled: approvals !== undefined,
      timeout_ms: approvals?.timeoutMs ?? null,
    }),
    {
      summary: 'Approvals waiting for a person, oldest first',
      description:
        'With `serve --approve-from-page`, a PermissionRequest that no rule decided waits here until someone ' +
        'decides or the approval timeout passes. `GET /events` announces changes (`event: approval`).',
      tags: ['decisions'],
      openapi: {
        response: {
          type: 'object',
          properties: {
            approvals: { type: 'array', items: APPROVAL_SCHEMA },
            enabled: { type: 'boolean' },
            timeout_ms: { type: ['integer', 'null'] },
          },
          required: ['approvals', 'enabled'],
        },
      },
    },
  )

  app.post(
    '/api/approvals/{id}',
    (c) => {
      const body = c.valid.body
      const result = approvals?.decide(c.params.id, body.decision, body.message) ?? {
        status: 'unknown' as const,
      }
      switch (result.status) {
        case 'ok':
          return result.approval
        case 'unknown':
          throw new HttpError(404, 'no such approval')
        case 'final':
          throw new HttpError(409, alreadyText(result.approval), {
            details: { approval: result.approval },
          })
      }
    },
    {
      summary: 'Decide a waiting approval',
      description:
        'The first decision wins; a later one, or one after the approval expired or was withdrawn, is a 409. ' +
        'Over TCP: the bearer token, or the dashboard’s cookie on a same-origin request.',
      tags: ['decisions'],
      bodyLimit: DECISION_BODY_LIMIT,
      schema: { body: DECISION_BODY },
      openapi: {
        response: APPROVAL_SCHEMA,
        responses: {
          400: { description: 'Not JSON', schema: ERROR_BODY_SCHEMA },
          404: { description: 'No such approval', schema: ERROR_BODY_SCHEMA },
          409: {
            description: 'Already decided, expired or withdrawn (the approval as it ended)',
            schema: ERROR_BODY_SCHEMA,
          },
        },
      },
    },
  )

  app.get('/api/policy', () => options.policy(), {
    summary: 'The policy in force',
    description:
      'The mode (enforce or shadow), the files in merge order, the number of rules in force, and the error of ' +
      'the last load or reload (a broken edit keeps the last good policy), or null.',
    tags: ['decisions'],
    openapi: {
      response: {
        type: 'object',
        properties: {
          mode: { type: 'string', enum: ['enforce', 'shadow'] },
          files: { type: 'array', items: { type: 'string' } },
          rules: { type: 'integer' },
          error: { type: ['string', 'null'] },
          approvals: {
            type: 'object',
            properties: {
              enabled: { type: 'boolean' },
              timeout_ms: { type: ['integer', 'null'] },
            },
          },
        },
        required: ['mode', 'files', 'rules', 'error'],
      },
    },
  })
}

function alreadyText(approval: Approval): string {
  switch (approval.state) {
    case 'expired':
      return 'this approval expired (Claude Code asked in the terminal)'
    case 'withdrawn':
      return 'this approval was withdrawn (the request went away)'
    default:
      return `this approval was decided already (${approval.state} by ${approval.decided_by ?? 'someone'})`
  }
}
