/**
 * Every Claude Code hook event this version of the observatory knows, in one table: what each one is, what its
 * payload carries, what its matcher filters on, whether Claude Code runs `"type": "http"` hooks for it, whether a
 * hook's answer can change what Claude Code does, and whether `observatory install` adds a hook for it.
 *
 * Sources: Claude Code's hooks reference (code.claude.com/docs/en/hooks, as of Claude Code v2.1.2xx–2.1.3xx) and
 * what Claude Code does when measured (v2.1.3xx): it skips `http` hooks on SessionStart and Setup, its debug log
 * says "HTTP hooks are not supported for SessionStart".
 *
 * The catalogue is advice, never a gate: an event name it does not know (a newer Claude Code's) is installed,
 * received, stored and shown like any other. Nothing anywhere rejects a name for being missing here.
 *
 * Two sets come out of it:
 * - {@link DEFAULT_EVENTS}: what `observatory install` writes without `--events`: every event whose hook is pure
 *   observation (our server answers 200 with an empty body, which decides nothing), minus the few left out for
 *   their volume, their rarity or what their payload carries (each says why below);
 * - {@link ALL_EVENTS} (`--events all`): every event a hook can observe without changing Claude Code's behaviour,
 *   whatever the observatory answers, answers late or does not answer at all. Left out: WorktreeCreate and
 *   WorktreeRemove (a hook there takes over the work), PreModelSwitch (a hook that times out blocks the switch) and
 *   MessageDisplay (a hook sits in the path of every piece of streamed text). They can still be named one by one.
 */

/**
 * Fields every event's payload may carry, which {@link EventInfo.fields} leaves out: `prompt_id` appears after the
 * first prompt, `permission_mode` not on every event, `agent_id`/`agent_type` inside a subagent or with `--agent`,
 * `effort` in a tool-use context, `scratchpad_dir` when the session has one (v2.1.257+).
 */
export const COMMON_FIELDS: readonly string[] = Object.freeze([
  'session_id',
  'transcript_path',
  'cwd',
  'permission_mode',
  'hook_event_name',
  'prompt_id',
  'agent_id',
  'agent_type',
  'effort',
  'scratchpad_dir',
])

/** What a matcher group's `matcher` does on an event, and what the installer writes there. */
export interface EventMatcher {
  /**
   * What Claude Code tests the matcher against (with the documented values), or undefined when the event has no
   * matcher support (a `matcher` there is silently ignored).
   */
  readonly on: string | undefined
  /**
   * The matcher `observatory install` writes: `'*'` for tool and agent events, `''` for the other events that
   * have one (both mean "everything"), undefined for no `matcher` key.
   */
  readonly install: string | undefined
}

/** One hook event. */
export interface EventInfo {
  /** The settings key and the payload's `hook_event_name`. */
  readonly name: string
  /** When it fires, in one line. */
  readonly description: string
  /** Payload keys beyond {@link COMMON_FIELDS}; some are optional or version-dependent. */
  readonly fields: readonly string[]
  readonly matcher: EventMatcher
  /** Whether Claude Code runs `"type": "http"` hooks for it (it skips them on SessionStart and Setup). */
  readonly http: boolean
  /** Whether a hook's answer can change what Claude Code does (block, decide, add context, redirect…). */
  readonly decides: boolean
  /**
   * Whether a hook here is passive: answering empty, late or not at all, it leaves Claude Code's behaviour as it
   * would be without the hook. These events make up {@link ALL_EVENTS}.
   */
  readonly passive: boolean
  /** Whether `observatory install` writes a hook for it without `--events` (always a passive event). */
  readonly installByDefault: boolean
}

const NO_MATCHER: EventMatcher = Object.freeze({ on: undefined, install: undefined })
const TOOL_MATCHER: EventMatcher = Object.freeze({ on: 'tool name', install: '*' })
const AGENT_MATCHER: EventMatcher = Object.freeze({ on: 'agent type', install: '*' })
const matcherOn = (on: string): EventMatcher => ({ on, install: '' })

const MODEL_SWITCH_FIELDS = [
  'from_model',
  'to_model',
  'requested_model',
  'source',
  'context_tokens',
  'prompt_cache_warm',
  'cache_ttl',
  'estimated_cache_write_usd',
  'pricing',
]
const TASK_FIELDS = ['task_id', 'task_subject', 'task_description', 'teammate_name', 'team_name']

/** The table, in the order of a session's life: start, prompt, tool loop, turn end, side events, end. */
const ENTRIES: readonly EventInfo[] = [
  {
    name: 'SessionStart',
    description: 'A session starts, resumes, is cleared, compacted or forked',
    fields: [
      'source',
      'model',
      'session_title',
      'seconds_since_last_response',
      'context_tokens',
      'prompt_cache_likely_expired',
      'estimated_cache_write_usd',
    ],
    matcher: matcherOn('source: startup, resume, clear, compact, fork'),
    // Claude Code runs only command and mcp_tool hooks here: `--transport http` writes a curl command instead.
    http: false,
    decides: true, // plain stdout and additionalContext reach Claude; sessionTitle, watchPaths…
    passive: true,
    installByDefault: true,
  },
  {
    name: 'Setup',
    description: 'Repository setup: claude --init-only, -p --init or -p --maintenance',
    fields: ['trigger'],
    matcher: matcherOn('trigger: init, maintenance'),
    http: false, // command hooks only, like SessionStart
    decides: false, // every exit code continues, every JSON field is discarded
    passive: true,
    installByDefault: true,
  },
  {
    name: 'UserPromptSubmit',
    description: 'A prompt is submitted, before Claude sees it',
    fields: ['prompt', 'session_title'],
    matcher: NO_MATCHER,
    http: true,
    decides: true, // block (erases the prompt), additionalContext, sessionTitle
    passive: true,
    installByDefault: true,
  },
  {
    name: 'UserPromptExpansion',
    description: 'A typed /command or MCP prompt is expanded',
    fields: ['expansion_type', 'command_name', 'command_args', 'command_source', 'prompt'],
    matcher: matcherOn('command name'),
    http: true,
    decides: true, // block the expansion, additionalContext
    passive: true,
    installByDefault: true,
  },
  {
    name: 'PreToolUse',
    description: 'Before a tool call runs',
    fields: ['tool_name', 'tool_input', 'tool_use_id', 'mcp_server'],
    matcher: TOOL_MATCHER,
    http: true,
    decides: true, // allow / deny / ask / defer, updatedInput, additionalContext
    passive: true,
    installByDefault: true,
  },
  {
    name: 'PermissionRequest',
    description: 'A permission dialog would appear for a tool call',
    fields: ['tool_name', 'tool_input', 'permission_suggestions'],
    matcher: TOOL_MATCHER,
    http: true,
    // Answers allow or deny in the user's place. With no decision the dialog shows as usual (and a call that
    // cannot prompt is denied, as it is without any hook).
    decides: true,
    passive: true,
    installByDefault: true,
  },
  {
    name: 'PermissionDenied',
    description: 'Auto mode denied a tool call',
    fields: ['tool_name', 'tool_input', 'tool_use_id', 'reason'],
    matcher: TOOL_MATCHER,
    http: true,
    decides: true, // retry: true lets the model try again
    passive: true,
    installByDefault: true,
  },
  {
    name: 'PostToolUse',
    description: 'After a tool call succeeded',
    fields: ['tool_name', 'tool_input', 'tool_response', 'tool_use_id', 'duration_ms'],
    matcher: TOOL_MATCHER,
    http: true,
    decides: true, // block (adds a reason next to the result), additionalContext, updatedToolOutput
    passive: true,
    installByDefault: true,
  },
  {
    name: 'PostToolUseFailure',
    description: 'After a tool call failed',
    fields: ['tool_name', 'tool_input', 'tool_use_id', 'error', 'is_interrupt', 'duration_ms'],
    matcher: TOOL_MATCHER,
    http: true,
    decides: true, // additionalContext
    passive: true,
    installByDefault: true,
  },
  {
    name: 'PostToolBatch',
    description: 'Every tool call of a batch has resolved, before the next model request',
    fields: ['tool_calls'],
    matcher: NO_MATCHER,
    http: true,
    decides: true, // block / continue: false stop the agentic loop, additionalContext
    passive: true,
    // Not by default: its tool_calls repeat every tool_input and tool_response that PreToolUse and PostToolUse
    // already delivered, which would roughly double the log for nothing new.
    installByDefault: false,
  },
  {
    name: 'Notification',
    description: 'Claude Code notifies: permission prompt, idle prompt, auth success…',
    fields: ['message', 'title', 'notification_type'],
    matcher: matcherOn(
      'notification_type: permission_prompt, idle_prompt, auth_success, elicitation_dialog, agent_needs_input…',
    ),
    http: true,
    decides: false, // can't block or modify a notification; only terminalSequence is used
    passive: true,
    installByDefault: true,
  },
  {
    name: 'MessageDisplay',
    description: 'Assistant text is displayed, piece by piece as it streams',
    fields: ['turn_id', 'message_id', 'index', 'final', 'delta'],
    matcher: NO_MATCHER,
    http: true,
    decides: true, // displayContent replaces what is shown on screen
    // Not passive, not by default: it fires for every streamed piece of text and the display waits for the hook
    // (up to 10 s by default), so a slow or stuck observatory would visibly stall Claude's output.
    passive: false,
    installByDefault: false,
  },
  {
    name: 'SubagentStart',
    description: 'A subagent is spawned',
    fields: [],
    matcher: AGENT_MATCHER,
    http: true,
    decides: true, // additionalContext goes to the subagent
    passive: true,
    installByDefault: true,
  },
  {
    name: 'SubagentStop',
    description: 'A subagent finished responding',
    fields: [
      'stop_hook_active',
      'agent_transcript_path',
      'last_assistant_message',
      'background_tasks',
      'session_crons',
    ],
    matcher: AGENT_MATCHER,
    http: true,
    decides: true, // block keeps the subagent working
    passive: true,
    installByDefault: true,
  },
  {
    name: 'TaskCreated',
    description: 'A task is created (TaskCreate)',
    fields: TASK_FIELDS,
    matcher: NO_MATCHER,
    http: true,
    decides: true, // block deletes the task
    passive: true,
    installByDefault: true,
  },
  {
    name: 'TaskCompleted',
    description: 'A task is being marked completed',
    fields: TASK_FIELDS,
    matcher: NO_MATCHER,
    http: true,
    decides: true, // exit 2 keeps it open; continue: false stops the teammate
    passive: true,
    installByDefault: true,
  },
  {
    name: 'TeammateIdle',
    description: 'An agent-team teammate is about to go idle',
    fields: ['teammate_name', 'team_name'],
    matcher: NO_MATCHER,
    http: true,
    decides: true, // exit 2 keeps the teammate working
    passive: true,
    installByDefault: true,
  },
  {
    name: 'Stop',
    description: 'Claude finished responding (end of a turn)',
    fields: ['stop_hook_active', 'last_assistant_message', 'background_tasks', 'session_crons'],
    matcher: NO_MATCHER,
    http: true,
    decides: true, // block makes Claude continue, additionalContext
    passive: true,
    installByDefault: true,
  },
  {
    name: 'StopFailure',
    description: 'A turn ended on an API error (rate limit, overload, billing…)',
    fields: ['error', 'error_details', 'last_assistant_message'],
    matcher: matcherOn('error type: rate_limit, overloaded, billing_error, server_error, unknown…'),
    http: true,
    decides: false, // output and exit code are ignored (except terminalSequence)
    passive: true,
    installByDefault: true,
  },
  {
    name: 'InstructionsLoaded',
    description: 'A CLAUDE.md or .claude/rules/*.md file is loaded into context',
    fields: [
      'file_path',
      'memory_type',
      'load_reason',
      'globs',
      'trigger_file_path',
      'parent_file_path',
    ],
    matcher: matcherOn(
      'load reason: session_start, nested_traversal, path_glob_match, include, compact',
    ),
    http: true,
    decides: false,
    passive: true,
    installByDefault: true,
  },
  {
    name: 'ConfigChange',
    description: 'A settings or skills file changed during the session',
    fields: ['source', 'file_path'],
    matcher: matcherOn(
      'source: user_settings, project_settings, local_settings, policy_settings, skills',
    ),
    http: true,
    decides: true, // block keeps the change from applying (except policy settings)
    passive: true,
    installByDefault: true,
  },
  {
    name: 'CwdChanged',
    description: 'The working directory changed (cd)',
    fields: ['old_cwd', 'new_cwd'],
    matcher: NO_MATCHER,
    http: true,
    decides: true, // watchPaths sets files to watch for FileChanged
    passive: true,
    installByDefault: true,
  },
  {
    name: 'DirectoryAdded',
    description: 'A directory was added (/add-dir or an SDK repository root)',
    fields: ['directory', 'source'],
    matcher: matcherOn('source: slash_command, register_repo_root'),
    http: true,
    decides: true, // systemMessage reaches Claude on the next turn
    passive: true,
    installByDefault: true,
  },
  {
    name: 'FileChanged',
    description: 'A watched file changed, was added or removed',
    fields: ['file_path', 'event'],
    // The matcher is also the watch list: file names to watch, split on `|`. We write none, so our hook adds
    // nothing to what Claude Code watches (it sees the files other hooks asked for through watchPaths).
    matcher: {
      on: 'file names, split on | (the matcher is also the watch list)',
      install: undefined,
    },
    http: true,
    decides: true, // watchPaths replaces the dynamic watch list
    passive: true,
    // Not by default: it fires only for files someone asked Claude Code to watch, and naming files for it would
    // make Claude Code watch them, which is more than observing.
    installByDefault: false,
  },
  {
    name: 'WorktreeCreate',
    description: 'A worktree is created (--worktree, isolation: "worktree", background sessions)',
    fields: ['name'],
    matcher: NO_MATCHER,
    http: true,
    // A configured hook REPLACES `git worktree add`: it must create the worktree and answer its path (stdout for a
    // command hook, hookSpecificOutput.worktreePath for an http hook). Our empty answer would make every worktree
    // creation fail, so it is neither passive nor installed by `all`.
    decides: true,
    passive: false,
    installByDefault: false,
  },
  {
    name: 'WorktreeRemove',
    description: 'A worktree is removed (session exit, subagent end, background session deleted)',
    fields: ['worktree_path'],
    matcher: NO_MATCHER,
    http: true,
    // The cleanup counterpart of WorktreeCreate: its exit code decides (non-zero with the directory still there
    // fails the removal) and a hook is how a custom worktree is removed. An observing hook that does not remove
    // anything risks leaving worktrees on disk; not passive, not installed by `all`.
    decides: true,
    passive: false,
    installByDefault: false,
  },
  {
    name: 'PreCompact',
    description: 'Before the context is compacted',
    fields: ['trigger', 'custom_instructions'],
    matcher: matcherOn('trigger: manual, auto'),
    http: true,
    decides: true, // block skips the compaction
    passive: true,
    installByDefault: true,
  },
  {
    name: 'PostCompact',
    description: 'After the context was compacted',
    fields: ['trigger', 'compact_summary'],
    matcher: matcherOn('trigger: manual, auto'),
    http: true,
    decides: false,
    passive: true,
    installByDefault: true,
  },
  {
    name: 'PreModelSwitch',
    description: 'Before a requested model switch (/model, picker, SDK)',
    fields: MODEL_SWITCH_FIELDS,
    matcher: matcherOn('model name (to_model)'),
    http: true,
    // Allow / deny / ask the switch. Unlike every other event, a hook that times out BLOCKS the switch: a stuck
    // observatory would make /model fail. Not passive, not installed by `all`.
    decides: true,
    passive: false,
    installByDefault: false,
  },
  {
    name: 'PostModelSwitch',
    description: 'After the model changed (including automatic switches)',
    fields: MODEL_SWITCH_FIELDS,
    matcher: matcherOn('model name (to_model)'),
    http: true,
    decides: true, // plain stdout or additionalContext goes with the next request
    passive: true,
    installByDefault: true,
  },
  {
    name: 'Elicitation',
    description: 'An MCP server asks the user for input',
    fields: ['mcp_server_name', 'message', 'mode', 'url', 'elicitation_id', 'requested_schema'],
    matcher: matcherOn('MCP server name'),
    http: true,
    decides: true, // accept / decline / cancel with content: answers in the user's place
    passive: true,
    installByDefault: true,
  },
  {
    name: 'ElicitationResult',
    description: "The user answered an MCP server's request for input",
    fields: ['mcp_server_name', 'action', 'mode', 'elicitation_id', 'content'],
    matcher: matcherOn('MCP server name'),
    http: true,
    decides: true, // overrides the user's action and content
    passive: true,
    // Not by default: `content` is what the user typed into an MCP server's form, which can be a password or a
    // token; it would land in the observatory's log in clear. Install it by name (or with `all`) knowingly.
    installByDefault: false,
  },
  {
    name: 'SessionEnd',
    description: 'The session ends (exit, /clear, /resume, logout)',
    fields: ['reason'],
    matcher: matcherOn('reason: clear, resume, logout, prompt_input_exit, other'),
    http: true,
    decides: false, // can't block the end; JSON discarded
    passive: true,
    installByDefault: true,
  },
]

function freezeEntry(entry: EventInfo): EventInfo {
  return Object.freeze({
    ...entry,
    fields: Object.freeze([...entry.fields]),
    matcher: Object.freeze({ ...entry.matcher }),
  })
}

/** Every known event, in the order of a session's life. */
export const EVENT_CATALOGUE: readonly EventInfo[] = Object.freeze(ENTRIES.map(freezeEntry))

const BY_NAME: ReadonlyMap<string, EventInfo> = new Map(EVENT_CATALOGUE.map((e) => [e.name, e]))

/** The catalogue entry for `name` (exact, case-sensitive like Claude Code's settings keys), or undefined. */
export function eventInfo(name: string): EventInfo | undefined {
  return BY_NAME.get(name)
}

/** Whether `name` is in the catalogue. Unknown names are still valid events; this is advice only. */
export function isKnownEvent(name: string): boolean {
  return BY_NAME.has(name)
}

/** What `observatory install` writes without `--events`, in catalogue order. */
export const DEFAULT_EVENTS: readonly string[] = Object.freeze(
  EVENT_CATALOGUE.filter((e) => e.installByDefault).map((e) => e.name),
)

/**
 * What `--events all` means: every event a hook can observe without changing Claude Code's behaviour (the
 * passive ones), in catalogue order. Not every event: see the module comment for the four left out.
 */
export const ALL_EVENTS: readonly string[] = Object.freeze(
  EVENT_CATALOGUE.filter((e) => e.passive).map((e) => e.name),
)

/** The matcher the installer writes for `name`; undefined (no `matcher` key) for unknown events. */
export function installMatcher(name: string): string | undefined {
  return BY_NAME.get(name)?.matcher.install
}

/** Whether Claude Code runs `http` hooks for `name`; unknown events are assumed to (most do). */
export function supportsHttpHooks(name: string): boolean {
  return BY_NAME.get(name)?.http ?? true
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution))
    }
    previous = current
  }
  return previous[b.length]!
}

/**
 * The known event whose name is closest to `name` (edit distance, ignoring case; the earlier one in the catalogue
 * on a tie), for "did you mean" hints.
 */
export function closestEvent(name: string): string {
  const wanted = name.toLowerCase()
  let best = EVENT_CATALOGUE[0]!.name
  let bestDistance = Number.POSITIVE_INFINITY
  for (const event of EVENT_CATALOGUE) {
    const distance = editDistance(wanted, event.name.toLowerCase())
    if (distance < bestDistance) {
      best = event.name
      bestDistance = distance
    }
  }
  return best
}
