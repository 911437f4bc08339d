/** Where the store lives when `--db` (or `OBSERVATORY_DB`) does not say. */
import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'

/**
 * `$XDG_STATE_HOME/hooks-observatory/events.db`, else `~/.local/state/hooks-observatory/events.db` (the XDG base
 * directory spec's default). A relative `XDG_STATE_HOME` is ignored, as the spec asks.
 */
export function defaultStorePath(
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  const state = env.XDG_STATE_HOME
  const base =
    state !== undefined && state !== '' && isAbsolute(state) ? state : join(home, '.local', 'state')
  return join(base, 'hooks-observatory', 'events.db')
}
