#!/usr/bin/env node
// Builds the peer-credential addon (native/build/Release/peercred.node) with node-gyp.
// Runs as the package's `install` script and by hand: `node scripts/build-native.mjs`.
//
// It never fails the install: the addon is optional (without it, Unix socket peers simply carry
// no pid/uid/gid), so on any problem it prints one line to stderr and exits 0.
// node-gyp is found the way npm lifecycle scripts find it: $npm_config_node_gyp, then the copy
// bundled with npm, then `node-gyp` on PATH.
import { spawnSync } from 'node:child_process'
import { existsSync, realpathSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const nativeDir = join(root, 'native')
const addonPath = join(nativeDir, 'build', 'Release', 'peercred.node')
const BUILD_TIMEOUT_MS = 10 * 60 * 1000
const MAX_REASON = 160

/** @param {string} reason */
function giveUp(reason) {
  const short = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 3)}...` : reason
  process.stderr.write(
    `hooks-observatory: peer-credential addon not built (${short}); ` +
      'Unix peers will have no pid/uid/gid\n',
  )
  process.exit(0)
}

/** @param {string} file */
function isFile(file) {
  try {
    return statSync(file).isFile()
  } catch {
    return false
  }
}

/** @param {string} name @returns {string | undefined} */
function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, name)
    if (isFile(candidate)) return candidate
  }
  return undefined
}

/** node-gyp bundled with the npm whose CLI script (or shim) is `npmEntry`. @param {string} npmEntry */
function bundledWith(npmEntry) {
  let real
  try {
    real = realpathSync(npmEntry)
  } catch {
    return undefined
  }
  // npm's entry points live in <npm>/bin/ (npm-cli.js, npx-cli.js, or the `npm` shell shim).
  const candidate = resolve(dirname(real), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
  return isFile(candidate) ? candidate : undefined
}

/** @returns {{ command: string, args: string[] } | undefined} */
function findNodeGyp() {
  /** @param {string} file */
  const runner = (file) =>
    file.endsWith('.js') || file.endsWith('.cjs') || file.endsWith('.mjs')
      ? { command: process.execPath, args: [file] }
      : { command: file, args: [] }

  const fromEnv = process.env.npm_config_node_gyp
  if (fromEnv && isFile(fromEnv)) return runner(fromEnv)

  const npmEntries = [process.env.npm_execpath, onPath('npm')]
  for (const entry of npmEntries) {
    if (!entry) continue
    const found = bundledWith(entry)
    if (found) return runner(found)
  }
  // Standard Unix install layout: <prefix>/bin/node and <prefix>/lib/node_modules/npm.
  const prefix = dirname(dirname(process.execPath))
  const besideNode = join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp')
  const besideNodeBin = join(besideNode, 'bin', 'node-gyp.js')
  if (isFile(besideNodeBin)) return runner(besideNodeBin)

  const global = onPath('node-gyp')
  return global ? runner(global) : undefined
}

/**
 * Arguments that point node-gyp at local headers when npm has not (a hand-run build has no
 * $npm_config_nodedir). Without them node-gyp would download the headers.
 * @returns {string[]}
 */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return []
  const prefix = dirname(dirname(process.execPath))
  const headers = join(prefix, 'include', 'node')
  if (isFile(join(headers, 'node_api.h')) && isFile(join(headers, 'common.gypi'))) {
    return [`--nodedir=${prefix}`]
  }
  return []
}

/** The most telling line of node-gyp's output. @param {string} output @param {number | null} status */
function failureReason(output, status) {
  const lines = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
  const compileError = lines.find((l) => /(^|\s|:)(fatal )?error:/i.test(l) && !/^gyp/.test(l))
  if (compileError) return compileError
  const gypError = lines.find((l) => /^gyp: /.test(l))
  if (gypError) return gypError
  const stackError = lines.find((l) => /^gyp ERR! stack Error:/.test(l))
  if (stackError) return stackError.replace(/^gyp ERR! stack Error:\s*/, 'node-gyp: ')
  const anyError = lines.find((l) =>
    /^gyp ERR! (?!(cwd|node -v|node-gyp -v|not ok|System|command))/.test(l),
  )
  if (anyError) return anyError.replace(/^gyp ERR!\s*/, 'node-gyp: ')
  return `node-gyp exited with ${status === null ? 'a signal' : `code ${status}`}`
}

function main() {
  if (process.platform === 'win32') return
  if (!existsSync(join(nativeDir, 'binding.gyp'))) giveUp('native/binding.gyp missing')

  const nodeGyp = findNodeGyp()
  if (!nodeGyp) giveUp('node-gyp not found')

  const result = spawnSync(nodeGyp.command, [...nodeGyp.args, 'rebuild', ...nodedirArgs()], {
    cwd: nativeDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: BUILD_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  })
  if (result.error) {
    const code = /** @type {NodeJS.ErrnoException} */ (result.error).code
    giveUp(`could not run node-gyp: ${code ?? result.error.message}`)
  }
  if (result.status !== 0) {
    giveUp(failureReason(`${result.stderr ?? ''}\n${result.stdout ?? ''}`, result.status))
  }
  if (!isFile(addonPath)) giveUp('node-gyp produced no peercred.node')

  // Prove the result loads in this Node and behaves (an invalid fd must give null, not throw).
  try {
    const addon = createRequire(import.meta.url)(addonPath)
    if (typeof addon?.getPeerCred !== 'function' || addon.getPeerCred(-1) !== null) {
      giveUp('built addon does not export getPeerCred')
    }
  } catch (error) {
    giveUp(`built addon does not load: ${error instanceof Error ? error.message : String(error)}`)
  }
  process.stdout.write('hooks-observatory: peer-credential addon built\n')
}

try {
  main()
} catch (error) {
  giveUp(error instanceof Error ? error.message : String(error))
}
