/**
 * Claude Code's OpenTelemetry variables in the `env` block of the user's settings (`observatory install
 * --telemetry`), and how to recognise, add and remove them without touching anything else.
 *
 * Claude Code honours its telemetry variables from the process environment, the user's `~/.claude/settings.json`
 * `env`, managed settings or `--settings FILE`; not from a project's `.claude/settings.json` or
 * `settings.local.json`. So they always go to the user's file, whatever the hooks' scope.
 *
 * "Ours" cannot be decided from the values (`CLAUDE_CODE_ENABLE_TELEMETRY=1` or a local collector's endpoint may be
 * the user's own), so install keeps a record in the same `env` block: {@link TELEMETRY_RECORD_KEY}, whose value
 * lists each variable it wrote with a fingerprint of the value it wrote (`KEY:HEX`, the first 12 hex digits of the
 * value's SHA-256, so the token is not copied). A variable is ours while it is listed and still has the value
 * written; one changed by hand since is the user's from then on, and stays. The record is an environment variable
 * itself: the settings schema's `env` takes any string, so nothing outside Claude Code's own schema is added.
 *
 * A variable we want that already has another value we did not write is left as it is, with a warning (the
 * policy of the hooks: what someone else wrote is never changed); one with the very value we want is left too,
 * and not recorded, so uninstalling keeps it.
 */
import { createHash } from 'node:crypto'
import { cloneJson, duplicateKeys, JsonObject, jsonEquals } from '../encoding/index.ts'
import { SettingsShapeError, urlHost } from './hooks.ts'

/**
 * `OTEL_EXPORTER_OTLP_PROTOCOL` as written by install: Claude Code's own default, written out so that a default
 * changed elsewhere (an `OTEL_EXPORTER_OTLP_PROTOCOL` for another collector) does not apply here. The receiver
 * takes `http/json` as well; protobuf is the smaller of the two.
 */
export const TELEMETRY_PROTOCOL = 'http/protobuf'

/** The `env` variable holding install's record of the variables it wrote (see the module comment). */
export const TELEMETRY_RECORD_KEY = 'HOOKS_OBSERVATORY_ENV'

/** Where Claude Code sends its telemetry, and what it sends. */
export interface TelemetryTarget {
  /** The observatory's TCP host, as given (`127.0.0.1`, `::1`, `[::1]`, `localhost`). */
  host: string
  port: number
  /** serve's `--token`: sent as `Authorization: Bearer TOKEN`. */
  token?: string | undefined
  /** Also traces (beta): `OTEL_TRACES_EXPORTER` and `CLAUDE_CODE_ENHANCED_TELEMETRY_BETA`. */
  traces: boolean
}

/** The OTLP endpoint: the SDK appends `/v1/logs`, `/v1/metrics`, `/v1/traces`. */
export function telemetryEndpoint(target: TelemetryTarget): string {
  return `http://${urlHost(target.host)}:${target.port}`
}

/** Whether a token can travel in `OTEL_EXPORTER_OTLP_HEADERS`: visible ASCII, no comma (the list separator). */
export function isHeaderSafeToken(token: string): boolean {
  return /^[\x21-\x7e]+$/.test(token) && !token.includes(',')
}

/** The variables install writes for `target`, in the order they are added. */
export function telemetryEnv(target: TelemetryTarget): Array<[string, string]> {
  const env: Array<[string, string]> = [
    ['CLAUDE_CODE_ENABLE_TELEMETRY', '1'],
    ['OTEL_LOGS_EXPORTER', 'otlp'],
    ['OTEL_METRICS_EXPORTER', 'otlp'],
  ]
  if (target.traces) {
    env.push(['OTEL_TRACES_EXPORTER', 'otlp'], ['CLAUDE_CODE_ENHANCED_TELEMETRY_BETA', '1'])
  }
  env.push(
    ['OTEL_EXPORTER_OTLP_PROTOCOL', TELEMETRY_PROTOCOL],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', telemetryEndpoint(target)],
  )
  // A literal space: Claude Code sends a percent-encoded one (`Bearer%20…`) as it is.
  if (target.token !== undefined) {
    env.push(['OTEL_EXPORTER_OTLP_HEADERS', `Authorization=Bearer ${target.token}`])
  }
  return env
}

/** The fingerprint recorded for a value written. */
export function valueFingerprint(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 12)
}

/** What a telemetry edit did (the input is never modified). */
export interface TelemetryEditResult {
  settings: JsonObject
  changed: boolean
  /** Variables set (new, or ours with a new value). */
  written: string[]
  /** Variables of ours removed. */
  removed: string[]
  /** Lines for stderr (without the command's name): values left as they are. */
  warnings: string[]
}

/** The `env` object of a settings tree, validated; undefined when absent. */
function envObject(settings: JsonObject): JsonObject | undefined {
  if (duplicateKeys(settings).includes('env')) {
    throw new SettingsShapeError('has more than one "env" key')
  }
  const env = settings.get('env')
  if (env === undefined) return undefined
  if (!(env instanceof JsonObject)) {
    throw new SettingsShapeError('has an "env" value that is not an object')
  }
  const dups = duplicateKeys(env)
  if (dups.length > 0) throw new SettingsShapeError(`has the variable "${dups[0]}" twice in "env"`)
  return env
}

/** The record's entries (variable → fingerprint); empty when there is none. */
function readRecord(env: JsonObject): Map<string, string> {
  const record = new Map<string, string>()
  const value = env.get(TELEMETRY_RECORD_KEY)
  if (value === undefined) return record
  const bad = new SettingsShapeError(
    `has an "env.${TELEMETRY_RECORD_KEY}" that observatory install did not write`,
  )
  if (typeof value !== 'string') throw bad
  for (const item of value.split(' ')) {
    if (item === '') continue
    const match = /^([A-Za-z_][A-Za-z0-9_]*):([0-9a-f]{12})$/.exec(item)
    if (match === null || match[1] === TELEMETRY_RECORD_KEY) throw bad
    record.set(match[1]!, match[2]!)
  }
  return record
}

function recordText(record: Map<string, string>): string {
  return [...record].map(([key, print]) => `${key}:${print}`).join(' ')
}

/** The recorded variables that are still ours: present, with the value written. */
function ownVariables(env: JsonObject): { own: Set<string>; changedSince: string[] } {
  const own = new Set<string>()
  const changedSince: string[] = []
  for (const [key, print] of readRecord(env)) {
    const value = env.get(key)
    if (value === undefined) continue
    if (typeof value === 'string' && valueFingerprint(value) === print) own.add(key)
    else changedSince.push(key)
  }
  return { own, changedSince }
}

/** A value for a warning: quoted, or hidden for the headers (they may hold a token). */
function shown(key: string, value: unknown): string {
  if (key === 'OTEL_EXPORTER_OTLP_HEADERS') return 'another value (not shown)'
  return typeof value === 'string' ? JSON.stringify(value) : 'a value that is not a string'
}

function finish(
  result: JsonObject,
  original: JsonObject,
  env: JsonObject,
  hadEntries: boolean,
  existed: boolean,
  parts: Omit<TelemetryEditResult, 'settings' | 'changed'>,
): TelemetryEditResult {
  if (!existed && env.size > 0) result.set('env', env)
  if (existed && hadEntries && env.size === 0) result.delete('env')
  const changed = !jsonEquals(result, original)
  return { settings: result, changed, ...parts }
}

/**
 * Sets the telemetry variables for `target` in `settings.env`, keeping every other variable where it is: ours
 * from an earlier install are replaced in place (or removed when no longer wanted: traces, the token), new ones
 * are appended, and the record is updated (appended last). A variable someone else set is left as it is.
 */
export function installTelemetry(
  settings: JsonObject,
  target: TelemetryTarget,
): TelemetryEditResult {
  const result = cloneJson(settings) as JsonObject
  const existing = envObject(result)
  const env = existing ?? new JsonObject()
  const hadEntries = env.size > 0
  const { own, changedSince } = ownVariables(env)
  const record = new Map<string, string>()
  const written: string[] = []
  const removed: string[] = []
  const warnings: string[] = []
  const wanted = telemetryEnv(target)
  const wantedKeys = new Set(wanted.map(([key]) => key))

  for (const [key, value] of wanted) {
    const current = env.get(key)
    if (current === undefined || own.has(key)) {
      if (current !== value) written.push(key)
      env.set(key, value)
      record.set(key, valueFingerprint(value))
    } else if (current !== value) {
      const since = changedSince.includes(key) ? ' (changed by hand since install wrote it)' : ''
      warnings.push(
        `env.${key} is already ${shown(key, current)}${since}, not ${key === 'OTEL_EXPORTER_OTLP_HEADERS' ? 'the bearer token' : JSON.stringify(value)}; ` +
          `left as it is, so telemetry may not reach the observatory`,
      )
    }
  }
  for (const key of own) {
    if (wantedKeys.has(key)) continue
    env.delete(key)
    removed.push(key)
  }
  if (record.size > 0) env.set(TELEMETRY_RECORD_KEY, recordText(record))
  else env.delete(TELEMETRY_RECORD_KEY)
  return finish(result, settings, env, hadEntries, existing !== undefined, {
    written,
    removed,
    warnings,
  })
}

/**
 * Removes the telemetry variables install wrote, and its record; a recorded variable whose value was changed
 * since is kept (with a warning). The `env` object goes too when our removal left it empty.
 */
export function uninstallTelemetry(settings: JsonObject): TelemetryEditResult {
  const result = cloneJson(settings) as JsonObject
  const existing = envObject(result)
  if (existing === undefined) {
    return { settings: result, changed: false, written: [], removed: [], warnings: [] }
  }
  const env = existing
  const hadEntries = env.size > 0
  const { own, changedSince } = ownVariables(env)
  const removed: string[] = []
  for (const key of own) {
    env.delete(key)
    removed.push(key)
  }
  env.delete(TELEMETRY_RECORD_KEY)
  const warnings = changedSince.map(
    (key) => `env.${key} was changed since observatory install wrote it; left as it is`,
  )
  return finish(result, settings, env, hadEntries, true, { written: [], removed, warnings })
}

/** Whether `settings.env` holds telemetry variables install wrote (for a note on `--uninstall --project`). */
export function hasOwnTelemetry(settings: JsonObject): boolean {
  const env = settings.get('env')
  if (!(env instanceof JsonObject) || !env.has(TELEMETRY_RECORD_KEY)) return false
  try {
    return ownVariables(env).own.size > 0
  } catch {
    return false
  }
}
