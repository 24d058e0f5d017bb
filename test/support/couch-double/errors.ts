// The CouchDB error bodies the double answers, in one table, so every route speaks the same words.
// https://docs.couchdb.org/en/stable/api/basics.html#http-status-codes

/** An error that becomes a CouchDB-shaped `{error, reason}` answer with its status. */
export class CouchError extends Error {
  constructor (
    readonly status: number,
    readonly error: string,
    readonly reason: string,
    readonly headers: Record<string, string> = {}
  ) {
    super(`${status} ${error}: ${reason}`)
    this.name = 'CouchError'
  }
}

const ILLEGAL_DB_NAME = 'Only lowercase characters (a-z), digits (0-9), and any of the characters _, $, (, ), +, -, and / are allowed. Must begin with a letter.'

export const couchErrors = {
  dbMissing: () => new CouchError(404, 'not_found', 'Database does not exist.'),
  docMissing: () => new CouchError(404, 'not_found', 'missing'),
  docDeleted: () => new CouchError(404, 'not_found', 'deleted'),
  fileExists: () => new CouchError(412, 'file_exists', 'The database could not be created, the file already exists.'),
  illegalDbName: (name: string) => new CouchError(400, 'illegal_database_name', `Name: '${name}'. ${ILLEGAL_DB_NAME}`),
  illegalDocId: () => new CouchError(400, 'illegal_docid', 'Only reserved document ids may start with underscore.'),
  conflict: () => new CouchError(409, 'conflict', 'Document update conflict.'),
  badRequest: (reason: string) => new CouchError(400, 'bad_request', reason),
  invalidJson: () => new CouchError(400, 'bad_request', 'invalid UTF-8 JSON'),
  queryParse: (reason: string) => new CouchError(400, 'query_parse_error', reason),
  badContentType: () => new CouchError(415, 'bad_content_type', 'Content-Type must be application/json'),
  tooLarge: () => new CouchError(413, 'document_too_large', ''),
  wrongCredentials: () => new CouchError(401, 'unauthorized', 'Name or password is incorrect.'),
  conflictedUser: () => new CouchError(401, 'unauthorized', 'User document conflicts must be resolved before the document is used for authentication purposes.'),
  notServerAdmin: () => new CouchError(401, 'unauthorized', 'You are not a server admin.'),
  notDbAdmin: (anonymous: boolean) => new CouchError(anonymous ? 401 : 403, anonymous ? 'unauthorized' : 'forbidden', 'You are not a db or server admin.'),
  notMember: (anonymous: boolean) => anonymous
    ? new CouchError(401, 'unauthorized', 'You are not authorized to access this db.')
    : new CouchError(403, 'forbidden', 'You are not allowed to access this db.'),
  unknownConfig: () => new CouchError(404, 'not_found', 'unknown_config_value'),
  nodeDown: (node: string) => new CouchError(412, 'nodedown', `${node} is down`),
  methodNotAllowed: (allowed: string) => new CouchError(405, 'method_not_allowed', `Only ${allowed} allowed`, { allow: allowed }),
}

/** Maps a PouchDB error (status/name/message) onto CouchDB's wording. */
export function fromPouchError (err: unknown): CouchError {
  if (err instanceof CouchError) return err
  const e = err as { status?: number, name?: string, message?: string, reason?: string }
  if (e.status === 409) return couchErrors.conflict()
  if (e.status === 404) return e.reason === 'deleted' ? couchErrors.docDeleted() : couchErrors.docMissing()
  if (e.name === 'doc_validation') return new CouchError(400, 'doc_validation', e.message ?? '')
  if (e.message === 'Only reserved document ids may start with underscore.') return couchErrors.illegalDocId()
  if (e.status === 400) return couchErrors.badRequest(e.message ?? 'bad request')
  return new CouchError(500, 'unknown_error', e.message ?? 'unknown error')
}
