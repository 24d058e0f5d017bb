// The one error of `overmind migrate`, `backup` and `restore`: a sentence for the operator, never a password or a URL
// with credentials in it (the endpoints' URLs carry none; scrub() removes a password anyway).
export class TransferError extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TransferError'
  }
}

/** `text` with every secret replaced, for messages that quote what a library said. */
export function scrub (text: string, secrets: ReadonlyArray<string | undefined>): string {
  return secrets.reduce<string>((clean, secret) => secret === undefined || secret === '' ? clean : clean.split(secret).join('***'), text)
}
