/**
 * CVS fixtures for delivery tests, built as a local user (CVS refuses to commit as root): a repository made with
 * `cvs init`, module `moodle` holding the Moodle-shaped tree of gitrepo.ts in three versions tagged v1, v2, v3 (CVS
 * has no rename: v2 removes theme/boost/config.php and adds theme/boost/settings.php). `startPserver` serves it with
 * `cvs pserver` on a free loopback port, one user with a password.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { moodleV1, moodleVersionPhp } from './gitrepo.js'
import { run, runAs, runOpsAs } from './proc.js'
import { makeUser } from './sshd.js'
import { ODD_FILES } from './svnrepo.js'

export interface CvsRepo {
  /** The CVSROOT (a local path). */
  root: string
  work: string
  exec(cmd: string): Promise<string>
  /** Writes (or, for null, removes) files, commits, tags. */
  commit(message: string, tag: string, files: Record<string, string | null>): Promise<void>
  remove(): Promise<void>
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

export async function makeCvsRepo(owner: string): Promise<CvsRepo> {
  await makeUser(owner)
  const base = await mkdtemp('/tmp/dlv-cvs-')
  const [uid, gid] = (await runAs(owner, 'echo "$(id -u) $(id -g)"', { check: true })).stdout.trim().split(' ')
  await chown(base, Number(uid), Number(gid))
  await chmod(base, 0o755)
  const root = `${base}/cvsroot`
  const work = `${base}/work`
  const env = `set -e; umask 022; export LC_ALL=C.UTF-8 CVSROOT=${q(root)}`
  await runAs(owner, `${env}; cvs -Q init; mkdir -p "$1/import"; cd "$1/import"; cvs -Q import -m init moodle vendor start; cd "$1"; cvs -Q checkout -d work moodle`, {
    cwd: base,
    args: [base],
    check: true,
  })
  const exec = async (cmd: string) => (await runAs(owner, `${env}\n${cmd}`, { cwd: work, check: true })).stdout
  return {
    root,
    work,
    exec,
    remove: () => rm(base, { recursive: true, force: true }),
    async commit(message, tag, files) {
      // One process for the whole commit: every change in order (folders added before what they hold; a file added
      // only if it is new), then commit and tag.
      const ops: [string, string, string][] = []
      for (const [path, content] of Object.entries(files)) {
        if (content === null) { ops.push(['R', path, '']); continue }
        const parts = path.split('/')
        for (let i = 1; i < parts.length; i++) ops.push(['D', parts.slice(0, i).join('/'), ''])
        ops.push(['W', path, content])
      }
      await runOpsAs(owner, work, ops, [
        `  export LC_ALL=C.UTF-8 CVSROOT=${q(root)}`,
        '  case $op in',
        '    R) rm -f -- "$p"; cvs -Q remove -- "$p" ;;',
        '    D) if [ ! -d "$p/CVS" ]; then mkdir -p "$p"; cvs -Q add -- "$p"; fi ;;',
        '    W) new=; [ -e "$p" ] || new=1; put; if [ "$new" ]; then cvs -Q add -- "$p"; fi ;;',
        '  esac',
      ].join('\n'), `${env}\ncvs -Q commit -m ${q(message)} && cvs -Q tag ${tag}`)
    },
  }
}

/** The Moodle-shaped module in three tagged versions. */
export async function makeCvsMoodle(owner: string): Promise<CvsRepo> {
  const repo = await makeCvsRepo(owner)
  await repo.commit('v1', 'v1', { ...moodleV1, ...ODD_FILES })
  await repo.commit('v2', 'v2', {
    'mod/forum/lib.php': "<?php\nfunction forum_supports($feature) {\n    return $feature === 'v2' ? true : null;\n}\n",
    'index.php': "<?php\nrequire_once('config.php');\necho 'Moodle front page v2';\n",
    'mod/forum/newfile.php': "<?php\n// Added in v2.\n",
    'lib/old.php': null,
    'theme/boost/config.php': null,
    'theme/boost/settings.php': moodleV1['theme/boost/config.php'] ?? '',
    'admin/tool/demo/lang/en/tool_demo.php': "<?php\n$string['pluginname'] = 'Demo tool';\n",
    'lang/en/café menu.php': "<?php\n$string['menu'] = 'Café v2';\n",
  })
  await repo.commit('v3', 'v3', {
    'mod/forum/view.php': "<?php\necho 'Forum view v3';\n",
    'lib/setup.php': "<?php\n$CFG->setupversion = 3;\n",
    'version.php': moodleVersionPhp('2023100900.01'),
  })
  return repo
}

export interface Pserver {
  /** :pserver: CVSROOT (with the user) of the repository. */
  cvsroot: string
  user: string
  stop(): Promise<void>
}

/** Serves `repo` with `cvs pserver` (one process per connection, as inetd would) on a free loopback port. */
export async function startPserver(repo: CvsRepo, owner: string, password: string): Promise<Pserver> {
  const user = 'deliverer'
  const hash = (await run('openssl', ['passwd', '-1', password], { check: true })).stdout.trim()
  await writeFile(`${repo.root}/CVSROOT/passwd`, `${user}:${hash}:${owner}\n`)
  await writeFile(`${repo.root}/CVSROOT/config`, 'SystemAuth=no\n')
  const children = new Set<ChildProcess>()
  const server = net.createServer((sock) => {
    const child = spawn('runuser', ['-u', owner, '--', 'cvs', '-f', `--allow-root=${repo.root}`, 'pserver'], { stdio: ['pipe', 'pipe', 'ignore'] })
    children.add(child)
    child.once('exit', () => children.delete(child))
    sock.pipe(child.stdin)
    child.stdout.pipe(sock)
    sock.on('error', () => child.kill())
    child.stdin.on('error', () => sock.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const a = server.address()
  const port = typeof a === 'object' && a ? a.port : 0
  return {
    cvsroot: `:pserver:${user}@127.0.0.1:${port}${repo.root}`,
    user,
    async stop() {
      for (const c of children) c.kill()
      await new Promise((r) => server.close(r))
    },
  }
}
