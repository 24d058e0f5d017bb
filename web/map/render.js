// @ts-check
// Draws the swarm into the SVG: one element per zergling, the contract tests and users rely on
// (`data-zergling-id`, `data-x`, `data-y`, `data-facing`; a button with a name that says where
// it is), and its trail. Only what changed is touched.

const SVG = 'http://www.w3.org/2000/svg'
/** @type {Record<string, number>} */
const ROTATION = { N: 0, E: 90, S: 180, W: 270 }
const NAMES = { N: 'north', E: 'east', S: 'south', W: 'west' }

/** @typedef {import('./swarm.js').Zergling} Zergling */

/** A short, readable name: the id's first eight characters. @param {string} id */
export function shortId (id) {
  return id.slice(0, 8)
}

/** @param {Zergling} zergling */
export function describeZergling (zergling) {
  return `Zergling ${shortId(zergling.id)} at ${zergling.x}, ${zergling.y}, facing ${NAMES[zergling.facing]}`
}

/**
 * @param {{ zerglings: SVGGElement, trails: SVGGElement }} layers
 * @param {{ onSelect: (id: string) => void }} hooks
 */
export function createRenderer (layers, { onSelect }) {
  /** @type {Map<string, { body: SVGGElement, trail: SVGPolylineElement, zergling: Zergling }>} */
  const drawn = new Map()
  /** Markers grow when the map is zoomed far out, so that each stays big enough to see and click. */
  let scale = 1
  /** @param {SVGGElement} body @param {Zergling} zergling */
  const place = (body, zergling) => {
    body.setAttribute('transform', `translate(${zergling.x} ${-zergling.y}) rotate(${ROTATION[zergling.facing] ?? 0}) scale(${scale})`)
  }

  /** @param {Zergling} zergling */
  function create (zergling) {
    const id = zergling.id
    const body = /** @type {SVGGElement} */ (document.createElementNS(SVG, 'g'))
    body.classList.add('zergling')
    body.dataset.zerglingId = id
    body.setAttribute('role', 'button')
    body.setAttribute('tabindex', '0')
    body.setAttribute('aria-pressed', 'false')
    const hit = document.createElementNS(SVG, 'circle')
    hit.setAttribute('class', 'hit')
    hit.setAttribute('r', '0.6')
    const ring = document.createElementNS(SVG, 'circle')
    ring.setAttribute('class', 'ring')
    ring.setAttribute('r', '0.55')
    const arrow = document.createElementNS(SVG, 'path')
    arrow.setAttribute('class', 'body')
    arrow.setAttribute('d', 'M 0 -0.45 L 0.34 0.36 L 0 0.18 L -0.34 0.36 Z')
    body.append(hit, ring, arrow)
    body.addEventListener('click', () => { onSelect(id) })
    body.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault()
        onSelect(id)
      }
    })
    const trail = /** @type {SVGPolylineElement} */ (document.createElementNS(SVG, 'polyline'))
    trail.setAttribute('class', 'trail')
    layers.zerglings.append(body)
    layers.trails.append(trail)
    const entry = { body, trail, zergling }
    drawn.set(id, entry)
    return entry
  }

  return {
    /** @param {Zergling} zergling @param {boolean} selected */
    draw (zergling, selected) {
      const entry = drawn.get(zergling.id) ?? create(zergling)
      const { body, trail } = entry
      entry.zergling = zergling
      body.dataset.x = String(zergling.x)
      body.dataset.y = String(zergling.y)
      body.dataset.facing = zergling.facing
      place(body, zergling)
      body.setAttribute('aria-label', describeZergling(zergling))
      body.setAttribute('aria-pressed', String(selected))
      trail.setAttribute('points', zergling.trail.map(({ x, y }) => `${x},${-y}`).join(' '))
      trail.classList.toggle('is-selected', selected)
      // The selected one on top of the others.
      if (selected) layers.zerglings.append(body)
    },
    /** @param {string} id */
    erase (id) {
      const entry = drawn.get(id)
      entry?.body.remove()
      entry?.trail.remove()
      drawn.delete(id)
    },
    clear () {
      for (const id of [...drawn.keys()]) this.erase(id)
    },
    /** @param {number} next the markers' size in grid units (1 = one cell) */
    setScale (next) {
      if (next === scale) return
      scale = next
      for (const { body, zergling } of drawn.values()) place(body, zergling)
    }
  }
}
