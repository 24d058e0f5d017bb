// Fastify's own compilers (Ajv for what a request carries, fast-json-stringify for answers), each
// route's schema compiled the first time the route uses it instead of while the service starts.
// Fastify compiles every schema of every route before it listens: here ~100 ms of CPU (Ajv's and
// fast-json-stringify's compilations) of the ~1 s from spawn to ready
// (bench/NOTES.md, "Start (spawn to ready)"), most of it for routes a replica may never be asked (errors it seldom
// answers, the docs, the admin switch). Through Fastify's `schemaController.compilersFactory`,
// so validation and serialisation are Fastify's unchanged; what moves is when. The price: a
// route's first request pays its compilation (a few ms, once per process), and a schema Ajv
// refuses fails that route's requests instead of the start (test/http/lazy-schema-compilers.test.ts
// compiles every route's schemas, so such a schema never ships).
import { createRequire } from 'node:module'
import type { ValidatorFactory } from '@fastify/ajv-compiler'
import type { SerializerFactory } from '@fastify/fast-json-stringify-compiler'

const require = createRequire(import.meta.url)

type ValidatorCompiler = ReturnType<ValidatorFactory>
type SerializerCompiler = ReturnType<SerializerFactory>
type Validate = ReturnType<ValidatorCompiler> & { errors?: unknown }

/** Loaded on the first validation, not at import: the modules are part of what the start saves. */
const ajvFactory = (): ValidatorFactory => (require('@fastify/ajv-compiler') as () => ValidatorFactory)()
const fjsFactory = (): SerializerFactory => (require('@fastify/fast-json-stringify-compiler') as () => SerializerFactory)()

const buildValidator: ValidatorFactory = (externalSchemas, ajvOptions) => {
  let compiler: ValidatorCompiler | undefined
  return (route) => {
    let validate: Validate | undefined
    const lazy = function (this: unknown, ...args: unknown[]): unknown {
      validate ??= (compiler ??= ajvFactory()(externalSchemas, ajvOptions))(route) as Validate
      const result = (validate as (...a: unknown[]) => unknown).apply(this, args)
      lazy.errors = validate.errors
      return result
    } as ((...args: unknown[]) => unknown) & { errors?: unknown, schemaEnv?: unknown }
    // Fastify passes the parent object (so that Ajv may coerce or default the root value) only
    // to a validator that shows Ajv's `schemaEnv`; every validator here is Ajv's.
    lazy.schemaEnv = true
    return lazy as unknown as ReturnType<ValidatorCompiler>
  }
}

const buildSerializer: SerializerFactory = (externalSchemas, serializerOptions) => {
  let compiler: SerializerCompiler | undefined
  return (route) => {
    let serialize: ((data: unknown) => string) | undefined
    return (data: unknown) => (serialize ??= (compiler ??= fjsFactory()(externalSchemas, serializerOptions))(route) as (data: unknown) => string)(data)
  }
}

/** Fastify's `schemaController.compilersFactory`. */
export const lazySchemaCompilers = { buildValidator, buildSerializer }
