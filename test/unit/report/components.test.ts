/**
 * Files to Moodle components, with Moodle's plugin-type directory table and the standard plugins' sub-plugin types.
 */
import { describe, expect, it } from 'vitest'
import { groupByComponent, MOODLE_PLUGIN_TYPES, moodleComponent } from '../../../src/report/components.js'

describe('moodleComponent', () => {
  it.each([
    ['mod/forum/lib.php', 'mod_forum'],
    ['mod/forum/classes/local/x.php', 'mod_forum'],
    ['admin/tool/demo/lang/en/tool_demo.php', 'tool_demo'],
    ['blocks/html/block_html.php', 'block_html'],
    ['theme/boost/config.php', 'theme_boost'],
    ['question/type/essay/renderer.php', 'qtype_essay'],
    ['course/format/topics/lib.php', 'format_topics'],
    ['user/profile/field/menu/field.class.php', 'profilefield_menu'],
    ['grade/grading/form/rubric/lib.php', 'gradingform_rubric'],
    ['lib/editor/tiny/lib.php', 'editor_tiny'],
    ['lib/editor/tiny/plugins/media/lib.php', 'tiny_media'],
    ['lib/editor/atto/plugins/bold/version.php', 'atto_bold'],
    ['mod/assign/submission/file/locallib.php', 'assignsubmission_file'],
    ['mod/assign/feedback/comments/locallib.php', 'assignfeedback_comments'],
    ['mod/quiz/report/overview/report.php', 'quiz_overview'],
    ['mod/quiz/accessrule/seb/rule.php', 'quizaccess_seb'],
    ['admin/tool/log/store/standard/version.php', 'logstore_standard'],
    ['admin/tool/mfa/factor/totp/version.php', 'factor_totp'],
    ['ai/provider/openai/version.php', 'aiprovider_openai'],
    ['payment/gateway/paypal/version.php', 'paygw_paypal'],
    ['local/custom/version.php', 'local_custom'],
    // Files directly in a plugin-type folder belong to the parent, not to a plugin.
    ['mod/quiz/report/reportlib.php', 'mod_quiz'],
    ['mod/index.php', 'core'],
    ['blocks/moodleblock.class.php', 'core'],
    ['admin/tool/upgrade.txt', 'core'],
    // Core.
    ['index.php', 'core'],
    ['version.php', 'core'],
    ['lib/moodlelib.php', 'core'],
    ['admin/settings/plugins.php', 'core'],
    ['lib/editor', 'core'],
    // Moodle 5.1 keeps the code under public/.
    ['public/mod/forum/lib.php', 'mod_forum'],
    ['public/lib/setup.php', 'core'],
    ['composer.json', 'core'],
  ])('%s -> %s', (path, component) => {
    expect(moodleComponent(path)).toBe(component)
  })

  it('knows every plugin type of Moodle 5 (lib/components.json)', () => {
    for (const t of ['mod', 'block', 'tool', 'local', 'theme', 'qtype', 'auth', 'enrol', 'filter', 'report', 'format', 'repository', 'aiprovider', 'smsgateway', 'qbank', 'h5plib']) {
      expect(MOODLE_PLUGIN_TYPES[t], t).toBeDefined()
    }
  })
})

describe('groupByComponent', () => {
  it('puts core first, plugins by name, renames with their new path', () => {
    const groups = groupByComponent({
      added: ['mod/forum/a.php', 'index.php'],
      modified: ['admin/tool/x/b.php'],
      deleted: ['mod/forum/old.php'],
      renamed: [{ from: 'lib/a.php', to: 'local/y/a.php' }],
    })
    expect(groups.map((g) => g.component)).toEqual(['core', 'local_y', 'mod_forum', 'tool_x'])
    expect(groups[2]).toEqual({ component: 'mod_forum', added: ['mod/forum/a.php'], modified: [], deleted: ['mod/forum/old.php'], renamed: [] })
    expect(groups[1].renamed).toEqual([{ from: 'lib/a.php', to: 'local/y/a.php' }])
  })
})
