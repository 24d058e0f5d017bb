// Every migration, in the order they apply (their ids' order). A new one is a new file
// NNN-name.ts added at the end; an applied one is never edited (its checksum is recorded).
import { migration as zerglingsToChunks } from './001-zerglings-to-chunks.js'
import { migration as removeZerglingsByFacing } from './002-remove-zerglings-by-facing.js'
import type { Migration } from './migration.js'

export const MIGRATIONS: readonly Migration[] = [zerglingsToChunks, removeZerglingsByFacing]
