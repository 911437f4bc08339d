import assert from 'node:assert/strict'
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  defaultSocketPath,
  prepareSocketDirectory,
  privateTempDirectory,
  sharedDirectoryWarning,
  socketPathFrom,
} from '../../../src/observatory/server/socket-path.ts'
import {
  ListenError,
  listenUnix,
  prepareUnixSocketPath,
} from '../../../src/transport/unix-socket.ts'

const uid = process.getuid?.()
const isRoot = uid === 0

describe('defaultSocketPath: private to the user', () => {
  it('uses $XDG_RUNTIME_DIR when it is an absolute path', () => {
    assert.equal(
      defaultSocketPath({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000, '/tmp'),
      '/run/user/1000/claude-observatory.sock',
    )
  })

  it('falls back to a per-user directory in the temporary directory', () => {
    assert.equal(
      defaultSocketPath({}, 1000, '/tmp'),
      '/tmp/claude-observatory-1000/observatory.sock',
    )
    assert.equal(
      defaultSocketPath({ XDG_RUNTIME_DIR: 'relative/dir' }, 1000, '/tmp'),
      '/tmp/claude-observatory-1000/observatory.sock',
      'a relative runtime directory is not used (the XDG spec says to ignore it)',
    )
    assert.notEqual(defaultSocketPath({}), '/tmp/claude-observatory.sock')
  })

  it('lets --socket and $CLAUDE_UNIX_HOOK_WATCHER choose any path, the original included', () => {
    const env = { CLAUDE_UNIX_HOOK_WATCHER: '/tmp/claude-observatory.sock' }
    assert.equal(socketPathFrom(undefined, env), '/tmp/claude-observatory.sock')
    assert.equal(socketPathFrom('/x/y.sock', env), '/x/y.sock')
    assert.equal(socketPathFrom(undefined, { CLAUDE_UNIX_HOOK_WATCHER: '' }), defaultSocketPath({}))
  })
})

describe('prepareSocketDirectory', () => {
  let temp: string
  let savedTmpdir: string | undefined
  before(() => {
    temp = mkdtempSync(join(tmpdir(), 'obs-sockdir-'))
    savedTmpdir = process.env.TMPDIR
    process.env.TMPDIR = temp // os.tmpdir() reads it on every call
  })
  after(() => {
    if (savedTmpdir === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = savedTmpdir
    rmSync(temp, { recursive: true, force: true })
  })

  it('creates the fallback directory with mode 0700, and the default socket can listen there', async () => {
    const path = defaultSocketPath({})
    assert.equal(path, join(temp, `claude-observatory-${uid}`, 'observatory.sock'))
    assert.equal(prepareSocketDirectory(path), undefined)
    const stats = lstatSync(privateTempDirectory())
    assert.ok(stats.isDirectory())
    assert.equal(stats.mode & 0o777, 0o700)
    assert.equal(prepareSocketDirectory(path), undefined, 'a second start finds it as it left it')
    const server = createServer()
    await listenUnix(server, path, 0o600)
    assert.ok(lstatSync(path).isSocket())
    await new Promise((resolve) => server.close(resolve))
    rmSync(privateTempDirectory(), { recursive: true })
  })

  it("refuses a fallback directory that others can enter, a symbolic link, or another user's", () => {
    const dir = privateTempDirectory()
    const path = join(dir, 'observatory.sock')
    mkdirSync(dir, { mode: 0o700 })
    chmodSync(dir, 0o755)
    assert.throws(() => prepareSocketDirectory(path), {
      name: 'UserError',
      message: new RegExp(`^refusing to put the socket in ${dir}: its mode is 0755, not 0700`),
    })
    rmSync(dir, { recursive: true })

    const elsewhere = mkdtempSync(join(temp, 'target-'))
    symlinkSync(elsewhere, dir)
    assert.throws(() => prepareSocketDirectory(path), /it is not a directory/)
    rmSync(dir)

    if (isRoot) {
      mkdirSync(dir, { mode: 0o700 })
      chownSync(dir, 65534, 65534)
      assert.throws(() => prepareSocketDirectory(path), /it belongs to uid 65534/)
      rmSync(dir, { recursive: true })
    }
  })

  it('names a directory other users can write to, and stays quiet about a private one', () => {
    const shared = mkdtempSync(join(temp, 'shared-'))
    chmodSync(shared, 0o1777)
    assert.match(
      sharedDirectoryWarning(join(shared, 'x.sock')) ?? '',
      new RegExp(`^Warning: ${shared} is writable by every local user`),
    )
    chmodSync(shared, 0o770)
    assert.match(sharedDirectoryWarning(join(shared, 'x.sock')) ?? '', /other users of its group/)
    chmodSync(shared, 0o700)
    assert.equal(sharedDirectoryWarning(join(shared, 'x.sock')), undefined)
    assert.equal(prepareSocketDirectory(join(shared, 'x.sock')), undefined)
  })
})

describe('prepareUnixSocketPath names the owner of a socket that is not ours', () => {
  it('says that another user is listening', {
    skip: !isRoot && 'needs root to chown a socket',
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'obs-squat-'))
    const path = join(dir, 'in.sock')
    const squatter = createServer()
    await listenUnix(squatter, path, 0o666)
    chownSync(path, 65534, 65534)
    try {
      await assert.rejects(prepareUnixSocketPath(path), (error: unknown) => {
        assert.ok(error instanceof ListenError)
        assert.equal(error.code, 'EADDRINUSE')
        assert.match(error.message, /^another user \(uid 65534\) is already listening on /)
        return true
      })
    } finally {
      await new Promise((resolve) => squatter.close(resolve))
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
