#!/usr/bin/env node
// npm run demo: a full delivery against a throwaway SSH target on 127.0.0.1, then the report.
//
// 1. Sets up the accounts as a careful admin would. As root: `demo-deploy` logs in over SSH, `demo-code` owns the code
//    (sudoers: demo-deploy ALL=(demo-code) NOPASSWD: ALL, in a file of its own removed at the end), `demo-web` is the
//    web server's user and may only read it. Otherwise you log in and own the code, and www-data (or nobody) serves it.
//    Either way the web user cannot change the code it runs, so the permission audit has nothing to say.
// 2. Starts an SSH server on a free loopback port: the system's OpenSSH sshd when installed (unprivileged as you when
//    not root), else a small embedded ssh2 server that runs commands with bash (for this demo only; the tests always
//    use a real sshd). DEMO_EMBEDDED=1 forces it.
// 3. Makes a small Moodle-shaped git repository with two versions.
// 4. Runs the CLI (dist/cli.js): init at v1, then deliver v2, and prints the report of the delivery.
// Everything lives in a temporary folder, removed at the end with the demo's sudoers file (DEMO_KEEP=1 keeps the
// folder; the accounts stay, for the next run).
import { randomBytes } from 'node:crypto'
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
const bold = process.stderr.isTTY && !process.env.NO_COLOR
const say = (m) => process.stderr.write(bold ? `\x1b[1m» ${m}\x1b[0m\n` : `» ${m}\n`)

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

/** The accounts: who logs in, who owns the code (undefined: the login user), who serves it. */
function accounts() {
  if (!isRoot || !useSshd()) {
    const me = userInfo().username
    const web = ['www-data', 'nobody'].find((u) => u !== me && sh(`id -u ${u} 2>/dev/null || true`).trim() !== '')
    return { login: me, owner: undefined, web: web ?? me }
  }
  for (const u of ['demo-deploy', 'demo-code', 'demo-web']) {
    // useradd waits for no one: another useradd holding /etc/passwd makes it fail, so try again.
    for (let i = 0; ; i++) {
      try {
        sh(`id ${u} >/dev/null 2>&1 || useradd -m -s /bin/bash -U ${u}; usermod -p '*' ${u}`, { stdio: ['ignore', 'pipe', 'pipe'] })
        break
      } catch (e) {
        if (i === 10) throw e
        sh('sleep 0.5')
      }
    }
  }
  return { login: 'demo-deploy', owner: 'demo-code', web: 'demo-web' }
}

const useSshd = () => existsSync('/usr/sbin/sshd') && process.env.DEMO_EMBEDDED !== '1'

/** Runs a command as `user` (root only), else as ourselves. */
function asUser(user, cmd) {
  return isRoot && user !== 'root' ? sh(`runuser -u ${user} -- bash -c ${JSON.stringify(cmd)}`) : sh(cmd)
}

async function startOpenSsh(work, port, user) {
  if (isRoot) mkdirSync('/run/sshd', { recursive: true })
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

async function startEmbedded(work, port, user) {
  const { default: ssh2 } = await import('ssh2')
  const { Server, utils } = ssh2
  // ssh2 draws about one ed25519 pair in 256 that its own parseKey rejects (mscdex/ssh2 issues 1390, 1513): draw again.
  const pair = () => {
    for (;;) {
      const p = utils.generateKeyPairSync('ed25519')
      if (!(utils.parseKey(p.public) instanceof Error) && !(utils.parseKey(p.private) instanceof Error)) return p
    }
  }
  const host = pair()
  const client = pair()
  const allowed = utils.parseKey(client.public)
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
  if (isRoot && user !== 'root') sh(`chown -R ${user}: ${repo} ${clone}`)
  return repo
}

async function main() {
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run npm ci && npm run build')
  const work = mkdtempSync(join(tmpdir(), 'delivery-demo-'))
  chmodSync(work, 0o755)
  const port = await freePort()
  const who = accounts()
  const owner = who.owner ?? who.login
  const sudoers = who.owner ? `/etc/sudoers.d/delivery-demo-${randomBytes(4).toString('hex')}` : undefined
  const server = useSshd() ? await startOpenSsh(work, port, who.login) : await startEmbedded(work, port, who.login)
  try {
    say(`SSH target: ${server.kind} on 127.0.0.1:${port}`)
    if (sudoers) {
      const rule = `${who.login} ALL=(${who.owner}) NOPASSWD: ALL`
      writeFileSync(`${work}/sudoers`, `${rule}\n`, { mode: 0o440 })
      sh(`visudo -cqf ${work}/sudoers && mv ${work}/sudoers ${sudoers}`)
      say(`accounts: ${who.login} logs in, ${who.owner} owns the code (sudoers: ${rule}), ${who.web} serves it and may only read it`)
    } else say(`accounts: ${who.login} logs in and owns the code, ${who.web} serves it and may only read it`)
    const repo = makeRepo(work, owner)
    // The delivery root: the code owner's, readable by the web server's group, closed to everyone else.
    const root = join(work, 'site')
    if (isRoot) sh(`mkdir ${root} && chown ${owner}:${who.web} ${root} && chmod 2750 ${root}`)
    else sh(`mkdir ${root}`)
    writeFileSync(join(work, 'key'), server.key, { mode: 0o600 })
    writeFileSync(join(work, 'known_hosts'), `${server.knownHosts}\n`)
    const base = ['--hosts', `${who.login}@127.0.0.1:${port}`, '--path', root, '--private-key-file', join(work, 'key'), '--known-hosts-file', join(work, 'known_hosts'), '--repository', repo, '--web-user', who.web]
    if (who.owner) base.push('--sudo-user', who.owner)
    const runCli = (args, quiet) =>
      new Promise((resolve) => {
        const p = spawn(process.execPath, [cli, ...base, ...args], { stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'], env: { ...process.env, RUNNER_TEMP: work } })
        p.on('close', resolve)
      })
    say(`init: check out v1 into two trees under ${root} and point live at one (the web server serves ${root}/live)`)
    if ((await runCli(['--mode', 'init', '--ref', 'v1'], true)) !== 0) throw new Error('init failed')
    // The site's configuration, as Moodle keeps it: not in the repository, readable by the web server only.
    asUser(owner, `printf '<?php // site configuration\\n' > ${root}/live/config.php && chmod 640 ${root}/live/config.php`)
    if (isRoot && who.web !== owner) sh(`chgrp ${who.web} ${root}/live/config.php`)
    say('an admin adds config.php to the live tree by hand; the delivery keeps it (--keep config.php)')
    say('deliver v2: save the live tree into the safe one (syncback), serve the safe tree (goback), update the other to v2, serve it (backtoprod). The report follows')
    const code = await runCli(['--mode', 'deliver', '--ref', 'v2', '--comment', 'Demo delivery', '--app', 'none', '--keep', 'config.php'], false)
    say(`the delivery root now (live is the only path the web server knows):\n  ${sh(`ls -la ${root} | tail -n +2`).trim().replace(/\n/g, '\n  ')}`)
    say(code === 0 ? 'demo finished: the delivery succeeded' : `demo finished: the delivery failed (exit ${code})`)
    process.exitCode = code
  } finally {
    server.stop()
    if (sudoers) rmSync(sudoers, { force: true })
    if (process.env.DEMO_KEEP === '1') say(`kept ${work}`)
    else rmSync(work, { recursive: true, force: true })
  }
}

main().catch((e) => {
  process.stderr.write(`demo failed: ${e.message}\n`)
  process.exit(1)
})
