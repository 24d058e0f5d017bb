// How long a `503` (or `429`) asks a client to wait before it tries again: `Retry-After` is either
// delay-seconds or an HTTP-date (RFC 9110 §10.2.3). Without one, a short pause.
// https://www.rfc-editor.org/rfc/rfc9110#field.retry-after

const WITHOUT_HEADER_MS = 1000

export function retryAfterMs (header: string | null, now = Date.now()): number {
  if (header === null || header.trim() === '') return WITHOUT_HEADER_MS
  const text = header.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  return Number.isNaN(at) ? WITHOUT_HEADER_MS : Math.max(0, at - now)
}
