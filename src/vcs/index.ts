/**
 * The driver factory: one VcsDriver per code-source method.
 */
import type { VcsContext, VcsDriver } from './driver.js'
import { GitDriver } from './git.js'

export function createDriver(method: string, ctx: VcsContext): VcsDriver {
  switch (method) {
    case 'git':
      return new GitDriver(ctx)
    default:
      throw new Error(`method ${method} is not available in this version`)
  }
}
