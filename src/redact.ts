// Secrets travel as values, never into logs or error messages. These helpers scrub the two ways
// a secret usually leaks: credentials inside a URL, and a known secret value echoed in a message.

const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi

/** `http://admin:pw@host` → `http://***@host`, anywhere inside `text`. */
export function redactUrlCredentials (text: string): string {
  return text.replace(URL_CREDENTIALS, '$1***@')
}

/** Removes URL credentials and every given secret value (empty ones ignored) from `text`. */
export function redact (text: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let result = redactUrlCredentials(text)
  for (const secret of secrets) {
    if (secret !== undefined && secret.length > 0) result = result.split(secret).join('***')
  }
  return result
}
