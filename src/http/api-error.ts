// The error the HTTP layer throws itself (405, malformed JSON, bad ids). Domain and store errors
// have their own types; error-handler.ts turns all of them into one JSON shape.

export class ApiError extends Error {
  readonly statusCode: number
  readonly error: string
  readonly headers: Readonly<Record<string, string>>

  constructor (statusCode: number, error: string, reason: string, headers: Record<string, string> = {}) {
    super(reason)
    this.name = 'ApiError'
    this.statusCode = statusCode
    this.error = error
    this.headers = headers
  }
}

export function zerglingNotFound (): ApiError {
  // The id is not echoed: it may be 10 kB long or hold markup.
  return new ApiError(404, 'not_found', 'There is no zergling with that id.')
}
