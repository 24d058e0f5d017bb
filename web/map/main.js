// @ts-check
// The web map at `/`: the swarm from the live change stream, drawn on the grid, with controls to
// spawn and steer (buttons, and the keys L, R, M for the selected zergling).
import { brainTrouble, commandZergling, spawnZergling, ApiProblem } from './api.js'
import { createRenderer, shortId } from './render.js'
import { followChanges } from './stream.js'
import { createSwarm } from './swarm.js'
import { createView } from './view.js'

/** @template {Element} T @param {string} id @returns {T} */
const byId = (id) => /** @type {T} */ (/** @type {unknown} */ (document.getElementById(id)))

const svg = /** @type {SVGSVGElement} */ (byId('grid'))
const status = byId('status')
const brain = /** @type {HTMLElement} */ (byId('brain'))
const selectedText = byId('selected')
const steer = /** @type {HTMLButtonElement[]} */ (['left', 'move', 'right'].map(byId))
const fitButton = byId('fit')

const swarm = createSwarm()
/** @type {string | undefined} */
let selected
let live = false
/** @type {string | undefined} */
let problem

const renderer = createRenderer({ zerglings: byId('zerglings'), trails: byId('trails') }, {
  onSelect (id) {
    // The click that ends a drag of the map selects nothing.
    if (view.dragged()) return
    select(id)
  }
})
const view = createView(svg, {
  onChange () {
    fitButton.setAttribute('aria-pressed', String(view.fitting))
    const pixels = view.pixelsPerUnit()
    // Cells smaller than a few pixels would only grey the map; markers stay at least ~20 px.
    byId('backdrop').classList.toggle('no-cells', pixels < 6)
    renderer.setScale(Math.max(1, 20 / pixels))
  }
})

const everywhere = () => [...swarm.zerglings.values()].flatMap(({ trail }) => trail)

function showStatus () {
  const count = swarm.zerglings.size
  const swarmSize = `${count} zergling${count === 1 ? '' : 's'}`
  status.textContent = problem !== undefined ? `Brain unavailable · ${swarmSize} as last seen` : live ? `Live · ${swarmSize}` : `Connecting… · ${swarmSize}`
  brain.hidden = problem === undefined
  brain.textContent = problem === undefined ? '' : `The brain is unavailable: ${problem} The map shows the last positions it knew and catches up by itself.`
}

function showSelected () {
  const zergling = selected === undefined ? undefined : swarm.zerglings.get(selected)
  for (const button of steer) button.disabled = zergling === undefined
  selectedText.textContent = zergling === undefined
    ? 'No zergling selected: spawn one, or click one on the map.'
    : `Selected: ${shortId(zergling.id)} at (${zergling.x}, ${zergling.y}) facing ${zergling.facing}, ${zergling.historyLength} command${zergling.historyLength === 1 ? '' : 's'} obeyed.`
}

/** @param {string | undefined} id */
function select (id) {
  const previous = selected
  selected = id
  for (const other of [previous, id]) {
    const zergling = other === undefined ? undefined : swarm.zerglings.get(other)
    if (zergling !== undefined) renderer.draw(zergling, zergling.id === selected)
  }
  showSelected()
}

/** @param {string} id */
function redraw (id) {
  const zergling = swarm.zerglings.get(id)
  if (zergling === undefined) renderer.erase(id)
  else renderer.draw(zergling, id === selected)
  if (id === selected) showSelected()
  view.follow(everywhere())
  showStatus()
}

/** @param {unknown} error */
function report (error) {
  if (error instanceof ApiProblem && (error.status === 503 || error.status === 0)) {
    problem = error.message
  } else {
    problem = undefined
    selectedText.textContent = error instanceof Error ? error.message : String(error)
  }
  showStatus()
}

/** @param {import('./swarm.js').ZerglingState} state */
function take (state) {
  if (swarm.put(state)) redraw(state.id)
}

/** Letters pressed while a command is on its way go together in the next one, in order. */
let queued = ''
let sending = false
/** @param {'L' | 'R' | 'M'} letter */
async function steerSelected (letter) {
  if (selected === undefined) return
  queued += letter
  if (sending) return
  sending = true
  try {
    // `queued` and `selected` change while a command is on its way.
    for (;;) {
      if (queued === '' || selected === undefined) break
      const id = selected
      const letters = queued
      queued = ''
      try {
        take(await commandZergling(id, letters))
        if (problem !== undefined) { problem = undefined; showStatus() }
      } catch (error) {
        queued = ''
        if (error instanceof ApiProblem && error.status === 404) {
          swarm.remove(id, `${Number.MAX_SAFE_INTEGER}-gone`)
          redraw(id)
        }
        report(error)
      }
    }
  } finally {
    sending = false
  }
}

byId('spawn').addEventListener('click', async () => {
  try {
    const spawned = await spawnZergling()
    take({ ...spawned, _rev: '1-' })
    select(spawned.id)
    if (problem !== undefined) { problem = undefined; showStatus() }
  } catch (error) {
    report(error)
  }
})
byId('left').addEventListener('click', () => { steerSelected('L') })
byId('right').addEventListener('click', () => { steerSelected('R') })
byId('move').addEventListener('click', () => { steerSelected('M') })
byId('zoom-in').addEventListener('click', () => { view.zoomIn() })
byId('zoom-out').addEventListener('click', () => { view.zoomOut() })
fitButton.addEventListener('click', () => { view.fit(everywhere()) })

document.addEventListener('keydown', (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return
  const letter = event.key.toUpperCase()
  if (letter === 'L' || letter === 'R' || letter === 'M') {
    event.preventDefault()
    steerSelected(letter)
  } else if (event.key === '+' || event.key === '=') {
    view.zoomIn()
  } else if (event.key === '-') {
    view.zoomOut()
  }
})

followChanges({
  onState: take,
  onDelete (id, rev) {
    if (!swarm.remove(id, rev)) return
    if (id === selected) selected = undefined
    redraw(id)
  },
  onLive (replica) {
    live = true
    byId('stream-replica').textContent = replica
    showStatus()
  },
  onBrain ({ brain: state, reason }) {
    problem = state === 'ok' ? undefined : reason ?? 'it does not answer.'
    showStatus()
  },
  async onTrouble (state) {
    live = false
    if (state === 'refused') problem = await brainTrouble()
    showStatus()
  },
  onRestart () {
    swarm.clear()
    renderer.clear()
    live = false
    showStatus()
  }
})
view.fit([])
showStatus()
