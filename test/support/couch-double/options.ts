// The options and the handle of the CouchDB-protocol double (the API other tests code against).

export type CouchVersion = '1.6.1' | '2.3.1' | '3.4.3'

export interface CouchDoubleOptions {
  /** default '3.4.3' */
  version?: CouchVersion
  /** name → plain password; {} = admin party (not allowed on 3.x); default { admin: 'double-admin-password' } */
  admins?: Record<string, string>
  /** _users/_replicator exist at start; default true */
  systemDatabases?: boolean
  /** cluster size shown by /_membership; default 1 */
  nodes?: number
  /** added before every response; default 0 */
  latencyMs?: number
  /** default 8000000 */
  maxDocumentSize?: number
  /** default 0 (free port) */
  port?: number
  /**
   * CouchDB 3 hashes a new admin's password asynchronously, so an admin set through the config API
   * answers 401 for a short while. Milliseconds of that delay; default 0 (usable at once).
   */
  adminActivationDelayMs?: number
}

export interface CouchDouble {
  /** 'http://127.0.0.1:PORT' (no credentials, no trailing slash) */
  readonly url: string
  readonly version: CouchVersion
  /** count of requests that changed state (any successful PUT/POST/DELETE/COPY that wrote something) */
  writes: number
  /** log of handled requests; `path` is the percent-encoded path without the query string */
  requests: Array<{ method: string, path: string, status: number }>
  resetCounters (): void
  setLatency (ms: number): void
  /** stop answering (close listener + destroy sockets), keep all data in memory */
  stop (): Promise<void>
  /** listen again on the same port with the same data */
  start (): Promise<void>
  /** destroy the socket mid-response for the next n requests; the request itself still takes effect */
  cutNextResponses (n: number): void
  /** every AuthSession cookie handed out so far stops working, as after a CouchDB restart with a new secret */
  expireSessions (): void
  /** stop and free everything */
  close (): Promise<void>
}
