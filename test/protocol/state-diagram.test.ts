/**
 * docs/protocol.md's state diagram and tables are generated from src/protocol/state.ts by
 * scripts/state-diagram.ts. This fails when the doc no longer matches the tables: regenerate it with
 * `node --import tsx scripts/state-diagram.ts`.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { COMMAND, DOC, renderStateSection, withStateSection } from '../../scripts/state-diagram.ts'
import { STATES } from '../../src/protocol/state.ts'

test('docs/protocol.md holds the diagram generated from the state tables', () => {
  const doc = readFileSync(DOC, 'utf8')
  assert.ok(
    doc === withStateSection(doc),
    `docs/protocol.md's state diagram is out of date: run ${COMMAND}`,
  )
})

test('the generated section draws every state of both sides', () => {
  const section = renderStateSection()
  assert.match(section, /```mermaid\nstateDiagram-v2\n/)
  for (const state of STATES) assert.ok(section.includes(`server_${state}`), state)
  for (const state of STATES.filter((s) => s !== 'SEND_RESPONSE')) {
    assert.ok(section.includes(`client_${state}`), state)
  }
})
