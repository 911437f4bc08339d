/**
 * Tests for the `--pretty-yaml` writer. The expected documents were produced by PyYAML 6.0.3 with the original
 * server's dumper (`yaml.SafeDumper` plus a representer asking for `|` when a string contains `\n`, called with
 * `default_flow_style=False, sort_keys=False`), and pasted here; Python is not run at test time. The original
 * prints `---\n` before each document, so `encodeYaml` output is compared with `'---\n' + pyyaml`.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  encodeYaml,
  JsonNumber,
  type JsonValue,
  parseJson,
} from '../../../src/observatory/encoding/index.ts'

/** [what, JSON input, PyYAML output] */
const PYYAML_VECTORS: [string, string, string][] = [
  [
    'hook event',
    '{"_ts":"2026-02-09T10:30:00+00:00","_event":"PreToolUse","_client":"127.0.0.1","tool_name":"Bash","tool_input":{"command":"ls -la","description":"List files"},"stop_hook_active":false,"x":null}',
    "_ts: '2026-02-09T10:30:00+00:00'\n_event: PreToolUse\n_client: 127.0.0.1\ntool_name: Bash\ntool_input:\n  command: ls -la\n  description: List files\nstop_hook_active: false\nx: null\n",
  ],
  [
    'nesting',
    '{"s":["a","b"],"m":{"x":[{"a":1,"b":[]},[1,[2,3]],{}]}}',
    's:\n- a\n- b\nm:\n  x:\n  - a: 1\n    b: []\n  - - 1\n    - - 2\n      - 3\n  - {}\n',
  ],
  [
    'numbers (python style)',
    '{"i":1,"neg0":-0,"f":1.5,"one":1.0,"e":1E5,"big":1e17,"small":1e-7,"inf":1e400,"ninf":-Infinity,"nan":NaN,"huge":12345678901234567890123}',
    'i: 1\nneg0: 0\nf: 1.5\none: 1.0\ne: 100000.0\nbig: 1.0e+17\nsmall: 1.0e-07\ninf: .inf\nninf: -.inf\nnan: .nan\nhuge: 12345678901234567890123\n',
  ],
  [
    'literal blocks',
    '{"strip":"a\\nb","clip":"x\\n","keep":"x\\n\\n","lead":"\\nlead","space":" lead\\nx","trail":"trail \\nx","tab":"tab\\tin\\nx","indent":"x\\n y","nl":"\\n"}',
    'strip: |-\n  a\n  b\nclip: |\n  x\nkeep: |+\n  x\n\nlead: |2-\n\n  lead\nspace: |2-\n   lead\n  x\ntrail: "trail \\nx"\ntab: "tab\\tin\\nx"\nindent: |-\n  x\n   y\nnl: |2+\n\n...\n',
  ],
  [
    'quoting',
    '{"colon":"a: b","hash":"a #b","hash2":"a#b","dash":"-","dash2":"- a","dash3":"-a","q":"?","q2":"? x","star":"*a","amp":"&a","bang":"!x","pipe":"|","gt":">x","pct":"%x","at":"@x","bt":"`x","comma":"a,b","brackets":"a[b]","brace":"{x","apos":"it\'s","aposlead":"\'x","dq":"\\"x\\"","bs":"a\\\\b","empty":"","sp":" a","sp2":"a ","dots":"...","dashes":"---x","colonlead":":a"}',
    "colon: 'a: b'\nhash: 'a #b'\nhash2: a#b\ndash: '-'\ndash2: '- a'\ndash3: -a\nq: '?'\nq2: '? x'\nstar: '*a'\namp: '&a'\nbang: '!x'\npipe: '|'\ngt: '>x'\npct: '%x'\nat: '@x'\nbt: '`x'\ncomma: a,b\nbrackets: a[b]\nbrace: '{x'\napos: it's\naposlead: '''x'\ndq: '\"x\"'\nbs: a\\b\nempty: ''\nsp: ' a'\nsp2: 'a '\ndots: '...'\ndashes: '---x'\ncolonlead: :a\n",
  ],
  [
    'implicit types',
    '{"yes":"yes","No":"No","on":"ON","off":"off","y":"y","true":"true","null":"null","Null":"Null","tilde":"~","int":"123","float":"1.5","exp":"1e5","hex":"0x1F","oct":"0o17","under":"1_000","sexa":"1:30","dot5":".5","inf":".inf","date":"2026-02-09","merge":"<<","eq":"="}',
    "'yes': 'yes'\n'No': 'No'\n'on': 'ON'\n'off': 'off'\ny: y\n'true': 'true'\n'null': 'null'\n'Null': 'Null'\ntilde: '~'\nint: '123'\nfloat: '1.5'\nexp: 1e5\nhex: '0x1F'\noct: 0o17\nunder: '1_000'\nsexa: '1:30'\ndot5: '.5'\ninf: '.inf'\ndate: '2026-02-09'\nmerge: '<<'\neq: '='\n",
  ],
  [
    'non-ASCII and controls',
    '{"accent":"caf\\u00e9","emoji":"\\ud83d\\ude00","cjk":"\\u65e5\\u672c","ctrl":"a\\u0001b","esc":"\\u001b[0m","del":"\\u007f","nbsp":"\\u00a0","nel":"a\\u0085b","ls":"\\u2028","bom":"\\ufeff","lone":"\\ud800","cr":"a\\rb","nul":"\\u0000","multi\\u00e9":"x\\ny\\u00e9"}',
    'accent: "caf\\xE9"\nemoji: "\\U0001F600"\ncjk: "\\u65E5\\u672C"\nctrl: "a\\x01b"\nesc: "\\e[0m"\ndel: "\\x7F"\nnbsp: "\\_"\nnel: "a\\Nb"\nls: "\\L"\nbom: "\\uFEFF"\nlone: "\\uD800"\ncr: "a\\rb"\nnul: "\\0"\n"multi\\xE9": "x\\ny\\xE9"\n',
  ],
  [
    'keys',
    '{"":1,"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk":2,"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk":3,"multi\\nkey":{"a":1},"true":4,"a b":5,"k:":6}',
    "? ''\n: 1\nkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: 2\n? kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n: 3\n? |-\n  multi\n  key\n: a: 1\n'true': 4\na b: 5\n'k:': 6\n",
  ],
  [
    'folding',
    '{"plain":"lorem ipsum dolor sit amet lorem ipsum dolor sit amet lorem ipsum dolor sit amet lorem ipsum dolor sit amet lorem ipsum dolor sit amet lorem ipsum dolor sit amet end","single":"it\'s a long line it\'s a long line it\'s a long line it\'s a long line it\'s a long line it\'s a long line it\'s a long line it\'s a long line end","double":"caf\\u00e9 au lait caf\\u00e9 au lait caf\\u00e9 au lait caf\\u00e9 au lait caf\\u00e9 au lait caf\\u00e9 au lait caf\\u00e9 au lait caf\\u00e9 au lait caf\\u00e9 au lait end","nospace":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","nested":[{"deep":"word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end"}]}',
    "plain: lorem ipsum dolor sit amet lorem ipsum dolor sit amet lorem ipsum dolor sit\n  amet lorem ipsum dolor sit amet lorem ipsum dolor sit amet lorem ipsum dolor sit\n  amet end\nsingle: it's a long line it's a long line it's a long line it's a long line it's a\n  long line it's a long line it's a long line it's a long line end\ndouble: \"caf\\xE9 au lait caf\\xE9 au lait caf\\xE9 au lait caf\\xE9 au lait caf\\xE9 au\\\n  \\ lait caf\\xE9 au lait caf\\xE9 au lait caf\\xE9 au lait caf\\xE9 au lait end\"\nnospace: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nnested:\n- deep: word word word word word word word word word word word word word word word\n    word word word word word word word word word word word word word word word end\n",
  ],
  [
    'sequences',
    '[1,"a",{"b":2,"c":[3,4]},[],[[]],{},[{"d":"multi\\nline"}],"multi\\nline"]',
    '- 1\n- a\n- b: 2\n  c:\n  - 3\n  - 4\n- []\n- - []\n- {}\n- - d: |-\n      multi\n      line\n- |-\n  multi\n  line\n',
  ],
  ['top-level plain scalar', '"top"', 'top\n...\n'],
  ['top-level literal', '"top\\nline"', '|-\n  top\n  line\n'],
  ['top-level number', '42', '42\n...\n'],
  ['top-level quoted', '""', "''\n"],
  ['empty list', '[]', '[]\n'],
  ['empty object', '{}', '{}\n'],
  ['keep at end', '{"a":"x\\n\\n"}', 'a: |+\n  x\n\n...\n'],
]

const ANSI = /\x1b\[[0-9;]*m/g

describe('encodeYaml matches PyYAML', () => {
  for (const [what, input, expected] of PYYAML_VECTORS) {
    it(what, () => {
      assert.equal(
        encodeYaml(parseJson(input), { color: false, numbers: 'python' }),
        `---\n${expected}`,
      )
    })
  }
})

describe('encodeYaml options', () => {
  it('writes numbers as their JSON text by default', () => {
    const value = parseJson('{"a":1.0,"b":1E5,"c":-0,"d":NaN,"e":12345678901234567890123}')
    assert.equal(
      encodeYaml(value, { color: false }),
      '---\na: 1.0\nb: 1E5\nc: -0\nd: NaN\ne: 12345678901234567890123\n',
    )
  })

  it('colours keys, strings, numbers, constants and punctuation', () => {
    const value = parseJson('{"key":"text","n":1,"t":true,"z":null,"list":["x"],"lit":"a\\nb"}')
    const out = encodeYaml(value, { color: true })
    assert.ok(out.startsWith('\x1b[90m---\x1b[0m\n'), 'grey --- as the original prints it')
    assert.ok(out.includes('\x1b[36mkey\x1b[0m\x1b[90m:\x1b[0m \x1b[32mtext\x1b[0m'))
    assert.ok(out.includes('\x1b[35m1\x1b[0m'))
    assert.ok(out.includes('\x1b[33mtrue\x1b[0m'))
    assert.ok(out.includes('\x1b[33mnull\x1b[0m'))
    assert.ok(out.includes('\x1b[90m-\x1b[0m \x1b[32mx\x1b[0m'))
    assert.ok(out.includes('\x1b[90m|-\x1b[0m\n  \x1b[32ma\x1b[0m\n  \x1b[32mb\x1b[0m\n'))
    assert.equal(out.replace(ANSI, ''), encodeYaml(value, { color: false }))
  })

  it('writes hand-built values', () => {
    const value: JsonValue = new Map<string, JsonValue>([
      ['_peer_pid', JsonNumber.of(1234)],
      ['tags', ['a', 'b']],
    ])
    assert.equal(encodeYaml(value, { color: false }), '---\n_peer_pid: 1234\ntags:\n- a\n- b\n')
  })
})

/** Pieces of strings: YAML's special characters and words, ASCII, non-ASCII, lone surrogates, long runs. */
const yamlishUnit = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(' ', '\n', ':', '#', '-', "'", '"', '|', 'yes', '1', 'a'),
  },
  { weight: 4, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0x80, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
  },
  { weight: 1, arbitrary: fc.constantFrom('\ud800', 'x'.repeat(90), 'word '.repeat(20)) },
)
const yamlishString = fc.array(yamlishUnit, { maxLength: 12 }).map((parts) => parts.join(''))

describe('properties', () => {
  it('colour changes nothing but the escape sequences', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: yamlishUnit }), (v) => {
        const value = parseJson(JSON.stringify(v))
        const plain = encodeYaml(value, { color: false })
        assert.equal(encodeYaml(value, { color: true }).replace(ANSI, ''), plain)
      }),
      { numRuns: 300 },
    )
  })

  it('always writes one document: "---" first, one line end last, ASCII only', () => {
    const value = fc
      .jsonValue()
      .chain((v) =>
        fc.dictionary(yamlishString, fc.oneof(yamlishString, fc.constant(v)), { maxKeys: 6 }),
      )
    fc.assert(
      fc.property(value, (v) => {
        const out = encodeYaml(parseJson(JSON.stringify(v)), { color: false })
        assert.ok(out.startsWith('---\n'))
        assert.ok(out.endsWith('\n') && !out.endsWith('\n\n')) // a `|+` block last is closed by `...`
        assert.match(out, /^[\x20-\x7e\n]*$/) // without allow_unicode, everything else is escaped
      }),
      { numRuns: 500 },
    )
  })
})
