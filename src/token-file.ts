// Bearer tokens from mounted Secret files (OVERMIND_ADMIN_TOKEN_FILE, OVERMIND_API_TOKEN_FILE).
// Only a SHA-256 digest of the token is kept: comparing two digests of equal length with
// timingSafeEqual takes the same time whatever the presented token is, so its length and prefix
// cannot be found by timing answers (https://nodejs.org/api/crypto.html#cryptotimingsafeequala-b).
// The token itself never leaves this file, so no log line or error can carry it.
import { createHash, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { ConfigError } from './config-types.js'
import { watchSecretFile } from './secret-file.js'

export interface BearerToken {
  /** True when `presented` is the token (constant time). */
  matches (presented: string): boolean
  /** Stops watching the file. */
  close (): void
}

/** What a watched token file reports; never the token. */
export interface TokenFileEvents {
  changed (file: string): void
  unreadable (file: string, reason: string): void
}

// RFC 6750 §2.1's b64token: what can follow `Bearer ` in a header.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/** Reads and checks a token file; the error names the variable and the file, never the content. */
export function readTokenFile (file: string, name: string): { file: string, token: string } {
  let content: string
  try {
    content = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigError(`${name} names ${JSON.stringify(file)}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`)
  }
  // A Secret made with `kubectl create secret --from-file` often ends with a newline.
  const token = content.replace(/\r?\n$/, '')
  if (!B64TOKEN.test(token)) {
    throw new ConfigError(`${name} names ${JSON.stringify(file)}, which must hold one token of letters, digits and -._~+/ (e.g. from \`openssl rand -hex 32\`); it is empty or holds other characters.`)
  }
  return { file, token }
}

function digest (token: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(token).digest())
}

function checkAgainst (current: () => Uint8Array): (presented: string) => boolean {
  return (presented) => timingSafeEqual(digest(presented), current())
}

/** A token given as a value (tests, embedding). */
export function fixedToken (token: string): BearerToken {
  const expected = digest(token)
  return { matches: checkAgainst(() => expected), close () {} }
}

/**
 * The token in `file`, followed as the kubelet swaps the mounted Secret (secret-file.ts says how).
 * A file that cannot be read or holds no token keeps the previous token in force.
 */
export function watchTokenFile (file: string, name: string, events: TokenFileEvents): BearerToken {
  const { token } = readTokenFile(file, name)
  let expected = digest(token)
  const watch = watchSecretFile(file, token, (text) => {
    if (!B64TOKEN.test(text)) {
      events.unreadable(file, `${name} names ${JSON.stringify(file)}, which now holds no token; the previous one stays in force.`)
      return
    }
    expected = digest(text)
    events.changed(file)
  })
  return { matches: checkAgainst(() => expected), close: () => { watch.close() } }
}
