// The blog post's curl session, sent byte for byte as curl sends it (`-d` means
// Content-Type: application/x-www-form-urlencoded; a bare -XPOST sends no body and no type),
// with the checks a person reading the post would make.
import assert from 'node:assert/strict'
import { request } from 'node:http'

export interface RawResponse { status: number, headers: Record<string, string | string[] | undefined>, body: string }

/** A request as curl makes it: only the headers curl would send. */
export async function curl (url: string, options: { method?: string, data?: string } = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { accept: '*/*', 'user-agent': 'curl/8.5.0' }
  if (options.data !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    headers['content-length'] = String(Buffer.byteLength(options.data))
  }
  return await new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? (options.data === undefined ? 'GET' : 'POST'), headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end(options.data)
  })
}

const json = (response: RawResponse): any => JSON.parse(response.body)

/** Spawn three, list, move one L then M: positions, facings, histories and revisions as the post shows. */
export async function replaySeedSession (baseUrl: string): Promise<void> {
  const health = json(await curl(`${baseUrl}/_health`))
  assert.equal(health.health.brain, 'ok')

  const first = await curl(`${baseUrl}/zerglings/`, { method: 'POST', data: 'M' })
  assert.equal(first.status, 201)
  const spawned = [json(first).zergling]
  for (let i = 0; i < 2; i++) spawned.push(json(await curl(`${baseUrl}/zerglings/`, { method: 'POST' })).zergling)
  for (const zergling of spawned) assert.deepEqual(zergling, { id: zergling.id, location: { x: 0, y: 0 }, facing: 'N' })

  const listed = json(await curl(`${baseUrl}/zerglings/`)).zerglings as Array<{ id: string, facing: string }>
  const ids = spawned.map((z) => z.id as string)
  for (const id of ids) {
    const item = listed.find((z) => z.id === id)
    assert.deepEqual(item, { id, location: { x: 0, y: 0 }, facing: 'N' }, 'the list shows each real state (not facing "")')
  }

  const target = ids[1]
  const turned = await curl(`${baseUrl}/zerglings/${target}`, { data: '"L"' })
  assert.equal(turned.status, 200)
  const afterL = json(turned).zergling
  assert.deepEqual({ location: afterL.location, facing: afterL.facing, commandHistory: afterL.commandHistory }, { location: { x: 0, y: 0 }, facing: 'W', commandHistory: ['L'] })
  assert.match(afterL._rev, /^2-/)

  const moved = json(await curl(`${baseUrl}/zerglings/${target}`, { data: '"M"' })).zergling
  assert.deepEqual({ location: moved.location, facing: moved.facing, commandHistory: moved.commandHistory }, { location: { x: -1, y: 0 }, facing: 'W', commandHistory: ['L', 'M'] })
  assert.match(moved._rev, /^3-/)
  const read = json(await curl(`${baseUrl}/zerglings/${target}`)).zergling
  assert.equal(read._rev, moved._rev, 'the answered revision is the stored one')
}
