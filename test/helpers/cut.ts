/**
 * A delivery run in this process (the runner the bundled Action runs) whose SSH connection to a server drops at a
 * command chosen by its description: `at` says, for each command, whether to drop the connection before the command is
 * sent ('before'), once it ran on the server ('after'), or not at all. The first match drops it; the run goes on as
 * it would after a real cut (the post step's release of the locks included).
 */
import type { InputName } from '../../src/inputs.js'
import { memorySink } from '../../src/log.js'
import { runDelivery } from '../../src/runner.js'
import type { SshConnection } from '../../src/transport/ssh.js'
import { sleep } from './proc.js'

export type CutAt = (what: string) => 'before' | 'after' | undefined | Promise<'before' | 'after' | undefined>

/** Runs the delivery `inputs` describe; `port` limits the cut to that server's connection. */
export async function runWithCut(inputs: Record<string, string>, at: CutAt, opts: { runId: string; port?: number }) {
  let cut = false
  const result = await runDelivery({
    input: (name: InputName) => inputs[name] ?? '',
    env: { ...process.env, RUNNER_TEMP: '/tmp', GITHUB_RUN_ID: opts.runId, GITHUB_RUN_ATTEMPT: '1' },
    fromActions: true,
    sink: memorySink(),
    setOutput: () => {},
    setSecret: () => {},
    saveLocks: () => {},
    onConnected: (h, conn: SshConnection) => {
      if (opts.port !== undefined && h.port !== opts.port) return
      const exec = conn.exec.bind(conn)
      const drop = async () => {
        cut = true
        conn.destroy()
        for (let i = 0; i < 100 && !conn.lost; i++) await sleep(20)
      }
      conn.exec = async (what, line, params) => {
        const when = cut ? undefined : await at(what)
        if (when === 'before') await drop()
        const r = await exec(what, line, params)
        if (when === 'after') await drop()
        return r
      }
    },
  })
  return { result, cut }
}
