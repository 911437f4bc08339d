/**
 * One table of routing cases, run against every router implementation in router.test.ts (hono's approach: the
 * routers differ inside, so they must agree outside).
 *
 * A route is written `'METHOD /pattern'` and registered with that same string as its value, so an expected
 * `found` names the route it expects.
 */

export type Expected =
  | { readonly kind: 'found'; readonly route: string; readonly params?: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'bad-path' }

export interface MatchCase {
  readonly name: string
  readonly routes: readonly string[]
  readonly method: string
  readonly path: string
  readonly expect: Expected
}

const found = (route: string, params?: Record<string, string>): Expected =>
  params === undefined ? { kind: 'found', route } : { kind: 'found', route, params }
const notAllowed = (...allow: string[]): Expected => ({ kind: 'method-not-allowed', allow })
const notFound: Expected = { kind: 'not-found' }
const badPath: Expected = { kind: 'bad-path' }

const USERS = ['GET /users', 'POST /users', 'GET /users/{id}', 'DELETE /users/{id}']
const ITEMS = ['GET /items/{id:int}', 'POST /items/{slug}']
const FILES = ['GET /files/{*path}', 'GET /files/readme', 'GET /static/*']
const BACKTRACK = [
  'POST /a/b/d',
  'GET /a/b/d',
  'GET /a/{x}/c',
  'GET /a/{x:int}/c/d',
  'GET /a/{y}/c/e',
]

export const matchCases: readonly MatchCase[] = [
  // Static
  { name: 'root', routes: ['GET /'], method: 'GET', path: '/', expect: found('GET /') },
  { name: 'static', routes: USERS, method: 'GET', path: '/users', expect: found('GET /users') },
  { name: 'empty router', routes: [], method: 'GET', path: '/users', expect: notFound },
  { name: 'root not registered', routes: USERS, method: 'GET', path: '/', expect: notFound },
  {
    name: 'deep static',
    routes: ['GET /api/v1/health/live', 'GET /api/v1/{x}/live'],
    method: 'GET',
    path: '/api/v1/health/live',
    expect: found('GET /api/v1/health/live'),
  },
  { name: 'case-sensitive', routes: USERS, method: 'GET', path: '/Users', expect: notFound },
  { name: 'longer path', routes: USERS, method: 'GET', path: '/users/1/2', expect: notFound },
  {
    name: 'sub-delims in static',
    routes: ['POST /v1/models:predict'],
    method: 'POST',
    path: '/v1/models:predict',
    expect: found('POST /v1/models:predict'),
  },

  // Parameters
  {
    name: 'param',
    routes: USERS,
    method: 'GET',
    path: '/users/42',
    expect: found('GET /users/{id}', { id: '42' }),
  },
  {
    name: 'two params',
    routes: ['GET /orgs/{org}/repos/{repo}'],
    method: 'GET',
    path: '/orgs/acme/repos/rocket',
    expect: found('GET /orgs/{org}/repos/{repo}', { org: 'acme', repo: 'rocket' }),
  },
  {
    name: 'param keeps raw sub-delims and +',
    routes: USERS,
    method: 'GET',
    path: "/users/a:b@c+d!$'()",
    expect: found('GET /users/{id}', { id: "a:b@c+d!$'()" }),
  },
  {
    name: 'same position, different names under different methods',
    routes: ['GET /p/{id}', 'PUT /p/{name}'],
    method: 'PUT',
    path: '/p/x',
    expect: found('PUT /p/{name}', { name: 'x' }),
  },

  // Typed parameters
  {
    name: 'int param',
    routes: ITEMS,
    method: 'GET',
    path: '/items/123',
    expect: found('GET /items/{id:int}', { id: '123' }),
  },
  {
    name: 'int keeps leading zeros (the value stays a string)',
    routes: ITEMS,
    method: 'GET',
    path: '/items/007',
    expect: found('GET /items/{id:int}', { id: '007' }),
  },
  {
    name: 'int after decoding unreserved digits',
    routes: ITEMS,
    method: 'GET',
    path: '/items/%31%32',
    expect: found('GET /items/{id:int}', { id: '12' }),
  },
  {
    name: 'int refuses letters: the path exists only for POST',
    routes: ITEMS,
    method: 'GET',
    path: '/items/abc',
    expect: notAllowed('OPTIONS', 'POST'),
  },
  {
    name: 'int refuses letters: not-found without another route',
    routes: ['GET /n/{id:int}'],
    method: 'GET',
    path: '/n/12a',
    expect: notFound,
  },
  {
    name: 'int refuses a sign',
    routes: ['GET /n/{id:int}'],
    method: 'GET',
    path: '/n/-1',
    expect: notFound,
  },
  {
    name: 'int refuses non-ASCII digits',
    routes: ['GET /n/{id:int}'],
    method: 'GET',
    path: '/n/%D9%A1',
    expect: notFound,
  },
  {
    name: 'int and plain param coexist: digits',
    routes: ['GET /u/{name}', 'GET /u/{id:int}'],
    method: 'GET',
    path: '/u/5',
    expect: found('GET /u/{id:int}', { id: '5' }),
  },
  {
    name: 'int and plain param coexist: other text',
    routes: ['GET /u/{id:int}', 'GET /u/{name}'],
    method: 'GET',
    path: '/u/bob',
    expect: found('GET /u/{name}', { name: 'bob' }),
  },

  // Wildcards
  {
    name: 'wildcard',
    routes: FILES,
    method: 'GET',
    path: '/files/a/b/c.txt',
    expect: found('GET /files/{*path}', { path: 'a/b/c.txt' }),
  },
  {
    name: 'wildcard may be empty',
    routes: FILES,
    method: 'GET',
    path: '/files/',
    expect: found('GET /files/{*path}', { path: '' }),
  },
  {
    name: 'wildcard needs its slash',
    routes: FILES,
    method: 'GET',
    path: '/files',
    expect: notFound,
  },
  {
    name: 'wildcard keeps empty segments',
    routes: FILES,
    method: 'GET',
    path: '/files/a//b/',
    expect: found('GET /files/{*path}', { path: 'a//b/' }),
  },
  {
    name: 'wildcard decodes',
    routes: FILES,
    method: 'GET',
    path: '/files/a%2Fb/c%20d',
    expect: found('GET /files/{*path}', { path: 'a/b/c d' }),
  },
  {
    name: '* shorthand is {*wildcard}',
    routes: FILES,
    method: 'GET',
    path: '/static/css/site.css',
    expect: found('GET /static/*', { wildcard: 'css/site.css' }),
  },
  {
    name: 'root wildcard matches /',
    routes: ['GET /{*all}'],
    method: 'GET',
    path: '/',
    expect: found('GET /{*all}', { all: '' }),
  },
  {
    name: 'param then wildcard',
    routes: ['GET /repos/{repo}/tree/{*path}'],
    method: 'GET',
    path: '/repos/rocket/tree/src/main.ts',
    expect: found('GET /repos/{repo}/tree/{*path}', { repo: 'rocket', path: 'src/main.ts' }),
  },

  // Precedence and backtracking
  {
    name: 'static beats param',
    routes: ['GET /users/{id}', 'GET /users/me'],
    method: 'GET',
    path: '/users/me',
    expect: found('GET /users/me'),
  },
  {
    name: 'param when static differs',
    routes: ['GET /users/me', 'GET /users/{id}'],
    method: 'GET',
    path: '/users/you',
    expect: found('GET /users/{id}', { id: 'you' }),
  },
  {
    name: 'static beats wildcard',
    routes: FILES,
    method: 'GET',
    path: '/files/readme',
    expect: found('GET /files/readme'),
  },
  {
    name: 'param beats wildcard',
    routes: ['GET /f/{*rest}', 'GET /f/{name}'],
    method: 'GET',
    path: '/f/x',
    expect: found('GET /f/{name}', { name: 'x' }),
  },
  {
    name: 'wildcard takes what a param cannot',
    routes: ['GET /f/{name}', 'GET /f/{*rest}'],
    method: 'GET',
    path: '/f/x/y',
    expect: found('GET /f/{*rest}', { rest: 'x/y' }),
  },
  {
    name: 'backtrack from static to param',
    routes: BACKTRACK,
    method: 'GET',
    path: '/a/b/c',
    expect: found('GET /a/{x}/c', { x: 'b' }),
  },
  {
    name: 'backtrack from int to param two levels down',
    routes: BACKTRACK,
    method: 'GET',
    path: '/a/1/c/e',
    expect: found('GET /a/{y}/c/e', { y: '1' }),
  },
  {
    name: 'int branch when it completes',
    routes: BACKTRACK,
    method: 'GET',
    path: '/a/1/c/d',
    expect: found('GET /a/{x:int}/c/d', { x: '1' }),
  },
  {
    name: 'backtrack to a wildcard',
    routes: ['GET /w/b/d', 'GET /w/{*rest}'],
    method: 'GET',
    path: '/w/b/c',
    expect: found('GET /w/{*rest}', { rest: 'b/c' }),
  },
  {
    name: 'backtrack through int, param and static',
    routes: ['GET /x/{a:int}/{b:int}/z', 'GET /x/{a}/y/w', 'GET /x/{*r}'],
    method: 'GET',
    path: '/x/1/y/w',
    expect: found('GET /x/{a}/y/w', { a: '1' }),
  },
  {
    name: 'a static route for another method does not hide a param route',
    routes: ['POST /users/me', 'GET /users/{id}'],
    method: 'GET',
    path: '/users/me',
    expect: found('GET /users/{id}', { id: 'me' }),
  },

  // HEAD and OPTIONS
  {
    name: 'HEAD uses GET',
    routes: USERS,
    method: 'HEAD',
    path: '/users',
    expect: found('GET /users'),
  },
  {
    name: 'HEAD uses GET with params',
    routes: USERS,
    method: 'HEAD',
    path: '/users/7',
    expect: found('GET /users/{id}', { id: '7' }),
  },
  {
    name: 'explicit HEAD wins over GET',
    routes: ['GET /h', 'HEAD /h'],
    method: 'HEAD',
    path: '/h',
    expect: found('HEAD /h'),
  },
  {
    name: 'HEAD follows path precedence first',
    routes: ['GET /h/b', 'HEAD /h/{x}'],
    method: 'HEAD',
    path: '/h/b',
    expect: found('GET /h/b'),
  },
  {
    name: 'HEAD without GET',
    routes: ['POST /form'],
    method: 'HEAD',
    path: '/form',
    expect: notAllowed('OPTIONS', 'POST'),
  },
  {
    name: 'OPTIONS without an OPTIONS route: 405 result, sent as 204 + Allow',
    routes: USERS,
    method: 'OPTIONS',
    path: '/users',
    expect: notAllowed('GET', 'HEAD', 'OPTIONS', 'POST'),
  },
  {
    name: 'explicit OPTIONS route',
    routes: ['GET /o', 'OPTIONS /o'],
    method: 'OPTIONS',
    path: '/o',
    expect: found('OPTIONS /o'),
  },
  {
    name: 'OPTIONS catch-all',
    routes: ['GET /users', 'OPTIONS /{*all}'],
    method: 'OPTIONS',
    path: '/users',
    expect: found('OPTIONS /{*all}', { all: 'users' }),
  },
  {
    name: 'OPTIONS on an unknown path',
    routes: USERS,
    method: 'OPTIONS',
    path: '/x',
    expect: notFound,
  },

  // 404 and 405
  {
    name: '405 lists every method, sorted',
    routes: ['POST /r', 'GET /r', 'DELETE /r', 'PATCH /r'],
    method: 'PUT',
    path: '/r',
    expect: notAllowed('DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST'),
  },
  {
    name: '405 on a param route',
    routes: USERS,
    method: 'PUT',
    path: '/users/9',
    expect: notAllowed('DELETE', 'GET', 'HEAD', 'OPTIONS'),
  },
  {
    name: '405 unions every route matching the path',
    routes: ['POST /a/b', 'PUT /a/{x}', 'PATCH /a/{*r}'],
    method: 'DELETE',
    path: '/a/b',
    expect: notAllowed('OPTIONS', 'PATCH', 'POST', 'PUT'),
  },
  {
    name: 'unknown method',
    routes: USERS,
    method: 'BREW',
    path: '/users',
    expect: notAllowed('GET', 'HEAD', 'OPTIONS', 'POST'),
  },
  {
    name: 'methods are case-sensitive',
    routes: USERS,
    method: 'get',
    path: '/users',
    expect: notAllowed('GET', 'HEAD', 'OPTIONS', 'POST'),
  },
  { name: '404', routes: USERS, method: 'GET', path: '/nothing/here', expect: notFound },

  // Percent-encoding
  {
    name: '%2F stays inside its param',
    routes: USERS,
    method: 'GET',
    path: '/users/a%2Fb',
    expect: found('GET /users/{id}', { id: 'a/b' }),
  },
  {
    name: '%2F does not make a segment',
    routes: ['GET /s/{a}/{b}'],
    method: 'GET',
    path: '/s/x%2Fy',
    expect: notFound,
  },
  {
    name: 'UTF-8 in a param',
    routes: USERS,
    method: 'GET',
    path: '/users/caf%C3%A9',
    expect: found('GET /users/{id}', { id: 'café' }),
  },
  {
    name: 'four-byte UTF-8, lower-case hex',
    routes: USERS,
    method: 'GET',
    path: '/users/%f0%9f%98%80',
    expect: found('GET /users/{id}', { id: '😀' }),
  },
  {
    name: 'decoded once only',
    routes: USERS,
    method: 'GET',
    path: '/users/%2541',
    expect: found('GET /users/{id}', { id: '%41' }),
  },
  {
    name: 'encoded unreserved characters match static text',
    routes: USERS,
    method: 'GET',
    path: '/us%65rs',
    expect: found('GET /users'),
  },
  {
    name: 'encoded reserved characters do not match static text',
    routes: ['GET /a:b'],
    method: 'GET',
    path: '/a%3Ab',
    expect: notFound,
  },
  {
    name: 'non-ASCII static route',
    routes: ['GET /café'],
    method: 'GET',
    path: '/caf%c3%a9',
    expect: found('GET /café'),
  },
  {
    name: 'encoded slash in a static route',
    routes: ['GET /a%2Fb'],
    method: 'GET',
    path: '/a%2fb',
    expect: found('GET /a%2Fb'),
  },
  {
    name: 'an encoded slash is not a slash',
    routes: ['GET /a%2Fb'],
    method: 'GET',
    path: '/a/b',
    expect: notFound,
  },
  {
    name: 'dot-segments are not resolved: %2E%2E is a value',
    routes: USERS,
    method: 'GET',
    path: '/users/%2E%2E',
    expect: found('GET /users/{id}', { id: '..' }),
  },
  {
    name: 'raw non-ASCII (not valid in a request-target) is compared as is',
    routes: ['GET /café', ...USERS],
    method: 'GET',
    path: '/users/café',
    expect: found('GET /users/{id}', { id: 'café' }),
  },
  {
    name: 'raw non-ASCII does not match an encoded static route',
    routes: ['GET /café'],
    method: 'GET',
    path: '/café',
    expect: notFound,
  },
  { name: 'bad: %zz', routes: USERS, method: 'GET', path: '/users/%zz', expect: badPath },
  { name: 'bad: truncated %4', routes: USERS, method: 'GET', path: '/users/%4', expect: badPath },
  { name: 'bad: lone %', routes: USERS, method: 'GET', path: '/users/%', expect: badPath },
  {
    name: 'bad: truncated UTF-8',
    routes: USERS,
    method: 'GET',
    path: '/users/%C3',
    expect: badPath,
  },
  { name: 'bad: byte FF', routes: USERS, method: 'GET', path: '/users/%FF', expect: badPath },
  { name: 'bad: overlong /', routes: USERS, method: 'GET', path: '/users/%C0%AF', expect: badPath },
  {
    name: 'bad: surrogate',
    routes: USERS,
    method: 'GET',
    path: '/users/%ED%A0%80',
    expect: badPath,
  },
  {
    name: 'bad: sequence split by a slash',
    routes: FILES,
    method: 'GET',
    path: '/files/%C3/%A9',
    expect: badPath,
  },
  {
    name: 'bad anywhere, even where nothing would match',
    routes: USERS,
    method: 'GET',
    path: '/nowhere/%zz',
    expect: badPath,
  },
  { name: 'bad: empty path', routes: USERS, method: 'GET', path: '', expect: badPath },
  { name: 'bad: asterisk-form', routes: USERS, method: 'OPTIONS', path: '*', expect: badPath },
  { name: 'bad: no leading slash', routes: USERS, method: 'GET', path: 'users', expect: badPath },

  // Trailing slash and empty segments
  {
    name: 'strict trailing slash',
    routes: USERS,
    method: 'GET',
    path: '/users/',
    expect: notFound,
  },
  {
    name: 'trailing-slash route',
    routes: ['GET /docs/', 'GET /docs'],
    method: 'GET',
    path: '/docs/',
    expect: found('GET /docs/'),
  },
  {
    name: 'slash route only',
    routes: ['GET /docs/'],
    method: 'GET',
    path: '/docs',
    expect: notFound,
  },
  {
    name: '// at the root',
    routes: ['GET /', 'GET /{id}'],
    method: 'GET',
    path: '//',
    expect: notFound,
  },
  {
    name: 'empty segment never matches a param',
    routes: ['GET /e/{a}/{b}'],
    method: 'GET',
    path: '/e//x',
    expect: notFound,
  },
  {
    name: 'empty last segment never matches a param',
    routes: ['GET /e/{a}'],
    method: 'GET',
    path: '/e/',
    expect: notFound,
  },
]

/** A registration that must throw a `RouteError` whose message contains `message`. */
export interface RegistrationErrorCase {
  readonly name: string
  /** Registered first, successfully. */
  readonly before?: readonly string[]
  readonly method: string
  readonly pattern: string
  readonly message: string
}

export const registrationErrorCases: readonly RegistrationErrorCase[] = [
  { name: 'no leading slash', method: 'GET', pattern: 'users', message: "must start with '/'" },
  { name: 'empty pattern', method: 'GET', pattern: '', message: "must start with '/'" },
  { name: 'empty param name', method: 'GET', pattern: '/a/{}', message: 'empty parameter name' },
  {
    name: 'empty typed name',
    method: 'GET',
    pattern: '/a/{:int}',
    message: 'empty parameter name',
  },
  {
    name: 'empty wildcard name',
    method: 'GET',
    pattern: '/a/{*}',
    message: 'empty parameter name',
  },
  {
    name: 'name with a dash',
    method: 'GET',
    pattern: '/a/{user-id}',
    message: "invalid parameter name 'user-id'",
  },
  {
    name: 'name starting with a digit',
    method: 'GET',
    pattern: '/a/{1x}',
    message: "invalid parameter name '1x'",
  },
  {
    name: 'duplicate names',
    method: 'GET',
    pattern: '/a/{id}/b/{id}',
    message: "duplicate parameter name 'id'",
  },
  {
    name: 'duplicate name with the wildcard',
    method: 'GET',
    pattern: '/a/{rest}/{*rest}',
    message: "duplicate parameter name 'rest'",
  },
  {
    name: 'wildcard not last',
    method: 'GET',
    pattern: '/a/{*rest}/b',
    message: "wildcard '{*rest}' must be the last segment",
  },
  {
    name: '* not last',
    method: 'GET',
    pattern: '/a/*/b',
    message: "wildcard '*' must be the last",
  },
  { name: 'typed wildcard', method: 'GET', pattern: '/a/{*rest:int}', message: 'takes no type' },
  {
    name: 'unknown type',
    method: 'GET',
    pattern: '/a/{id:uuid}',
    message: "unknown parameter type 'uuid'",
  },
  { name: 'empty type', method: 'GET', pattern: '/a/{id:}', message: "unknown parameter type ''" },
  { name: 'param inside a segment', method: 'GET', pattern: '/a/x{id}', message: 'whole segment' },
  { name: 'text after a param', method: 'GET', pattern: '/a/{id}.json', message: 'whole segment' },
  {
    name: 'two params in a segment',
    method: 'GET',
    pattern: '/a/{x}{y}',
    message: 'whole segment',
  },
  { name: 'unclosed brace', method: 'GET', pattern: '/a/{id', message: 'whole segment' },
  { name: 'glob star in a segment', method: 'GET', pattern: '/a/x*', message: '%2A' },
  { name: 'empty segment', method: 'GET', pattern: '/a//b', message: "empty segment ('//')" },
  { name: 'query in a pattern', method: 'GET', pattern: '/a?b=1', message: '"?" cannot appear' },
  { name: 'space in a pattern', method: 'GET', pattern: '/a b', message: '" " cannot appear' },
  { name: 'malformed %', method: 'GET', pattern: '/a%zz', message: 'malformed percent-encoding' },
  { name: 'invalid UTF-8', method: 'GET', pattern: '/a%FF', message: 'not valid UTF-8' },
  { name: 'dot segment', method: 'GET', pattern: '/a/../b', message: 'dot-segment' },
  { name: 'lone surrogate', method: 'GET', pattern: '/a\uD800', message: 'lone UTF-16 surrogate' },
  { name: 'encoded dot segment', method: 'GET', pattern: '/a/%2E', message: 'dot-segment' },
  {
    name: 'same route twice',
    before: ['GET /users/{id}'],
    method: 'GET',
    pattern: '/users/{id}',
    message: 'already registered',
  },
  {
    name: 'same shape, other name',
    before: ['GET /a/{id}'],
    method: 'GET',
    pattern: '/a/{name}',
    message: 'matches exactly the same paths as GET /a/{id}',
  },
  {
    name: 'same typed shape, other name',
    before: ['GET /a/{id:int}/b'],
    method: 'GET',
    pattern: '/a/{n:int}/b',
    message: 'same paths as GET /a/{id:int}/b',
  },
  {
    name: 'same wildcard, other spelling',
    before: ['GET /a/{*wildcard}'],
    method: 'GET',
    pattern: '/a/*',
    message: 'same paths as GET /a/{*wildcard}',
  },
  {
    name: 'equivalent static spelling',
    before: ['GET /users'],
    method: 'GET',
    pattern: '/us%65rs',
    message: 'same paths as GET /users',
  },
  { name: 'lower-case method', method: 'get', pattern: '/a', message: "register 'GET', not 'get'" },
  { name: 'method with a space', method: 'GE T', pattern: '/a', message: 'must be a token' },
  { name: 'empty method', method: '', pattern: '/a', message: 'must be a token' },
]

/** Route sets that must register without error. */
export const registrationOkCases: readonly (readonly string[])[] = [
  ['GET /', 'GET /{*all}', 'GET /{x}'],
  ['GET /a/{id}', 'GET /a/{id:int}'],
  ['GET /a/{id}', 'POST /a/{name}'],
  ['GET /users', 'GET /users/'],
  ['GET /h', 'HEAD /h', 'OPTIONS /h'],
  ['GET /café', 'GET /a%2Ab', 'GET /v1/models:predict', "GET /!$&'()+,;=:@-._~"],
  ['GET /p/{$dollar}/{_under}/{camelCase9}', 'GET /q/{__proto__}/{constructor}'],
  ['M-SEARCH /', 'PROPFIND /dav/{*path}'],
]
