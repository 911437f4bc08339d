// bun: Bun.serve with its built-in `routes` (run with node_modules/.bin/bun, not node).
/* global Bun */
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  routes: {
    '/': {
      GET: () =>
        new Response('Hello, World!', {
          headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        }),
    },
    '/users/:id': {
      GET: (req) => {
        const id = req.params.id
        return Response.json({ id: Number(id), name: `user ${id}` })
      },
    },
    '/echo': {
      POST: async (req) => Response.json(await req.json()),
    },
  },
  fetch: () => new Response('Not Found', { status: 404 }),
})
process.stdout.write(`LISTENING ${server.port}\n`)
