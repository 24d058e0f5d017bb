#!/usr/bin/env node
// `overmind <subcommand> [args]`: dispatch only. Each subcommand is one module exporting
// `cli(args): Promise<number>` that returns the process exit code.
// Exit codes shared by every subcommand: 0 done, 1 failed, 2 bad usage or configuration.

type Subcommand = (args: string[]) => Promise<number>

const SUBCOMMANDS: Record<string, { summary: string, load: () => Promise<{ cli: Subcommand }> }> = {
  serve: { summary: 'run the HTTP service', load: async () => await import('./serve.js') },
  bootstrap: { summary: 'prepare CouchDB (admin, database, user, design docs), idempotently', load: async () => await import('./bootstrap.js') },
  migrate: { summary: 'copy every zergling into a CouchDB database, by replication; resumable, verified', load: async () => await import('./migrate.js') },
  backup: { summary: 'write every zergling to a file in @cloudant/couchbackup\'s format', load: async () => await import('./backup.js') },
  restore: { summary: 'put a backup file\'s zerglings into the configured store', load: async () => await import('./restore.js') },
  zerglings: { summary: 'steer zerglings from a terminal: list, spawn, get, move, delete, history, watch', load: async () => await import('./zerglings.js') }
}

function usage (): string {
  const lines = Object.entries(SUBCOMMANDS).map(([name, { summary }]) => `  ${name.padEnd(10)} ${summary}`)
  return ['usage: overmind <command> [options]', '', 'commands:', ...lines, '', 'overmind <command> --help for its options'].join('\n')
}

async function main (argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n')
    return name === undefined ? 2 : 0
  }
  if (name === '--version' || name === 'version') {
    const { packageVersion } = await import('../version.js')
    process.stdout.write(packageVersion + '\n')
    return 0
  }
  const subcommand = SUBCOMMANDS[name]
  if (subcommand === undefined) {
    process.stderr.write(`overmind: unknown command ${JSON.stringify(name)}\n\n${usage()}\n`)
    return 2
  }
  const { cli } = await subcommand.load()
  return await cli(args)
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (error: unknown) => {
    process.stderr.write(`overmind: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  }
)
