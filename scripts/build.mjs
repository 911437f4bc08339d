#!/usr/bin/env node
// Compiles src/ to dist/ (tsc -p tsconfig.build.json) and makes the CLI executable: tsc writes files without
// the execute bit, and `npx observatory` in a fresh clone runs dist/cli/main.js directly through its shebang
// ("Permission denied" without it). npm sets the bit only when it links a bin (install -g, link), not for the
// package's own directory.
//
// Then bundles the dashboard (src/observatory/web/, browser code with its own tsconfig) with esbuild into
// dist/web/: app-<hash>.js, app-<hash>.css (uPlot's stylesheet included), favicon.svg, and manifest.json naming
// the hashed files for the server (src/observatory/server/live-page.ts). The hash in each name lets the server
// send them `immutable`; the directory is emptied first so old bundles do not pile up.
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const tsc = join(root, 'node_modules/typescript/bin/tsc')
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
})
if (result.status !== 0) process.exit(result.status ?? 1)
chmodSync(join(root, 'dist/cli/main.js'), 0o755)

const { build } = await import('esbuild')
const web = join(root, 'src/observatory/web')
const out = join(root, 'dist/web')
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
const bundle = await build({
  entryPoints: { app: join(web, 'main.ts') },
  outdir: out,
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'iife',
  // Browsers of the last few years: what the page uses (ES2022, CSS nesting is not used).
  target: ['chrome111', 'firefox115', 'safari16.4'],
  metafile: true,
  legalComments: 'eof',
  logLevel: 'warning',
  absWorkingDir: root,
})
const manifest = {}
for (const [file, output] of Object.entries(bundle.metafile.outputs)) {
  if (output.entryPoint === undefined) continue
  manifest['app.js'] = basename(file)
  if (output.cssBundle !== undefined) manifest['app.css'] = basename(output.cssBundle)
}
if (manifest['app.js'] === undefined || manifest['app.css'] === undefined) {
  console.error('build: esbuild wrote no app bundle', bundle.metafile.outputs)
  process.exit(1)
}
copyFileSync(join(web, 'favicon.svg'), join(out, 'favicon.svg'))
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
