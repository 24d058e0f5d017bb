// `overmind bootstrap` as a library: `overmind serve --bootstrap` calls runBootstrap first.
export { bootstrapSettings, runBootstrap, runMigrationStatus, runSteps, type BootstrapOptions } from './runner.js'
export { formatReport, formatStep, formatSummary, reportJson } from './report.js'
export { STEP_NAMES, STEPS, type StepName } from './steps.js'
export type { BootstrapReport, StepReport, StepStatus } from './types.js'
