// A port on 127.0.0.1 that nothing listens on right now: taken from the OS and given back. Used
// to start a server on it, or as an address where no CouchDB answers.
import { createServer } from 'node:net'

export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
