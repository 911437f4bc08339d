import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import * as v from 'valibot'
import { z } from 'zod'
import { App, buildOpenApiDocument, ERROR_BODY_SCHEMA } from '../../src/framework/index.ts'
import { call, memoryLogger } from './helpers.ts'

type Operation = {
  summary?: string
  description?: string
  tags?: string[]
  operationId?: string
  deprecated?: boolean
  parameters?: {
    name: string
    in: string
    required: boolean
    schema: Record<string, unknown>
    description?: string
  }[]
  requestBody?: { required: boolean; content: Record<string, { schema: Record<string, unknown> }> }
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema: Record<string, unknown> }> }
  >
}

function operation(app: App, path: string, method: string): Operation {
  const doc = app.openapiDocument() as unknown as {
    paths: Record<string, Record<string, Operation>>
  }
  const op = doc.paths[path]?.[method]
  assert.ok(op, `${method} ${path} in ${JSON.stringify(Object.keys(doc.paths))}`)
  return op
}

describe('OpenAPI document', () => {
  test('paths, path parameters, summary/description/tags, hidden routes', () => {
    const app = new App({ logger: memoryLogger() })
    app.get('/users/{id:int}/files/{*rest}', () => 1, {
      summary: 'A file',
      description: 'Long text',
      tags: ['files'],
      openapi: { operationId: 'getFile', deprecated: true },
    })
    app.get('/static/*', () => 1)
    app.get('/secret', () => 1, { hidden: true })
    app.on('PROPFIND', '/dav', () => 1)
    const op = operation(app, '/users/{id}/files/{rest}', 'get')
    assert.equal(op.summary, 'A file')
    assert.equal(op.description, 'Long text')
    assert.deepEqual(op.tags, ['files'])
    assert.equal(op.operationId, 'getFile')
    assert.equal(op.deprecated, true)
    assert.deepEqual(
      op.parameters?.map((p) => [p.name, p.in, p.required, p.schema.type]),
      [
        ['id', 'path', true, 'integer'],
        ['rest', 'path', true, 'string'],
      ],
    )
    assert.match(op.parameters?.[1]?.description ?? '', /may contain "\/"/)
    assert.deepEqual(operation(app, '/static/{wildcard}', 'get').parameters?.[0]?.name, 'wildcard')
    const doc = app.openapiDocument()
    assert.equal(doc.paths['/secret'], undefined)
    assert.equal(doc.paths['/dav'], undefined)
    assert.deepEqual(op.responses, { '200': { description: 'OK' } })
  })

  test('zod schemas become JSON Schema: body, response, query and header parameters, 422', () => {
    const app = new App({ logger: memoryLogger() })
    app.post('/items/{id}', () => 1, {
      schema: {
        params: z.object({ id: z.string().uuid() }),
        query: z.object({ page: z.number().optional(), tag: z.array(z.string()) }),
        headers: z.object({ 'x-tenant': z.string(), 'content-type': z.string() }),
        body: z.object({ name: z.string().min(1) }),
        response: z.object({ id: z.string() }),
      },
      openapi: {
        status: 201,
        responses: { 404: { description: 'Missing', schema: ERROR_BODY_SCHEMA } },
      },
    })
    const op = operation(app, '/items/{id}', 'post')
    assert.deepEqual(
      op.parameters?.map((p) => [p.name, p.in, p.required]),
      [
        ['id', 'path', true],
        ['page', 'query', false],
        ['tag', 'query', true],
        ['x-tenant', 'header', true],
      ],
    )
    assert.equal(op.parameters?.[0]?.schema.format, 'uuid')
    const body = op.requestBody?.content['application/json']?.schema
    assert.equal(
      body?.$schema,
      undefined,
      'the dialect comes from the document, not from each schema',
    )
    assert.deepEqual(body, {
      type: 'object',
      properties: { name: { type: 'string', minLength: 1 } },
      required: ['name'],
    })
    assert.deepEqual(Object.keys(op.responses).sort(), ['201', '404', '422'])
    assert.equal(op.responses['201']?.description, 'Created')
    assert.equal(op.responses['201']?.content?.['application/json']?.schema.type, 'object')
    assert.deepEqual(op.responses['404']?.content?.['application/json']?.schema, {
      $ref: '#/components/schemas/Error',
    })
    assert.deepEqual(op.responses['422']?.content?.['application/json']?.schema, {
      $ref: '#/components/schemas/ValidationError',
    })
    assert.ok(app.openapiDocument().components.schemas.ValidationError)
  })

  test('valibot (no converter installed) is marked unconverted; an explicit override wins', () => {
    const app = new App({ logger: memoryLogger() })
    const schema = v.object({ name: v.string() })
    app.post('/a', () => 1, { schema: { body: schema } })
    app.post('/b', () => 1, {
      schema: { body: schema },
      openapi: { body: { type: 'object', properties: { name: { type: 'string' } } } },
    })
    assert.deepEqual(
      operation(app, '/a', 'post').requestBody?.content['application/json']?.schema,
      {
        'x-unconverted-schema': 'valibot',
      },
    )
    assert.deepEqual(
      operation(app, '/b', 'post').requestBody?.content['application/json']?.schema,
      {
        type: 'object',
        properties: { name: { type: 'string' } },
      },
    )
  })

  test('a converter that throws is marked unconverted too', () => {
    const doc = buildOpenApiDocument(
      [
        {
          method: 'POST',
          pattern: '/x',
          options: {
            schema: {
              body: {
                '~standard': {
                  version: 1,
                  vendor: 'odd',
                  validate: (value: unknown) => ({ value }),
                  jsonSchema: {
                    input: () => {
                      throw new Error('cannot')
                    },
                    output: () => ({}),
                  },
                } as never,
              },
            },
          },
        },
      ],
      { title: 't', version: '1' },
    )
    const op = doc.paths['/x']?.post as Operation
    assert.deepEqual(op.requestBody?.content['application/json']?.schema, {
      'x-unconverted-schema': 'odd',
    })
  })

  test('served at /openapi.json, rebuilt after more routes are added', async () => {
    const app = new App({ logger: memoryLogger() })
    app.openapi({ info: { title: 'T', version: '2.0.0', description: 'd' } })
    app.get('/one', () => 1)
    const first = await call(app.handler, '/openapi.json')
    assert.equal(first.headers.get('content-type'), 'application/json')
    const doc = first.json() as { info: unknown; paths: Record<string, unknown> }
    assert.deepEqual(doc.info, { title: 'T', version: '2.0.0', description: 'd' })
    assert.deepEqual(Object.keys(doc.paths), ['/one'])
    app.get('/two', () => 2)
    const again = (await call(app.handler, '/openapi.json')).json() as {
      paths: Record<string, unknown>
    }
    assert.deepEqual(Object.keys(again.paths), ['/one', '/two'])
    assert.throws(() => app.openapi(), /already/)
  })

  test('docs() at a custom path with a custom document path', async () => {
    const app = new App({ logger: memoryLogger() })
    app.docs({ path: '/api-docs', openapiPath: '/spec.json', title: 'A <b> & "c"' })
    const page = await call(app.handler, '/api-docs')
    assert.match(page.text, /<title>A &#60;b&#62; &#38; &#34;c&#34;<\/title>/)
    assert.match(page.text, /src="\/api-docs\/init\.js"/)
    assert.match((await call(app.handler, '/api-docs/init.js')).text, /url: "\/spec\.json"/)
    assert.equal((await call(app.handler, '/spec.json')).status, 200)
    assert.equal((await call(app.handler, '/docs')).status, 404)
  })
})
