// Revs and generated ids differ between CouchDB and the double (CouchDB's MD5s, random uuids).
// The replay learns which recorded value stands for which actual one, and rewrites later requests
// (and expected answers) with the double's values, as a client would pass back what it was given.

const REV = /^\d+-[0-9a-f]{32}$/
const HEX32 = /^[0-9a-f]{32}$/

export interface IdMap {
  learn (expected: unknown, actual: unknown): void
  learnEtag (expected?: string, actual?: string | string[], docId?: string): void
  /** `docId`: the document the text is about, for revs CouchDB gave several documents with equal bodies. */
  translate (text: string, docId?: string): string
}

export function createIdMap (): IdMap {
  const map = new Map<string, string>()
  // CouchDB's rev is an MD5 of the body, so two docs with equal bodies share a recorded rev.
  const byDoc = new Map<string, string>()
  const learn = (expected: unknown, actual: unknown): void => {
    if (typeof expected === 'string' && typeof actual === 'string' && expected !== actual && !map.has(expected) && (REV.test(expected) || HEX32.test(expected))) {
      map.set(expected, actual)
      return
    }
    if (Array.isArray(expected) && Array.isArray(actual)) {
      expected.forEach((item, i) => learn(item, actual[i]))
    } else if (expected !== null && typeof expected === 'object' && actual !== null && typeof actual === 'object') {
      const e = expected as Record<string, unknown>
      const a = actual as Record<string, unknown>
      const id = e.id ?? e._id
      const rev = e.rev ?? e._rev
      const actualRev = a.rev ?? a._rev
      if (typeof id === 'string' && typeof rev === 'string' && typeof actualRev === 'string') byDoc.set(`${id}\u0000${rev}`, actualRev)
      for (const [key, value] of Object.entries(expected)) learn(value, (actual as Record<string, unknown>)[key])
    }
  }
  return {
    learn,
    learnEtag (expected, actual, docId) {
      if (typeof expected !== 'string' || typeof actual !== 'string') return
      learn(expected.replace(/"/g, ''), actual.replace(/"/g, ''))
      if (docId !== undefined) byDoc.set(`${docId}\u0000${expected.replace(/"/g, '')}`, actual.replace(/"/g, ''))
    },
    translate (text, docId) {
      // Longest first: a rev contains 32 hex digits that must not be replaced on their own.
      return text.replace(/\d+-[0-9a-f]{32}|[0-9a-f]{32}/g, (found) => byDoc.get(`${docId}\u0000${found}`) ?? map.get(found) ?? found)
    },
  }
}
