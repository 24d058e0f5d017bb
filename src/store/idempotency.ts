// Idempotency-Key support (the IETF draft "The Idempotency-Key HTTP Header Field"): a client
// that retries a request it is unsure about sends the same key, and the request is applied at
// most once. Keys are remembered inside the zergling's own document, in the same write that
// applies the commands, so the record and the change can never come apart — and every replica
// sees them. Only hashes are stored: a key may be anything a client picked.
import { createHash } from 'node:crypto'
import type { Command } from '../domain/zergling.js'
import type { IdempotencyRecord } from './zergling-document.js'

/** How many keyed requests each zergling remembers (the oldest are forgotten first). */
export const IDEMPOTENCY_KEYS_KEPT = 100

function digest (text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22)
}

export function keyDigest (key: string): string {
  return digest(`key\0${key}`)
}

export function commandsDigest (commands: readonly Command[]): string {
  return digest(`commands\0${commands.join('')}`)
}

export function findRecord (records: readonly IdempotencyRecord[], key: string): IdempotencyRecord | undefined {
  for (let i = records.length - 1; i >= 0; i--) if (records[i]!.key === key) return records[i]
  return undefined
}

export function keepNewest (records: IdempotencyRecord[]): IdempotencyRecord[] {
  return records.length > IDEMPOTENCY_KEYS_KEPT ? records.slice(records.length - IDEMPOTENCY_KEYS_KEPT) : records
}

/**
 * A spawn with a key gets an id derived from the key (UUID v4 layout), so a repeat meets the
 * first zergling instead of making a second one, on any replica.
 */
export function zerglingIdForKey (key: string): string {
  const bytes = createHash('sha256').update(`spawn\0${key}`).digest().subarray(0, 16)
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
