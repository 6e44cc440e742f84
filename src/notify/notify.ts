/**
 * Telling people about a run, once its report exists: the GitHub deployment (started before the hosts run), the job
 * artifact, the email and the chat messages. Each one only warns when it fails; none changes the outcome of the delivery.
 */
import type { Logger } from '../log.js'
import type { Report } from '../report/model.js'
import { verdict } from '../report/view.js'
import type { Settings } from '../settings.js'
import { maskSecrets } from '../transport/run.js'
import { uploadReportArtifact } from './artifact.js'
import { DeploymentRecord, deploymentAction, deploymentTarget, markLatestInactive } from './deployment.js'
import { chatReport } from './chat.js'
import { mailReport } from './mail.js'

export interface NotifyContext {
  settings: Settings
  env: NodeJS.ProcessEnv
  fromActions: boolean
  log: Logger
}

export interface Notifications {
  /** After the report files are written: deployment status, artifact, email. Returns the artifact id, if any. */
  finish(report: Report, dir: string, files: string[]): Promise<number | undefined>
}

/** Before the hosts run: records the deployment in progress (when the mode puts code live and `environment` is set). */
export async function startNotifications(ctx: NotifyContext): Promise<Notifications> {
  const { settings, log } = ctx
  const mask = (s: string) => maskSecrets(s, settings.secrets)
  const action = deploymentAction(settings.mode, settings.dryRun)
  const { target, skip } = settings.environment && action !== 'none' ? deploymentTarget(settings, ctx.env) : {}
  if (skip) log.warning(skip)
  let record: DeploymentRecord | undefined
  if (target && action === 'record') {
    const started = await DeploymentRecord.start(target, mask(`${settings.mode} of ${target.ref} by ${settings.run.actor}`), {
      mode: settings.mode,
      hosts: settings.hosts.map((h) => h.label),
      paths: settings.paths,
      runId: settings.run.runId,
    })
    record = started.record
    if (started.warning) log.warning(started.warning)
    if (record) log.info(`deployment ${record.id} of ${record.ref} to ${target.environment}: in progress`)
  }

  /** Runs one part; an unexpected error in it is a warning, never the run's failure. */
  const guarded = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn()
    } catch (e) {
      log.warning(`${what}: ${(e as Error).message}`)
    }
  }

  return {
    async finish(report, dir, files) {
      await guarded('deployment status', async () => {
        if (record) {
          const w = await record.finish(report.outcome, mask(verdict(report)))
          if (w) log.warning(w)
          else log.info(`deployment ${record.id} to ${settings.environment}: ${report.outcome}`)
        } else if (target && action === 'inactive' && report.outcome === 'success') {
          const live = report.hosts.find((h) => h.revisionAfter)?.revisionAfter
          const r = await markLatestInactive(target, mask(`goback by ${settings.run.actor}: live went back to the safe tree${live ? ` (${live.slice(0, 12)})` : ''}`))
          if (r.warning) log.warning(r.warning)
          if (r.info) log.info(r.info)
        }
      })

      await guarded('report artifact', async () => {
        const artifact = await uploadReportArtifact({
          baseName: settings.artifactName,
          job: settings.run.job,
          mode: settings.mode,
          dir,
          files,
          env: ctx.env,
          fromActions: ctx.fromActions,
          runUrl: settings.run.runUrl || undefined,
        })
        // The CLI never uploads one, and names the report folder at the end of every run.
        if (artifact.skipped) {
          if (ctx.fromActions) log.notice(`report artifact not uploaded: ${artifact.skipped}; the report files are in ${dir}`)
        }
        else if (artifact.error) log.warning(`report artifact ${artifact.name} not uploaded: ${artifact.error}; the report files are in ${dir}`)
        else if (artifact.id !== undefined) {
          report.artifact = { name: artifact.name, id: artifact.id, url: artifact.url }
          log.info(`report artifact ${artifact.name} uploaded (id ${artifact.id})`)
        }
      })

      const mail = settings.mail
      if (mail) {
        await guarded('report email', async () => {
          const res = await mailReport(report, mail, settings.secrets, { timeoutMs: settings.timeoutMs })
          if (res.warning) log.warning(res.warning)
          if (res.info) log.info(res.info)
        })
      }
      const chat = settings.chat
      if (chat) {
        await guarded('chat messages', async () => {
          const res = await chatReport(report, chat, settings.secrets)
          for (const w of res.warnings) log.warning(w)
          for (const i of res.info) log.info(i)
        })
      }
      return report.artifact?.id
    },
  }
}
