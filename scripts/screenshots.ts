/**
 * The dashboard's screenshots for the README and docs/dashboard.md, made from a realistic scenario:
 *
 *   node --import tsx scripts/screenshots.ts        (after `npm run build`; needs /usr/bin/chromium)
 *
 * Five Claude Code sessions are written as a log (hook events as the server writes them, with times in the last
 * two hours), imported into a fresh store (`observatory db import`), and an observatory is started on it: one
 * session is running a Bash call, one waits for permission to Edit, one delegated to a subagent whose first call
 * failed and now waits for input, one is thinking after an MCP call, one has ended. Chromium then opens the
 * board (light and dark), the session with the subagent, the stream and the charts, and writes
 * docs/images/dashboard-*.png. The observatory runs with a policy and `--approve-from-page`: for the approvals
 * screenshot, two permission requests are sent live and held open (one from the session waiting to Edit, one from
 * a subagent) while the board shows them, then withdrawn when the observatory stops. `--extra DIR` also writes a few more views into DIR, for checking by eye.
 * Nothing leaves the machine: the observatory listens on 127.0.0.1, on a port of its own.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Page } from 'playwright-core'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'src/cli/main.ts')
const OUT = join(ROOT, 'docs/images')

type Payload = Record<string, unknown>
interface Line {
  /** Seconds before now. */
  ago: number
  event: string
  payload: Payload
}

/** The scenario: five sessions, as Claude Code's hooks would have sent them. */
function scenario(): Line[] {
  const lines: Line[] = []
  const home = '/home/dev/src'
  const session = (id: string, project: string, model: string, mode = 'default') => {
    const base = {
      session_id: id,
      transcript_path: `/home/dev/.claude/projects/-home-dev-src-${project}/${id}.jsonl`,
      cwd: `${home}/${project}`,
    }
    let prompt = ''
    let calls = 0
    const add = (ago: number, event: string, payload: Payload = {}): void => {
      lines.push({
        ago,
        event,
        payload: {
          ...base,
          ...(prompt === '' ? {} : { prompt_id: prompt }),
          permission_mode: mode,
          hook_event_name: event,
          ...payload,
        },
      })
    }
    return {
      start(ago: number) {
        add(ago, 'SessionStart', { source: 'startup', model })
      },
      prompt(ago: number, text: string) {
        prompt = `${id.slice(0, 8)}-p${ago}`
        add(ago, 'UserPromptSubmit', { prompt: text })
      },
      /** A tool call from `ago` taking `seconds`; `fail` makes it a PostToolUseFailure. */
      call(
        ago: number,
        seconds: number | undefined,
        tool: string,
        input: Payload,
        options: { fail?: string; agent?: string; response?: unknown; permission?: number } = {},
      ): string {
        const toolUseId = `toolu_${id.slice(0, 4)}${String(++calls).padStart(3, '0')}`
        const agent =
          options.agent === undefined
            ? {}
            : { agent_id: options.agent, agent_type: 'general-purpose' }
        add(ago, 'PreToolUse', {
          ...agent,
          tool_name: tool,
          tool_input: input,
          tool_use_id: toolUseId,
        })
        if (options.permission !== undefined) {
          add(ago - options.permission, 'PermissionRequest', {
            ...agent,
            tool_name: tool,
            tool_input: input,
            permission_suggestions: [
              { type: 'addRules', behavior: 'allow', destination: 'localSettings' },
            ],
          })
        }
        if (seconds === undefined) return toolUseId
        const end = ago - seconds
        if (options.fail !== undefined) {
          add(end, 'PostToolUseFailure', {
            ...agent,
            tool_name: tool,
            tool_input: input,
            tool_use_id: toolUseId,
            error: options.fail,
            is_interrupt: false,
          })
        } else {
          add(end, 'PostToolUse', {
            ...agent,
            tool_name: tool,
            tool_input: input,
            tool_use_id: toolUseId,
            tool_response: options.response ?? { stdout: '', stderr: '', interrupted: false },
            duration_ms: Math.round(seconds * 1000),
          })
        }
        return toolUseId
      },
      subagent(ago: number, agent: string, stopAgo?: number) {
        add(ago, 'SubagentStart', { agent_id: agent, agent_type: 'general-purpose' })
        if (stopAgo !== undefined) {
          add(stopAgo, 'SubagentStop', {
            agent_id: agent,
            agent_type: 'general-purpose',
            stop_hook_active: false,
          })
        }
      },
      stop(ago: number, message: string) {
        add(ago, 'Stop', { stop_hook_active: false, last_assistant_message: message })
      },
      notify(ago: number, message: string, type: string) {
        add(ago, 'Notification', { message, notification_type: type })
      },
      end(ago: number, reason: string) {
        add(ago, 'SessionEnd', { reason })
      },
    }
  }

  // 1. Running a Bash call for 12 s.
  const a = session('3f1c9a2e-5b7d-4e21-9c0a-6d2b8e4f7a13', 'hooks-observatory', 'claude-opus-4-5')
  a.start(1020)
  a.prompt(1000, 'Add a --json flag to `observatory query` and cover it with tests')
  a.call(995, 0.4, 'Read', { file_path: `${home}/hooks-observatory/src/cli/query-args.ts` })
  a.call(990, 1.2, 'Grep', { pattern: 'parseQueryArgs', path: 'src' })
  a.call(980, 0.3, 'Edit', {
    file_path: `${home}/hooks-observatory/src/cli/query-args.ts`,
    old_string: "  format: 'text',",
    new_string: "  format: values.json ? 'json' : 'text',",
  })
  a.call(
    960,
    31,
    'Bash',
    { command: 'npm test -- test/observatory/query.test.ts', description: 'Run the query tests' },
    {
      response: {
        stdout:
          '✔ query: --json prints one object per line (41ms)\n✖ query: --json with --sessions\n  tests 23, pass 22, fail 1',
        stderr: '',
        interrupted: false,
      },
    },
  )
  a.call(920, 0.5, 'Edit', {
    file_path: `${home}/hooks-observatory/src/observatory/query/format.ts`,
    old_string: 'return lines',
    new_string: 'return options.json ? lines.map(toJson) : lines',
  })
  a.call(12, undefined, 'Bash', {
    command: 'npm test -- test/observatory',
    description: 'Run every observatory test',
  })

  // 2. Waiting for permission to Edit for 40 s.
  const b = session('b78a5752-ff12-4640-9c8f-64329de6ee73', 'web-shop', 'claude-sonnet-4-5')
  b.start(380)
  b.prompt(370, 'Upgrade React to 19 and fix the type errors')
  b.call(366, 0.2, 'Read', { file_path: `${home}/web-shop/package.json` })
  b.call(360, 4.1, 'Bash', {
    command: 'npm outdated --json',
    description: 'List outdated packages',
  })
  b.call(
    300,
    52,
    'Bash',
    { command: 'npx tsc --noEmit -p .', description: 'Type-check' },
    {
      response: {
        stdout:
          "src/cart/Cart.tsx(14,7): error TS2322: Type 'Element' is not assignable…\nFound 12 errors in 7 files.",
        stderr: '',
        interrupted: false,
      },
    },
  )
  b.call(
    45,
    undefined,
    'Edit',
    {
      file_path: `${home}/web-shop/package.json`,
      old_string: '"react": "^18.3.1"',
      new_string: '"react": "^19.1.0"',
    },
    { permission: 5 },
  )
  b.notify(39, 'Claude needs your permission to use Edit', 'permission_prompt')

  // 3. A subagent whose first call failed; the turn ended: waiting for input.
  const c = session(
    'c8ea7c94-2f65-447a-995c-18687c194ff5',
    'data-pipeline',
    'claude-opus-4-5',
    'acceptEdits',
  )
  c.start(1560)
  c.prompt(1540, 'Find out why the nightly import job got slow, and fix it')
  const task = c.call(
    1530,
    118,
    'Agent',
    {
      description: 'Profile the import job',
      prompt: 'Profile jobs/import.py on the sample data and report the hot spots',
      subagent_type: 'general-purpose',
    },
    {
      response: {
        content: [
          {
            type: 'text',
            text: '80% of the time is spent in row-by-row INSERTs (cursor.execute in a loop).',
          },
        ],
      },
    },
  )
  void task
  const agent = 'a91f03be7c2d4e58'
  c.subagent(1529, agent, 1413)
  c.call(
    1525,
    2.1,
    'Bash',
    { command: 'python -m cProfile -o /tmp/import.prof jobs/import.py --sample' },
    {
      agent,
      fail: 'Command failed with exit code 1\nTraceback (most recent call last):\n  File "jobs/import.py", line 3, in <module>\n    import pyarrow\nModuleNotFoundError: No module named \'pyarrow\'',
    },
  )
  c.call(
    1515,
    61,
    'Bash',
    {
      command:
        'pip install pyarrow && python -m cProfile -o /tmp/import.prof jobs/import.py --sample',
    },
    { agent },
  )
  c.call(1450, 0.3, 'Read', { file_path: `${home}/data-pipeline/jobs/import.py` }, { agent })
  c.call(
    1440,
    21,
    'Bash',
    {
      command:
        "python -c \"import pstats; pstats.Stats('/tmp/import.prof').sort_stats('cumtime').print_stats(15)\"",
    },
    { agent },
  )
  c.call(1405, 0.6, 'Grep', { pattern: 'cursor.execute', path: 'jobs' })
  c.call(1395, 0.4, 'Edit', {
    file_path: `${home}/data-pipeline/jobs/import.py`,
    old_string: 'for row in rows:\n    cursor.execute(INSERT, row)',
    new_string: 'cursor.executemany(INSERT, rows)',
  })
  c.call(
    1380,
    38,
    'Bash',
    { command: 'python jobs/import.py --sample --timing' },
    {
      response: {
        stdout: 'imported 250,000 rows in 41.2 s (was 128.9 s)',
        stderr: '',
        interrupted: false,
      },
    },
  )
  c.stop(
    1335,
    'The job spent 80% of its time in row-by-row INSERTs. I batched them with executemany: 128.9 s → 41.2 s on the sample.',
  )

  // 4. Thinking, after an MCP call.
  const d = session(
    'd04b6e1f-9a3c-4c7e-8b25-1f7e0c9d2a64',
    'docs-site',
    'claude-sonnet-4-5',
    'plan',
  )
  d.start(700)
  d.prompt(690, 'Check the docs for broken links and open an issue listing them')
  d.call(680, 14, 'Bash', { command: 'npx linkinator ./dist --recurse --silent' })
  d.call(
    640,
    1.4,
    'mcp__github__create_issue',
    {
      owner: 'acme',
      repo: 'docs-site',
      title: '7 broken links in the API reference',
      labels: ['docs'],
    },
    { response: { number: 412, url: 'https://github.com/acme/docs-site/issues/412' } },
  )
  d.stop(630, 'Opened acme/docs-site#412 with the 7 broken links.')
  d.prompt(4, 'Now fix the three that point at renamed pages')

  // 5. Ended.
  const e = session('e5a7c3d1-2b4f-4a6e-9d8c-7f1e3b5a9c20', 'infra', 'claude-sonnet-4-5')
  e.start(7300)
  e.prompt(7280, 'Rotate the staging TLS certificates')
  e.call(7270, 3.5, 'Bash', { command: 'kubectl -n staging get certificates' })
  e.call(7250, 9.8, 'Bash', { command: 'cmctl renew --namespace staging --all' })
  e.call(7220, 2.2, 'Bash', { command: 'kubectl -n staging get certificates -o wide' })
  e.stop(7200, 'All 4 staging certificates were renewed; they expire on 2026-03-09.')
  e.end(6600, 'logout')

  return lines.sort((x, y) => y.ago - x.ago)
}

/** `_ts` as the server writes it: UTC, to the second. */
function ts(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}+00:00`
}

function logOf(lines: Line[], now: number): string {
  return lines
    .map(({ ago, event, payload }) =>
      JSON.stringify({
        _ts: ts(now - ago * 1000),
        _event: event,
        _client: '127.0.0.1',
        ...payload,
      }),
    )
    .join('\n')
    .concat('\n')
}

/** The policy the screenshots' observatory runs with (the approvals panel names it). */
const POLICY = `rules:
  - name: no-rm
    tool: Bash
    match:
      command: "/(^|\\\\s)rm\\\\s/"
    action: deny
    reason: destructive command
  - name: tests-ok
    tool: Bash
    match:
      command: "npm test*"
    action: allow
    reason: running the tests is routine
  - name: read-ok
    event: PermissionRequest
    tool: Read
    action: allow
    reason: reading is fine
`

async function startObservatory(
  db: string,
  state: string,
): Promise<{ child: ChildProcess; origin: string }> {
  const policy = join(state, 'policy.yaml')
  writeFileSync(policy, POLICY)
  mkdirSync(join(state, 'config'), { recursive: true })
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI,
      'serve',
      '--db',
      db,
      '--port',
      '0',
      '--quiet',
      '--policy',
      policy,
      '--audit',
      join(state, 'audit.jsonl'),
      '--approve-from-page',
      '--approval-timeout',
      '5m',
    ],
    {
      cwd: ROOT,
      // No user policy file: XDG_CONFIG_HOME is an empty directory.
      env: { ...process.env, XDG_STATE_HOME: state, XDG_CONFIG_HOME: join(state, 'config') },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  let stderr = ''
  const origin = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)
      if (match !== null && stderr.includes('Press Ctrl+C')) resolve(match[1]!)
    })
    child.on('exit', () => reject(new Error(`the observatory exited:\n${stderr}`)))
  })
  return { child, origin }
}

/**
 * Send a PermissionRequest and leave it waiting (the observatory holds the request until someone decides); the
 * request is dropped when the observatory stops.
 */
function holdPermissionRequest(origin: string, payload: Payload): void {
  const request = http.request(`${origin}/hook?event=PermissionRequest`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
  })
  request.on('error', () => {}) // the observatory stopped: the end of the screenshots
  request.end(JSON.stringify({ hook_event_name: 'PermissionRequest', ...payload }))
}

async function shot(page: Page, file: string): Promise<void> {
  // Fonts and the charts' canvas settle after layout.
  await page.waitForTimeout(600)
  await page.screenshot({ path: join(OUT, file) })
  process.stdout.write(`wrote docs/images/${file}\n`)
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'observatory-screenshots-'))
  let child: ChildProcess | undefined
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      '--font-render-hinting=none',
    ],
  })
  try {
    const log = join(dir, 'hooks.log')
    const db = join(dir, 'events.db')
    writeFileSync(log, logOf(scenario(), Date.now()))
    const imported = spawnSync(
      process.execPath,
      ['--import', 'tsx', CLI, 'db', 'import', log, '--db', db],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    )
    if (imported.status !== 0) throw new Error(`db import failed:\n${imported.stderr}`)
    const started = await startObservatory(db, dir)
    child = started.child
    const origin = started.origin
    mkdirSync(OUT, { recursive: true })

    for (const scheme of ['light', 'dark'] as const) {
      const page = await browser.newPage({
        viewport: { width: 1360, height: 900 },
        colorScheme: scheme,
        reducedMotion: 'reduce',
      })
      await page.goto(`${origin}/`)
      await page.locator('.card').nth(3).waitFor()
      await page.locator('.chart canvas').first().waitFor()
      await shot(page, scheme === 'light' ? 'dashboard-board.png' : 'dashboard-board-dark.png')
      if (scheme === 'light') {
        await page.goto(`${origin}/sessions/c8ea7c94-2f65-447a-995c-18687c194ff5`)
        await page.locator('.call').nth(6).waitFor()
        await shot(page, 'dashboard-session.png')
        await page.goto(`${origin}/stream`)
        await page.locator('.stream-rows .row').nth(20).waitFor()
        await shot(page, 'dashboard-stream.png')
        await page.goto(`${origin}/charts`)
        await page.locator('.tool-row[data-tool="Bash"]').waitFor()
        await page.locator('.chart canvas').first().waitFor()
        await shot(page, 'dashboard-charts.png')
      }
      await page.close()
    }
    // Approvals, last (the requests stay waiting until the observatory stops): the web-shop session's Edit, and
    // a subagent's command in data-pipeline.
    {
      const page = await browser.newPage({
        viewport: { width: 1360, height: 900 },
        colorScheme: 'light',
        reducedMotion: 'reduce',
      })
      holdPermissionRequest(origin, {
        session_id: 'b78a5752-ff12-4640-9c8f-64329de6ee73',
        transcript_path:
          '/home/dev/.claude/projects/-home-dev-src-web-shop/b78a5752-ff12-4640-9c8f-64329de6ee73.jsonl',
        cwd: '/home/dev/src/web-shop',
        permission_mode: 'default',
        tool_name: 'Edit',
        tool_input: {
          file_path: '/home/dev/src/web-shop/src/cart/Cart.tsx',
          old_string:
            'export function Cart({ items }: Props): JSX.Element {\n  const total = items.reduce((sum, item) => sum + item.price, 0)',
          new_string:
            'export function Cart({ items }: Props): React.JSX.Element {\n  const total = useMemo(\n    () => items.reduce((sum, item) => sum + item.price * item.quantity, 0),\n    [items],\n  )',
          replace_all: false,
        },
      })
      await page.waitForTimeout(700)
      holdPermissionRequest(origin, {
        session_id: 'c8ea7c94-2f65-447a-995c-18687c194ff5',
        transcript_path:
          '/home/dev/.claude/projects/-home-dev-src-data-pipeline/c8ea7c94-2f65-447a-995c-18687c194ff5.jsonl',
        cwd: '/home/dev/src/data-pipeline',
        permission_mode: 'acceptEdits',
        agent_id: 'a91f03be7c2d4e58',
        agent_type: 'general-purpose',
        tool_name: 'Bash',
        tool_input: {
          command: 'psql "$STAGING_URL" -c "VACUUM (ANALYZE) import_rows"',
          description: 'Vacuum the staging import table',
        },
      })
      await page.goto(`${origin}/`)
      await page.locator('.approval[data-state="pending"]').nth(1).waitFor()
      await page
        .locator('.approval[data-tool="Bash"] .approval-message')
        .fill('Not on staging today, use the sample DB')
      await page.locator('.chart canvas').first().waitFor()
      await shot(page, 'dashboard-approvals.png')
      await page.close()
    }
    // `--extra DIR`: more views for checking by eye (the charts, a phone-sized window, the session in the dark).
    const extra = process.argv.indexOf('--extra')
    if (extra !== -1 && process.argv[extra + 1] !== undefined) {
      const into = process.argv[extra + 1]!
      mkdirSync(into, { recursive: true })
      const views: [string, string, { width: number; height: number }, 'light' | 'dark'][] = [
        ['charts.png', '/charts', { width: 1360, height: 900 }, 'light'],
        ['narrow-board.png', '/', { width: 390, height: 844 }, 'light'],
        ['narrow-stream.png', '/stream', { width: 390, height: 844 }, 'dark'],
        [
          'narrow-session.png',
          '/sessions/c8ea7c94-2f65-447a-995c-18687c194ff5',
          { width: 390, height: 844 },
          'light',
        ],
        [
          'session-dark.png',
          '/sessions/3f1c9a2e-5b7d-4e21-9c0a-6d2b8e4f7a13',
          { width: 1360, height: 900 },
          'dark',
        ],
      ]
      for (const [file, path, viewport, colorScheme] of views) {
        const page = await browser.newPage({ viewport, colorScheme, reducedMotion: 'reduce' })
        await page.goto(`${origin}${path}`)
        await page.waitForTimeout(1500)
        await page.screenshot({ path: join(into, file) })
        process.stdout.write(`wrote ${join(into, file)}\n`)
        await page.close()
      }
    }
  } finally {
    await browser.close()
    child?.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
