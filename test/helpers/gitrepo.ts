/**
 * Git fixtures for delivery tests, built as a local user (git refuses repositories owned by someone else): a bare
 * repository (its path is the URL) plus a work clone that pushes to its `main` branch. `makeMoodleRepo` gives a small
 * Moodle-shaped tree in three versions, tagged v1, v2, v3; `makePlainGitRepo` one commit of the files given.
 * The bare repository allows fetching any commit by sha (`uploadpack.allowAnySHA1InWant`).
 */

import { chmod, chown, mkdtemp, rm } from 'node:fs/promises'
import { runAs, runOpsAs } from './proc.js'
import { makeUser } from './sshd.js'

export interface GitRepo {
  /** Bare repository: usable as a git URL by its owner (and readable by others). */
  dir: string
  /** Work clone, owned by the owner. */
  work: string
  /** Sha of the last commit made by the helper. */
  head: string
  /** Runs a shell command in the work clone as the owner; resolves with stdout, throws on failure. */
  exec(cmd: string): Promise<string>
  /** Writes (or, for null, deletes) files, commits everything, pushes to main; resolves with the new sha. */
  commit(message: string, files: Record<string, string | null>): Promise<string>
  /** Deletes the bare repository and the work clone. */
  remove(): Promise<void>
}

export interface MoodleRepo extends GitRepo {
  commits: { v1: string; v2: string; v3: string }
}

async function createRepo(owner: string): Promise<GitRepo> {
  await makeUser(owner)
  const root = await mkdtemp('/tmp/dlv-git-')
  const [uid, gid] = (await runAs(owner, 'echo "$(id -u) $(id -g)"', { check: true })).stdout.trim().split(' ')
  await chown(root, Number(uid), Number(gid))
  await chmod(root, 0o755)
  const dir = `${root}/repo.git`
  const work = `${root}/work`
  await runAs(owner, [
    'set -e; umask 022',
    'git init -q --bare -b main "$1"',
    'git -C "$1" config uploadpack.allowAnySHA1InWant true',
    'git -c init.defaultBranch=main clone -q "$1" "$2" 2>/dev/null',
    'cd "$2"; git config user.name "Delivery Test"; git config user.email "dlvtest@example.invalid"',
    'git symbolic-ref HEAD refs/heads/main',
  ].join('\n'), { cwd: root, args: [dir, work], check: true })

  const exec = async (cmd: string): Promise<string> =>
    (await runAs(owner, `set -e; umask 022\n${cmd}`, { cwd: work, check: true })).stdout
  const repo: GitRepo = {
    dir,
    work,
    head: '',
    exec,
    remove: () => rm(root, { recursive: true, force: true }),
    async commit(message, files) {
      // One process for the whole commit: the writes and removals in order, then commit, push and the new sha.
      const ops = Object.entries(files).map(([path, content]): [string, string, string] =>
        content === null ? ['R', path, ''] : ['W', path, content])
      const out = await runOpsAs(owner, work, ops, [
        '  if [ "$op" = R ]; then git rm -q -f -- "$p"; else put; fi',
      ].join('\n'), `git add -A && git commit -q -m ${quote(message)} && git push -q origin HEAD:main && git rev-parse HEAD`)
      repo.head = out.trim()
      return repo.head
    },
  }
  return repo
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/** A bare repository with one commit of `files`, owned by `owner`. */
export async function makePlainGitRepo(owner: string, files: Record<string, string>): Promise<GitRepo> {
  const repo = await createRepo(owner)
  await repo.commit('Initial commit', files)
  return repo
}

const php = (body: string): string => `<?php\ndefined('MOODLE_INTERNAL') || die();\n\n${body}\n`

export const moodleVersionPhp = (version: string): string => php([
  `$version  = ${version};              // YYYYMMDD      = weekly release date of this DEV branch.`,
  `$release  = '4.3 (Build: 20231009)';    // Human-friendly version name`,
  `$branch   = '403';                      // This version's branch.`,
  `$maturity = MATURITY_STABLE;            // This version's maturity level.`,
].join('\n'))

/** Version 1 of the Moodle-shaped tree: path → content. */
export const moodleV1: Record<string, string> = {
  '.gitignore': '/config.php\n',
  'version.php': moodleVersionPhp('2023100900.00'),
  'config-dist.php': "<?php\nunset($CFG);\nglobal $CFG;\n$CFG = new stdClass();\n$CFG->dbtype = 'pgsql';\n",
  'index.php': "<?php\nrequire_once('config.php');\necho 'Moodle front page v1';\n",
  'lib/setup.php': php("$CFG->setupversion = 1;"),
  'lib/moodlelib.php': php("function moodle_demo_function() {\n    return 42;\n}"),
  'lib/old.php': "<?php\n// Obsolete library, removed in v2.\nfunction old_legacy_helper(array $items): int {\n    return count($items);\n}\n",
  'mod/forum/version.php': php("$plugin->version = 2023100900;\n$plugin->component = 'mod_forum';"),
  'mod/forum/lib.php': php("function forum_supports($feature) {\n    return null;\n}"),
  'mod/forum/view.php': "<?php\nrequire_once('../../config.php');\necho 'Forum view v1';\n",
  'mod/forum/lang/en/forum.php': php("$string['pluginname'] = 'Forum';"),
  'admin/tool/demo/version.php': php("$plugin->version = 2023100900;\n$plugin->component = 'tool_demo';"),
  'theme/boost/config.php': php("$THEME->name = 'boost';\n$THEME->parents = [];\n$THEME->sheets = [];"),
  'README.txt': 'A tiny Moodle-shaped tree for the Delivery tests.\n',
}

/**
 * A bare repository with three versions of a Moodle-shaped tree (tags v1, v2, v3 on main). v2 modifies
 * mod/forum/lib.php and index.php, adds mod/forum/newfile.php and admin/tool/demo/lang/en/tool_demo.php, deletes
 * lib/old.php and renames theme/boost/config.php to theme/boost/settings.php unchanged. v3 changes mod/forum/view.php
 * and lib/setup.php and bumps $version to 2023100900.01.
 */
export async function makeMoodleRepo(owner: string): Promise<MoodleRepo> {
  const repo = await createRepo(owner)
  const v1 = await repo.commit('v1: Moodle 4.3 tree', moodleV1)
  const v2 = await repo.commit('v2: forum changes, rename in theme', {
    'mod/forum/lib.php': php("function forum_supports($feature) {\n    return $feature === 'v2' ? true : null;\n}"),
    'index.php': "<?php\nrequire_once('config.php');\necho 'Moodle front page v2';\n",
    'mod/forum/newfile.php': php("/** Added in v2. */\nfunction forum_new_feature(int $forumid): string {\n    return 'forum ' . $forumid;\n}"),
    'lib/old.php': null,
    'theme/boost/config.php': null,
    'theme/boost/settings.php': moodleV1['theme/boost/config.php'] ?? '',
    'admin/tool/demo/lang/en/tool_demo.php': php("$string['pluginname'] = 'Demo tool';"),
  })
  const v3 = await repo.commit('v3: setup and forum view, version bump', {
    'mod/forum/view.php': "<?php\nrequire_once('../../config.php');\necho 'Forum view v3';\n",
    'lib/setup.php': php('$CFG->setupversion = 3;'),
    'version.php': moodleVersionPhp('2023100900.01'),
  })
  await repo.exec(`git tag v1 ${v1} && git tag v2 ${v2} && git tag v3 ${v3} && git push -q origin v1 v2 v3`)
  return Object.assign(repo, { commits: { v1, v2, v3 } })
}
