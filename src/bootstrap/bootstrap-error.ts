// The one error type of bootstrap: a step's failure, with a sentence that is safe to print
// (the runner still scrubs it of both passwords).
export class BootstrapError extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'BootstrapError'
  }
}
