// A zergling is plain data: where it stands, where it faces, and every command it obeyed.
// Mars-rover rules: it spawns at (0,0) facing north.

export type Facing = 'N' | 'E' | 'S' | 'W'
export type Command = 'L' | 'R' | 'M'

export interface Location {
  x: number
  y: number
}

/** Where a zergling is and which way it faces: all a command needs to know. */
export interface ZerglingState {
  id: string
  location: Location
  facing: Facing
}

export interface Zergling extends ZerglingState {
  /** One entry per single command, oldest first: replaying it from spawn gives the current state. */
  commandHistory: Command[]
}

export function spawnZergling (id: string): Zergling {
  return { id, location: { x: 0, y: 0 }, facing: 'N', commandHistory: [] }
}
