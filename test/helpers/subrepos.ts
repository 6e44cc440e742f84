/**
 * A Moodle site kept as git does it on many real sites: the core tree in one repository, plugins as submodules.
 * Bare repositories side by side in one folder, owned by a local user (their paths are their URLs):
 *
 *   site.git         the superproject (a Moodle-shaped tree)
 *   attendance.git   mod/attendance, added with a relative URL (../attendance.git); it holds a nested submodule,
 *                    vendor/attlib, itself relative to it (../attlib.git)
 *   attlib.git       the nested one
 *   certificate.git  mod/certificate, added with an absolute URL
 *
 * Versions: v1 the site with mod/attendance (attendance a1 with attlib l1); v2 attendance bumped to a2 (lib.php
 * modified, lang file added, attlib bumped to l2) and mod/certificate added; v3 mod/certificate removed and index.php
 * changed. Each is tagged on site.git.
 */
import { chown, mkdtemp, rm } from 'node:fs/promises'
import { runAs } from './proc.js'
import { makeUser } from './sshd.js'
import { moodleV1 } from './gitrepo.js'

export interface SubmoduleSite {
  root: string
  /** URL (path) of the superproject's bare repository. */
  site: string
  /** URL of each plugin repository. */
  urls: { attendance: string; attlib: string; certificate: string }
  commits: {
    site: { v1: string; v2: string; v3: string }
    attendance: { a1: string; a2: string }
    attlib: { l1: string; l2: string }
    certificate: string
  }
  /** Runs a script as the owner in `root`; resolves with stdout. */
  exec(cmd: string, args?: string[]): Promise<string>
  remove(): Promise<void>
}

const SETUP = `set -e; umask 022
export GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=t@example.invalid
# write DIR PATH CONTENT: a file in a work clone
write() { mkdir -p "$(dirname "$1/$2")"; printf '%s' "$3" > "$1/$2"; }
# commit DIR MESSAGE: commits everything and pushes; prints the sha
commit() { git -C "$1" add -A; git -C "$1" commit -q -m "$2"; git -C "$1" push -q origin HEAD:main; git -C "$1" rev-parse HEAD; }
repo() {
  git init -q --bare -b main "$1.git"; git -C "$1.git" config uploadpack.allowAnySHA1InWant true
  git -c init.defaultBranch=main clone -q "$1.git" "w-$1" 2>/dev/null
}
`

export async function makeSubmoduleSite(owner: string): Promise<SubmoduleSite> {
  await makeUser(owner)
  const root = await mkdtemp('/tmp/dlv-sub-')
  const [uid, gid] = (await runAs(owner, 'echo "$(id -u) $(id -g)"', { check: true })).stdout.trim().split(' ')
  await chown(root, Number(uid), Number(gid))
  const exec = async (cmd: string, args: string[] = []) => (await runAs(owner, `${SETUP}${cmd}`, { cwd: root, args, check: true })).stdout.trim()
  const sub = 'git -c protocol.file.allow=always'
  const l1 = await exec(`repo attlib; write w-attlib attlib.php '<?php // attlib l1'; write w-attlib README 'attlib'; commit w-attlib l1`)
  const a1 = await exec(`repo attendance
write w-attendance version.php '<?php $plugin->component = "mod_attendance"; $plugin->version = 2023100900;'
write w-attendance lib.php '<?php // attendance a1'
write w-attendance view.php '<?php // view'
cd w-attendance; ${sub} submodule add -q ../attlib.git vendor/attlib; cd ..
commit w-attendance a1`)
  await exec('repo site')
  for (const [p, c] of Object.entries(moodleV1)) await exec('write w-site "$1" "$2"', [p, c])
  const v1 = await exec(`cd w-site; ${sub} submodule add -q ../attendance.git mod/attendance; cd ..
commit w-site v1`)
  const l2 = await exec(`write w-attlib attlib.php '<?php // attlib l2'; commit w-attlib l2`)
  const a2 = await exec(`write w-attendance lib.php '<?php // attendance a2'
write w-attendance lang/en/attendance.php '<?php $string["pluginname"] = "Attendance";'
cd w-attendance; ${sub} submodule update -q --init; git -C vendor/attlib fetch -q; git -C vendor/attlib checkout -q ${l2}; cd ..
commit w-attendance a2`)
  const cert = await exec(`repo certificate
write w-certificate version.php '<?php $plugin->component = "mod_certificate";'
write w-certificate lib.php '<?php // certificate'
commit w-certificate c1`)
  const v2 = await exec(`cd w-site; ${sub} submodule update -q --init --recursive
git -C mod/attendance fetch -q; git -C mod/attendance checkout -q ${a2}
${sub} submodule add -q "$1/certificate.git" mod/certificate; cd ..
commit w-site v2`, [root])
  const v3 = await exec(`cd w-site; git rm -q -r mod/certificate; rm -rf .git/modules/mod/certificate; cd ..
write w-site index.php '<?php echo "v3";'
commit w-site v3`)
  await exec(`git -C w-site tag v1 ${v1}; git -C w-site tag v2 ${v2}; git -C w-site tag v3 ${v3}; git -C w-site push -q origin v1 v2 v3`)
  return {
    root,
    site: `${root}/site.git`,
    urls: { attendance: `${root}/attendance.git`, attlib: `${root}/attlib.git`, certificate: `${root}/certificate.git` },
    commits: { site: { v1, v2, v3 }, attendance: { a1, a2 }, attlib: { l1, l2 }, certificate: cert },
    exec,
    remove: () => rm(root, { recursive: true, force: true }),
  }
}
