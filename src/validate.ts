/**
 * Small, strict validators for input values. Each returns the parsed value or throws an InputError naming the input,
 * the problem with the value and the fix. Values are shown back only in a truncated, printable form, with any
 * credentials of a URL hidden; the value of a secret input is never shown.
 */
import { hideCredentials } from './credentials.js'
import { InputError } from './errors.js'
import type { InputName } from './inputs.js'

/** A value shown back in a message: printable, at most 60 characters, the user part of a URL or CVSROOT hidden. */
export function show(value: string): string {
  const printable = hideCredentials(value).replace(/[^\x20-\x7e]/g, (c) => (c === '\n' ? '\\n' : c === '\0' ? '\\0' : '?'))
  return JSON.stringify(printable.length > 60 ? `${printable.slice(0, 57)}...` : printable)
}

export const MAX_VALUE = 64 * 1024

/** Checks every raw value: no NUL byte and a bounded size; single-line unless allowed. A secret's value is never shown. */
export function checkRaw(name: InputName, value: string, opts: { multiline?: boolean; max?: number; secret?: boolean } = {}): void {
  const max = opts.max ?? MAX_VALUE
  if (value.includes('\0')) throw new InputError(name, 'contains a NUL byte', 'Remove the NUL character')
  if (value.length > max) {
    throw new InputError(name, `is ${value.length} characters long (at most ${max})`, 'Give a shorter value')
  }
  if (!opts.multiline && /[\r\n]/.test(value)) {
    const where = opts.secret ? `at character ${value.search(/[\r\n]/) + 1} of ${value.length}` : show(value)
    throw new InputError(name, `contains a line break (${where})`, opts.secret ? 'Give the value on one line (a secret copied from a file often ends with a newline: remove it)' : 'Give the value on one line')
  }
}

/** Lists are split on newlines and commas; blank entries are ignored. */
export function splitList(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

export function parseBool(name: InputName, value: string): boolean {
  const v = value.trim()
  if (/^(true|True|TRUE)$/.test(v)) return true
  if (/^(false|False|FALSE)$/.test(v)) return false
  throw new InputError(name, `${show(value)} is not a boolean`, 'Use true or false')
}

export function parseEnum<T extends string>(name: InputName, value: string, allowed: readonly T[]): T {
  const v = value.trim()
  if ((allowed as readonly string[]).includes(v)) return v as T
  throw new InputError(name, `${show(value)} is not one of ${allowed.join(', ')}`, `Use one of: ${allowed.join(', ')}`)
}

export function parseInteger(name: InputName, value: string, min: number, max: number, unit = ''): number {
  const v = value.trim()
  if (!/^\d{1,10}$/.test(v)) {
    throw new InputError(name, `${show(value)} is not a whole number`, `Give a whole number${unit} from ${min} to ${max}`)
  }
  const n = Number(v)
  if (n < min || n > max) {
    throw new InputError(name, `${n} is out of range`, `Give a whole number${unit} from ${min} to ${max}`)
  }
  return n
}

const USER_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/

export function parseUser(name: InputName, value: string): string {
  const v = value.trim()
  if (!USER_RE.test(v)) {
    throw new InputError(
      name,
      `${show(value)} is not a valid user name`,
      'Use a POSIX user name: letters, digits, _ . - (not starting with - or a digit), at most 32 characters',
    )
  }
  return v
}

const LABEL_RE = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/

/** A host name, an IPv4 address, or an IPv6 address (without brackets). */
export function isHostName(v: string): boolean {
  if (v.length === 0 || v.length > 253) return false
  if (v.includes(':')) return /^[0-9a-fA-F:.]{2,45}$/.test(v)
  return v.split('.').every((l) => LABEL_RE.test(l))
}

export interface HostSpec {
  user?: string
  host: string
  port?: number
}

/** `[user@]host[:port]`, with `[v6]:port` for IPv6. */
export function parseHostSpec(name: InputName, value: string): HostSpec {
  const v = value.trim()
  const fix = 'Write [user@]host[:port], e.g. deploy@moodle.example.org:22'
  const m = /^(?:([^@\s]+)@)?(\[[0-9a-fA-F:.]+\]|[^:@\s[\]]+)(?::(\d{1,5}))?$/.exec(v)
  if (!m) throw new InputError(name, `${show(value)} is not a host`, fix)
  const [, user, rawHost, rawPort] = m
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost
  if (!isHostName(host)) throw new InputError(name, `${show(host)} is not a valid host name or address`, fix)
  const spec: HostSpec = { host }
  if (user !== undefined) spec.user = parseUser(name, user)
  if (rawPort !== undefined) spec.port = parseInteger(name, rawPort, 1, 65535)
  return spec
}

const SAFE_PATH_CHARS = /^[A-Za-z0-9._+@~=,/-]+$/

/** The system's limits (Linux): a name of at most 255 bytes, a path of at most 4095. */
export const NAME_MAX = 255
export const PATH_MAX = 4095

/** Refuses a path, or a component of it, longer than the system allows (before anything connects). */
function checkLength(name: InputName, value: string, fix: string): void {
  const bytes = Buffer.byteLength(value, 'utf8')
  if (bytes > PATH_MAX) throw new InputError(name, `${show(value)} is ${bytes} bytes long (a path has at most ${PATH_MAX})`, fix)
  const long = value.split('/').find((c) => Buffer.byteLength(c, 'utf8') > NAME_MAX)
  if (long !== undefined) {
    throw new InputError(name, `${show(value)} has a component of ${Buffer.byteLength(long, 'utf8')} bytes (a name has at most ${NAME_MAX})`, fix)
  }
}

/** An absolute, normalised server path with no shell-special characters. */
export function parseAbsolutePath(name: InputName, value: string): string {
  const v = value.trim()
  const fix = 'Give an absolute, normalised path such as /srv/moodle (letters, digits, . _ - + @ / only)'
  if (!v.startsWith('/')) throw new InputError(name, `${show(value)} is not absolute`, fix)
  if (!SAFE_PATH_CHARS.test(v)) throw new InputError(name, `${show(value)} contains characters that are not allowed`, fix)
  checkLength(name, v, fix)
  const trimmed = v.length > 1 ? v.replace(/\/+$/, '') : v
  const parts = trimmed.split('/').slice(1)
  if (parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new InputError(name, `${show(value)} is not normalised (empty, . or .. segments)`, fix)
  }
  if (parts.some((p) => p.startsWith('-'))) throw new InputError(name, `${show(value)} has a segment starting with -`, fix)
  if (trimmed === '/' || parts.length < 1) throw new InputError(name, `${show(value)} is the root directory`, fix)
  return trimmed
}

/** A path relative to a tree root, normalised, inside the tree, not in its metadata. */
export function parseRelativePath(name: InputName, value: string): string {
  const v = value.trim().replace(/\/+$/, '')
  const fix = 'Give a path relative to the tree root, such as mod/forum (letters, digits, . _ - + @ / only; no .. or leading /)'
  if (v.startsWith('/')) throw new InputError(name, `${show(value)} is absolute`, fix)
  if (!SAFE_PATH_CHARS.test(v)) throw new InputError(name, `${show(value)} contains characters that are not allowed`, fix)
  const parts = v.split('/')
  if (parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new InputError(name, `${show(value)} is not normalised (empty, . or .. segments)`, fix)
  }
  if (parts.some((p) => p.startsWith('-'))) throw new InputError(name, `${show(value)} has a segment starting with -`, fix)
  if (['.git', '.svn', 'CVS', '.delivery'].includes(parts[0]) || parts.includes('.git')) {
    throw new InputError(name, `${show(value)} is version-control or delivery metadata`, fix)
  }
  checkLength(name, v, fix)
  return v
}

/** A list of relative paths without duplicates, where no entry lies inside another. */
export function parseRelativePaths(name: InputName, value: string): string[] {
  const list = splitList(value).map((p) => parseRelativePath(name, p))
  if (list.length > 1000) throw new InputError(name, `lists ${list.length} paths (at most 1000)`, 'Deliver the whole tree instead')
  const sorted = [...new Set(list)].sort()
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].startsWith(`${sorted[i - 1]}/`)) {
      throw new InputError(name, `${show(sorted[i])} lies inside ${show(sorted[i - 1])}`, 'List the outer path only')
    }
  }
  return sorted
}

/** A git ref, an SVN revision or a CVS tag: a conservative character set, never an option. */
export function parseRef(name: InputName, value: string): string {
  const v = value.trim()
  const fix = 'Give a branch, tag, commit or revision name (letters, digits, . _ - / only, not starting with - or /)'
  if (v === '') return ''
  if (v.length > 255) throw new InputError(name, 'is longer than 255 characters', fix)
  if (!/^[A-Za-z0-9._/-]+$/.test(v)) throw new InputError(name, `${show(value)} contains characters that are not allowed`, fix)
  if (v.startsWith('-') || v.startsWith('/') || v.endsWith('/') || v.endsWith('.') || v.includes('..') || v.includes('//') || v.endsWith('.lock')) {
    throw new InputError(name, `${show(value)} is not a valid ref name`, fix)
  }
  return v
}

/** A repository location: a URL, scp-like git address, or absolute path; never an option, no whitespace. */
export function parseRepository(name: InputName, value: string): string {
  const v = value.trim()
  const fix =
    'Give a repository URL (https://, ssh://, git://, svn://, file://), user@host:path, an absolute path, or for CVS CVSROOT#module'
  if (v === '') return ''
  if (v.length > 2048) throw new InputError(name, 'is longer than 2048 characters', fix)
  if (/[\s'"`$\\;&|<>(){}*?!\x00-\x1f\x7f]/.test(v)) {
    throw new InputError(name, `${show(value)} contains characters that are not allowed`, fix)
  }
  if (v.startsWith('-')) throw new InputError(name, `${show(value)} starts with -`, fix)
  if (/^[a-z][a-z0-9+.-]*::/i.test(v) || /^ext::/i.test(v)) {
    throw new InputError(name, `${show(value)} uses a remote helper transport`, fix)
  }
  return v
}

export function parseUrl(name: InputName, value: string, protocols: string[]): URL {
  const v = value.trim()
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw new InputError(name, `${show(value)} is not a URL`, `Give a full URL such as ${protocols[0]}//127.0.0.1/`)
  }
  if (!protocols.includes(u.protocol)) {
    throw new InputError(name, `${show(value)} uses ${u.protocol}`, `Use ${protocols.join(' or ')}`)
  }
  if (/[\s\x00-\x1f]/.test(v)) throw new InputError(name, `${show(value)} contains white space`, 'Encode the URL')
  return u
}

const EMAIL_RE = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

export function parseEmail(name: InputName, value: string): string {
  const v = value.trim()
  const m = /^(?:([^<>]*)<([^<>]+)>|([^<>]+))$/.exec(v)
  const address = m ? (m[2] ?? m[3]).trim() : ''
  if (!m || !EMAIL_RE.test(address) || address.length > 254) {
    throw new InputError(name, `${show(value)} is not an email address`, 'Give addresses like ops@example.org or "Ops" <ops@example.org>')
  }
  return v
}
