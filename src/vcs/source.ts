/**
 * Validation of `repository` for the svn, cvs and push methods, on top of the generic checks of validate.ts (no
 * shell characters, no leading `-`, no remote-helper transport). A host or user that starts with `-` is refused too:
 * svn+ssh and CVS's :ext: start ssh with them, where they would be read as options.
 */
import { InputError } from '../errors.js'
import type { InputName } from '../inputs.js'
import { show } from '../validate.js'

const NAME = '[A-Za-z0-9_][A-Za-z0-9_.~%+-]*'

/** An svn URL: file://, svn://, svn+ssh://, http:// or https://, with a host that is not an option. */
export function checkSvnUrl(name: InputName, value: string): void {
  // A user:password part is refused by the caller; it must not be shown back in messages.
  const url = value.replace(/^([a-z+]+:\/\/)[^/@]*:[^/@]*@/, '$1')
  const fix = 'Give the URL of trunk, of a branch or of a tag: https://svn.example.org/repo/trunk, svn://host/repo/trunk, svn+ssh://user@host/repo/trunk or file:///var/svn/repo/trunk'
  const m = /^(file|svn|svn\+ssh|https?):\/\/([^/]*)(\/.*)?$/.exec(url)
  if (!m) throw new InputError(name, `${show(url)} is not a Subversion URL`, fix)
  const [, scheme, authority, path] = m
  if (scheme === 'file') {
    if (authority !== '' && authority !== 'localhost') throw new InputError(name, `${show(url)} names a host in a file:// URL`, fix)
    if (!path || path === '/') throw new InputError(name, `${show(url)} names no repository path`, fix)
    return
  }
  // A user part is checked by the caller (credentials belong in repository-username / repository-password).
  const hm = new RegExp(`^(?:(${NAME})@)?(${NAME}|\\[[0-9a-fA-F:.]+\\])(?::(\\d{1,5}))?$`).exec(authority)
  if (!hm) throw new InputError(name, `${show(url)} has no valid host`, fix)
}

export interface CvsSource {
  root: string
  module: string
}

/** Splits and checks `CVSROOT#module`. */
export function parseCvsSource(name: InputName, value: string): CvsSource {
  const fix = 'Write CVSROOT#module, e.g. /var/lib/cvs#moodle or :pserver:anonymous@cvs.example.org:/cvsroot#moodle'
  const i = value.lastIndexOf('#')
  if (i <= 0 || i === value.length - 1 || value.indexOf('#') !== i) {
    throw new InputError(name, `${show(value)} is not CVSROOT#module`, fix)
  }
  const root = value.slice(0, i)
  const module = value.slice(i + 1)
  if (/^:[a-z]+(;[^:]*)?:[^@:/]*:[^@/]*@/.test(root)) {
    throw new InputError(name, 'holds a password in the CVSROOT', "Put it in 'repository-password'")
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9._/-]*$/.test(module) || module.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new InputError(name, `the module ${show(module)} is not a module name`, fix)
  }
  const m = new RegExp(`^(?::(local|fork|pserver|ext)(?:;[a-z]+=[A-Za-z0-9._-]+)*:)?(?:(?:(${NAME})@)?(${NAME}):(\\d{0,5}))?(/[A-Za-z0-9._/+-]*)$`).exec(
    root,
  )
  if (!m) throw new InputError(name, `the CVSROOT ${show(root)} is not a CVS root`, fix)
  const [, method, , host, , path] = m
  if (path.split('/').some((s) => s === '..')) throw new InputError(name, `the CVSROOT ${show(root)} holds ..`, fix)
  if ((method === 'pserver' || method === 'ext') && !host) {
    throw new InputError(name, `the CVSROOT ${show(root)} names no host`, fix)
  }
  return { root, module }
}

/** push: `repository`, when given, is the checkout on the runner (an absolute path); empty means the workspace. */
export function checkPushSource(name: InputName, value: string): void {
  if (value && !value.startsWith('/')) {
    throw new InputError(name, `${show(value)} is not an absolute path on the runner`, 'Leave it empty to send the workspace ($GITHUB_WORKSPACE), or give the absolute path of a git checkout on the runner')
  }
}

/** The source checks of one method; throws InputError. */
export function checkSource(method: string, repository: string): void {
  if (!repository) return
  if (method === 'svn') checkSvnUrl('repository', repository)
  else if (method === 'cvs') parseCvsSource('repository', repository)
  else if (method === 'push') checkPushSource('repository', repository)
}
