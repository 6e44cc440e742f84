/**
 * Moodle components: which plugin (or core) a file belongs to, from Moodle's own plugin-type directory table
 * (`lib/components.json`, `plugintypes`) and the sub-plugin types the standard plugins declare in their
 * `db/subplugins.json`. `mod/forum/lib.php` -> `mod_forum`, `admin/tool/x/…` -> `tool_x`,
 * `mod/assign/submission/file/…` -> `assignsubmission_file`; anything else is `core`. Moodle 5.1's `public/` prefix is
 * looked through.
 */
import type { FileChanges, RenamedFile } from '../domain.js'

/** Plugin type -> directory, as in Moodle's lib/components.json (5.x, with the deprecated `mnetservice`). */
export const MOODLE_PLUGIN_TYPES: Readonly<Record<string, string>> = {
  aiplacement: 'ai/placement',
  aiprovider: 'ai/provider',
  antivirus: 'lib/antivirus',
  availability: 'availability/condition',
  qtype: 'question/type',
  mod: 'mod',
  auth: 'auth',
  calendartype: 'calendar/type',
  communication: 'communication/provider',
  customfield: 'customfield/field',
  enrol: 'enrol',
  message: 'message/output',
  block: 'blocks',
  media: 'media/player',
  filter: 'filter',
  editor: 'lib/editor',
  format: 'course/format',
  dataformat: 'dataformat',
  profilefield: 'user/profile/field',
  report: 'report',
  coursereport: 'course/report',
  gradeexport: 'grade/export',
  gradeimport: 'grade/import',
  gradepenalty: 'grade/penalty',
  gradereport: 'grade/report',
  gradingform: 'grade/grading/form',
  mlbackend: 'lib/mlbackend',
  mnetservice: 'mnet/service',
  webservice: 'webservice',
  repository: 'repository',
  portfolio: 'portfolio',
  search: 'search/engine',
  qbank: 'question/bank',
  qbehaviour: 'question/behaviour',
  qformat: 'question/format',
  plagiarism: 'plagiarism',
  tool: 'admin/tool',
  cachestore: 'cache/stores',
  cachelock: 'cache/locks',
  fileconverter: 'files/converter',
  contenttype: 'contentbank/contenttype',
  theme: 'theme',
  local: 'local',
  h5plib: 'h5p/h5plib',
  paygw: 'payment/gateway',
  smsgateway: 'sms/gateway',
}

/** Sub-plugin type -> directory, from the `db/subplugins.json` of Moodle's standard plugins. */
export const MOODLE_SUBPLUGIN_TYPES: Readonly<Record<string, string>> = {
  assignsubmission: 'mod/assign/submission',
  assignfeedback: 'mod/assign/feedback',
  assignment: 'mod/assignment/type',
  quiz: 'mod/quiz/report',
  quizaccess: 'mod/quiz/accessrule',
  workshopform: 'mod/workshop/form',
  workshopallocation: 'mod/workshop/allocation',
  workshopeval: 'mod/workshop/eval',
  datafield: 'mod/data/field',
  datapreset: 'mod/data/preset',
  ltisource: 'mod/lti/source',
  ltiservice: 'mod/lti/service',
  booktool: 'mod/book/tool',
  scormreport: 'mod/scorm/report',
  forumreport: 'mod/forum/report',
  bbbext: 'mod/bigbluebuttonbn/extension',
  atto: 'lib/editor/atto/plugins',
  tiny: 'lib/editor/tiny/plugins',
  tinymce: 'lib/editor/tinymce/plugins',
  logstore: 'admin/tool/log/store',
  factor: 'admin/tool/mfa/factor',
}

/** Orders strings by code point: the same on every machine, whatever its locale. */
export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** [directory, type], longest directory first, so that a sub-plugin wins over its parent plugin. */
const TABLE: [string, string][] = Object.entries({ ...MOODLE_PLUGIN_TYPES, ...MOODLE_SUBPLUGIN_TYPES })
  .map(([type, dir]): [string, string] => [`${dir}/`, type])
  .sort((a, b) => b[0].length - a[0].length || byCodePoint(a[0], b[0]))

/** The Moodle component (frankenstyle name) a path relative to the tree root belongs to; `core` outside plugins. */
export function moodleComponent(path: string): string {
  const p = path.startsWith('public/') ? path.slice('public/'.length) : path
  for (const [dir, type] of TABLE) {
    if (!p.startsWith(dir)) continue
    const rest = p.slice(dir.length)
    const slash = rest.indexOf('/')
    // A file directly in the plugin-type folder (mod/index.php) belongs to the parent, not to a plugin.
    if (slash > 0) return `${type}_${rest.slice(0, slash)}`
  }
  return 'core'
}

/** The changes of one component. */
export interface ComponentChanges extends FileChanges {
  component: string
}

/** Counts per component, as report.json gives them. */
export interface ComponentCount {
  component: string
  added: number
  modified: number
  deleted: number
  renamed: number
}

/**
 * Splits changes by component: `core` first, then plugins by name; paths keep their order. A rename belongs to the
 * component of its new path.
 */
export function groupByComponent(files: FileChanges, componentOf: (path: string) => string = moodleComponent): ComponentChanges[] {
  const groups = new Map<string, ComponentChanges>()
  const group = (path: string) => {
    const c = componentOf(path)
    let g = groups.get(c)
    if (!g) {
      g = { component: c, added: [], modified: [], deleted: [], renamed: [] }
      groups.set(c, g)
    }
    return g
  }
  for (const p of files.added) group(p).added.push(p)
  for (const p of files.modified) group(p).modified.push(p)
  for (const p of files.deleted) group(p).deleted.push(p)
  for (const r of files.renamed) group(r.to).renamed.push(r as RenamedFile)
  return [...groups.values()].sort((a, b) => (a.component === 'core' ? -1 : b.component === 'core' ? 1 : byCodePoint(a.component, b.component)))
}

export function countComponents(groups: ComponentChanges[]): ComponentCount[] {
  return groups.map((g) => ({ component: g.component, added: g.added.length, modified: g.modified.length, deleted: g.deleted.length, renamed: g.renamed.length }))
}
