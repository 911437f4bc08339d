#!/usr/bin/env node
// Rebuilds dist/ (tsc) only when a file under src/ is newer than the last build, so `npm start` is instant
// after the first run and never runs stale code after an edit.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const stamp = join(root, 'dist/cli/main.js')

function newest(dir) {
  let latest = 0
  for (const name of readdirSync(dir)) {
    const full = join(dir, name)
    const st = statSync(full)
    latest = Math.max(latest, st.isDirectory() ? newest(full) : st.mtimeMs)
  }
  return latest
}

let built = 0
try {
  built = statSync(stamp).mtimeMs
} catch {
  // never built
}
const sources = Math.max(
  newest(join(root, 'src')),
  statSync(join(root, 'tsconfig.build.json')).mtimeMs,
)
if (sources > built) {
  process.stderr.write('Building (tsc)…\n')
  const result = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], {
    cwd: root,
    stdio: 'inherit',
  })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
