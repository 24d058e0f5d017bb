// Small helpers for loads: a seeded random source (a failing run can be repeated), spreading
// requests over replicas, and counting answers by kind for failure messages.
import { describeAnswer, type Answer } from './client.js'

export { seededRandom } from '../../support/seeded-random.js'

export function randomLetter (random: () => number): 'L' | 'R' | 'M' {
  return (['L', 'R', 'M'] as const)[Math.floor(random() * 3)]!
}

/** `{"200": 597, "503 busy": 3}`: what a batch of answers was, for assertion messages. */
export function tally (answers: readonly Answer[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const answer of answers) {
    const key = describeAnswer(answer)
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

export function countLetters (letters: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = { L: 0, R: 0, M: 0 }
  for (const letter of letters) counts[letter] = (counts[letter] ?? 0) + 1
  return counts
}

export async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `check` every 100 ms until it is true or `timeoutMs` passed; returns whether it became true. */
export async function eventually (check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await sleep(100)
  }
  return false
}
