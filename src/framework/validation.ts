/**
 * Request validation through Standard Schema: the route's `schema` option names a schema per part of the
 * request; every part is checked, all issues are collected, and one 422 answers them all (FastAPI's choice,
 * see docs/framework.md). Schemas may transform: the handler reads the outputs as `c.valid.params`, etc.
 */
import type { HeaderFields } from '../protocol/index.ts'
import { HttpError } from './http-error.ts'
import type { StandardSchemaV1 } from './standard-schema.ts'

/** The schemas a route may declare. `response` only documents (OpenAPI); it is not checked at run time. */
export interface RouteSchemas {
  /** Path parameters, as an object of decoded strings. */
  readonly params?: StandardSchemaV1
  /** The query string, as an object: one string per key, or an array of strings for a repeated key. */
  readonly query?: StandardSchemaV1
  /** Request headers, as an object with lower-case names; repeated fields joined with `, `. */
  readonly headers?: StandardSchemaV1
  /** The JSON body (read with `c.json()`: 400 when malformed, 415 for another content type). */
  readonly body?: StandardSchemaV1
  /** The success response body, for the OpenAPI document. */
  readonly response?: StandardSchemaV1
}

type Output<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : undefined

/** `c.valid`: each declared schema's output; `undefined` for parts without a schema. */
export interface Validated<S extends RouteSchemas = RouteSchemas> {
  readonly params: Output<S['params']>
  readonly query: Output<S['query']>
  readonly headers: Output<S['headers']>
  readonly body: Output<S['body']>
}

/** Part of the request an issue is about. */
export type RequestPart = 'params' | 'query' | 'headers' | 'body'

/** One entry of a 422 body's `issues`. `path` is dot-joined (`items.0.name`), `''` for the part itself. */
export interface ValidationIssue {
  readonly in: RequestPart
  readonly path: string
  readonly message: string
}

/** The inputs of each part, gathered by the caller (which owns reading the body). */
export interface RequestParts {
  readonly params: Readonly<Record<string, string>>
  readonly query: string
  readonly headers: HeaderFields
  /** Reads the JSON body; called only when a body schema is declared. */
  readonly body: () => Promise<unknown>
}

const PARTS: readonly RequestPart[] = ['params', 'query', 'headers', 'body']

/**
 * Validates every part that has a schema. Resolves with the outputs, or rejects with an `HttpError` 422
 * `{"error":"Validation failed","issues":[...]}` listing the issues of every part.
 */
export async function validateRequest(
  schemas: RouteSchemas,
  parts: RequestParts,
): Promise<Record<RequestPart, unknown>> {
  const values: Record<RequestPart, unknown> = {
    params: undefined,
    query: undefined,
    headers: undefined,
    body: undefined,
  }
  const issues: ValidationIssue[] = []
  for (const part of PARTS) {
    const schema = schemas[part]
    if (schema === undefined) continue
    const input = await inputOf(part, parts)
    let result = schema['~standard'].validate(input)
    if (result instanceof Promise) result = await result
    if (result.issues !== undefined) {
      for (const issue of result.issues) {
        issues.push({ in: part, path: issuePath(issue), message: issue.message })
      }
    } else {
      values[part] = result.value
    }
  }
  if (issues.length > 0) throw validationError(issues)
  return values
}

/**
 * The 422 error for a list of issues, for handlers that validate by hand.
 *
 * ```ts
 * if (end < start) throw validationError([{ in: 'query', path: 'end', message: 'must not be before start' }])
 * ```
 */
export function validationError(issues: readonly ValidationIssue[]): HttpError {
  return new HttpError(422, 'Validation failed', { details: { issues } })
}

function inputOf(part: RequestPart, parts: RequestParts): unknown {
  switch (part) {
    case 'params':
      return { ...parts.params }
    case 'query':
      return queryObject(parts.query)
    case 'headers':
      return headerObject(parts.headers)
    case 'body':
      return parts.body()
  }
}

/** A query string as an object: `a=1&a=2&b=3` → `{ a: ['1', '2'], b: '3' }`. No prototype, so `__proto__` is a key. */
export function queryObject(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null)
  if (query === '') return out
  for (const [key, value] of new URLSearchParams(query)) {
    const prev = out[key]
    if (prev === undefined) out[key] = value
    else if (typeof prev === 'string') out[key] = [prev, value]
    else prev.push(value)
  }
  return out
}

function headerObject(headers: HeaderFields): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  for (const [name, value] of headers) {
    const key = name.toLowerCase()
    const prev = out[key]
    out[key] = prev === undefined ? value : `${prev}, ${value}`
  }
  return out
}

function issuePath(issue: StandardSchemaV1.Issue): string {
  if (issue.path === undefined || issue.path.length === 0) return ''
  return issue.path
    .map((segment) => {
      const key = typeof segment === 'object' && segment !== null ? segment.key : segment
      return typeof key === 'symbol' ? (key.description ?? '') : String(key)
    })
    .join('.')
}
