// `admin`: the seed's `init-overmind-create-user`, done properly. In admin party (1.x/2.x with no
// admin; anonymous requests are admin) it creates COUCHDB_USERNAME on every node; otherwise it
// verifies the credentials with one `GET /_session` and fails clearly when CouchDB rejects them
// (the seed's `|| true` hid exactly that). CouchDB 3 never runs without an admin, so there this
// step is a verification. Making every node of a cluster hold the *same* hash is `cluster`'s job
// (src/bootstrap/cluster-config.ts), together with the uuid and the cookie secret.
import { poll } from '../backoff.js'
import { CredentialsRefused } from '../credential-guard.js'
import { writeConfigValue } from '../node-config.js'
import { hashAdminPassword } from '../password-hash.js'
import { configBases, type ServerInfo } from '../server-info.js'
import { adminCredentials, checkSession, isAdminSession, type SessionCheck } from '../session.js'
import { BootstrapError } from '../bootstrap-error.js'
import { type Step, type StepContext, type StepOutcome } from '../types.js'

export const adminStep: Step<'admin'> = {
  name: 'admin',
  describe: 'create the server admin in admin party, else verify its credentials',
  async check (context) {
    const info = await context.server()
    const { username } = context.settings
    const anonymous = await checkSession(context, 'anonymous')
    if (isAdminSession(anonymous)) {
      const bases = await configBases(context.couch, info, 'anonymous')
      // A dry run creates nothing, so the later checks must keep using the admin party.
      if (context.dryRun) context.auth = 'anonymous'
      return {
        status: 'created',
        plan: `would create server admin "${username}" on ${nodes(bases.length)}: CouchDB ${info.version} is in admin party.`,
        apply: async () => await createAdmin(context, bases, info)
      }
    }
    // One attempt: a rejected password is not tried again (CouchDB 3.4 locks out after 5).
    requireAdmin(context, await checkSession(context, adminCredentials(context)))
    return { status: 'unchanged', message: `server admin "${username}" is accepted by CouchDB ${info.version}.` }
  }
}

function requireAdmin (context: StepContext, session: SessionCheck): void {
  const { username } = context.settings
  if (session.kind === 'rejected') {
    throw new BootstrapError(`CouchDB at ${context.couch.url} rejected the credentials of COUCHDB_USERNAME "${username}" (${session.detail}).`)
  }
  if (!isAdminSession(session)) {
    throw new BootstrapError(`"${username}" is a CouchDB user at ${context.couch.url} but not a server admin; bootstrap needs a server admin in COUCHDB_USERNAME.`)
  }
}

async function createAdmin (context: StepContext, bases: string[], info: ServerInfo): Promise<StepOutcome> {
  const { username, password } = context.settings
  // One node: CouchDB hashes the plain password. Several: one pre-computed hash for all of them,
  // so that a session cookie from one node is valid on the others.
  const value = bases.length > 1 ? await hashAdminPassword(password, info) : password
  let written = 0
  for (const base of bases) {
    if (await writeConfigValue(context, base, 'admins', username, value, 'anonymous') === 'refused') break
    written++
  }
  context.auth = 'admin'
  const session = await acceptedSoon(context)
  if (session.kind === 'rejected') {
    throw new BootstrapError(`server admin "${username}" was written, but CouchDB still rejected its credentials 5 s later (${session.detail}).`)
  }
  requireAdmin(context, session)
  if (written === 0) return { status: 'unchanged', message: `server admin "${username}" was created meanwhile by another bootstrap; its credentials are accepted.` }
  return { status: 'created', message: `created server admin "${username}" on ${written === bases.length ? nodes(written) : `${written} of ${bases.length} nodes (another bootstrap wrote the rest)`} of CouchDB ${info.version} (it was in admin party).` }
}

/**
 * A new admin is usable only once CouchDB has hashed it (test/fixtures/couchdb-3.4/README.md, surprise 16), so its first checks may be
 * refused. Retrying a refused password is safe here and only here: admin party exists on 1.x/2.x,
 * and the lockout that punishes retries arrived in CouchDB 3.4 (couch_auth_lockout.erl).
 */
async function acceptedSoon (context: StepContext, withinMs = 5000): Promise<SessionCheck> {
  let last: SessionCheck = { kind: 'rejected', detail: 'not checked' }
  const { value } = await poll(async () => {
    try {
      last = await checkSession(context, adminCredentials(context))
    } catch (error) {
      if (!(error instanceof CredentialsRefused && error.refusal === 'rejected')) throw error
      last = { kind: 'rejected', detail: '401 unauthorized: Name or password is incorrect.' }
    }
    return last.kind === 'accepted' ? last : undefined
  }, { timeoutMs: withinMs, policy: { baseMs: 50, maxMs: 500 }, sleep: context.sleep, random: context.random })
  return value ?? last
}

function nodes (count: number): string {
  return count === 1 ? 'the node' : `all ${count} nodes`
}
