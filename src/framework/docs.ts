/**
 * The interactive docs page, served fully offline: Swagger UI's files come from the `swagger-ui-dist` package in
 * node_modules, never from a CDN, and the page runs no inline script, so it works under a strict
 * Content-Security-Policy (`script-src 'self'`): the bootstrap code is a separate file, `<docs>/init.js`.
 *
 * Assets live under `<docs>/assets/<swagger-ui version>/<file>`: the version in the path makes each URL's
 * content fixed, so they are sent `immutable` with a year's max-age and an ETag; the page itself is `no-cache`.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Response } from '../transport/index.ts'

/** Files of swagger-ui-dist the page uses, with their media types. Nothing else is served. */
const ASSET_TYPES: ReadonlyMap<string, string> = new Map([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['favicon-16x16.png', 'image/png'],
  ['favicon-32x32.png', 'image/png'],
])

/**
 * Policy for the page: scripts and styles from this origin only. Swagger UI sets inline `style` attributes
 * (React), hence `'unsafe-inline'` for styles only; its icons are `data:` URIs in the CSS.
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/** Where swagger-ui-dist is installed, and its version. */
export interface SwaggerUiDist {
  readonly dir: string
  readonly version: string
}

/** Locates swagger-ui-dist; throws an Error that says how to install it when it is missing. */
export function locateSwaggerUi(): SwaggerUiDist {
  const require = createRequire(import.meta.url)
  let packageJson: string
  try {
    packageJson = require.resolve('swagger-ui-dist/package.json')
  } catch (error) {
    throw new Error(
      'the docs page needs the swagger-ui-dist package: npm install swagger-ui-dist',
      {
        cause: error,
      },
    )
  }
  const { version } = require(packageJson) as { version: string }
  // getAbsoluteFSPath() is the package's own answer; its index also loads the whole bundle into Node, which the
  // standalone helper file does not.
  const absolutePath = require(join(dirname(packageJson), 'absolute-path.js')) as () => string
  return { dir: absolutePath(), version }
}

interface Asset {
  readonly body: Buffer
  readonly etag: string
  readonly type: string
}

/** Serves the page, its bootstrap script and its assets; built by `app.docs()`. */
export class DocsSite {
  readonly #dist: SwaggerUiDist
  readonly #base: string
  readonly #page: string
  readonly #init: string
  readonly #assets = new Map<string, Promise<Asset>>()

  /** `base` is the page's path (`/docs`), `specUrl` where the OpenAPI document is served. */
  constructor(dist: SwaggerUiDist, base: string, specUrl: string, title: string) {
    this.#dist = dist
    this.#base = base
    const assets = `${base}/assets/${encodeURIComponent(dist.version)}`
    this.#page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" type="image/png" sizes="32x32" href="${assets}/favicon-32x32.png">
<link rel="icon" type="image/png" sizes="16x16" href="${assets}/favicon-16x16.png">
<link rel="stylesheet" href="${assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${assets}/swagger-ui-bundle.js"></script>
<script src="${base}/init.js"></script>
</body>
</html>
`
    // validatorUrl: null keeps Swagger UI from sending the document to its online validator.
    this.#init = `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(specUrl)},
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
})
`
  }

  /** Path patterns of the three routes. */
  get routes(): { page: string; init: string; asset: string } {
    return {
      page: this.#base,
      init: `${this.#base}/init.js`,
      asset: `${this.#base}/assets/{version}/{file}`,
    }
  }

  page(): Response {
    return {
      status: 200,
      headers: [
        ['content-type', 'text/html; charset=utf-8'],
        ['cache-control', 'no-cache'],
        ['content-security-policy', DOCS_CSP],
        ['x-content-type-options', 'nosniff'],
        ['referrer-policy', 'no-referrer'],
      ],
      body: this.#page,
    }
  }

  init(): Response {
    return {
      status: 200,
      headers: [
        ['content-type', 'text/javascript; charset=utf-8'],
        ['cache-control', 'no-cache'],
        ['x-content-type-options', 'nosniff'],
      ],
      body: this.#init,
    }
  }

  /** An asset, 304 when `ifNoneMatch` has its ETag, `undefined` for anything not served (→ 404). */
  async asset(
    version: string,
    file: string,
    ifNoneMatch: string | undefined,
  ): Promise<Response | undefined> {
    const type = ASSET_TYPES.get(file)
    if (type === undefined || version !== this.#dist.version) return undefined
    let loading = this.#assets.get(file)
    if (loading === undefined) {
      loading = readFile(join(this.#dist.dir, file)).then((body) => ({
        body,
        type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      }))
      // A failed read is not cached: the next request tries again.
      loading.catch(() => this.#assets.delete(file))
      this.#assets.set(file, loading)
    }
    const asset = await loading
    const caching: [string, string][] = [
      ['etag', asset.etag],
      ['cache-control', 'public, max-age=31536000, immutable'],
    ]
    if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, asset.etag)) {
      return { status: 304, headers: caching }
    }
    return {
      status: 200,
      headers: [['content-type', asset.type], ['x-content-type-options', 'nosniff'], ...caching],
      body: asset.body,
    }
  }
}

/** RFC 9110 §13.1.2: `*`, or a list of entity tags compared weakly. */
function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}
