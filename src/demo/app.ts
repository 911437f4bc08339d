/**
 * The seeds' demo API, on the framework: the FastAPI example of the course material (welcome message, users
 * list, create a user with a validated body), plus health, one user by id and an echo, documented at /docs.
 */
import { z } from 'zod'
import { App, type AppOptions, ERROR_BODY_SCHEMA, HttpError } from '../framework/index.ts'

/** A user of the demo store. */
export interface User {
  readonly id: number
  readonly name: string
}

const UserSchema = z.object({ id: z.number().int().positive(), name: z.string() })
const NewUserSchema = z.object({ name: z.string().min(1).max(100) })

/**
 * A fresh demo app with its own in-memory users (Alice and Bob to start, as in the seeds).
 *
 * ```ts
 * const app = createDemoApp()
 * const server = await app.listen({ port: 8000, host: '127.0.0.1' }) // then open http://127.0.0.1:8000/docs
 * ```
 */
export function createDemoApp(options: AppOptions = {}): App {
  const users = new Map<number, User>([
    [1, { id: 1, name: 'Alice' }],
    [2, { id: 2, name: 'Bob' }],
  ])
  let nextId = 3

  const app = new App(options)
  app.get('/', () => ({ message: 'Welcome to my API!' }), {
    summary: 'Welcome message',
    tags: ['general'],
    openapi: {
      response: {
        type: 'object',
        properties: { message: { type: 'string' } },
        required: ['message'],
      },
    },
  })

  app.get('/health', () => ({ status: 'ok' }), {
    summary: 'Health check',
    tags: ['general'],
    openapi: {
      response: { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] },
    },
  })

  app.get('/users', () => [...users.values()], {
    summary: 'List users',
    tags: ['users'],
    schema: { response: z.array(UserSchema) },
  })

  app.get(
    '/users/{id:int}',
    (c) => {
      const user = users.get(Number(c.params.id))
      if (user === undefined) throw new HttpError(404, 'User not found')
      return user
    },
    {
      summary: 'Get one user',
      tags: ['users'],
      schema: { response: UserSchema },
      openapi: { responses: { 404: { description: 'User not found', schema: ERROR_BODY_SCHEMA } } },
    },
  )

  app.post(
    '/users',
    (c) => {
      const user: User = { id: nextId++, name: c.valid.body.name }
      users.set(user.id, user)
      return c.json(user, 201)
    },
    {
      summary: 'Create a user',
      description: 'The name must be a string of 1 to 100 characters.',
      tags: ['users'],
      schema: { body: NewUserSchema, response: UserSchema },
      openapi: { status: 201 },
    },
  )

  app.post('/echo', async (c) => c.json(await c.json()), {
    summary: 'Echo the JSON body',
    tags: ['general'],
    openapi: {
      body: {},
      response: {},
      responses: {
        400: { description: 'Malformed JSON', schema: ERROR_BODY_SCHEMA },
        415: { description: 'Not application/json', schema: ERROR_BODY_SCHEMA },
      },
    },
  })

  app.docs({
    title: 'Demo API',
    info: { version: '1.0.0', description: 'The seeds\u2019 demo API.' },
  })
  return app
}
