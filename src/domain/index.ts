export * from './zergling.js'
export * from './command.js'
export * from './domain-error.js'
export * from './zergling-id.js'
