#!/usr/bin/env node
// Compiles src/ to dist/ (tsc -p tsconfig.build.json) and makes the CLI executable: tsc writes files without
// the execute bit, and `npx observatory` in a fresh clone runs dist/cli/main.js directly through its shebang
// ("Permission denied" without it). npm sets the bit only when it links a bin (install -g, link), not for the
// package's own directory.
import { spawnSync } from 'node:child_process'
import { chmodSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const tsc = join(root, 'node_modules/typescript/bin/tsc')
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
})
if (result.status !== 0) process.exit(result.status ?? 1)
chmodSync(join(root, 'dist/cli/main.js'), 0o755)
