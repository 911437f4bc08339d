/**
 * The public API: what `import … from 'hooks-observatory'` offers (explicit, no internals), and the entry points
 * package.json declares, resolved by package name the way a user's project resolves them.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'node:test'

const ROOT = resolve(import.meta.dirname, '..')

test('the root entry point exports what a server or framework user needs, and no internals', async () => {
  const api = await import('../src/index.ts')
  assert.deepEqual(Object.keys(api).sort(), [
    'App',
    'Context',
    'DEFAULT_LIMITS',
    'HeaderFields',
    'HttpError',
    'ListenError',
    'RequestBodyError',
    'RouteError',
    'bodyLimit',
    'buildOpenApiDocument',
    'cors',
    'createNodeHttpServer',
    'createServer',
    'isClusterWorker',
    'isResponse',
    'jsonResponse',
    'parseCookies',
    'peerCredentialsAvailable',
    'rateLimit',
    'redirectResponse',
    'requestId',
    'requestLogger',
    'runCluster',
    'serializeCookie',
    'silentLogger',
    'stderrLogger',
    'textResponse',
    'validationError',
  ])
})

test('package.json exports the root and one entry point per floor, resolvable by name', (t) => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { types: string; default: string }>
  }
  assert.deepEqual(Object.keys(pkg.exports), [
    '.',
    './protocol',
    './transport',
    './router',
    './framework',
    './package.json',
  ])
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) {
    t.skip('dist/ is not built (npm run build)')
    return
  }
  // A project that depends on this package: node_modules/hooks-observatory → the repository.
  const project = mkdtempSync(join(tmpdir(), 'api-consumer-'))
  t.after(() => rmSync(project, { recursive: true, force: true }))
  mkdirSync(join(project, 'node_modules'))
  symlinkSync(ROOT, join(project, 'node_modules', 'hooks-observatory'), 'dir')
  writeFileSync(
    join(project, 'check.mjs'),
    `const out = {}
for (const spec of ['hooks-observatory', 'hooks-observatory/protocol', 'hooks-observatory/transport',
  'hooks-observatory/router', 'hooks-observatory/framework']) {
  out[spec] = Object.keys(await import(spec)).length
}
const root = await import('hooks-observatory')
out.app = typeof root.App === 'function' && typeof root.createServer === 'function'
out.router = typeof (await import('hooks-observatory/router')).Router === 'function'
out.connection = typeof (await import('hooks-observatory/protocol')).ServerConnection === 'function'
try {
  await import('hooks-observatory/dist/transport/server.js')
  out.deep = 'allowed'
} catch (error) {
  out.deep = error.code
}
console.log(JSON.stringify(out))
`,
  )
  const run = spawnSync(process.execPath, ['check.mjs'], {
    cwd: project,
    encoding: 'utf8',
    timeout: 30_000,
  })
  assert.equal(run.status, 0, run.stderr)
  const out = JSON.parse(run.stdout) as Record<string, number | boolean | string>
  for (const spec of [
    'hooks-observatory',
    'hooks-observatory/protocol',
    'hooks-observatory/framework',
  ]) {
    assert.ok((out[spec] as number) > 0, spec)
  }
  assert.equal(out.app, true)
  assert.equal(out.router, true)
  assert.equal(out.connection, true)
  assert.equal(
    out.deep,
    'ERR_PACKAGE_PATH_NOT_EXPORTED',
    'files inside a floor are not part of the API',
  )
})
