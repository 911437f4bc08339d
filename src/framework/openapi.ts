/**
 * OpenAPI 3.1 from the registered routes. OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what
 * Standard JSON Schema converters produce for the `draft-2020-12` target, so converted schemas go in as they are.
 *
 * Where a schema cannot be converted (its library has no `~standard.jsonSchema`, e.g. valibot without
 * `@valibot/to-json-schema`, or the converter throws), the document says so instead of guessing: the schema is
 * `{}` (any value) with `x-unconverted-schema: "<vendor>"`. A route can always state the JSON Schema itself
 * with `openapi: { body, response }`.
 */
import { reasonPhrase } from '../protocol/index.ts'
import { isStandardSchema, jsonSchemaConverter, type StandardSchemaV1 } from './standard-schema.ts'
import type { DocumentedResponse, JsonSchema, RouteOptions } from './types.ts'

/** The `info` object of the document. */
export interface OpenApiInfo {
  readonly title: string
  readonly version: string
  readonly description?: string
}

/** A route as the generator sees it. */
export interface DocumentedRoute {
  readonly method: string
  readonly pattern: string
  readonly options: RouteOptions
}

/** An OpenAPI 3.1 document (the parts this generator writes). */
export interface OpenApiDocument {
  readonly openapi: '3.1.0'
  readonly info: OpenApiInfo
  readonly paths: Record<string, Record<string, unknown>>
  readonly components: { readonly schemas: Record<string, JsonSchema> }
}

/** JSON Schema of the framework's error bodies (`{"error": "..."}`), for `openapi.responses`. */
export const ERROR_BODY_SCHEMA: JsonSchema = Object.freeze({
  type: 'object',
  properties: { error: { type: 'string' }, detail: { type: 'string' } },
  required: ['error'],
})

/** JSON Schema of a 422 body. */
export const VALIDATION_ERROR_SCHEMA: JsonSchema = Object.freeze({
  type: 'object',
  properties: {
    error: { type: 'string', const: 'Validation failed' },
    issues: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          in: { type: 'string', enum: ['params', 'query', 'headers', 'body'] },
          path: { type: 'string' },
          message: { type: 'string' },
        },
        required: ['in', 'path', 'message'],
      },
    },
  },
  required: ['error', 'issues'],
})

/** Methods OpenAPI has a Path Item field for (RFC 9110 methods plus PATCH; CONNECT has none). */
const OPENAPI_METHODS = new Set([
  'GET',
  'PUT',
  'POST',
  'DELETE',
  'OPTIONS',
  'HEAD',
  'PATCH',
  'TRACE',
])

/** Parameter headers OpenAPI ignores (§4.8.12.1: described elsewhere in the document). */
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization'])

/**
 * The document for `routes` (hidden routes and methods OpenAPI cannot describe are left out).
 *
 * ```ts
 * const doc = buildOpenApiDocument(app.routes(), { title: 'Users', version: '1.0.0' })
 * doc.paths['/users/{id}'].get // { summary, parameters: [{ name: 'id', in: 'path', ... }], responses }
 * ```
 */
export function buildOpenApiDocument(
  routes: readonly DocumentedRoute[],
  info: OpenApiInfo,
): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {}
  let usesValidation = false
  for (const route of routes) {
    if (route.options.hidden === true || !OPENAPI_METHODS.has(route.method)) continue
    const { path, pathParams } = openApiPath(route.pattern)
    const operation = buildOperation(route, pathParams)
    if (operation.validated) usesValidation = true
    paths[path] ??= {}
    paths[path][route.method.toLowerCase()] = operation.object
  }
  const schemas: Record<string, JsonSchema> = { Error: ERROR_BODY_SCHEMA }
  if (usesValidation) schemas.ValidationError = VALIDATION_ERROR_SCHEMA
  return { openapi: '3.1.0', info, paths, components: { schemas } }
}

interface PathParam {
  readonly name: string
  readonly kind: 'string' | 'int' | 'wildcard'
}

/** `/users/{id:int}/files/{*rest}` → `/users/{id}/files/{rest}`; `/files/*` → `/files/{wildcard}`. */
function openApiPath(pattern: string): { path: string; pathParams: PathParam[] } {
  const pathParams: PathParam[] = []
  let path = pattern.replace(/\{([^}]*)\}/g, (_whole, inner: string) => {
    if (inner.startsWith('*')) {
      pathParams.push({ name: inner.slice(1), kind: 'wildcard' })
      return `{${inner.slice(1)}}`
    }
    const colon = inner.indexOf(':')
    const name = colon === -1 ? inner : inner.slice(0, colon)
    pathParams.push({ name, kind: colon === -1 ? 'string' : 'int' })
    return `{${name}}`
  })
  if (path.endsWith('/*')) {
    path = `${path.slice(0, -1)}{wildcard}`
    pathParams.push({ name: 'wildcard', kind: 'wildcard' })
  }
  return { path, pathParams }
}

function buildOperation(
  route: DocumentedRoute,
  pathParams: readonly PathParam[],
): { object: Record<string, unknown>; validated: boolean } {
  const { options } = route
  const schemas = options.schema ?? {}
  const doc = options.openapi ?? {}
  const operation: Record<string, unknown> = {}
  if (options.summary !== undefined) operation.summary = options.summary
  if (options.description !== undefined) operation.description = options.description
  if (options.tags !== undefined) operation.tags = [...options.tags]
  if (doc.operationId !== undefined) operation.operationId = doc.operationId
  if (doc.deprecated === true) operation.deprecated = true

  const parameters: Record<string, unknown>[] = []
  const paramSchemas = schemas.params
    ? objectProperties(convert(schemas.params, 'input'))
    : undefined
  for (const param of pathParams) {
    const fromSchema = paramSchemas?.properties[param.name]
    const parameter: Record<string, unknown> = {
      name: param.name,
      in: 'path',
      required: true,
      schema:
        fromSchema ?? (param.kind === 'int' ? { type: 'integer', minimum: 0 } : { type: 'string' }),
    }
    if (param.kind === 'wildcard') parameter.description = 'The rest of the path; may contain "/".'
    parameters.push(parameter)
  }
  for (const [part, location] of [
    ['query', 'query'],
    ['headers', 'header'],
  ] as const) {
    const schema = schemas[part]
    if (schema === undefined) continue
    const object = objectProperties(convert(schema, 'input'))
    if (object === undefined) continue
    for (const [name, propertySchema] of Object.entries(object.properties)) {
      if (location === 'header' && IGNORED_HEADERS.has(name.toLowerCase())) continue
      parameters.push({
        name,
        in: location,
        required: object.required.has(name),
        schema: propertySchema,
      })
    }
  }
  if (parameters.length > 0) operation.parameters = parameters

  const bodySchema = doc.body ?? (schemas.body ? convert(schemas.body, 'input') : undefined)
  if (bodySchema !== undefined) {
    operation.requestBody = {
      required: true,
      content: { 'application/json': { schema: bodySchema } },
    }
  }

  const responses: Record<string, unknown> = {}
  const status = doc.status ?? 200
  const successSchema =
    doc.response ?? (schemas.response ? convert(schemas.response, 'output') : undefined)
  responses[String(status)] = documentedResponse({
    description: reasonPhrase(status),
    ...(successSchema === undefined ? {} : { schema: successSchema }),
  })
  const validated =
    schemas.params !== undefined ||
    schemas.query !== undefined ||
    schemas.headers !== undefined ||
    schemas.body !== undefined
  if (validated) {
    responses['422'] = {
      description: 'Validation failed',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ValidationError' } } },
    }
  }
  for (const [code, response] of Object.entries(doc.responses ?? {})) {
    responses[code] = documentedResponse(response)
  }
  operation.responses = responses
  return { object: operation, validated }
}

function documentedResponse(response: DocumentedResponse): Record<string, unknown> {
  if (response.schema === undefined) return { description: response.description }
  const schema = isStandardSchema(response.schema)
    ? convert(response.schema, 'output')
    : response.schema === ERROR_BODY_SCHEMA
      ? { $ref: '#/components/schemas/Error' }
      : response.schema
  return {
    description: response.description,
    content: { [response.contentType ?? 'application/json']: { schema } },
  }
}

/**
 * JSON Schema for a Standard Schema through its library's converter (draft 2020-12), without `$schema`
 * (the document's dialect applies). Unconvertible schemas become `{}` marked with the vendor.
 */
export function convert(schema: StandardSchemaV1, direction: 'input' | 'output'): JsonSchema {
  const converter = jsonSchemaConverter(schema)
  if (converter !== undefined) {
    try {
      const { $schema: _dialect, ...rest } = converter[direction]({ target: 'draft-2020-12' })
      return rest
    } catch {
      // The library could not express this schema in JSON Schema: say so below.
    }
  }
  return { 'x-unconverted-schema': schema['~standard'].vendor }
}

/** `properties` and `required` of an object schema, or `undefined` for any other schema. */
function objectProperties(
  schema: JsonSchema,
): { properties: Record<string, JsonSchema>; required: Set<string> } | undefined {
  const properties = schema.properties
  if (typeof properties !== 'object' || properties === null) return undefined
  const required = Array.isArray(schema.required)
    ? new Set(schema.required.filter((name): name is string => typeof name === 'string'))
    : new Set<string>()
  return { properties: properties as Record<string, JsonSchema>, required }
}
