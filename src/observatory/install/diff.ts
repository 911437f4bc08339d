/**
 * A line-based unified diff (Myers' O(ND) algorithm), enough to show what `observatory install` is about to do
 * to a settings file. Output follows GNU `diff -u`: `---`/`+++` headers, `@@ -a,b +c,d @@` hunks with 3 lines of
 * context (a count of 1 is left out, an empty range points at the line before it), and
 * `\ No newline at end of file` after a last line that has no newline.
 */

type Op = { kind: ' ' | '-' | '+'; line: string; missingNewline: boolean }

interface Lines {
  lines: string[]
  /** Whether the text ends without a newline (its last line is unterminated). */
  unterminated: boolean
}

function splitLines(text: string): Lines {
  if (text === '') return { lines: [], unterminated: false }
  const lines = text.split('\n')
  const unterminated = lines[lines.length - 1] !== ''
  if (!unterminated) lines.pop()
  return { lines, unterminated }
}

/**
 * The shortest edit script from `a` to `b`, as a list of kept, deleted and inserted lines in order.
 * Myers' greedy forward search, keeping a snapshot of the frontier per step to walk back along.
 */
function editScript(
  a: readonly string[],
  b: readonly string[],
): Array<{ kind: Op['kind']; index: number }> {
  const n = a.length
  const m = b.length
  const max = n + m
  const offset = max + 1
  const v = new Int32Array(2 * max + 3)
  const trace: Int32Array[] = []
  let found = false
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice())
    for (let k = -d; k <= d; k += 2) {
      let x: number
      if (k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)) x = v[offset + k + 1]!
      else x = v[offset + k - 1]! + 1
      let y = x - k
      while (x < n && y < m && a[x] === b[y]) {
        x++
        y++
      }
      v[offset + k] = x
      if (x >= n && y >= m) {
        found = true
        break
      }
    }
  }
  // Walk back from (n, m) through the saved frontiers.
  const script: Array<{ kind: Op['kind']; index: number }> = []
  let x = n
  let y = m
  for (let d = trace.length - 1; d >= 0; d--) {
    const frontier = trace[d]!
    const k = x - y
    let prevK: number
    if (k === -d || (k !== d && frontier[offset + k - 1]! < frontier[offset + k + 1]!))
      prevK = k + 1
    else prevK = k - 1
    const prevX = d === 0 ? 0 : frontier[offset + prevK]!
    const prevY = d === 0 ? 0 : prevX - prevK
    while (x > prevX && y > prevY) {
      x--
      y--
      script.push({ kind: ' ', index: x })
    }
    if (d > 0) {
      if (x === prevX) script.push({ kind: '+', index: prevY })
      else script.push({ kind: '-', index: prevX })
    }
    x = prevX
    y = prevY
  }
  script.reverse()
  return script
}

function range(start: number, count: number): string {
  if (count === 0) return `${start},0`
  if (count === 1) return `${start + 1}`
  return `${start + 1},${count}`
}

/**
 * A unified diff of two texts, or the empty string when they are equal. `fromLabel` and `toLabel` go on the
 * `---` and `+++` lines.
 */
export function unifiedDiff(
  oldText: string,
  newText: string,
  fromLabel: string,
  toLabel: string,
  context = 3,
): string {
  if (oldText === newText) return ''
  const a = splitLines(oldText)
  const b = splitLines(newText)
  // An unterminated last line must not match the same text with a newline: compare with a marker.
  const key = (side: Lines): string[] =>
    side.lines.map((line, i) =>
      side.unterminated && i === side.lines.length - 1 ? `${line}\u0000` : line,
    )
  const ops: Op[] = editScript(key(a), key(b)).map(({ kind, index }) => {
    const side = kind === '+' ? b : a
    const line = side.lines[index]!
    return { kind, line, missingNewline: side.unterminated && index === side.lines.length - 1 }
  })

  const out: string[] = [`--- ${fromLabel}`, `+++ ${toLabel}`]
  // Positions (0-based) in a and b at each op, to number the hunks.
  const posA: number[] = []
  const posB: number[] = []
  let ia = 0
  let ib = 0
  for (const op of ops) {
    posA.push(ia)
    posB.push(ib)
    if (op.kind !== '+') ia++
    if (op.kind !== '-') ib++
  }
  const changed = ops.map((op) => op.kind !== ' ')
  let i = 0
  while (i < ops.length) {
    if (!changed[i]) {
      i++
      continue
    }
    const start = Math.max(0, i - context)
    let end = i
    // Extend the hunk while the next change is within 2 * context unchanged lines.
    while (end < ops.length) {
      let next = end
      while (next < ops.length && changed[next]) next++
      let gap = next
      while (gap < ops.length && !changed[gap]) gap++
      if (gap < ops.length && gap - next <= 2 * context) end = gap
      else {
        end = Math.min(ops.length, next + context)
        break
      }
    }
    const hunk = ops.slice(start, end)
    const aCount = hunk.filter((op) => op.kind !== '+').length
    const bCount = hunk.filter((op) => op.kind !== '-').length
    const aStart = posA[start]!
    const bStart = posB[start]!
    out.push(`@@ -${range(aStart, aCount)} +${range(bStart, bCount)} @@`)
    for (const op of hunk) {
      out.push(`${op.kind}${op.line}`)
      if (op.missingNewline) out.push('\\ No newline at end of file')
    }
    i = end
  }
  return `${out.join('\n')}\n`
}
