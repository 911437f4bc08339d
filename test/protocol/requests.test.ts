import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { REQUEST_VECTORS } from '../vectors/requests.ts'
import { tr } from './helpers.ts'

describe('request vectors', () => {
  test('vector names are unique and each names an RFC section', () => {
    const names = new Set<string>()
    for (const v of REQUEST_VECTORS) {
      assert.ok(!names.has(v.name), `duplicate vector name: ${v.name}`)
      names.add(v.name)
      assert.match(v.rfc, /^RFC \d+ §\d+(\.\d+)*$/, v.name)
    }
  })

  for (const v of REQUEST_VECTORS) {
    test(`${v.name} (${v.rfc})`, () => tr(v))
  }
})
