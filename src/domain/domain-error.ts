// The one error the domain throws: a rule was broken by the caller's input.
// `code` is stable and machine-readable; `message` is a sentence a person understands.

export type DomainErrorCode = 'invalid_command'

export class DomainError extends Error {
  readonly code: DomainErrorCode

  constructor (code: DomainErrorCode, message: string) {
    super(message)
    this.name = 'DomainError'
    this.code = code
  }
}
