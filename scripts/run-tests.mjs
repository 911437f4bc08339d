#!/usr/bin/env node
// Runs the test suite with Node's own test runner, TypeScript loaded through tsx.
// Usage: node scripts/run-tests.mjs [path-or-substring ...]   (no argument: every *.test.ts)
// Node 20's `--test` does not expand globs itself, so the file list is built here.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const roots = ['src', 'test', 'examples']

/** @param {string} dir @returns {string[]} */
function walk(dir) {
  let out = []
  let entries
  try {
    entries = readdirSync(dir)
  } catch {
    return out
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue
    const full = join(dir, name)
    if (statSync(full).isDirectory()) out = out.concat(walk(full))
    else if (name.endsWith('.test.ts')) out.push(full)
  }
  return out
}

const filters = process.argv.slice(2)
const files = roots
  .flatMap((r) => walk(join(root, r)))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort()

if (files.length === 0) {
  console.error('run-tests: no test file matches', filters.join(' '))
  process.exit(1)
}

const concurrency = process.env.TEST_CONCURRENCY ?? '3'
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
)
process.exit(result.status ?? 1)
