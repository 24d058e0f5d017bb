// Commands: parse what a client sent, then apply it as one atomic change.
// Parsing rejects everything that is not a string of L, R and M before anything is stored
// (the original service stored unknown commands such as "X" or "m" in the history).
import { DomainError } from './domain-error.js'
import type { Command, Facing, Zergling, ZerglingState } from './zergling.js'

/** More letters than this in one request is a client bug, not a plan. */
export const MAX_COMMANDS_PER_REQUEST = 1000

const LEFT_OF: Record<Facing, Facing> = { N: 'W', W: 'S', S: 'E', E: 'N' }
const RIGHT_OF: Record<Facing, Facing> = { N: 'E', E: 'S', S: 'W', W: 'N' }
const STEP: Record<Facing, { dx: number, dy: number }> = {
  N: { dx: 0, dy: 1 },
  E: { dx: 1, dy: 0 },
  S: { dx: 0, dy: -1 },
  W: { dx: -1, dy: 0 }
}

/** Turns a request body ("L", "LMLMM") into commands, or throws `invalid_command`. */
export function parseCommands (input: unknown): Command[] {
  if (typeof input !== 'string') {
    throw new DomainError('invalid_command', `A command must be a JSON string such as "M" or "LMLMM", not ${describe(input)}.`)
  }
  if (input.length === 0) {
    throw new DomainError('invalid_command', 'The command is empty: send one or more of L (turn left), R (turn right) and M (move).')
  }
  if (input.length > MAX_COMMANDS_PER_REQUEST) {
    throw new DomainError('invalid_command', `At most ${MAX_COMMANDS_PER_REQUEST} commands may be sent at once; this request has ${input.length}.`)
  }
  const bad = [...input].findIndex((letter) => letter !== 'L' && letter !== 'R' && letter !== 'M')
  if (bad !== -1) {
    const letter = [...input][bad]
    throw new DomainError('invalid_command', `Unknown command ${JSON.stringify(letter)} at position ${bad + 1}: only L (turn left), R (turn right) and M (move) are understood, in capitals.`)
  }
  return [...input] as Command[]
}

type Pose = Pick<ZerglingState, 'location' | 'facing'>

function step ({ location, facing }: Pose, command: Command): Pose {
  switch (command) {
    case 'L': return { location, facing: LEFT_OF[facing] }
    case 'R': return { location, facing: RIGHT_OF[facing] }
    case 'M': {
      const { dx, dy } = STEP[facing]
      return { location: { x: location.x + dx, y: location.y + dy }, facing }
    }
  }
}

/** Where the commands take a zergling, in order. The history is the store's to append to. */
export function move<T extends ZerglingState> (zergling: T, commands: readonly Command[]): T {
  const pose = commands.reduce(step, { location: zergling.location, facing: zergling.facing })
  return { ...zergling, ...pose }
}

/**
 * Applies every command in order and appends them to the history: one new state, never a
 * partial one. Replaying a whole history from spawn with it gives the current state.
 */
export function applyCommands (zergling: Zergling, commands: readonly Command[]): Zergling {
  return { ...move(zergling, commands), commandHistory: zergling.commandHistory.concat(commands) }
}

function describe (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
