// @ts-check
// What the page knows of the swarm: each zergling's newest state, kept by revision generation so
// that a state arriving twice, or late (the stream and an API answer race), never wins over a
// newer one; and its trail, walked back from its last commands. Pure: no DOM here.

/** @typedef {'N' | 'E' | 'S' | 'W'} Facing */
/** @typedef {{ x: number, y: number }} Point */
/**
 * @typedef {object} Zergling
 * @property {string} id
 * @property {number} x
 * @property {number} y
 * @property {Facing} facing
 * @property {number} historyLength
 * @property {number} generation the `N` of its `_rev`
 * @property {Point[]} trail where it stood before, oldest first, ending where it stands
 */
/**
 * @typedef {object} ZerglingState what the API and the stream say of a zergling
 * @property {string} id
 * @property {Point} location
 * @property {Facing} facing
 * @property {number} [historyLength]
 * @property {string[]} [commandHistory] its last commands, oldest first
 * @property {string} [_rev]
 */

/** @type {Record<Facing, Point>} */
const STEP = { N: { x: 0, y: 1 }, E: { x: 1, y: 0 }, S: { x: 0, y: -1 }, W: { x: -1, y: 0 } }
/** @type {Facing[]} */
const CLOCKWISE = ['N', 'E', 'S', 'W']

/** @param {Facing} facing @param {number} quarterTurns */
export function turn (facing, quarterTurns) {
  return CLOCKWISE[(CLOCKWISE.indexOf(facing) + quarterTurns + 4) % 4] ?? 'N'
}

/** `N` of a revision `N-hash`; 0 when unknown. @param {string | undefined} rev */
export function generationOf (rev) {
  const generation = Number.parseInt(rev ?? '', 10)
  return Number.isFinite(generation) ? generation : 0
}

/**
 * Where a zergling stood before its last commands: undoes them from its state, newest first.
 * @param {Point} location @param {Facing} facing @param {readonly string[]} commands oldest first
 * @returns {Point[]} oldest first, ending at `location`
 */
export function trailOf (location, facing, commands) {
  const points = [{ x: location.x, y: location.y }]
  let at = { ...location }
  let heading = facing
  for (let i = commands.length - 1; i >= 0; i--) {
    const command = commands[i]
    if (command === 'L') heading = turn(heading, 1)
    else if (command === 'R') heading = turn(heading, -1)
    else if (command === 'M') {
      at = { x: at.x - STEP[heading].x, y: at.y - STEP[heading].y }
      points.unshift(at)
    }
  }
  return points
}

export function createSwarm () {
  /** @type {Map<string, Zergling>} */
  const zerglings = new Map()
  /** Ids deleted, with the generation of their tombstone: an older state must not bring them back. */
  /** @type {Map<string, number>} */
  const deleted = new Map()

  return {
    zerglings,
    /**
     * Takes a state if it is newer than what is known; answers whether it changed anything.
     * @param {ZerglingState} state
     */
    put (state) {
      const generation = generationOf(state._rev) || 1
      const known = zerglings.get(state.id)
      if ((known !== undefined && known.generation >= generation) || (deleted.get(state.id) ?? 0) >= generation) return false
      const commands = state.commandHistory ?? []
      const trail = commands.length > 0 ? trailOf(state.location, state.facing, commands) : [{ ...state.location }]
      zerglings.set(state.id, {
        id: state.id,
        x: state.location.x,
        y: state.location.y,
        facing: state.facing,
        historyLength: state.historyLength ?? known?.historyLength ?? 0,
        generation,
        trail
      })
      return true
    },
    /** @param {string} id @param {string} rev */
    remove (id, rev) {
      const generation = generationOf(rev)
      const known = zerglings.get(id)
      if (known !== undefined && known.generation >= generation) return false
      deleted.set(id, generation)
      return zerglings.delete(id)
    },
    clear () {
      zerglings.clear()
      deleted.clear()
    }
  }
}
