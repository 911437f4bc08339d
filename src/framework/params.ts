/**
 * Path parameter types computed from a route pattern, so `c.params.id` type-checks for `/users/{id:int}` and
 * `c.params.nope` does not. The router's syntax: `{name}`, `{name:int}`, a trailing `{*rest}`, and `/*`
 * (the wildcard named `wildcard`).
 */

/** `id:int` → `id`, `*rest` → `rest`, `id` → `id`. */
type ParamName<Inner extends string> = Inner extends `*${infer Name}`
  ? Name
  : Inner extends `${infer Name}:${string}`
    ? Name
    : Inner

/** The union of parameter names in a pattern. */
export type ParamNames<Pattern extends string> =
  Pattern extends `${string}{${infer Inner}}${infer Rest}`
    ? ParamName<Inner> | ParamNames<Rest>
    : Pattern extends `${string}/*`
      ? 'wildcard'
      : never

/**
 * The `params` object for a pattern: one string per name. Values are percent-decoded by the router;
 * `{id:int}` values are strings of ASCII digits. A pattern only known as `string` gives `Record<string, string>`.
 *
 * ```ts
 * type P = PathParams<'/users/{id:int}/files/{*path}'> // { readonly id: string; readonly path: string }
 * ```
 */
export type PathParams<Pattern extends string> = string extends Pattern
  ? Readonly<Record<string, string>>
  : { readonly [Name in ParamNames<Pattern>]: string }
