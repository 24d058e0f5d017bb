// A plain HTTP proxy in front of a CouchDB (the double or a real one) that logs what went through
// it, so a test can count a store's failed logins on either, and that can add a Set-Cookie to an
// answer, as CouchDB does when it refreshes a session (couch_httpd_auth.erl `cookie_auth_header`),
// or answer a stored write 202 instead of 201, as a cluster does when fewer than a quorum of the
// document's copies took it (fabric_doc_update.erl; the write itself is stored), or hold a
// document write until another writer has moved the document on, so that CouchDB itself answers
// it 409 (on the double and on a real server alike).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { forwardTo, listenOnLoopback } from './loopback-server.js'

export interface ProxiedRequest {
  method: string
  /** Path without the query string. */
  path: string
  status: number
  /** The AuthSession cookie the request carried, if any. */
  cookie?: string
  /** Whether it carried an Authorization header. */
  basic: boolean
}

export interface CouchProxy {
  /** `http://127.0.0.1:PORT` */
  url: string
  requests: ProxiedRequest[]
  /** Adds this `Set-Cookie` to the next successful answer to a request that carried a cookie. */
  refreshCookieWith (setCookie: string): void
  /** Answers the next `n` document writes that CouchDB answered 201 with 202 Accepted. */
  acceptWithoutQuorum (n: number): void
  /** Before forwarding each of the next `n` document writes (`PUT /db/doc`), awaits `action` (another writer's write). */
  beforeNextWrites (n: number, action: () => Promise<void>): void
  /** While on, every `_changes` request is answered 503 at once and the waiting ones are cut: a replica that cannot read the feed. */
  refuseChanges (on: boolean): void
  close (): Promise<void>
}

export async function startCouchProxy (target: string): Promise<CouchProxy> {
  const upstream = new URL(target)
  let refresh: string | undefined
  let accepting = 0
  let refusingChanges = false
  const waitingChanges = new Set<ServerResponse>()
  const requests: ProxiedRequest[] = []
  let before: { n: number, action: () => Promise<void> } | undefined
  const server = createServer((req, res) => {
    // A document's path has two segments, neither of them `_session` or another `_` endpoint.
    const isDocumentWrite = req.method === 'PUT' && /^\/[^/_][^/]*\/[^/_][^/]*$/.test((req.url ?? '').split('?')[0]!)
    if (isDocumentWrite && before !== undefined && before.n > 0) {
      before.n--
      req.pause()
      before.action().then(() => { handle(req, res) }, () => { res.destroy() })
      return
    }
    handle(req, res)
  })
  function handle (req: IncomingMessage, res: ServerResponse): void {
    const isChanges = (req.url ?? '').split('?')[0]!.endsWith('/_changes')
    if (isChanges && refusingChanges) {
      requests.push({ method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0]!, status: 503, basic: req.headers.authorization !== undefined })
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"unavailable","reason":"the test proxy refuses _changes"}')
      return
    }
    if (isChanges) {
      waitingChanges.add(res)
      res.once('close', () => waitingChanges.delete(res))
    }
    const cookie = /(?:^|;\s*)AuthSession=([^;]*)/.exec(req.headers.cookie ?? '')?.[1]
    forwardTo(upstream, req, res, (answer) => {
      let status = answer.statusCode ?? 502
      if (accepting > 0 && status === 201 && req.method === 'PUT') {
        accepting--
        status = 202
      }
      const out = { ...answer.headers }
      if (refresh !== undefined && cookie !== undefined && status < 300) {
        out['set-cookie'] = [refresh]
        refresh = undefined
      }
      requests.push({ method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0]!, status, cookie, basic: req.headers.authorization !== undefined })
      res.writeHead(status, out)
      answer.pipe(res)
    })
  }
  const listening = await listenOnLoopback(server)
  return {
    url: listening.url,
    requests,
    refreshCookieWith (setCookie) { refresh = setCookie },
    acceptWithoutQuorum (n) { accepting = n },
    beforeNextWrites (n, action) { before = { n, action } },
    refuseChanges (on) {
      refusingChanges = on
      if (on) for (const res of waitingChanges) res.destroy()
    },
    close: listening.close
  }
}

/** Requests CouchDB refused for their credentials: a wrong password (401) or a lockout (403 on a login or a Basic request). */
export function failedCredentialChecks (requests: readonly ProxiedRequest[]): ProxiedRequest[] {
  return requests.filter((r) => (r.status === 401 || r.status === 403) && (r.basic || r.path === '/_session'))
}
