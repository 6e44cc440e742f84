#!/usr/bin/env node
// npm run demo: a full delivery against a throwaway SSH target on 127.0.0.1, then the report.
//
// 1. Starts an SSH server on a free loopback port: the system's OpenSSH sshd when installed (as root it logs in a
//    throwaway user `dlvdemo`; otherwise it runs unprivileged as you), else a small embedded ssh2 server that runs
//    commands with bash (for this demo only; the tests always use a real sshd). DEMO_EMBEDDED=1 forces it.
// 2. Makes a small Moodle-shaped git repository with two versions.
// 3. Runs the CLI (dist/cli.js): init at v1, then deliver v2, and prints the report of the delivery.
// Everything lives in a temporary folder, removed at the end (DEMO_KEEP=1 keeps it).
import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const cli = join(here, '..', 'dist', 'cli.js')
const isRoot = process.getuid?.() === 0
const sh = (cmd, opts = {}) => execFileSync('bash', ['-c', cmd], { encoding: 'utf8', ...opts })
const say = (m) => process.stderr.write(`\x1b[1m» ${m}\x1b[0m\n`)

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

async function waitForPort(port, ms = 10_000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const ok = await new Promise((r) => {
      const c = net.connect(port, '127.0.0.1', () => (c.end(), r(true)))
      c.on('error', () => r(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`the SSH server did not listen on port ${port}`)
}

/** Runs a command as `user` (root only), else as ourselves. */
function asUser(user, cmd) {
  return isRoot && user !== 'root' ? sh(`runuser -u ${user} -- bash -c ${JSON.stringify(cmd)}`) : sh(cmd)
}

async function startOpenSsh(work, port) {
  let user = userInfo().username
  if (isRoot) {
    user = 'dlvdemo'
    sh(`id ${user} >/dev/null 2>&1 || useradd -m -s /bin/bash ${user}; usermod -p '*' ${user}`)
    mkdirSync('/run/sshd', { recursive: true })
  }
  sh(`ssh-keygen -q -t ed25519 -N '' -f ${work}/host_key && ssh-keygen -q -t ed25519 -N '' -C demo -f ${work}/client_key`)
  writeFileSync(join(work, 'authorized_keys'), readFileSync(join(work, 'client_key.pub')))
  chmodSync(work, 0o711)
  chmodSync(join(work, 'authorized_keys'), 0o644)
  writeFileSync(
    join(work, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${work}/host_key`,
      `PidFile ${work}/sshd.pid`,
      `AuthorizedKeysFile ${work}/authorized_keys`,
      'UsePAM no',
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      `AllowUsers ${user}`,
      'LogLevel ERROR',
    ].join('\n') + '\n',
  )
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(work, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr.on('data', (d) => (log += d))
  await waitForPort(port).catch((e) => {
    throw new Error(`${e.message}\n${log}`)
  })
  const hostPub = readFileSync(join(work, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ')
  return { user, key: readFileSync(join(work, 'client_key'), 'utf8'), knownHosts: `[127.0.0.1]:${port} ${hostPub}`, stop: () => child.kill(), kind: 'OpenSSH sshd' }
}

async function startEmbedded(work, port) {
  const { default: ssh2 } = await import('ssh2')
  const { Server, utils } = ssh2
  const host = utils.generateKeyPairSync('ed25519')
  const client = utils.generateKeyPairSync('ed25519')
  const allowed = utils.parseKey(client.public)
  const user = userInfo().username
  const server = new Server({ hostKeys: [host.private] }, (conn) => {
    conn.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && ctx.key.algo === allowed.type && ctx.key.data.equals(allowed.getPublicSSH())) {
        if (!ctx.signature || allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) return ctx.accept()
      }
      ctx.reject(['publickey'])
    })
    conn.on('ready', () =>
      conn.on('session', (accept) => {
        const session = accept()
        session.on('exec', (acc, _rej, info) => {
          const stream = acc()
          const p = spawn('bash', ['-c', info.command], { stdio: ['pipe', 'pipe', 'pipe'] })
          stream.pipe(p.stdin)
          p.stdout.pipe(stream, { end: false })
          p.stderr.pipe(stream.stderr, { end: false })
          p.on('close', (code) => {
            stream.exit(code ?? 1)
            stream.end()
          })
        })
      }),
    )
    conn.on('error', () => {})
  })
  await new Promise((r) => server.listen(port, '127.0.0.1', r))
  const hostKey = utils.parseKey(host.public)
  const knownHosts = `[127.0.0.1]:${port} ${hostKey.type} ${hostKey.getPublicSSH().toString('base64')}`
  return { user, key: client.private, knownHosts, stop: () => server.close(), kind: existsSync('/usr/sbin/sshd') ? 'embedded ssh2 server' : 'embedded ssh2 server (no sshd found)' }
}

function makeRepo(work, user) {
  const repo = join(work, 'moodle.git')
  const clone = join(work, 'moodle-src')
  const php = (body) => `<?php\ndefined('MOODLE_INTERNAL') || die();\n${body}\n`
  const files1 = {
    'version.php': php("$version = 2023100900.00;\n$release = '4.3 (Build: 20231009)';\n$branch = '403';\n$maturity = MATURITY_STABLE;"),
    'lib/setup.php': php('$CFG->demo = 1;'),
    'index.php': "<?php\necho 'Front page, version 1';\n",
    'mod/forum/lib.php': php('function forum_supports($feature) { return null; }'),
    'mod/forum/view.php': "<?php\necho 'Forum view';\n",
    'theme/boost/config.php': php("$THEME->name = 'boost';"),
    'lib/legacy.php': php('/** Kept for plugins written before 3.9. */\nfunction legacy_helper(array $options = []): int {\n    return count($options) + 1;\n}'),
    '.gitignore': '/config.php\n',
  }
  const write = (files) => {
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(dirname(join(clone, p)), { recursive: true })
      writeFileSync(join(clone, p), c)
    }
  }
  sh(`git init -q --bare -b main ${repo} && git init -q -b main ${clone}`)
  write(files1)
  const git = `git -C ${clone} -c user.name=Demo -c user.email=demo@example.invalid`
  sh(`${git} add -A && ${git} commit -qm 'Moodle 4.3' && ${git} tag v1`)
  write({
    'index.php': "<?php\necho 'Front page, version 2';\n",
    'mod/forum/lib.php': php("function forum_supports($feature) { return $feature === 'grade' ? true : null; }"),
    'mod/forum/classes/helper.php': php('namespace mod_forum;\n\nclass helper {\n    public static function grade_item_name(): string {\n        return "forum";\n    }\n}'),
    'theme/boost/settings.php': files1['theme/boost/config.php'],
  })
  sh(`rm ${clone}/lib/legacy.php ${clone}/theme/boost/config.php`)
  sh(`${git} add -A && ${git} commit -qm 'Forum grading, theme settings' && ${git} tag v2 && ${git} push -q ${repo} main v1 v2`)
  if (isRoot && user !== 'root') sh(`chown -R ${user}: ${work}`)
  return repo
}

async function main() {
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run npm ci && npm run build')
  const work = mkdtempSync(join(tmpdir(), 'delivery-demo-'))
  chmodSync(work, 0o755)
  const port = await freePort()
  const useSshd = existsSync('/usr/sbin/sshd') && process.env.DEMO_EMBEDDED !== '1'
  const server = useSshd ? await startOpenSsh(work, port) : await startEmbedded(work, port)
  try {
    say(`SSH target: ${server.kind} on 127.0.0.1:${port}, user ${server.user}`)
    const repo = makeRepo(work, server.user)
    const root = join(work, 'site')
    asUser(server.user, `mkdir -p ${root}`)
    writeFileSync(join(work, 'key'), server.key, { mode: 0o600 })
    writeFileSync(join(work, 'known_hosts'), `${server.knownHosts}\n`)
    const base = ['--hosts', `${server.user}@127.0.0.1:${port}`, '--path', root, '--private-key-file', join(work, 'key'), '--known-hosts-file', join(work, 'known_hosts'), '--repository', repo, '--web-user', server.user]
    const runCli = (args, quiet) =>
      new Promise((resolve) => {
        const p = spawn(process.execPath, [cli, ...base, ...args], { stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'], env: { ...process.env, RUNNER_TEMP: work } })
        p.on('close', resolve)
      })
    say('init: check out v1 into two trees and point live at one')
    if ((await runCli(['--mode', 'init', '--ref', 'v1'], true)) !== 0) throw new Error('init failed')
    asUser(server.user, `printf '<?php // site configuration\\n' > ${root}/live/config.php`)
    say('deliver v2: syncback, goback, update, backtoprod — the report follows')
    const code = await runCli(['--mode', 'deliver', '--ref', 'v2', '--comment', 'Demo delivery', '--app', 'none', '--keep', 'config.php'], false)
    say(`layout now: ${sh(`ls -l ${root} | tail -n +2`).trim().replace(/\n/g, '\n  ')}`)
    say(code === 0 ? 'demo finished: the delivery succeeded' : `demo finished: the delivery failed (exit ${code})`)
    process.exitCode = code
  } finally {
    server.stop()
    if (process.env.DEMO_KEEP === '1') say(`kept ${work}`)
    else rmSync(work, { recursive: true, force: true })
  }
}

main().catch((e) => {
  process.stderr.write(`demo failed: ${e.message}\n`)
  process.exit(1)
})
