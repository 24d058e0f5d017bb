// cluster-admins.json labels per-node values instead of redacting them (`<derived_key:node2>`,
// `<salt:node2>`, `<secret:node1>`; the uuid is shown), and names its nodes `recc1@127.0.0.1` etc.
// The replay learns which actual string each label stands for and checks them by EQUALITY: one
// label is one string everywhere, two labels are two different strings. Node names are learned
// from `/_membership` and rewritten in paths and expected bodies.

const LABELLED = /<\w+:node\d+>/
const HEX32 = /^[0-9a-f]{32}$/

export interface LabelMap {
  /** Learns the node names from a recorded and an actual `/_membership` body. */
  learnNodes (expected: unknown, actual: unknown): void
  /** Learns the labels in a recorded answer from the actual one; returns the broken equalities. */
  learn (expected: unknown, actual: unknown, path: string): string[]
  /** Rewrites known labels and node names into the double's values. */
  translate (text: string): string
}

export function createLabelMap (): LabelMap {
  const values = new Map<string, string>()
  const labelOf = new Map<string, string>()
  const nodes = new Map<string, string>()
  /** A labelled string, or a uuid read from the config (public, but per node). */
  const isLabel = (value: string, path: string): boolean => LABELLED.test(value) || (HEX32.test(value) && path.includes('/_config/couchdb/uuid'))

  const learn = (expected: unknown, actual: unknown, path: string, diffs: string[]): void => {
    if (typeof expected === 'string' && isLabel(expected, path)) {
      if (typeof actual !== 'string') {
        diffs.push(`${expected}: expected a string, got ${JSON.stringify(actual)}`)
        return
      }
      const known = values.get(expected)
      if (known !== undefined && known !== actual) diffs.push(`${expected} was ${known.slice(0, 40)}…, now ${actual.slice(0, 40)}…`)
      const other = labelOf.get(actual)
      if (other !== undefined && other !== expected) diffs.push(`${expected} and ${other} are the same value`)
      values.set(expected, actual)
      labelOf.set(actual, expected)
    } else if (Array.isArray(expected) && Array.isArray(actual)) {
      expected.forEach((item, i) => learn(item, actual[i], path, diffs))
    } else if (expected !== null && typeof expected === 'object' && actual !== null && typeof actual === 'object') {
      for (const [key, value] of Object.entries(expected)) learn(value, (actual as Record<string, unknown>)[key], path, diffs)
    }
  }

  return {
    learnNodes (expected, actual) {
      const recorded = (expected as { all_nodes?: unknown } | null)?.all_nodes
      const ours = (actual as { all_nodes?: unknown } | null)?.all_nodes
      if (!Array.isArray(recorded) || !Array.isArray(ours)) return
      recorded.forEach((name, i) => { if (typeof name === 'string' && typeof ours[i] === 'string') nodes.set(name, ours[i] as string) })
    },
    learn (expected, actual, path) {
      const diffs: string[] = []
      learn(expected, actual, path, diffs)
      return diffs
    },
    translate (text) {
      let result = text
      // Longest first: a hash label contains its salt label.
      for (const [label, value] of [...values].sort(([a], [b]) => b.length - a.length)) result = result.split(label).join(value)
      for (const [recorded, ours] of nodes) result = result.split(recorded).join(ours)
      return result
    },
  }
}
