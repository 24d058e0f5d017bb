// The flags of one subcommand through node:util parseArgs, with the habits every subcommand
// shares: `-h/--help` prints its help on stdout (exit 0), anything parseArgs refuses prints the
// reason and the help on stderr (exit 2, bad usage).
import { parseArgs, type ParseArgsConfig } from 'node:util'

type Options = NonNullable<ParseArgsConfig['options']>
type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: O & { help: { type: 'boolean', short: 'h' } } }>>['values']

/** The parsed flags, or the exit code to return at once (help shown, or bad usage). */
export function readFlags<O extends Options> (command: string, help: string, args: string[], options: O): Values<O> | number {
  let values: Values<O>
  try {
    values = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } } }).values as Values<O>
  } catch (error) {
    process.stderr.write(`overmind ${command}: ${(error as Error).message}\n\n${help}\n`)
    return 2
  }
  if ((values as { help?: boolean }).help === true) {
    process.stdout.write(help + '\n')
    return 0
  }
  return values
}
