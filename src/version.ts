// The package version, read once from package.json (the `/_health` answer and `--version`).
import { readFileSync } from 'node:fs'

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

export const packageVersion: string = packageJson.version
