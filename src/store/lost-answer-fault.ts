// The store-side fault (OVERMIND_FAULT_LOST_ANSWER_RATE): a share of writes reach the store and
// are stored, and then their answer is lost — as when CouchDB takes a PUT and the connection drops
// before its 201 comes back — and so is the patient read the lost-answer protocol makes next
// (lost-answer.ts), as when CouchDB stays away a little longer. The store then says what it
// honestly knows, `outcome_unknown`, and a retry with the same Idempotency-Key settles it: the
// write is in the document, so the retry is answered as a replay and nothing is applied twice.
// It wraps the adapter's DocumentBackend, so it works the same on CouchDB (a real one too, where
// the test double's knobs do not exist) and on the embedded store.
import type { DocumentBackend } from './document-backend.js'
import { StoreError } from './store-error.js'

export interface LostAnswerFault {
  /** Share (0–1) of document writes whose answer is lost after they were stored. */
  rate: number
  /** From 0 (inclusive) to 1; one draw per write. Tests pass a scripted or seeded one. */
  random?: () => number
}

/**
 * `backend` with the fault. Deletes are left alone: a DELETE carries no Idempotency-Key, so its
 * lost answer could not be settled by the client, only confirmed by the store.
 */
export function withLostAnswers (backend: DocumentBackend, { rate, random = Math.random }: LostAnswerFault): DocumentBackend {
  // Documents whose write's answer was just lost: their next patient read fails too.
  const lost = new Set<string>()
  return {
    ...backend,
    getDocument: async (id, options) => {
      if (lost.delete(id) && options?.patient === true) {
        throw new StoreError('unavailable', 'Fault injected (OVERMIND_FAULT_LOST_ANSWER_RATE): the read that would confirm the write did not come back.')
      }
      return await backend.getDocument(id, options)
    },
    putDocument: async (doc) => {
      lost.delete(doc._id)
      const rev = await backend.putDocument(doc)
      if (random() >= rate) return rev
      lost.add(doc._id)
      throw new StoreError('unavailable', 'Fault injected (OVERMIND_FAULT_LOST_ANSWER_RATE): the write was stored, its answer dropped.', { ambiguous: true })
    }
  }
}
