// `rotate-password`: gives the existing app user (COUCHDB_APP_USERNAME) the password the Secret
// now holds (COUCHDB_APP_PASSWORD or *_FILE), for the rotation runbook in docs/kubernetes.md:
// update the Secret, wait until the pods have it, run this as a Job; the pods switch at CouchDB's
// first refusal of the old password (src/store/couch-auth.ts). Idempotent without a login: the
// `_users` document, read as the admin, is compared with the password locally (app-password.ts),
// so a rerun writes nothing and no failed check counts toward the lockout. Unlike `app-user` it
// never creates the user nor touches `_security`, and it runs only when named: it is the same
// password write `app-user` makes, so in the default list it would only repeat that step.
// https://docs.couchdb.org/en/stable/intro/security.html#password-changing
import { passwordChecks, userAt, writeUser } from '../app-password.js'
import { BootstrapError } from '../bootstrap-error.js'
import { conflictsOf, readDocument } from '../document-conflicts.js'
import type { Step } from '../types.js'

export const rotatePasswordStep: Step<'rotate-password'> = {
  name: 'rotate-password',
  describe: 'give the app user the password COUCHDB_APP_PASSWORD(_FILE) holds now (only when named)',
  onlyWhenNamed: true,
  async check (context) {
    const { appUsername, appPassword } = context.settings
    if (appUsername === undefined || appPassword === undefined) {
      throw new BootstrapError('rotate-password changes the app user\'s password: set COUCHDB_APP_USERNAME and COUCHDB_APP_PASSWORD (or COUCHDB_APP_PASSWORD_FILE) to the new one.')
    }
    const app = { name: appUsername, password: appPassword }
    const passwords = passwordChecks(context, app)
    const user = await readDocument(context, userAt(appUsername))
    if (user === undefined) throw new BootstrapError(`user "${appUsername}" does not exist, so it has no password to rotate: run \`overmind bootstrap app-user\` to create it.`)
    if (conflictsOf(user).length === 0 && await passwords.done(user)) {
      return { status: 'unchanged', message: `user "${appUsername}" has the configured password already.` }
    }
    return {
      status: 'updated',
      plan: `would set the password of "${appUsername}" to the configured one.`,
      apply: async () => {
        const written = await writeUser(context, app, passwords)
        if (written.wrote === undefined && written.removed === 0) return { status: 'unchanged', message: `user "${appUsername}" has the configured password already (another run set it).` }
        return { status: 'updated', message: `set the password of "${appUsername}" to the configured one; CouchDB refuses the old one from now on.` }
      }
    }
  }
}
