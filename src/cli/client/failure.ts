// The one error type of `overmind zerglings`, carrying its documented exit code:
// 1 the service answered an error (its reason is the message), 2 bad usage, 3 unreachable.
export type ExitCode = 1 | 2 | 3

export const EXIT = { answeredError: 1, usage: 2, unreachable: 3 } as const

export class CliFailure extends Error {
  readonly exitCode: ExitCode
  /** The service's answer, when it answered an error: its status and `error` code. */
  readonly answer?: { status: number, error?: string }
  constructor (exitCode: ExitCode, message: string, answer?: { status: number, error?: string }) {
    super(message)
    this.name = 'CliFailure'
    this.exitCode = exitCode
    if (answer !== undefined) this.answer = answer
  }
}

export const usageError = (message: string): CliFailure => new CliFailure(EXIT.usage, message)
