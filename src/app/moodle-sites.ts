/**
 * The nodes of one Moodle site delivered as a plain fleet (without `cluster: true`): each host decides about the
 * upgrade on its own, so with hosts delivered at once several would upgrade the one database together. The hosts of a
 * run that find an upgrade pending claim their site by its address (`$CFG->wwwroot`); a second host of the same site
 * is refused before it changes anything, and the run says to use `cluster: true`.
 */
import { Refusal } from '../errors.js'
import type { Settings } from '../settings.js'
import type { HostContext } from '../steps/context.js'

/** Per run (its settings): the sites whose database a host is upgrading, by address, and the host. */
const upgrading = new WeakMap<Settings, Map<string, string>>()

/** Whether the run's hosts decide about the upgrade each on its own: several hosts, neither cluster nor shared code. */
export function plainFleet(settings: Settings): boolean {
  return settings.hosts.length > 1 && !settings.cluster && !settings.sharedCode
}

/** Claims the site at `wwwroot` for this host's upgrade; refuses when another host of the run claimed it first. */
export function claimUpgrade(ctx: HostContext, wwwroot: string | undefined): void {
  const { settings } = ctx
  if (!plainFleet(settings) || !wwwroot) return
  let sites = upgrading.get(settings)
  if (!sites) upgrading.set(settings, (sites = new Map()))
  const key = wwwroot.trim().replace(/\/+$/, '').toLowerCase()
  const other = sites.get(key)
  if (other && other !== ctx.target.label) {
    throw new Refusal(
      `${other}, another host of this run, is upgrading the database of the same Moodle site (wwwroot ${wwwroot}): these hosts are nodes of one site, and each would upgrade its one database. Deliver them with cluster: true, which upgrades it once with every node switched. This node was not switched (state delivering: run again to resume)`,
    )
  }
  sites.set(key, ctx.target.label)
}
