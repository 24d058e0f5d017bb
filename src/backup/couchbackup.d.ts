// The slice of @cloudant/couchbackup's API (app.js `backup`) that overmind calls; it ships no types.
declare module '@cloudant/couchbackup' {
  import type { EventEmitter } from 'node:events'
  import type { Writable } from 'node:stream'

  export interface BackupOptions {
    parallelism?: number
    bufferSize?: number
    requestTimeout?: number
    /** Its log of batches to fetch and fetched; what a resumed backup reads. */
    log?: string
    resume?: boolean
    mode?: 'full' | 'shallow'
  }

  /** Emits `written` ({ total, time, batch }) after each batch and `finished` (total) at the end. */
  export function backup (srcUrl: string, target: Writable, options: BackupOptions, callback: (error: Error | null, total?: { total: number }) => void): EventEmitter
}
