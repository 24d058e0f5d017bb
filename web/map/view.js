// @ts-check
// Which part of the grid the map shows, as an SVG viewBox in grid units: fitted to the swarm
// until the person pans or zooms, then theirs until they press Fit. The grid's y points up
// (M facing N is y+1) and SVG's down, so a zergling at (x, y) is drawn at (x, -y).

/** @typedef {{ x: number, y: number, width: number, height: number }} Box */

/** The smallest area fitted: a lone zergling is not drawn the size of the screen. */
const MIN_SPAN = 12
const MARGIN = 3

/**
 * The box around every point (in SVG coordinates), with a margin, at least MIN_SPAN wide and high.
 * @param {Iterable<{ x: number, y: number }>} points grid coordinates
 * @returns {Box}
 */
export function fitBox (points) {
  let left = Infinity; let right = -Infinity; let top = Infinity; let bottom = -Infinity
  for (const { x, y } of points) {
    left = Math.min(left, x); right = Math.max(right, x)
    top = Math.min(top, -y); bottom = Math.max(bottom, -y)
  }
  if (left === Infinity) { left = 0; right = 0; top = 0; bottom = 0 }
  const width = Math.max(MIN_SPAN, right - left + 2 * MARGIN)
  const height = Math.max(MIN_SPAN, bottom - top + 2 * MARGIN)
  return { x: (left + right - width) / 2, y: (top + bottom - height) / 2, width, height }
}

/**
 * @param {SVGSVGElement} svg
 * @param {{ onChange: () => void }} hooks
 */
export function createView (svg, { onChange }) {
  /** @type {Box} */
  let box = fitBox([])
  let fitting = true

  const apply = () => {
    svg.setAttribute('viewBox', `${box.x} ${box.y} ${box.width} ${box.height}`)
    onChange()
  }
  /** SVG units per screen pixel (the viewBox is fitted to the element, preserving its aspect). */
  const unitsPerPixel = () => {
    const { width, height } = svg.getBoundingClientRect()
    return Math.max(box.width / Math.max(width, 1), box.height / Math.max(height, 1))
  }

  /** @param {number} factor > 1 zooms in @param {{ x: number, y: number }} [around] SVG point */
  const zoom = (factor, around = { x: box.x + box.width / 2, y: box.y + box.height / 2 }) => {
    fitting = false
    const width = Math.min(Math.max(box.width / factor, 4), 100000)
    const height = width * box.height / box.width
    box = { x: around.x - (around.x - box.x) * width / box.width, y: around.y - (around.y - box.y) * height / box.height, width, height }
    apply()
  }

  /** @param {PointerEvent | WheelEvent} event */
  const svgPoint = (event) => {
    const rect = svg.getBoundingClientRect()
    const scale = unitsPerPixel()
    return { x: box.x + box.width / 2 + (event.clientX - rect.left - rect.width / 2) * scale, y: box.y + box.height / 2 + (event.clientY - rect.top - rect.height / 2) * scale }
  }

  /** @type {{ x: number, y: number, moved: boolean } | undefined} */
  let drag
  /** The last press was a drag: the click that ends it selects nothing. */
  let dragged = false
  svg.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return
    drag = { x: event.clientX, y: event.clientY, moved: false }
    dragged = false
  })
  svg.addEventListener('pointermove', (event) => {
    if (drag === undefined) return
    const dx = event.clientX - drag.x
    const dy = event.clientY - drag.y
    if (!drag.moved && Math.hypot(dx, dy) < 4) return
    if (!drag.moved) svg.setPointerCapture(event.pointerId)
    drag.moved = true
    svg.classList.add('panning')
    fitting = false
    const scale = unitsPerPixel()
    box = { ...box, x: box.x - dx * scale, y: box.y - dy * scale }
    drag.x = event.clientX
    drag.y = event.clientY
    apply()
  })
  const endDrag = () => {
    dragged = drag?.moved === true
    drag = undefined
    svg.classList.remove('panning')
  }
  svg.addEventListener('pointerup', endDrag)
  svg.addEventListener('pointercancel', endDrag)
  svg.addEventListener('wheel', (event) => {
    event.preventDefault()
    zoom(event.deltaY < 0 ? 1.2 : 1 / 1.2, svgPoint(event))
  }, { passive: false })

  return {
    /** Whether the last pointer press was a drag (a click after it selects nothing). */
    dragged: () => dragged,
    get fitting () { return fitting },
    /** Pixels per grid unit now, for deciding what to draw. */
    pixelsPerUnit: () => 1 / unitsPerPixel(),
    zoomIn: () => { zoom(1.25) },
    zoomOut: () => { zoom(1 / 1.25) },
    /** Back to following the swarm. @param {Iterable<{ x: number, y: number }>} points */
    fit (points) {
      fitting = true
      box = fitBox(points)
      apply()
    },
    /** Follows the swarm while fitting; leaves a view the person chose alone. @param {Iterable<{ x: number, y: number }>} points */
    follow (points) {
      if (!fitting) return
      const next = fitBox(points)
      if (next.x === box.x && next.y === box.y && next.width === box.width && next.height === box.height) return
      box = next
      apply()
    }
  }
}
