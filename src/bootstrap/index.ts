// `overmind bootstrap` as a library: `overmind serve --bootstrap` calls runBootstrap first.
export { bootstrapSettings, runBootstrap, runSteps, STEPS, type BootstrapOptions } from './runner.js'
export { formatReport, formatStep, formatSummary, reportJson } from './report.js'
export { STEP_NAMES, type BootstrapReport, type StepName, type StepReport, type StepStatus } from './types.js'
