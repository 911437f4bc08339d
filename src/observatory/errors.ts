/**
 * The one error class for a user's own mistake or a failure they can act on, in every subcommand. The CLI prints
 * its message as one line (after the command's name) and exits with its `exitCode`: 2 for a usage mistake (an
 * unknown option, a bad value), 1 for a failure at run time (a file that cannot be read, a socket in use). Any
 * other error is a bug of ours: "internal error", exit 70.
 */
export type UserErrorCode = 'USAGE' | 'RUNTIME'

export class UserError extends Error {
  override name = 'UserError'
  /** Stable, for programs: `USAGE` (exit 2) or `RUNTIME` (exit 1). */
  readonly code: UserErrorCode
  readonly exitCode: 1 | 2

  constructor(message: string, code: UserErrorCode = 'RUNTIME', options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.exitCode = code === 'USAGE' ? 2 : 1
  }
}

/** A usage mistake: exit code 2. */
export function usageError(message: string): UserError {
  return new UserError(message, 'USAGE')
}
