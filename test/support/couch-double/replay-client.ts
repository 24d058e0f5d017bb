// Sends one recorded request to a double, byte for byte as the recorder did (node:http, so `..`
// and odd encodings reach the server untouched), with our own passwords for the placeholders.
import { request } from 'node:http'
import type { ActualResponse } from './replay-compare.js'

export interface RecordedRequest {
  method: string
  path: string
  auth: 'admin' | 'appuser' | 'newadmin' | 'wrong' | 'cookie' | 'none'
  headers?: Record<string, string>
  body: unknown
  raw?: boolean
}

export const REPLAY_PASSWORDS: Record<string, string> = {
  admin: 'double-admin-password',
  appuser: 'app-user-password',
  newadmin: 'new-admin-password',
  wrong: 'not-the-admin-password',
}

const BASIC_USERS: Record<string, [string, string]> = {
  admin: ['admin', REPLAY_PASSWORDS.admin],
  appuser: ['app', REPLAY_PASSWORDS.appuser],
  newadmin: ['newadmin', REPLAY_PASSWORDS.newadmin],
  wrong: ['admin', REPLAY_PASSWORDS.wrong],
}

const substitute = (text: string): string => text.replace(/<password:(\w+)>/g, (_, label: string) => REPLAY_PASSWORDS[label] ?? '')

/** `{"$repeat":"x","count":N}` stands for N × "x" (the large documents). */
function expand (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expand)
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>
    if (typeof record.$repeat === 'string' && typeof record.count === 'number') return record.$repeat.repeat(record.count)
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, expand(v)]))
  }
  return value
}

export interface ReplaySession { cookie?: string }

/** `translate` rewrites recorded revs and ids into the double's (see replay-ids.ts). */
export async function send (baseUrl: string, req: RecordedRequest, session: ReplaySession, translate = (text: string) => text): Promise<ActualResponse> {
  const url = new URL(baseUrl)
  const headers: Record<string, string> = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k, translate(v)]))
  const basic = BASIC_USERS[req.auth]
  if (basic !== undefined) headers.authorization = 'Basic ' + Buffer.from(basic.join(':')).toString('base64')
  if (req.auth === 'cookie' && session.cookie !== undefined) headers.cookie = session.cookie
  let body: string | undefined
  if (typeof req.body === 'string') body = translate(substitute(req.body))
  else if (req.body !== null && req.body !== undefined) body = translate(substitute(JSON.stringify(expand(req.body))))
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
  else if (['PUT', 'POST'].includes(req.method)) headers['content-length'] = '0'
  const response = await new Promise<ActualResponse>((resolve, reject) => {
    const outgoing = request({ host: url.hostname, port: url.port, method: req.method, path: translate(req.path), headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks as unknown as Uint8Array[]).toString('utf8') }))
      res.on('error', reject)
    })
    outgoing.on('error', reject)
    outgoing.end(body)
  })
  const setCookie = response.headers['set-cookie']?.[0]
  const value = setCookie === undefined ? undefined : /^AuthSession=([^;]*)/.exec(setCookie)?.[1]
  if (value !== undefined && value !== '') session.cookie = `AuthSession=${value}`
  return response
}
