/**
 * The policy room: rules that answer PreToolUse and PermissionRequest, and the audit trail of the answers.
 *
 *   types.ts    the contract the server, the CLI and the page use (Decision, PolicyLike, AuditRecord)
 *   policy.ts   Policy: parse (YAML, errors with line and column), merge, decide; decisionBody (what Claude
 *               Code receives)
 *   files.ts    policyFiles (--policy, else the project file and the user file) and PolicyWatcher (reload on
 *               change, keep the last good policy on a broken edit)
 *   audit.ts    AuditLog (hash-chained JSON lines) and verifyAuditFile (the first broken link)
 *
 * See docs/policy.md.
 */

export {
  AuditLog,
  type AuditVerification,
  auditLine,
  GENESIS,
  verifyAuditFile,
} from './audit.ts'
export {
  loadPolicyFile,
  type PolicyFilesOptions,
  PolicyWatcher,
  type PolicyWatcherOptions,
  PROJECT_POLICY_FILE,
  policyFiles,
  projectPolicyPath,
  USER_POLICY_FILE,
  userPolicyPath,
} from './files.ts'
export {
  compileGlob,
  decisionBody,
  EVENT_ACTIONS,
  eventNameOf,
  MAIN_AGENT,
  Policy,
  PolicyError,
  RULE_KEYS,
  type RuleSummary,
  regexParts,
} from './policy.ts'
export type {
  AuditRecord,
  DecidableEvent,
  Decision,
  PolicyAction,
  PolicyLike,
} from './types.ts'
