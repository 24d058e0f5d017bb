// Bearer tokens from mounted Secret files: checked at start, compared whole, and followed when the
// kubelet swaps the Secret's `..data` symlink.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ConfigError, loadConfig } from '../src/config.js'
import { fixedToken, readTokenFile, watchTokenFile } from '../src/token-file.js'
import { mountSecret, type MountedSecret } from './support/mounted-secret.js'

const secrets: MountedSecret[] = []
after(async () => { for (const secret of secrets) await secret.remove() })

async function mountedSecret (token: string): Promise<MountedSecret> {
  const secret = await mountSecret('token', token)
  secrets.push(secret)
  return secret
}

async function eventually (check: () => boolean, what: string): Promise<void> {
  // Generous: a loaded machine delays file events, and nothing here measures time.
  for (let waited = 0; waited < 10_000; waited += 20) {
    if (check()) return
    await sleep(20)
  }
  assert.fail(`${what} did not happen within 10 s`)
}

describe('a bearer token', () => {
  it('when compared, then only the whole token matches (not a prefix, a longer string or another case)', () => {
    const token = fixedToken('s3cret-token')
    assert.equal(token.matches('s3cret-token'), true)
    for (const other of ['', 's3cret', 's3cret-token2', 'S3CRET-TOKEN', 's3cret-tokeN']) assert.equal(token.matches(other), false, other)
  })

  it('when its file is missing, empty or holds a token with spaces, then loading the configuration fails naming the variable and not the content', async () => {
    const { path: file } = await mountedSecret('placeholder')
    const empty = join(file, '..', 'empty')
    writeFileSync(empty, '\n')
    const spaced = join(file, '..', 'spaced')
    writeFileSync(spaced, 'two words-sentinel\n')
    for (const [path, pattern] of [[join(file, '..', 'absent'), /cannot be read \(ENOENT\)/], [empty, /empty or holds other characters/], [spaced, /empty or holds other characters/]] as const) {
      assert.throws(() => loadConfig({ OVERMIND_API_TOKEN_FILE: path }), (error: unknown) => error instanceof ConfigError && pattern.test(error.message) && error.message.includes('OVERMIND_API_TOKEN_FILE') && !error.message.includes('sentinel'))
    }
    assert.equal(loadConfig({ OVERMIND_ADMIN_TOKEN_FILE: file }).access.adminTokenFile, file)
    assert.equal(readTokenFile(file, 'X').token, 'placeholder', 'the trailing newline of a Secret file is not part of the token')
  })

  it('when the kubelet swaps the mounted Secret, then the new token is in force and the old one is refused, and the change is reported without either', async () => {
    const secret = await mountedSecret('first-token')
    const reports: string[] = []
    const token = watchTokenFile(secret.path, 'OVERMIND_ADMIN_TOKEN_FILE', {
      changed: (file) => { reports.push(`changed ${file}`) },
      unreadable: (file, reason) => { reports.push(`unreadable ${file}: ${reason}`) }
    })
    try {
      assert.equal(token.matches('first-token'), true)
      await secret.update('second-token')
      await eventually(() => token.matches('second-token'), 'the new token taking over')
      assert.equal(token.matches('first-token'), false)
      assert.ok(reports.some((report) => report.startsWith('changed ')), reports.join('\n'))
      assert.deepEqual(reports.filter((report) => report.includes('first-token') || report.includes('second-token')), [])
    } finally {
      token.close()
    }
  })

  it('when the file is rewritten empty for a moment, then the previous token stays in force until a valid one arrives', async () => {
    const secret = await mountedSecret('steady-token')
    const unreadable: string[] = []
    const token = watchTokenFile(secret.path, 'OVERMIND_API_TOKEN_FILE', { changed: () => {}, unreadable: (_file, reason) => { unreadable.push(reason) } })
    try {
      await secret.update('')
      await eventually(() => unreadable.length > 0, 'the empty file being noticed')
      assert.equal(token.matches('steady-token'), true)
      await secret.update('next-token')
      await eventually(() => token.matches('next-token'), 'the next token taking over')
    } finally {
      token.close()
    }
  })
})
