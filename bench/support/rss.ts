// Resident memory of a child, from /proc (Linux): VmRSS now, VmHWM the peak since it started.
// Sampling VmRSS under load and reading VmHWM at the end catches a peak between two samples.
import { readFileSync } from 'node:fs'

export interface Memory { rssMb: number, peakMb: number }

export function readMemory (pid: number): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 }
  } catch {
    return undefined
  }
}

/** Samples VmRSS every `everyMs` until stopped; returns the largest sample and the final VmHWM. */
export function sampleMemory (pid: number, everyMs = 250): { stop: () => Memory } {
  let maxRss = 0
  const timer = setInterval(() => {
    const memory = readMemory(pid)
    if (memory !== undefined) maxRss = Math.max(maxRss, memory.rssMb)
  }, everyMs)
  return {
    stop: () => {
      clearInterval(timer)
      const last = readMemory(pid)
      return { rssMb: Math.max(maxRss, last?.rssMb ?? 0), peakMb: last?.peakMb ?? NaN }
    }
  }
}

/** Resident memory of one `overmind serve` process over the scenarios it served. */
export interface MemoryRecord extends Memory {
  /** Which process, under which load. */
  process: string
}
