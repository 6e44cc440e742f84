/**
 * Subversion fixtures for delivery tests, built as a local user: a repository made with `svnadmin create` holding the
 * Moodle-shaped tree of gitrepo.ts in trunk, in three revisions (r1 = v1, r2 = v2, r3 = v3), plus odd file names
 * (spaces, unicode, `@`). `startSvnserve` serves it on a free loopback port with a user name and password.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { moodleV1, moodleVersionPhp } from './gitrepo.js'
import { runAs, runOpsAs, sleep } from './proc.js'
import { makeUser } from './sshd.js'

export interface SvnRepo {
  /** The repository directory (svnadmin create). */
  dir: string
  /** file:// URL of trunk. */
  trunk: string
  /** A working copy of trunk, owned by the owner. */
  work: string
  /** Runs a shell command in the working copy as the owner; resolves with stdout. */
  exec(cmd: string): Promise<string>
  /** Writes (or, for null, deletes; `{ move: from }` renames) files, commits; resolves with the new revision. */
  commit(message: string, files: Record<string, string | null | { move: string }>): Promise<string>
  remove(): Promise<void>
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/** Odd names every fixture carries, to see them reported exactly. */
export const ODD_FILES: Record<string, string> = {
  'lang/en/café menu.php': "<?php\n$string['menu'] = 'Café';\n",
  'pix/icon@2x.txt': 'an icon\n',
}

export async function makeSvnRepo(owner: string): Promise<SvnRepo & { revs: { v1: string; v2: string; v3: string } }> {
  await makeUser(owner)
  const root = await mkdtemp('/tmp/dlv-svn-')
  const [uid, gid] = (await runAs(owner, 'echo "$(id -u) $(id -g)"', { check: true })).stdout.trim().split(' ')
  await chown(root, Number(uid), Number(gid))
  await chmod(root, 0o755)
  const dir = `${root}/repo`
  const work = `${root}/work`
  const env = 'set -e; umask 022; export LC_ALL=C.UTF-8'
  await runAs(owner, `${env}; svnadmin create "$1"; svn -q mkdir -m layout "file://$1/trunk" "file://$1/tags"; svn -q checkout "file://$1/trunk" "$2"`, {
    cwd: root,
    args: [dir, work],
    check: true,
  })
  const exec = async (cmd: string) => (await runAs(owner, `${env}\n${cmd}`, { cwd: work, check: true })).stdout
  const repo: SvnRepo = {
    dir,
    trunk: `file://${dir}/trunk`,
    work,
    exec,
    remove: () => rm(root, { recursive: true, force: true }),
    async commit(message, files) {
      // One process for the whole commit: every change in order, then commit, update and the new revision.
      const ops = Object.entries(files).map(([path, content]): [string, string, string] =>
        content === null ? ['R', path, ''] : typeof content === 'object' ? ['M', path, content.move] : ['W', path, content])
      const out = await runOpsAs(owner, work, ops, [
        '  export LC_ALL=C.UTF-8',
        '  case $op in',
        '    R) svn -q rm -- "$p@" ;;',
        '    M) svn -q mkdir --parents -- "$(dirname "$p")" 2>/dev/null || true; svn -q mv -- "$v@" "$p" ;;',
        '    W) put; svn -q add --force --parents -- "$p@" ;;',
        '  esac',
      ].join('\n'), `export LC_ALL=C.UTF-8\nsvn -q commit -m ${q(message)} && svn -q update && svn info --show-item revision .`)
      return out.trim()
    },
  }
  const v1 = await repo.commit('v1', { ...moodleV1, ...ODD_FILES })
  const v2 = await repo.commit('v2', {
    'mod/forum/lib.php': "<?php\nfunction forum_supports($feature) {\n    return $feature === 'v2' ? true : null;\n}\n",
    'index.php': "<?php\nrequire_once('config.php');\necho 'Moodle front page v2';\n",
    'mod/forum/newfile.php': "<?php\n// Added in v2.\n",
    'lib/old.php': null,
    'theme/boost/settings.php': { move: 'theme/boost/config.php' },
    'admin/tool/demo/lang/en/tool_demo.php': "<?php\n$string['pluginname'] = 'Demo tool';\n",
    'lang/en/café menu.php': "<?php\n$string['menu'] = 'Café v2';\n",
  })
  const v3 = await repo.commit('v3', {
    'mod/forum/view.php': "<?php\necho 'Forum view v3';\n",
    'lib/setup.php': "<?php\n$CFG->setupversion = 3;\n",
    'version.php': moodleVersionPhp('2023100900.01'),
  })
  return Object.assign(repo, { revs: { v1, v2, v3 } })
}

export interface Svnserve {
  /** svn:// URL of the repository root. */
  url: string
  user: string
  password: string
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a ? a.port : 0
      s.close(() => resolve(port))
    })
  })
}

/** Serves `repo` with svnserve on a free loopback port: anonymous access refused, one user with a password. */
export async function startSvnserve(repo: SvnRepo, owner: string, password: string): Promise<Svnserve> {
  const user = 'deliverer'
  await writeFile(`${repo.dir}/conf/svnserve.conf`, '[general]\nanon-access = none\nauth-access = read\npassword-db = passwd\nrealm = delivery-test\n')
  await writeFile(`${repo.dir}/conf/passwd`, `[users]\n${user} = ${password}\n`)
  for (let attempt = 0; ; attempt++) {
    const port = await freePort()
    const child: ChildProcess = spawn('runuser', ['-u', owner, '--', 'svnserve', '--foreground', '-d', '--listen-host', '127.0.0.1', '--listen-port', String(port), '-r', repo.dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let err = ''
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy()
          resolve(true)
        })
        s.once('error', () => resolve(false))
      })
      if (up) {
        return {
          url: `svn://127.0.0.1:${port}`,
          user,
          password,
          async stop() {
            if (child.exitCode === null) {
              const gone = new Promise((r) => child.once('exit', r))
              child.kill('SIGTERM')
              await gone
            }
          },
        }
      }
      if (child.exitCode !== null) break
      await sleep(50)
    }
    child.kill('SIGKILL')
    if (attempt >= 3) throw new Error(`svnserve did not start: ${err}`)
  }
}
