// `admin`: the seed's `init-overmind-create-user`, done properly. In admin party (1.x/2.x with no
// admin; anonymous requests are admin) it creates COUCHDB_USERNAME on every node; otherwise it
// verifies the credentials through `/_session` and fails clearly when CouchDB rejects them
// (the seed's `|| true` hid exactly that). CouchDB 3 never runs without an admin, so there this
// step is a verification (and, on a cluster, copies the admin's hash to nodes that lack it).
import { planAdminSync, writeAdminValue } from '../admin-config.js'
import { configBases, type ServerInfo } from '../server-info.js'
import { adminCredentials, checkSession, checkSessionSoon, isAdminSession } from '../session.js'
import { BootstrapError, type Decision, type Step, type StepContext, type StepOutcome } from '../types.js'

export const adminStep: Step = {
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
    await verifyAdmin(context, info)
    return await syncToAllNodes(context, info, `server admin "${username}" is accepted by CouchDB ${info.version}.`)
  }
}

async function verifyAdmin (context: StepContext, info: ServerInfo, withinMs = 0): Promise<void> {
  const { username } = context.settings
  const url = context.couch.url
  const credentials = adminCredentials(context)
  const session = withinMs > 0 ? await checkSessionSoon(context, credentials, withinMs) : await checkSession(context, credentials)
  if (session.kind === 'rejected') {
    throw new BootstrapError(`CouchDB ${info.version} at ${url} rejected COUCHDB_USERNAME "${username}" with the configured COUCHDB_PASSWORD (${session.detail}): check the Secret, or the admin configured in CouchDB.`)
  }
  if (!isAdminSession(session)) {
    throw new BootstrapError(`"${username}" is a CouchDB user at ${url} but not a server admin; bootstrap needs a server admin in COUCHDB_USERNAME.`)
  }
}

/** On a cluster, makes every node hold the same admin hash; otherwise nothing to do. */
async function syncToAllNodes (context: StepContext, info: ServerInfo, unchanged: string): Promise<Decision> {
  const credentials = adminCredentials(context)
  const bases = await configBases(context.couch, info, credentials)
  if (bases.length <= 1) return { status: 'unchanged', message: unchanged }
  const sync = await planAdminSync(context, bases, info, credentials)
  if (sync.targets.length === 0) return { status: 'unchanged', message: `${unchanged.replace(/\.$/, '')}, with one hash on all ${sync.nodes} nodes.` }
  return {
    status: 'updated',
    plan: `would write server admin "${context.settings.username}" to ${sync.targets.length} of ${sync.nodes} nodes.`,
    apply: async () => {
      const written = await writeAdminValue(context, sync.targets, sync.value, credentials)
      return { status: 'updated', message: `wrote server admin "${context.settings.username}" to ${written} of ${sync.nodes} nodes, one hash everywhere.` }
    }
  }
}

async function createAdmin (context: StepContext, bases: string[], info: ServerInfo): Promise<StepOutcome> {
  const { username, password } = context.settings
  // One node: CouchDB hashes the plain password. Several: one pre-computed hash for all of them.
  const value = bases.length > 1 ? (await planAdminSync(context, bases, info, 'anonymous')).value : password
  const written = await writeAdminValue(context, bases, value, 'anonymous')
  context.auth = 'admin'
  // The new admin is usable only once CouchDB has hashed it (surprise 16): retry for a while.
  await verifyAdmin(context, info, 5000)
  if (bases.length > 1) {
    const converge = await syncToAllNodes(context, info, '')
    if ('apply' in converge) await converge.apply()
  }
  if (written === 0) return { status: 'unchanged', message: `server admin "${username}" was created meanwhile by another bootstrap; its credentials are accepted.` }
  return { status: 'created', message: `created server admin "${username}" on ${nodes(bases.length)} of CouchDB ${info.version} (it was in admin party).` }
}

function nodes (count: number): string {
  return count === 1 ? 'the node' : `all ${count} nodes`
}
