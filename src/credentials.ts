/**
 * Credentials in a repository location or a URL: found (so that an input holding them is refused), hidden (in what a
 * message shows back), or removed (from a location read from a server). URLs are read with the WHATWG URL parser.
 */

/**
 * `value` with what could be credentials replaced by ***: the user part of a URL (`scheme://user:password@`), of a
 * CVSROOT (`:pserver:user:password@`) and of an scp-like address with a password (`user:password@host:path`).
 */
export function hideCredentials(value: string): string {
  return value
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/gi, '$1***@')
    .replace(CVS_PASSWORD, '$1***@')
    .replace(SCP_PASSWORD, '***@')
}

const SSH_SCHEMES = ['ssh:', 'git+ssh:', 'ssh+git:', 'svn+ssh:']
const CVS_PASSWORD = /^(:[a-z]+(?:;[^:]*)?:)([^@/:]*):[^@/]*@/i
const SCP_PASSWORD = /^[^/@:\s]+:[^/@\s]*@/

/**
 * Why a repository location holds credentials, or undefined. Any URL with a password is refused, whatever its scheme
 * (WHATWG URL parser); a user name alone only for ssh-based schemes, where it is the login and a key authenticates
 * (elsewhere it may be a token: `https://TOKEN@host/`); and scp-like `user:password@host:path`. A value the parser
 * refuses is judged by its text: anything before an `@` in the authority counts.
 */
export function credentialsIn(value: string): string | undefined {
  const v = value.trim()
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(v)
  if (scheme) {
    let u: URL | undefined
    try {
      u = new URL(v)
    } catch {
      u = undefined
    }
    if (!u) return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(v) ? 'holds a user name or password in the URL' : undefined
    if (u.password) return 'holds a password in the URL'
    if (u.username && !SSH_SCHEMES.includes(scheme[1].toLowerCase())) return `holds a user name or token in the ${scheme[1]}// URL`
    return undefined
  }
  if (CVS_PASSWORD.test(v)) return 'holds a password in the CVSROOT'
  if (SCP_PASSWORD.test(v)) return 'holds a password in the address (user:password@host)'
  return undefined
}

/**
 * `value` without the credentials `credentialsIn` finds: the user part of a URL (an ssh URL keeps its login name), the
 * `user:password@` of an scp-like address, the password of a CVSROOT. For locations read from a server (an adopted
 * checkout's origin).
 */
export function withoutCredentials(value: string): string {
  if (!credentialsIn(value)) return value
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i.exec(value)
  if (m) {
    const user = m[2].split(':')[0]
    const keep = user && SSH_SCHEMES.includes(m[1].slice(0, -2).toLowerCase()) ? `${user}@` : ''
    return `${m[1]}${keep}${value.slice(m[0].length)}`
  }
  if (CVS_PASSWORD.test(value)) return value.replace(CVS_PASSWORD, '$1$2@')
  return value.replace(SCP_PASSWORD, '')
}
