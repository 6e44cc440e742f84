/**
 * The report by email (nodemailer over the SMTP server of the inputs). Subject: `[Delivery] <repository> <environment
 * or first host>: <mode> <outcome> (<ref>)`; an HTML body with a plain-text alternative; report.json and report.html
 * attached. A long file list is summarised by component in the body (the attachments hold it whole). Every part is
 * masked for secrets. Sending never throws: a failure is returned, and the caller turns it into a warning.
 */
import { hostname } from 'node:os'
import { renderHtml } from '../report/html.js'
import { renderJson } from '../report/json.js'
import type { Outcome, Report } from '../report/model.js'
import { renderText } from '../report/text.js'
import { refName, shortRepository, siteName } from '../report/view.js'
import type { MailSettings } from '../settings.js'
import { maskValues } from '../secrets.js'
import { maskSecrets } from '../transport/run.js'

/** Above this many changed files on a host, the body gives counts per component, not the list. */
export const MAIL_FILE_LIMIT = 300

export interface ReportMail {
  subject: string
  text: string
  html: string
  attachments: { filename: string; content: string; contentType: string }[]
}

/** Whether `mail-on` asks for a mail for this outcome. */
export function shouldMail(on: MailSettings['on'], outcome: Outcome): boolean {
  return on === 'always' || (on === 'failure' && outcome !== 'success')
}

/** `[Delivery] <repository> <environment or first host>: <mode> <outcome> (<ref>)`, on one line. */
export function mailSubject(r: Report): string {
  const repo = shortRepository(r.repository)
  const mode = `${r.mode}${r.dryRun ? ' dry-run' : ''}`
  return `[Delivery] ${repo ? `${repo} ` : ''}${siteName(r)}: ${mode} ${r.outcome} (${r.session ? r.session.title : refName(r)})`.replace(/[\r\n\t]+/g, ' ')
}

/** The attachments together stay under this many bytes (mail servers commonly refuse messages over 10–25 MB). */
export const MAIL_ATTACHMENT_LIMIT = 10 * 1024 * 1024

/**
 * The message for a report: masked subject and bodies, and report.json and report.html attached. When the two together
 * would pass MAIL_ATTACHMENT_LIMIT (a delivery of some 100,000 files), report.html is left out, then report.json, and
 * the body says where the full report is.
 */
export function composeReportMail(report: Report, secrets: readonly string[]): ReportMail {
  // Masked inside the values, so every rendering (JSON, HTML with its escapes, text) is masked and stays well formed.
  const r = maskValues(report, secrets)
  const attachments = [
    { filename: 'report.json', content: renderJson(r), contentType: 'application/json; charset=utf-8' },
    { filename: 'report.html', content: renderHtml(r), contentType: 'text/html; charset=utf-8' },
  ]
  const size = () => attachments.reduce((t, a) => t + Buffer.byteLength(a.content), 0)
  while (attachments.length && size() > MAIL_ATTACHMENT_LIMIT) attachments.pop()
  const where = r.artifact ? `the report artifact ${r.artifact.name}${r.artifact.url ? ` (${r.artifact.url})` : ''}` : 'the report artifact of the workflow run'
  const note =
    attachments.length === 2
      ? 'the attached report.html and report.json list them all'
      : attachments.length === 1
        ? `the attached report.json lists them all, as does ${where}`
        : `the report files are too large to attach; ${where} holds them`
  return {
    subject: mailSubject(r),
    text: renderText(r, { fileLimit: MAIL_FILE_LIMIT, fullListNote: note }),
    // No folding in the body: mail clients do not all open <details>.
    html: renderHtml(r, { fileLimit: MAIL_FILE_LIMIT, fullListNote: note, outputLimit: 5000, foldAbove: Infinity }),
    attachments,
  }
}

export interface SendOptions {
  /** Bound on connecting, the greeting and TLS (milliseconds); each later exchange may take twice this. */
  timeoutMs: number
}

export interface SendResult {
  ok: boolean
  messageId?: string
  accepted: string[]
  rejected: string[]
  error?: string
}

/** Sends the message through the SMTP server of the settings. Never throws. */
export async function sendMail(mail: MailSettings, message: ReportMail, opts: SendOptions): Promise<SendResult> {
  const nodemailer = await import('nodemailer')
  const transport = nodemailer.createTransport({
    host: mail.host.replace(/^\[(.*)\]$/, '$1'),
    port: mail.port,
    secure: mail.secure === 'tls',
    requireTLS: mail.secure === 'starttls',
    ignoreTLS: mail.secure === 'none',
    auth: mail.username ? { user: mail.username, pass: mail.password ?? '' } : undefined,
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    dnsTimeout: opts.timeoutMs,
    socketTimeout: opts.timeoutMs * 2,
    name: hostname(),
  })
  try {
    const info = await transport.sendMail({
      from: mail.from,
      to: mail.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      attachments: message.attachments,
      headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
    })
    const list = (l: unknown[] | undefined) => (l ?? []).map((a) => (typeof a === 'string' ? a : (a as { address: string }).address))
    return { ok: true, messageId: info.messageId, accepted: list(info.accepted), rejected: list(info.rejected) }
  } catch (e) {
    const err = e as Error & { code?: string; responseCode?: number; response?: string }
    const detail = err.response && !err.message.includes(err.response) ? `${err.message} (${err.response})` : err.message
    return { ok: false, accepted: [], rejected: [], error: `${err.code ? `${err.code}: ` : ''}${detail}` }
  } finally {
    transport.close()
  }
}

/**
 * Mails the report when `mail-on` asks for it. Returns what happened in one sentence, and whether it is a warning.
 */
export async function mailReport(
  r: Report,
  mail: MailSettings,
  secrets: readonly string[],
  opts: SendOptions,
): Promise<{ sent: boolean; warning?: string; info: string }> {
  if (!shouldMail(mail.on, r.outcome)) return { sent: false, info: `no report email: mail-on is ${mail.on} and the run ${r.outcome === 'success' ? 'succeeded' : r.outcome}` }
  const message = composeReportMail(r, secrets)
  const res = await sendMail(mail, message, opts)
  const server = `${mail.host}:${mail.port} (${mail.secure})`
  if (!res.ok) {
    return { sent: false, info: '', warning: `the report email to ${mail.to.join(', ')} was not sent through ${server}: ${maskSecrets(res.error ?? 'unknown error', secrets)}. The delivery itself is not affected` }
  }
  const warning = res.rejected.length ? `the SMTP server ${server} refused the recipient(s) ${res.rejected.join(', ')} of the report email` : undefined
  return { sent: true, warning, info: `report email sent to ${res.accepted.join(', ')} through ${server} (${res.messageId ?? 'no message id'})` }
}
