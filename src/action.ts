/**
 * The GitHub Action's main step: reads inputs through @actions/core, runs the delivery, sets outputs, writes the job
 * summary, and remembers held locks for the post step.
 */
import * as core from '@actions/core'
import type { InputName } from './inputs.js'
import { runDelivery } from './runner.js'

export const LOCKS_STATE = 'locks'

export async function actionMain(): Promise<void> {
  try {
    const result = await runDelivery({
      input: (name: InputName) => core.getInput(name, { trimWhitespace: false }),
      env: process.env,
      fromActions: true,
      sink: {
        info: core.info,
        notice: (m) => core.notice(m),
        warning: (m) => core.warning(m),
        error: (m) => core.error(m),
        debug: core.debug,
      },
      setOutput: (n, v) => core.setOutput(n, v),
      setSecret: core.setSecret,
      summary: async (md) => {
        if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(md).write()
      },
      saveLocks: (hosts) => core.saveState(LOCKS_STATE, JSON.stringify(hosts)),
    })
    if (result.exitCode === 2) core.setFailed('Invalid input: nothing was done (see the errors above)')
    else if (result.exitCode !== 0) core.setFailed(`Delivery ${result.report?.mode ?? ''} ${result.report?.outcome ?? 'failed'}`)
  } catch (e) {
    core.setFailed(`Unexpected error: ${(e as Error).stack ?? e}`)
  }
}
