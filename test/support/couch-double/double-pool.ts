// Doubles a test file starts as it goes, all closed when the file's tests end.
import { after } from 'node:test'
import { startCouchDouble, type CouchDouble, type CouchDoubleOptions } from './index.js'

export function doublePool (): (options?: CouchDoubleOptions) => Promise<CouchDouble> {
  const started: CouchDouble[] = []
  after(async () => { await Promise.all(started.map(async (double) => await double.close())) })
  return async (options = {}) => {
    const double = await startCouchDouble(options)
    started.push(double)
    return double
  }
}
