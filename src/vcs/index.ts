/**
 * The driver factory: one VcsDriver per code-source method.
 */
import type { VcsContext, VcsDriver } from './driver.js'
import { CvsDriver } from './cvs.js'
import { GitDriver } from './git.js'
import { PushDriver } from './push.js'
import { SvnDriver } from './svn.js'

export function createDriver(method: string, ctx: VcsContext): VcsDriver {
  switch (method) {
    case 'git':
      return new GitDriver(ctx)
    case 'svn':
      return new SvnDriver(ctx)
    case 'cvs':
      return new CvsDriver(ctx)
    case 'push':
      return new PushDriver(ctx)
    default:
      throw new Error(`method ${method} is not available in this version`)
  }
}
