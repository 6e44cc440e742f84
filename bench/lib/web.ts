/**
 * nginx + php-fpm (the Debian packages) on 127.0.0.1, with every config, socket, pid and log file in a temporary
 * folder: the system's own nginx site and php-fpm pool are not touched. Each site is one server block on a free port
 * whose document root is a path through a symlink (`<root>/live`), resolved per request with `$realpath_root`, as
 * the project's README asks of a production server. PHP runs with the distribution's php.ini (OPcache on,
 * validate_timestamps=1, revalidate_freq=2).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { join } from 'node:path'
import { sleep } from './util.js'

export interface WebSite {
  /** Document root, e.g. /srv/site/live. */
  root: string
}

export interface Web {
  /** The port of each site, in the order given. */
  ports: number[]
  dir: string
  /** nginx's and php-fpm's error logs, for a failed run. */
  logs(): string
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

async function waitPort(port: number, child: ChildProcess, what: string, logs: () => string): Promise<void> {
  const end = Date.now() + 10_000
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${logs()}`)
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1', () => (c.end(), r(true)))
      c.on('error', () => r(false))
    })
    if (ok) return
    await sleep(50)
  }
  throw new Error(`${what} did not listen on ${port}:\n${logs()}`)
}

async function waitFile(path: string, child: ChildProcess, what: string, logs: () => string): Promise<void> {
  const end = Date.now() + 10_000
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${logs()}`)
    if (existsSync(path)) return
    await sleep(50)
  }
  throw new Error(`${what} did not create ${path}:\n${logs()}`)
}

/** Starts php-fpm (pool running as `phpUser`, `children` static workers) and nginx serving `sites`. */
export async function startWeb(sites: WebSite[], phpUser: string, children = 4): Promise<Web> {
  const dir = await mkdtemp('/tmp/dlv-bench-web-')
  await chmod(dir, 0o755) // nginx's workers (www-data) reach the socket through it
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(dir, 'tmp', d), { recursive: true })
  const sock = join(dir, 'php-fpm.sock')
  await writeFile(
    join(dir, 'php-fpm.conf'),
    `[global]
pid = ${dir}/php-fpm.pid
error_log = ${dir}/php-fpm.log
daemonize = no

[bench]
user = ${phpUser}
group = ${phpUser}
listen = ${sock}
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
listen.backlog = 511
pm = static
pm.max_children = ${children}
catch_workers_output = yes
`,
  )
  const ports: number[] = []
  const servers: string[] = []
  for (const site of sites) {
    const port = await freePort()
    ports.push(port)
    servers.push(`  server {
    listen 127.0.0.1:${port} backlog=1024;
    root ${site.root};
    index index.php;
    location ~ [^/]\\.php(/|$) {
      fastcgi_split_path_info ^(.+\\.php)(/.+)$;
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;
      fastcgi_param DOCUMENT_ROOT $realpath_root;
      fastcgi_pass unix:${sock};
    }
  }`)
  }
  await writeFile(
    join(dir, 'nginx.conf'),
    `user www-data;
worker_processes 2;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 2048; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  default_type text/plain;
${servers.join('\n')}
}
`,
  )
  const logs = () =>
    ['php-fpm.log', 'php-fpm.out', 'nginx-error.log', 'nginx.out']
      .map((f) => {
        try {
          return `--- ${f}\n${readFileSync(join(dir, f), 'utf8').slice(-4000)}`
        } catch {
          return ''
        }
      })
      .join('\n')
  const out = (f: string) => openSync(join(dir, f), 'a')
  const fpmOut = out('php-fpm.out')
  const fpm = spawn('php-fpm8.2', ['-F', '-y', join(dir, 'php-fpm.conf'), '-p', dir], { stdio: ['ignore', fpmOut, fpmOut] })
  closeSync(fpmOut)
  await waitFile(sock, fpm, 'php-fpm', logs)
  const ngOut = out('nginx.out')
  const nginx = spawn('nginx', ['-p', dir, '-e', join(dir, 'nginx-error.log'), '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', ngOut, ngOut],
  })
  closeSync(ngOut)
  const stopAll = async () => {
    for (const c of [nginx, fpm]) {
      if (c.exitCode !== null || c.signalCode !== null) continue
      const done = new Promise((r) => c.once('exit', r))
      c.kill('SIGQUIT') // graceful for nginx; php-fpm stops too
      const t = setTimeout(() => c.kill('SIGKILL'), 5000)
      await done
      clearTimeout(t)
    }
  }
  process.once('exit', () => {
    for (const c of [nginx, fpm]) if (c.exitCode === null) c.kill('SIGKILL')
  })
  try {
    for (const p of ports) await waitPort(p, nginx, 'nginx', logs)
  } catch (e) {
    await stopAll()
    throw e
  }
  return {
    ports,
    dir,
    logs,
    async stop() {
      await stopAll()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
