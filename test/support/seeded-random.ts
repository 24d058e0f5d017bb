// A seeded source of numbers from 0 to 1 (mulberry32, tiny and good enough to pick letters,
// replicas and faults): the same seed gives the same run, so a failing one can be repeated.
export function seededRandom (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `random` that also counts its draws. */
export function countingRandom (random: () => number): { random: () => number, draws: () => number } {
  let draws = 0
  return { random: () => { draws++; return random() }, draws: () => draws }
}
