/**
 * The observatory's hook entries in Claude Code's settings, and how to recognise, add and remove them
 * without touching anything else.
 *
 * Settings shape: `{"hooks": {"<Event>": [{"matcher": "...", "hooks": [{"type": "command", "command": "..."}]}]}}`.
 * Each event gets one matcher group of its own holding one hook (the layout of the original project's
 * `configs/*.json`): the group is ours as a whole, so it can be replaced or removed without editing a group
 * someone else wrote. With `--transport http`, the events where Claude Code runs no http hooks (SessionStart and
 * Setup, see the events catalogue) get the `tcp` transport's curl command to the same host and port instead, so
 * their events still arrive.
 *
 * "Ours" ({@link isObservatoryHook}) is decided from the hook itself, never from where it sits:
 * - a `command` hook whose command is a single `curl` invocation (optionally followed by `|| true` or `|| :`,
 *   no other shell operators, no `$` or backquote expansions) with exactly one `http://` URL argument, where
 *   that URL has path `/hook`, query `event=<Name>` and nothing else, no credentials, no fragment, and either
 *   the command has `--unix-socket PATH` (curl then ignores the URL's host) or the URL's host is local;
 * - an `http` hook whose `url` is such a URL with a local host.
 * "Local" means `localhost`, `127.0.0.0/8`, `0.0.0.0`, `::1` or `::`, plus the host given with `--bind` when that
 * is something else (so hooks installed with `--bind 192.0.2.7` are recognised by a later run with the same bind).
 */
import { isIP } from 'node:net'
import {
  cloneJson,
  duplicateKeys,
  JsonNumber,
  JsonObject,
  type JsonValue,
  jsonEquals,
} from '../encoding/index.ts'
import { EVENT_CATALOGUE, installMatcher, supportsHttpHooks } from '../events/index.ts'

export type Transport = 'unix' | 'tcp' | 'http'

/** Where the hooks send their events. */
export interface HookTarget {
  transport: Transport
  /** Unix socket path (transport `unix`). */
  socketPath: string
  /** Host as given (`127.0.0.1`, `::1`, `[::1]`, `localhost`) for transports `tcp` and `http`. */
  host: string
  port: number
  /**
   * Seconds Claude Code may wait for the observatory: an http hook's `timeout`, curl's `--max-time` in a command
   * hook. Absent: no `timeout` key on http hooks (Claude Code's own default) and curl's `--max-time` of
   * {@link DEFAULT_HOOK_TIMEOUT}.
   */
  timeout?: number
  /**
   * The same for the PermissionRequest hook alone (`--approvals`): it waits while a person decides on the page,
   * so it needs longer than `serve --approval-timeout`. Absent: `timeout`.
   */
  permissionTimeout?: number
}

/** The timeout of `event`'s hook (see {@link HookTarget.timeout}). */
export function hookTimeout(target: HookTarget, event: string): number | undefined {
  if (event === 'PermissionRequest' && target.permissionTimeout !== undefined) {
    return target.permissionTimeout
  }
  return target.timeout
}

/** The events installed by default, in the order they are added (from the events catalogue). */
export { DEFAULT_EVENTS } from '../events/index.ts'

/**
 * The matcher each known event's group gets (from the events catalogue); unknown events, and events without
 * matcher support, get a group without a `matcher` key.
 */
export const EVENT_MATCHERS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    EVENT_CATALOGUE.flatMap((event) =>
      event.matcher.install === undefined ? [] : [[event.name, event.matcher.install]],
    ),
  ),
)

/** How long Claude Code waits for the observatory, in seconds, unless `--timeout` says otherwise. */
export const DEFAULT_HOOK_TIMEOUT = 3

/**
 * The PermissionRequest hook's timeout with `--approvals`, in seconds: longer than `serve --approval-timeout`'s
 * default (60 s), so that the observatory answers ("no decision") before Claude Code gives up on the hook.
 */
export const DEFAULT_APPROVAL_HOOK_TIMEOUT = 75

/** Characters that never need quoting in a POSIX shell word. */
const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/

/** Quotes a word for a POSIX shell: unchanged when it is plain, else in single quotes. */
export function shellQuote(word: string): string {
  if (SHELL_SAFE.test(word)) return word
  return `'${word.replaceAll("'", `'\\''`)}'`
}

/** The host part of a URL for `host`: IPv6 literals go in brackets. */
export function urlHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  return isIP(bare) === 6 ? `[${bare}]` : bare
}

/** The URL a hook posts an event to. */
export function hookUrl(target: HookTarget, event: string): string {
  if (target.transport === 'unix') return `http://localhost/hook?event=${event}`
  return `http://${urlHost(target.host)}:${target.port}/hook?event=${event}`
}

/**
 * The shell command of a command hook: transports `unix` and `tcp`, and `http` on the events where Claude Code
 * runs no http hooks (SessionStart, Setup), which get the `tcp` command to the same host and port.
 */
export function hookCommand(target: HookTarget, event: string): string {
  const socket =
    target.transport === 'unix' ? `--unix-socket ${shellQuote(target.socketPath)} ` : ''
  const maxTime = hookTimeout(target, event) ?? DEFAULT_HOOK_TIMEOUT
  return (
    `curl -s --connect-timeout 0.5 --max-time ${maxTime} ${socket}` +
    `-X POST -H 'Content-Type: application/json' -d @- '${hookUrl(target, event)}' || true`
  )
}

/** Whether the hook for `event` is an `http` hook (else a curl command hook). */
export function usesHttpHook(target: HookTarget, event: string): boolean {
  return target.transport === 'http' && supportsHttpHooks(event)
}

/**
 * The hook object for one event: `{"type": "http", "url", "timeout"}` with `--transport http` where Claude Code
 * runs http hooks, else `{"type": "command", "command": "curl ..."}`.
 */
export function hookEntry(target: HookTarget, event: string): JsonObject {
  if (usesHttpHook(target, event)) {
    const hook = new JsonObject([
      ['type', 'http'],
      ['url', hookUrl(target, event)],
    ])
    const timeout = hookTimeout(target, event)
    if (timeout !== undefined) hook.set('timeout', JsonNumber.of(timeout))
    return hook
  }
  return new JsonObject([
    ['type', 'command'],
    ['command', hookCommand(target, event)],
  ])
}

/** The matcher group for one event: `{"matcher": ..., "hooks": [hook]}` (no matcher for some events). */
export function hookGroup(target: HookTarget, event: string): JsonObject {
  const group = new JsonObject()
  const matcher = installMatcher(event)
  if (matcher !== undefined) group.set('matcher', matcher)
  group.set('hooks', [hookEntry(target, event)])
  return group
}

// ---------------------------------------------------------------------------------------------------------------
// Recognising our hooks

const LOOPBACK_NAMES = new Set(['localhost', '0.0.0.0', '::1', '::'])

/** Lower-cased host without IPv6 brackets. */
function bareHost(host: string): string {
  const lower = host.toLowerCase()
  return lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower
}

function isLocalHost(hostname: string, extraHosts: readonly string[]): boolean {
  const host = bareHost(hostname)
  if (LOOPBACK_NAMES.has(host)) return true
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true
  return extraHosts.some((extra) => bareHost(extra) === host)
}

/**
 * Whether `url` is an observatory event URL: `http://HOST[:PORT]/hook?event=<Letters>` exactly, with a local
 * host unless `anyHost` (the command sends it through a Unix socket, where curl ignores the host).
 */
export function isObservatoryUrl(
  url: string,
  extraHosts: readonly string[],
  anyHost = false,
): boolean {
  if (!url.startsWith('http://')) return false
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol !== 'http:' || parsed.username !== '' || parsed.password !== '') return false
  if (parsed.pathname !== '/hook' || parsed.hash !== '') return false
  if (!/^\?event=[A-Za-z]+$/.test(parsed.search)) return false
  return anyHost || isLocalHost(parsed.hostname, extraHosts)
}

type ShellToken = { word: string } | { op: string }

/**
 * Splits a command into POSIX shell words and operators. Returns undefined for anything with expansions
 * (`$`, backquotes), redirections, subshells, comments or unbalanced quotes: such commands are never ours.
 */
export function shellTokens(command: string): ShellToken[] | undefined {
  const tokens: ShellToken[] = []
  let word = ''
  let inWord = false
  let i = 0
  const flush = (): void => {
    if (inWord) tokens.push({ word })
    word = ''
    inWord = false
  }
  while (i < command.length) {
    const ch = command[i]!
    if (ch === ' ' || ch === '\t') {
      flush()
      i++
    } else if (ch === "'") {
      const end = command.indexOf("'", i + 1)
      if (end < 0) return undefined
      word += command.slice(i + 1, end)
      inWord = true
      i = end + 1
    } else if (ch === '"') {
      i++
      inWord = true
      while (i < command.length && command[i] !== '"') {
        const c = command[i]!
        if (c === '$' || c === '`') return undefined
        if (c === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1]!)) {
          word += command[i + 1]
          i += 2
        } else {
          word += c
          i++
        }
      }
      if (i >= command.length) return undefined
      i++
    } else if (ch === '\\') {
      if (i + 1 >= command.length || command[i + 1] === '\n') return undefined
      word += command[i + 1]
      inWord = true
      i += 2
    } else if (ch === '|' || ch === '&' || ch === ';') {
      flush()
      const double = command[i + 1] === ch && ch !== ';'
      tokens.push({ op: double ? ch + ch : ch })
      i += double ? 2 : 1
    } else if ('$`<>()\n\r#'.includes(ch)) {
      return undefined
    } else {
      word += ch
      inWord = true
      i++
    }
  }
  flush()
  return tokens
}

/** Whether a shell command is an observatory curl hook (see the module comment for the exact rule). */
export function isObservatoryCommand(command: string, extraHosts: readonly string[]): boolean {
  const tokens = shellTokens(command.trim())
  if (tokens === undefined || tokens.length === 0) return false
  let body = tokens
  const last = tokens[tokens.length - 1]
  const beforeLast = tokens[tokens.length - 2]
  if (
    last !== undefined &&
    beforeLast !== undefined &&
    'op' in beforeLast &&
    beforeLast.op === '||' &&
    'word' in last &&
    (last.word === 'true' || last.word === ':')
  ) {
    body = tokens.slice(0, -2)
  }
  const words: string[] = []
  for (const token of body) {
    if ('op' in token) return false
    words.push(token.word)
  }
  const program = words[0]
  if (program === undefined || (program !== 'curl' && !program.endsWith('/curl'))) return false
  const socketIndex = words.indexOf('--unix-socket')
  const viaSocket = socketIndex > 0 && socketIndex + 1 < words.length
  const urls = words.filter((w) => /^https?:\/\//i.test(w))
  if (urls.length !== 1) return false
  return isObservatoryUrl(urls[0]!, extraHosts, viaSocket)
}

/** Whether a hook object (an element of a matcher group's `hooks` array) is one of ours. */
export function isObservatoryHook(hook: JsonValue, extraHosts: readonly string[]): boolean {
  if (!(hook instanceof JsonObject)) return false
  const type = hook.get('type')
  if (type === 'command') {
    const command = hook.get('command')
    return typeof command === 'string' && isObservatoryCommand(command, extraHosts)
  }
  if (type === 'http') {
    const url = hook.get('url')
    return typeof url === 'string' && isObservatoryUrl(url, extraHosts)
  }
  return false
}

// ---------------------------------------------------------------------------------------------------------------
// Editing

/** A settings file whose shape we will not edit. The message completes "<path> ...". */
export class SettingsShapeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SettingsShapeError'
  }
}

/** What an edit did. */
export interface EditResult {
  /** The edited copy; the input is never modified. */
  settings: JsonObject
  /** Our hooks that are in the result and were not there before, counted per event. */
  added: number
  /** Our hooks that were there before and are gone (replaced ones count as removed and added). */
  removed: number
  /** Whether the result differs from the input. */
  changed: boolean
}

/** The `hooks` object of a settings tree, validated; undefined when absent. */
function hooksObject(settings: JsonObject): JsonObject | undefined {
  if (duplicateKeys(settings).includes('hooks')) {
    throw new SettingsShapeError('has more than one "hooks" key')
  }
  const hooks = settings.get('hooks')
  if (hooks === undefined) return undefined
  if (!(hooks instanceof JsonObject)) {
    throw new SettingsShapeError('has a "hooks" value that is not an object')
  }
  const dups = duplicateKeys(hooks)
  if (dups.length > 0) throw new SettingsShapeError(`has the event "${dups[0]}" twice in "hooks"`)
  return hooks
}

function groupHooks(group: JsonValue): JsonValue[] | undefined {
  if (!(group instanceof JsonObject)) return undefined
  const hooks = group.get('hooks')
  return Array.isArray(hooks) ? hooks : undefined
}

/**
 * Removes our hooks from one event's groups. A group left empty by that is dropped; groups without any of our
 * hooks are kept as they are (the very same objects). `keepAt`, when given, is the index of a group to replace
 * with `replacement` instead.
 */
function pruneGroups(
  groups: JsonValue[],
  ours: (hook: JsonValue) => boolean,
  replacement?: { index: number; group: JsonObject },
): { groups: JsonValue[]; removed: number } {
  const result: JsonValue[] = []
  let removed = 0
  groups.forEach((group, index) => {
    const hooks = groupHooks(group)
    if (replacement !== undefined && index === replacement.index) {
      removed += hooks?.filter(ours).length ?? 0
      result.push(replacement.group)
      return
    }
    if (hooks === undefined || !hooks.some(ours)) {
      result.push(group)
      return
    }
    const kept = hooks.filter((hook) => !ours(hook))
    removed += hooks.length - kept.length
    if (kept.length === 0) return
    const copy = cloneJson(group) as JsonObject
    copy.set('hooks', kept)
    result.push(copy)
  })
  return { groups: result, removed }
}

/** Index of the first group that holds only our hooks (at least one), or -1. */
function ownGroupIndex(groups: JsonValue[], ours: (hook: JsonValue) => boolean): number {
  return groups.findIndex((group) => {
    const hooks = groupHooks(group)
    return hooks !== undefined && hooks.length > 0 && hooks.every(ours)
  })
}

/**
 * Installs our hooks for `events`, replacing any of ours already there (from another transport, port or
 * socket). Per event: the first group holding only our hooks is replaced in place by the new group; our hooks in
 * any other group are removed (dropping groups left empty); without such a group the new one is appended.
 * Our hooks on events not in `events` are removed. Events new to the file are appended in `events` order.
 * Every other key, event, group and hook stays where it is.
 */
export function installHooks(
  settings: JsonObject,
  target: HookTarget,
  events: readonly string[],
  extraHosts: readonly string[],
): EditResult {
  const result = cloneJson(settings) as JsonObject
  const ours = (hook: JsonValue): boolean => isObservatoryHook(hook, extraHosts)
  const existing = hooksObject(result)
  const hooks = existing ?? new JsonObject()
  const wanted = new Set(events)
  let added = 0
  let removed = 0

  for (const [event, value] of [...hooks]) {
    if (!Array.isArray(value)) {
      if (wanted.has(event)) {
        throw new SettingsShapeError(`has a "hooks.${event}" value that is not an array`)
      }
      continue
    }
    if (wanted.has(event)) {
      const group = hookGroup(target, event)
      const index = ownGroupIndex(value, ours)
      const pruned = pruneGroups(value, ours, index >= 0 ? { index, group } : undefined)
      if (index < 0) pruned.groups.push(group)
      hooks.set(event, pruned.groups)
      const current = index >= 0 ? value[index]! : undefined
      if (current !== undefined && jsonEquals(current, group)) {
        // Already installed as wanted: the identical hook is not counted as removed and added again.
        removed += pruned.removed - 1
      } else {
        removed += pruned.removed
        added++
      }
    } else {
      const pruned = pruneGroups(value, ours)
      removed += pruned.removed
      if (pruned.groups.length === 0 && value.length > 0) hooks.delete(event)
      else hooks.set(event, pruned.groups)
    }
  }
  for (const event of events) {
    if (hooks.has(event)) continue
    hooks.set(event, [hookGroup(target, event)])
    added++
  }
  if (existing === undefined && hooks.size > 0) result.set('hooks', hooks)

  const changed = !jsonEquals(result, settings)
  if (!changed) return { settings: result, added: 0, removed: 0, changed }
  return { settings: result, added, removed, changed }
}

/**
 * Removes our hooks (from `events` only, when given), dropping groups, events and the `hooks` object itself when
 * our removal left them empty. Foreign content, including groups or events that were already empty, stays.
 */
export function uninstallHooks(
  settings: JsonObject,
  events: readonly string[] | undefined,
  extraHosts: readonly string[],
): EditResult {
  const result = cloneJson(settings) as JsonObject
  const hooks = hooksObject(result)
  if (hooks === undefined) return { settings: result, added: 0, removed: 0, changed: false }
  const ours = (hook: JsonValue): boolean => isObservatoryHook(hook, extraHosts)
  const only = events === undefined ? undefined : new Set(events)
  let removed = 0
  const hadEvents = hooks.size > 0
  for (const [event, value] of [...hooks]) {
    if (!Array.isArray(value) || (only !== undefined && !only.has(event))) continue
    const pruned = pruneGroups(value, ours)
    if (pruned.removed === 0) continue
    removed += pruned.removed
    if (pruned.groups.length === 0) hooks.delete(event)
    else hooks.set(event, pruned.groups)
  }
  if (hadEvents && hooks.size === 0) result.delete('hooks')
  const changed = !jsonEquals(result, settings)
  return { settings: result, added: 0, removed, changed }
}

/** How many of our hooks a settings tree holds (for messages). */
export function countObservatoryHooks(settings: JsonObject, extraHosts: readonly string[]): number {
  const hooks = settings.get('hooks')
  if (!(hooks instanceof JsonObject)) return 0
  let count = 0
  for (const [, groups] of hooks) {
    if (!Array.isArray(groups)) continue
    for (const group of groups) {
      count += groupHooks(group)?.filter((hook) => isObservatoryHook(hook, extraHosts)).length ?? 0
    }
  }
  return count
}
