/**
 * The dashboard's server side: the HTML shell and the bundled assets that `npm run build` writes to `dist/web/`
 * (scripts/build.mjs: esbuild bundles `src/observatory/web/` with uPlot and its CSS). Nothing comes from a CDN.
 *
 * Contract
 * - The shell is the same for every view (`/`, `/sessions/{id}`, `/stream`, `/charts`): the script reads the URL
 *   and renders the view (History API). It is sent `no-cache` with a strict CSP: scripts, styles, images and
 *   connections from this origin only, no inline script and no inline style (the script sets styles through the
 *   CSSOM, which CSP allows), no framing, no plugins.
 * - The assets' names carry a hash of their content (`app-3FZ2KQ.js`, from `dist/web/manifest.json`), so they
 *   are sent `immutable` with a year's max-age and an ETag; gzip when the browser accepts it (compressed once,
 *   when loaded).
 * - The bundle is read when the first page is asked for and kept in memory (about 200 KB). When it is missing
 *   (`dist/web/` not built), the page says to run `npm run build`, and is looked for again at the next request.
 * - `dist/web/` is found from this module's own URL: `src/observatory/server/` (run through tsx) and
 *   `dist/observatory/server/` (built) are both three levels below the package root.
 *
 * (The file keeps its old name, live-page.ts: the dashboard replaced the live page at the same address.)
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { Response } from '../../transport/index.ts'

/** Where the build writes the bundle. */
export const WEB_DIR = fileURLToPath(new URL('../../../dist/web/', import.meta.url))

/**
 * The page's policy. `default-src 'self'` covers scripts, styles, images, fonts and connections (fetch and
 * EventSource); nothing inline is allowed.
 */
export const DASHBOARD_CSP =
  "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'"

const TITLE = 'Claude Code hooks observatory'

/** Types of the files the build writes, by extension. */
const TYPES: Readonly<Record<string, string>> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  map: 'application/json',
}

interface Asset {
  readonly body: Buffer
  readonly gzip: Buffer | undefined
  readonly type: string
  readonly etag: string
}

interface Bundle {
  readonly html: string
  /** By file name, as served under `/assets/`. */
  readonly assets: ReadonlyMap<string, Asset>
  readonly icon: Asset
}

/** What the build writes next to the bundle: the hashed names of the entry's outputs. */
interface Manifest {
  'app.js': string
  'app.css': string
}

/** The dashboard's shell, assets and icon, loaded from `dir` (default {@link WEB_DIR}) on first use. */
export class Dashboard {
  readonly #dir: string
  #bundle: Bundle | undefined

  constructor(dir: string = WEB_DIR) {
    this.#dir = dir
  }

  /** The shell (every view's HTML), or the page saying the bundle is not built. */
  page(): Response {
    const bundle = this.#load()
    return {
      status: 200,
      headers: [
        ['Content-Type', 'text/html; charset=utf-8'],
        ['Cache-Control', 'no-cache'],
        ['Content-Security-Policy', DASHBOARD_CSP],
        ['X-Content-Type-Options', 'nosniff'],
        ['Referrer-Policy', 'no-referrer'],
      ],
      body: bundle === undefined ? notBuiltPage(this.#dir) : bundle.html,
    }
  }

  /** `/assets/{file}`: the asset, 304 for a matching ETag, undefined when there is no such file (→ 404). */
  asset(
    file: string,
    acceptEncoding: string | undefined,
    ifNoneMatch: string | undefined,
  ): Response | undefined {
    const asset = this.#load()?.assets.get(file)
    return asset === undefined
      ? undefined
      : send(asset, 'public, max-age=31536000, immutable', acceptEncoding, ifNoneMatch)
  }

  /** `/favicon.svg` (its name is fixed, so it is revalidated). */
  icon(acceptEncoding: string | undefined, ifNoneMatch: string | undefined): Response | undefined {
    const icon = this.#load()?.icon
    return icon === undefined ? undefined : send(icon, 'no-cache', acceptEncoding, ifNoneMatch)
  }

  #load(): Bundle | undefined {
    if (this.#bundle !== undefined) return this.#bundle
    let manifest: Manifest
    try {
      manifest = JSON.parse(readFileSync(join(this.#dir, 'manifest.json'), 'utf8')) as Manifest
    } catch {
      return undefined
    }
    const assets = new Map<string, Asset>()
    const names = [manifest['app.js'], manifest['app.css']]
    try {
      for (const name of names) assets.set(name, loadAsset(join(this.#dir, name)))
      const icon = loadAsset(join(this.#dir, 'favicon.svg'))
      this.#bundle = { html: shell(manifest), assets, icon }
    } catch {
      return undefined // a build in progress or a broken dist/: the not-built page, and try again later
    }
    return this.#bundle
  }
}

function loadAsset(path: string): Asset {
  const body = readFileSync(path)
  const extension = path.slice(path.lastIndexOf('.') + 1)
  const gzip = gzipSync(body, { level: 9 })
  return {
    body,
    gzip: gzip.length < body.length ? gzip : undefined,
    type: TYPES[extension] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  }
}

function send(
  asset: Asset,
  cacheControl: string,
  acceptEncoding: string | undefined,
  ifNoneMatch: string | undefined,
): Response {
  const headers: [string, string][] = [
    ['Content-Type', asset.type],
    ['Cache-Control', cacheControl],
    ['ETag', asset.etag],
    ['Vary', 'Accept-Encoding'],
    ['X-Content-Type-Options', 'nosniff'],
  ]
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, asset.etag)) {
    return { status: 304, headers }
  }
  if (asset.gzip !== undefined && acceptsGzip(acceptEncoding)) {
    headers.push(['Content-Encoding', 'gzip'])
    return { status: 200, headers, body: asset.gzip }
  }
  return { status: 200, headers, body: asset.body }
}

/** `If-None-Match` (RFC 9110 §13.1.2): `*` or a list of entity tags, compared weakly. */
function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
}

/** `Accept-Encoding` (RFC 9110 §12.5.3) names gzip (or `*`) without `q=0`. */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false
  for (const item of header.toLowerCase().split(',')) {
    const [coding, ...params] = item.split(';').map((part) => part.trim())
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') continue
    const q = params.find((p) => p.startsWith('q='))
    if (q === undefined || Number(q.slice(2)) > 0) return true
  }
  return false
}

function shell(manifest: Manifest): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${TITLE}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/${manifest['app.css']}">
<script defer src="/assets/${manifest['app.js']}"></script>
</head>
<body>
<div id="app"><noscript>The dashboard needs JavaScript. The same data is in the JSON API: <a href="/docs">/docs</a>.</noscript></div>
</body>
</html>
`
}

function notBuiltPage(dir: string): string {
  const escaped = dir.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${TITLE}</title></head>
<body>
<h1>${TITLE}</h1>
<p>The dashboard is not built: <code>${escaped}</code> has no bundle. Run <code>npm run build</code> in the
repository (it bundles the page with esbuild), then reload. The hooks, the stream and the JSON API
(<a href="/docs">/docs</a>) work without it.</p>
</body>
</html>
`
}
