/**
 * The Standard Schema interface (https://standardschema.dev), version 1, written out here because the spec is
 * meant to be copied rather than depended on. Zod (≥ 3.24), Valibot (≥ 1.0), ArkType and others put a
 * `~standard` property on their schemas; the framework validates through it and never imports a schema library.
 *
 * `StandardJSONSchemaV1` is the companion interface some libraries add (zod 4 does) to turn a schema into JSON
 * Schema; the OpenAPI generator uses it when it is there.
 */

/** A schema any Standard Schema library can produce: validates `unknown` into `Output`. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1.Props<Input, Output>
}

export declare namespace StandardSchemaV1 {
  /** What a library puts under `~standard`. */
  export interface Props<Input = unknown, Output = Input> {
    readonly version: 1
    /** The library's name, e.g. `zod`, `valibot`. */
    readonly vendor: string
    /** Checks `value`; may answer synchronously or with a Promise. */
    readonly validate: (
      value: unknown,
      options?: Options | undefined,
    ) => Result<Output> | Promise<Result<Output>>
    /** Carries the input and output types; never present at run time. */
    readonly types?: Types<Input, Output> | undefined
  }

  export interface Options {
    readonly libraryOptions?: Record<string, unknown> | undefined
  }

  export type Result<Output> = SuccessResult<Output> | FailureResult

  export interface SuccessResult<Output> {
    readonly value: Output
    readonly issues?: undefined
  }

  export interface FailureResult {
    readonly issues: ReadonlyArray<Issue>
  }

  export interface Issue {
    readonly message: string
    /** Where in the value: keys, or `{ key }` segments. */
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined
  }

  export interface PathSegment {
    readonly key: PropertyKey
  }

  export interface Types<Input = unknown, Output = Input> {
    readonly input: Input
    readonly output: Output
  }

  export type InferInput<Schema extends StandardSchemaV1> = NonNullable<
    Schema['~standard']['types']
  >['input']

  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<
    Schema['~standard']['types']
  >['output']
}

/** The optional JSON Schema converter of the Standard JSON Schema proposal (zod 4 implements it). */
export interface StandardJSONSchemaConverter {
  /** JSON Schema of what the schema accepts. May throw when a construct has no JSON Schema form. */
  readonly input: (options: { readonly target: string }) => Record<string, unknown>
  /** JSON Schema of what the schema produces. May throw likewise. */
  readonly output: (options: { readonly target: string }) => Record<string, unknown>
}

/**
 * True when `value` carries a version-1 `~standard` property with a `validate` function.
 *
 * ```ts
 * isStandardSchema(z.string())        // true (zod ≥ 3.24)
 * isStandardSchema({ type: 'string' }) // false: a JSON Schema
 * ```
 */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if (typeof value !== 'object' && typeof value !== 'function') return false
  if (value === null) return false
  const props = (value as { '~standard'?: unknown })['~standard']
  return (
    typeof props === 'object' &&
    props !== null &&
    (props as { version?: unknown }).version === 1 &&
    typeof (props as { validate?: unknown }).validate === 'function'
  )
}

/** The schema's JSON Schema converter, when its library provides one. */
export function jsonSchemaConverter(
  schema: StandardSchemaV1,
): StandardJSONSchemaConverter | undefined {
  const converter = (schema['~standard'] as { jsonSchema?: unknown }).jsonSchema
  if (typeof converter !== 'object' || converter === null) return undefined
  const { input, output } = converter as { input?: unknown; output?: unknown }
  if (typeof input !== 'function' || typeof output !== 'function') return undefined
  return converter as StandardJSONSchemaConverter
}
