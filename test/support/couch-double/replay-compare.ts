// Compares a double's answer with a recorded CouchDB 3.4.3 answer: exact where CouchDB is stable,
// shape only for the fields the recordings' README lists as varying between runs.
export interface RecordedResponse { status: number, headers: Record<string, string>, body: unknown, bodyFormat: 'json' | 'text' | 'empty' }
export interface ActualResponse { status: number, headers: Record<string, string | string[] | undefined>, text: string }

/** Compared by type only: opaque seqs, hashes, timings, server identity (README, "Fields that vary"). */
const VARYING = new Set([
  'seq', 'last_seq', 'update_seq', 'purge_seq', 'bookmark', 'uuid', 'git_sha', 'instance_start_time', 'sizes',
  'collator_versions', 'signature', 'ref', 'timing', 'salt', 'derived_key', 'execution_time_ms',
  // `pending` depends on CouchDB's shard layout; `iterations` is 600000 in CouchDB, 10 in the double (speed).
  'pending', 'iterations',
])
const HEX32 = /^[0-9a-f]{32}$/
const MANGO_DDOC = /^_design\/[0-9a-f]{40}$/

function compareValue (path: string, key: string, expected: unknown, actual: unknown, diffs: string[]): void {
  const fail = (): void => { diffs.push(`${path}: expected ${JSON.stringify(expected)?.slice(0, 120)}, got ${JSON.stringify(actual)?.slice(0, 120)}`) }
  if (VARYING.has(key)) {
    if (typeof expected !== typeof actual) fail()
    return
  }
  if (typeof expected === 'string' && typeof actual === 'string') {
    // Revs: the generation is stable, the MD5 part is CouchDB's own.
    if ((key === 'rev' || key === '_rev') && /^\d+-/.test(expected)) {
      if (expected.split('-')[0] !== actual.split('-')[0] || (expected === '0-1' && actual !== '0-1')) fail()
    } else if (HEX32.test(expected) && key !== 'reason') {
      if (!HEX32.test(actual)) fail()
    } else if (MANGO_DDOC.test(expected)) {
      if (!MANGO_DDOC.test(actual)) fail()
    } else if (expected.startsWith('-pbkdf2')) {
      if (!actual.startsWith('-pbkdf2:sha256-')) fail()
    } else if (key === 'reason' && expected.startsWith('Compilation of the map function')) {
      // The JavaScript engine's own message (QuickJS vs V8) follows "failed:".
      if (actual.split('failed:')[0] !== expected.split('failed:')[0]) fail()
    } else if (expected !== actual) fail()
    return
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return fail()
    // _changes results come in shard order in CouchDB: compare them by id.
    const byId = key === 'results' && expected.every((item) => typeof item === 'object' && item !== null && 'changes' in item)
    // Docs with server-generated ids sort wherever their random uuid falls: compare them by _id.
    const byDocId = key === 'docs' && expected.some((item) => HEX32.test(String((item as { _id?: unknown } | null)?._id)))
    const idOf = (item: unknown): string => String((item as Record<string, unknown>)[byId ? 'id' : '_id'])
    const sort = (list: unknown[]): unknown[] => byId || byDocId ? [...list].sort((a, b) => idOf(a).localeCompare(idOf(b))) : list
    const [e, a] = [sort(expected), sort(actual)]
    e.forEach((item, i) => compareValue(`${path}[${i}]`, key === 'uuids' ? 'uuid' : '', item, a[i], diffs))
    return
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return fail()
    const expectedKeys = Object.keys(expected).sort()
    const actualKeys = Object.keys(actual).sort()
    if (expectedKeys.join() !== actualKeys.join()) diffs.push(`${path}: keys ${expectedKeys.join(',')} vs ${actualKeys.join(',')}`)
    for (const k of expectedKeys) {
      if (k in actual) compareValue(`${path}.${k}`, k, (expected as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k], diffs)
    }
    return
  }
  if (expected !== actual) fail()
}

const header = (headers: ActualResponse['headers'], name: string): string | undefined => {
  const value = headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

function compareHeaders (expected: Record<string, string>, actual: ActualResponse['headers'], diffs: string[]): void {
  for (const name of ['content-type', 'cache-control', 'allow']) {
    if (expected[name] !== header(actual, name)) diffs.push(`header ${name}: expected ${expected[name]}, got ${header(actual, name)}`)
  }
  for (const name of ['etag', 'location', 'www-authenticate', 'set-cookie']) {
    if ((expected[name] !== undefined) !== (header(actual, name) !== undefined)) diffs.push(`header ${name}: presence differs (expected ${expected[name] !== undefined})`)
  }
  const emptyCookie = (value?: string): boolean => value?.startsWith('AuthSession=;') ?? false
  if (expected['set-cookie'] !== undefined && emptyCookie(expected['set-cookie']) !== emptyCookie(header(actual, 'set-cookie'))) {
    diffs.push('header set-cookie: empty vs set AuthSession differs')
  }
}

/** Continuous feeds: the same change lines (by id and deleted flag) and a closing last_seq line. */
function compareFeed (expected: string, actual: string, diffs: string[]): void {
  const lines = (text: string): Array<Record<string, unknown>> => text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line))
  const summary = (text: string): string => lines(text).map((line) => 'last_seq' in line ? 'last_seq' : `${String(line.id)}${line.deleted === true ? '(deleted)' : ''}`).sort().join(' ')
  try {
    if (summary(expected) !== summary(actual)) diffs.push(`feed: expected ${summary(expected)}, got ${summary(actual)}`)
  } catch {
    diffs.push(`feed: not newline-delimited JSON: ${actual.slice(0, 120)}`)
  }
}

/** Every difference between the recorded and the actual answer; [] when they match. */
export function compareResponse (expected: RecordedResponse, actual: ActualResponse): string[] {
  const diffs: string[] = []
  if (expected.status !== actual.status) diffs.push(`status: expected ${expected.status}, got ${actual.status} ${actual.text.slice(0, 200)}`)
  compareHeaders(expected.headers, actual.headers, diffs)
  if (expected.bodyFormat === 'empty') {
    if (actual.text !== '') diffs.push(`body: expected none, got ${actual.text.slice(0, 120)}`)
  } else if (expected.bodyFormat === 'text') {
    compareFeed(String(expected.body), actual.text, diffs)
  } else {
    let body: unknown
    try {
      body = JSON.parse(actual.text)
    } catch {
      diffs.push(`body: not JSON: ${actual.text.slice(0, 120)}`)
      return diffs
    }
    compareValue('body', '', expected.body, body, diffs)
  }
  return diffs
}
