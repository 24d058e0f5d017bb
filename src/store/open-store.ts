// Picks the store the configuration asks for: CouchDB when one is configured, else the embedded
// PouchDB under the data directory (the quick start's default).
import type { StoreConfig } from '../config.js'
import type { MergeReport } from './conflict-merge.js'
import type { DocumentBackend } from './document-backend.js'
import type { EmbeddedLogger } from './embedded-database.js'
import { withLostAnswers, type LostAnswerFault } from './lost-answer-fault.js'
import type { ZerglingStore } from './zergling-store.js'

/** The slice of a pino logger this needs: the embedded store tells its failures and recoveries. */
export type StoreLogger = EmbeddedLogger

export interface OpenStoreOptions {
  logger?: StoreLogger
  /** Called each time a write is retried after losing a revision race (its number, 1 = the first retry, and the delay before it). */
  onConflictRetry?: (retry: number, delayMs: number) => void
  /** Called after each merge of a conflicted zergling (also logged, when there is a logger). */
  onMerge?: (report: MergeReport) => void
  /** OVERMIND_FAULT_LOST_ANSWER_RATE: a share of writes stored whose answer is then lost (off at 0). */
  lostAnswers?: LostAnswerFault
  /** CouchDB took the rotated password (also logged; the value never is). */
  onCredentialRotation?: () => void
  /** The mounted password file holds a new password: for scrubbing it from logs. */
  onPasswordRead?: (password: string) => void
}

export async function openStore (config: StoreConfig, { logger, onConflictRetry, onMerge, lostAnswers, onCredentialRotation, onPasswordRead }: OpenStoreOptions = {}): Promise<ZerglingStore> {
  const retryHooks = { onRetry: onConflictRetry }
  const wrapBackend = lostAnswers === undefined || lostAnswers.rate === 0 ? undefined : (backend: DocumentBackend) => withLostAnswers(backend, lostAnswers)
  const mergeHooks = {
    onMerge: (report: MergeReport): void => {
      onMerge?.(report)
      logger?.info({ zergling: report.id, forks: report.forks, written: report.written }, report.forks.includes('prefix')
        ? 'merged a conflicted zergling; a branch\'s fork point was its common prefix, so a command both branches sent first after it is kept once'
        : 'merged a conflicted zergling')
    }
  }
  if (config.kind === 'couchdb') {
    const { url, database, username, requestTimeoutMs } = config.couch
    // `url` never holds credentials (config.ts strips them), so it may be logged as it is.
    logger?.info({ store: 'couchdb', url, database, username, requestTimeoutMs, reads: config.reads }, 'using CouchDB')
    // Each adapter is loaded only when used: PouchDB and leveldb cost ~25 MB that CouchDB mode never needs.
    const { createCouchStore } = await import('./couch-store.js')
    const credentials = {
      onPasswordRead: (password: string): void => {
        onPasswordRead?.(password)
        logger?.info({ passwordFile: config.couch.passwordFile }, 'the mounted CouchDB password changed; it is used once CouchDB refuses the current one')
      },
      onRotated: (how: 'cookie' | 'basic'): void => {
        onCredentialRotation?.()
        logger?.info({ username, auth: how }, how === 'cookie' ? 'CouchDB password changed, new session' : 'CouchDB password changed, sent from now on')
      }
    }
    return createCouchStore({ couch: config.couch, retryHooks, mergeHooks, credentials, readsFromMemory: config.reads === 'memory', wrapBackend })
  }
  const { createPouchStore } = await import('./pouch-store.js')
  const store = await createPouchStore({ dataDir: config.dataDir, database: config.database, retryHooks, mergeHooks, logger, wrapBackend })
  logger?.info({ store: 'embedded', dataDir: config.dataDir, database: config.database }, 'using the embedded store')
  return store
}
