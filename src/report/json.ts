/**
 * The JSON rendering of a report: `report.json`, the machine-readable record (schema in docs/reports.md). It is the
 * model as it is, plus, for each Moodle host, `components`: the counts of changed files per Moodle component.
 */
import { type ComponentCount, countComponents } from './components.js'
import type { HostReport, Report } from './model.js'
import { componentsOf } from './view.js'

export type HostReportJson = HostReport & { components?: ComponentCount[] }
export type ReportJson = Omit<Report, 'hosts'> & { hosts: HostReportJson[] }

export function toReportJson(r: Report): ReportJson {
  return {
    ...r,
    hosts: r.hosts.map((h) => {
      const groups = componentsOf(h)
      return groups ? { ...h, components: countComponents(groups) } : h
    }),
  }
}

export function renderJson(r: Report): string {
  return `${JSON.stringify(toReportJson(r), null, 2)}\n`
}
