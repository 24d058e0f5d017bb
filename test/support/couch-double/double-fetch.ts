// A tiny client for the double's own tests: JSON in, status + JSON out.
export interface Answer { status: number, body: any, headers: Headers }

export const basic = (name: string, password: string): string => 'Basic ' + Buffer.from(`${name}:${password}`).toString('base64')

export async function call (url: string, method: string, path: string, options: { auth?: string, body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (options.auth !== undefined) headers.authorization = options.auth
  const res = await fetch(url + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) })
  const text = await res.text()
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers }
}
