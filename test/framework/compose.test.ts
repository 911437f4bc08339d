/**
 * The `Composer` on its own (src/framework/compose.ts): no app, no router. A real `Context` over a real
 * transport request, global middleware, route middleware and a terminal.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type AnyHandler,
  type AnyMiddleware,
  Composer,
  NO_MIDDLEWARE,
} from '../../src/framework/compose.ts'
import { Context } from '../../src/framework/context.ts'
import { HttpError } from '../../src/framework/http-error.ts'
import { RequestBodyError } from '../../src/transport/request.ts'
import { type CallOptions, makeRequest, memoryLogger, readResponse } from './helpers.ts'

function setup(): {
  composer: Composer
  log: ReturnType<typeof memoryLogger>
  context: (target?: string, options?: CallOptions) => Context
} {
  const log = memoryLogger()
  let ids = 0
  const env = { generateRequestId: () => `req-${++ids}` }
  const context = (target = '/x', options: CallOptions = {}): Context =>
    new Context(makeRequest(target, options), {}, undefined, 1024, env)
  return { composer: new Composer(log), log, context }
}

/** A middleware that records entering and leaving, with the status it saw in `c.res` on the way out. */
function tracer(name: string, events: string[]): AnyMiddleware {
  return async (c, next) => {
    events.push(`${name} in`)
    await next()
    events.push(`${name} out ${c.res?.status}`)
  }
}

describe('Composer: the onion', () => {
  test('global middleware in the order added, then route middleware; after next() in reverse', async () => {
    const { composer, context } = setup()
    const events: string[] = []
    composer.use([tracer('g1', events)])
    composer.use([tracer('g2', events)]) // use() appends
    const handler: AnyHandler = (c) => {
      events.push('handler')
      return c.json({ ok: true }, 201)
    }
    const r = await readResponse(
      composer.run(context(), handler, [tracer('r1', events), tracer('r2', events)], false),
    )
    assert.equal(r.status, 201)
    assert.deepEqual(r.json(), { ok: true })
    assert.deepEqual(events, [
      'g1 in',
      'g2 in',
      'r1 in',
      'r2 in',
      'handler',
      'r2 out 201',
      'r1 out 201',
      'g2 out 201',
      'g1 out 201',
    ])
  })

  test('no middleware and a direct terminal: a synchronous handler answers without a Promise', async () => {
    const { composer, context } = setup()
    const handler: AnyHandler = (c) => {
      c.setHeader('x-seen', c.path)
      return { id: 1 }
    }
    const direct = await readResponse(composer.run(context('/d'), handler, NO_MIDDLEWARE, true))
    assert.equal(direct.sync, true)
    assert.deepEqual(direct.json(), { id: 1 })
    assert.equal(direct.headers.get('x-seen'), '/d') // finalize() ran

    // Not direct (route middleware or validation): through the chain, a Promise.
    const chained = await readResponse(composer.run(context('/c'), handler, NO_MIDDLEWARE, false))
    assert.equal(chained.sync, false)
    assert.deepEqual(chained.json(), { id: 1 })
    assert.equal(chained.headers.get('x-seen'), '/c')

    // Global middleware added later apply to a direct terminal too.
    const events: string[] = []
    composer.use([tracer('g', events)])
    const wrapped = await readResponse(composer.run(context(), handler, NO_MIDDLEWARE, true))
    assert.equal(wrapped.sync, false)
    assert.deepEqual(events, ['g in', 'g out 200'])
  })

  test('a middleware returning a response without next() short-circuits the rest', async () => {
    const { composer, context } = setup()
    const events: string[] = []
    const guard: AnyMiddleware = (c) => c.json({ error: 'no' }, 401)
    let inner = 0
    let handled = 0
    composer.use([tracer('outer', events), guard])
    const r = await readResponse(
      composer.run(
        context(),
        () => {
          handled++
          return 'never'
        },
        [
          async (_c, next) => {
            inner++
            await next()
          },
        ],
        false,
      ),
    )
    assert.equal(r.status, 401)
    assert.deepEqual(r.json(), { error: 'no' })
    assert.equal(inner, 0)
    assert.equal(handled, 0)
    assert.deepEqual(events, ['outer in', 'outer out 401'])
  })

  test('a value returned after next() replaces the response', async () => {
    const { composer, context } = setup()
    composer.use([
      async (c, next) => {
        await next()
        return c.text(`wrapped ${c.res?.status}`)
      },
    ])
    const r = await readResponse(composer.run(context(), () => ({ a: 1 }), NO_MIDDLEWARE, true))
    assert.equal(r.status, 200)
    assert.equal(r.text, 'wrapped 200')
  })

  test('calling next() twice is an error answered where it happens; the rest ran once', async () => {
    const { composer, context, log } = setup()
    const events: string[] = []
    const seen: unknown[] = []
    composer.onError((error) => {
      seen.push(error)
      return undefined // the default answer
    })
    let handled = 0
    composer.use([
      tracer('outer', events),
      async function twice(_c, next) {
        await next()
        await next()
      },
    ])
    const r = await readResponse(
      composer.run(
        context(),
        () => {
          handled++
          return 'once'
        },
        NO_MIDDLEWARE,
        true,
      ),
    )
    assert.equal(handled, 1)
    assert.equal(r.status, 500)
    assert.deepEqual(r.json(), { error: 'Internal Server Error', requestId: 'req-1' })
    assert.equal(seen.length, 1)
    assert.equal((seen[0] as Error).message, 'next() called more than once')
    assert.deepEqual(events, ['outer in', 'outer out 500'])
    assert.equal(log.lines.length, 1)
    assert.match(
      log.lines[0]!,
      /request req-1: GET \/x failed with 500: Error: next\(\) called more/,
    )
  })

  test('a middleware that neither calls next() nor returns a response is a 500', async () => {
    const { composer, context, log } = setup()
    composer.use([function lazy() {}])
    const r = await readResponse(composer.run(context(), () => 'never', NO_MIDDLEWARE, true))
    assert.equal(r.status, 500)
    assert.match(log.lines[0]!, /middleware lazy neither called next\(\) nor returned a response/)
  })
})

describe('Composer: errors', () => {
  test('thrown in a middleware (sync or async) or the handler: onError answers, outer middleware see it', async () => {
    const cases: [string, AnyMiddleware[], AnyHandler][] = [
      [
        'sync middleware',
        [
          () => {
            throw new Error('sync middleware')
          },
        ],
        () => 'never',
      ],
      [
        'async middleware',
        [
          async (_c, next) => {
            await next()
            throw new Error('async middleware')
          },
        ],
        () => 'ok',
      ],
      [
        'sync handler',
        NO_MIDDLEWARE as AnyMiddleware[],
        () => {
          throw new Error('sync handler')
        },
      ],
      [
        'async handler',
        NO_MIDDLEWARE as AnyMiddleware[],
        async () => {
          throw new Error('async handler')
        },
      ],
    ]
    for (const [name, route, handler] of cases) {
      const { composer, context } = setup()
      const outside: unknown[] = []
      composer.onError((error, c) => c.json({ caught: (error as Error).message }, 418))
      composer.use([
        async (c, next) => {
          await next()
          outside.push(c.res?.status, (c.error as Error | undefined)?.message)
        },
      ])
      const r = await readResponse(composer.run(context(), handler, route, route.length === 0))
      assert.equal(r.status, 418, name)
      assert.deepEqual(r.json(), { caught: name }, name)
      assert.deepEqual(outside, [418, name], name)
    }
  })

  test('the default answers: HttpError, RequestBodyError, anything else a logged 500', async () => {
    const { composer, context, log } = setup()
    const thrower =
      (error: unknown): AnyHandler =>
      () => {
        throw error
      }
    const notFound = await readResponse(
      composer.run(context(), thrower(new HttpError(404, 'gone')), NO_MIDDLEWARE, true),
    )
    assert.equal(notFound.sync, true) // a synchronous throw stays synchronous on the direct path
    assert.equal(notFound.status, 404)
    assert.deepEqual(notFound.json(), { error: 'gone' })

    const tooLarge = await readResponse(
      composer.run(context(), thrower(new RequestBodyError('too big', 413)), NO_MIDDLEWARE, false),
    )
    assert.equal(tooLarge.status, 413)
    assert.deepEqual(tooLarge.json(), { error: 'Content Too Large', detail: 'too big' })
    assert.deepEqual(log.lines, []) // 4xx are not logged

    const boom = await readResponse(
      composer.run(context('/boom'), async () => Promise.reject(new Error('db down')), [], true),
    )
    assert.equal(boom.status, 500)
    assert.equal(boom.text.includes('db down'), false) // never the message or the stack
    assert.equal(log.lines.length, 1)
    assert.match(
      log.lines[0]!,
      /^error request req-\d: GET \/boom failed with 500: Error: db down\n/,
    )
  })

  test('onError: undefined, a throw or a rejection fall back to the default, logged when it failed', async () => {
    for (const [name, hook] of [
      ['undefined', () => undefined],
      ['rejects', () => Promise.reject(new Error('hook broke'))],
      [
        'throws',
        () => {
          throw new Error('hook broke')
        },
      ],
    ] as const) {
      const { composer, context, log } = setup()
      composer.onError(hook)
      const r = await readResponse(
        composer.run(context(), () => Promise.reject(new HttpError(409)), NO_MIDDLEWARE, true),
      )
      assert.equal(r.status, 409, name)
      assert.deepEqual(r.json(), { error: 'Conflict' }, name)
      if (name === 'undefined') assert.deepEqual(log.lines, [])
      else assert.match(log.lines[0]!, /the onError hook failed: Error: hook broke/, name)
    }
  })
})
