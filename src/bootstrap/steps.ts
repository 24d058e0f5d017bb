// The steps in their fixed order; their names (the CLI's arguments, the manifests' init
// containers) are derived from them. `cluster` comes before the databases: a database created
// before the other nodes have joined keeps all its shards on the nodes that were there, so the
// cluster is finished first. `migrate` comes last: it changes the data the service reads, once
// the database, its users and its design documents are in place. `rotate-password` (only when
// named) comes after `app-user`, which it needs.
import type { Step } from './types.js'
import { adminStep } from './steps/admin.js'
import { appUserStep } from './steps/app-user.js'
import { clusterStep } from './steps/cluster.js'
import { databaseStep } from './steps/database.js'
import { designDocsStep } from './steps/design-docs.js'
import { migrateStep } from './steps/migrate.js'
import { rotatePasswordStep } from './steps/rotate-password.js'
import { systemDatabasesStep } from './steps/system-databases.js'
import { waitStep } from './steps/wait.js'

export const STEPS = [waitStep, adminStep, clusterStep, systemDatabasesStep, databaseStep, appUserStep, rotatePasswordStep, designDocsStep(), migrateStep()] as const

export type StepName = typeof STEPS[number]['name']

export const STEP_NAMES: readonly StepName[] = STEPS.map((step) => step.name)

/** What a run that names no step runs: all but the operator's own (`rotate-password`). */
export const DEFAULT_STEP_NAMES: readonly StepName[] = STEPS.filter((step: Step) => step.onlyWhenNamed !== true).map((step) => step.name)
