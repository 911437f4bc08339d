/**
 * Durations as people write them on the command line and in the API's query strings: `90s`, `10m`, `2h`, `30d`,
 * `1w`, and sums such as `1h30m`. One parser for `serve --retain/--stale`, `query --since`, `db prune` and the API.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/** The duration in milliseconds, or undefined when `text` is not one (at most 9 digits per unit). */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d{1,9}[smhdw])+$/.test(text)) return undefined
  let total = 0
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhdw])/g)) {
    total += Number(amount) * UNIT_MS[unit!]!
  }
  return total
}
