import { createRequire as __dlvCreateRequire } from 'node:module'; import { dirname as __dlvDirname } from 'node:path'; import { fileURLToPath as __dlvFileURLToPath } from 'node:url'; const require = __dlvCreateRequire(import.meta.url); const __dlvFilenameValue = __dlvFileURLToPath(import.meta.url); const __dlvDirnameValue = __dlvDirname(__dlvFilenameValue);
import {
  KIND_LETTER,
  beforeAfter,
  changeCounts,
  clusterPart,
  componentsOf,
  countComponents,
  fileRows,
  formatMs,
  headline,
  maskSecrets,
  refName,
  renderHtml,
  renderJson,
  rowCount,
  sessionFacts,
  sessionFilesHost,
  shortRepository,
  shortRev,
  siteName,
  verdict
} from "./chunk-KAHITVDF.js";
import "./chunk-YCTJSY7M.js";

// src/notify/artifact.ts
function artifactName(base, job, mode) {
  return `${base}-${job}-${mode}`.replace(/[":<>|*?\\/\r\n\s]+/g, "-");
}
function artifactUnavailable(env, fromActions) {
  if (!fromActions) return "the CLI does not upload artifacts";
  if (!env.ACTIONS_RUNTIME_TOKEN || !env.ACTIONS_RESULTS_URL) return "the artifact service is not available to this step (no ACTIONS_RUNTIME_TOKEN / ACTIONS_RESULTS_URL)";
  const host = (() => {
    try {
      return new URL(env.GITHUB_SERVER_URL || "https://github.com").hostname.toUpperCase();
    } catch {
      return "";
    }
  })();
  if (!(host === "GITHUB.COM" || host.endsWith(".GHE.COM") || host.endsWith(".LOCALHOST"))) {
    return "GitHub Enterprise Server does not offer this artifact service";
  }
  return void 0;
}
var isConflict = (message) => /\(409\)|conflict|already exists/i.test(message);
async function uploadReportArtifact(opts) {
  const name = artifactName(opts.baseName, opts.job, opts.mode);
  const skipped = artifactUnavailable(opts.env, opts.fromActions);
  if (skipped) return { name, skipped };
  let lastError = "";
  try {
    const { DefaultArtifactClient } = await import("./artifact-N25FT6WR.js");
    const client2 = new DefaultArtifactClient();
    for (const candidate of [name, `${name}-2`, `${name}-3`]) {
      try {
        const res = await client2.uploadArtifact(candidate, opts.files, opts.dir);
        if (res.id === void 0) return { name: candidate, error: "the artifact service returned no artifact id" };
        return { name: candidate, id: res.id, url: opts.runUrl ? `${opts.runUrl}/artifacts/${res.id}` : void 0 };
      } catch (e) {
        lastError = e.message;
        if (!isConflict(lastError)) break;
      }
    }
  } catch (e) {
    lastError = e.message;
  }
  return { name, error: lastError };
}

// src/notify/deployment.ts
function deploymentAction(mode, dryRun) {
  if (dryRun) return "none";
  if (["init", "deliver", "backtoprod"].includes(mode)) return "record";
  if (mode === "goback") return "inactive";
  return "none";
}
function deploymentTarget(settings, env) {
  if (!settings.environment) return { skip: "no environment given" };
  const [owner, repo] = settings.run.workflowRepository.split("/");
  if (!owner || !repo) return { skip: `environment '${settings.environment}' is given but the workflow repository is unknown (GITHUB_REPOSITORY is not set): no deployment recorded` };
  if (!settings.githubToken) return { skip: `environment '${settings.environment}' is given but there is no token: give github-token (default: the job's token, github.token)` };
  const ref = settings.ref || settings.run.sha;
  if (!ref && settings.mode !== "goback") return { skip: "no ref to record the deployment for (give ref)" };
  return {
    target: {
      token: settings.githubToken,
      apiUrl: (env.GITHUB_API_URL || "https://api.github.com").replace(/\/+$/, ""),
      owner,
      repo,
      environment: settings.environment,
      environmentUrl: settings.environmentUrl,
      runUrl: settings.run.runUrl || void 0,
      ref,
      fallbackRef: settings.run.sha && settings.run.sha !== ref ? settings.run.sha : void 0,
      timeoutMs: Math.max(settings.timeoutMs, 1e4)
    }
  };
}
async function client(t) {
  const { getOctokit } = await import("./github-2VPHFVUY.js");
  return getOctokit(t.token, { baseUrl: t.apiUrl });
}
var bounded = (t) => ({ request: { signal: AbortSignal.timeout(t.timeoutMs) } });
function explain(t, what, e) {
  const err = e;
  const status = err.status ? `HTTP ${err.status}: ` : "";
  const base = `${what} in ${t.owner}/${t.repo} failed (${status}${err.message.split("\n")[0].slice(0, 300)})`;
  if (err.status === 403 || err.status === 404 || err.status === 401) {
    return `${base}: the token may not write deployments; give the job \`permissions: deployments: write\` (or a github-token that may)`;
  }
  return base;
}
var short = (s) => s.length > 140 ? `${s.slice(0, 139)}\u2026` : s;
var DeploymentRecord = class _DeploymentRecord {
  constructor(t, octokit, id, ref) {
    this.t = t;
    this.octokit = octokit;
    this.id = id;
    this.ref = ref;
  }
  t;
  octokit;
  id;
  ref;
  /** Creates the deployment and sets it in progress. */
  static async start(t, description, payload) {
    let octokit;
    try {
      octokit = await client(t);
    } catch (e) {
      return { warning: `no deployment recorded: ${e.message}` };
    }
    const create = (ref2) => octokit.rest.repos.createDeployment({
      owner: t.owner,
      repo: t.repo,
      ref: ref2,
      environment: t.environment,
      auto_merge: false,
      required_contexts: [],
      description: short(description),
      payload,
      ...bounded(t)
    });
    let ref = t.ref;
    let res;
    try {
      try {
        res = await create(ref);
      } catch (e) {
        if (e.status !== 422 || !t.fallbackRef) throw e;
        ref = t.fallbackRef;
        res = await create(ref);
      }
    } catch (e) {
      return { warning: `no deployment recorded: ${explain(t, `creating a deployment of ${ref} to ${t.environment}`, e)}` };
    }
    if (!("id" in res.data)) return { warning: `no deployment recorded: the API answered ${JSON.stringify(res.data).slice(0, 200)}` };
    const record = new _DeploymentRecord(t, octokit, res.data.id, ref);
    const warning = await record.status("in_progress", description);
    return { record, warning };
  }
  /** Posts a status; returns a warning on failure. */
  async status(state, description) {
    try {
      await this.octokit.rest.repos.createDeploymentStatus({
        owner: this.t.owner,
        repo: this.t.repo,
        deployment_id: this.id,
        state,
        description: short(description),
        log_url: this.t.runUrl,
        environment_url: this.t.environmentUrl,
        environment: this.t.environment,
        auto_inactive: true,
        ...bounded(this.t)
      });
      return void 0;
    } catch (e) {
      return explain(this.t, `setting deployment ${this.id} to ${state}`, e);
    }
  }
  /** The final status for the run's outcome. */
  finish(outcome, description) {
    return this.status(outcome === "success" ? "success" : outcome === "refused" ? "error" : "failure", description);
  }
};
async function markLatestInactive(t, description) {
  try {
    const octokit = await client(t);
    const list = await octokit.rest.repos.listDeployments({ owner: t.owner, repo: t.repo, environment: t.environment, per_page: 1, ...bounded(t) });
    const latest = list.data[0];
    if (!latest) return { info: `no deployment of ${t.environment} to mark inactive` };
    await octokit.rest.repos.createDeploymentStatus({
      owner: t.owner,
      repo: t.repo,
      deployment_id: latest.id,
      state: "inactive",
      description: short(description),
      log_url: t.runUrl,
      environment_url: t.environmentUrl,
      ...bounded(t)
    });
    return { info: `deployment ${latest.id} (${latest.ref}) of ${t.environment} marked inactive` };
  } catch (e) {
    return { warning: explain(t, `marking the latest deployment of ${t.environment} inactive`, e) };
  }
}

// src/notify/mail.ts
import { hostname } from "node:os";

// src/report/text.ts
function keyValues(rows, indent = "") {
  const shown = rows.filter((r) => r[1] !== void 0 && r[1] !== "");
  const w = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${indent}${k.padEnd(w)}  ${v.replace(/\r?\n/g, `
${indent}${" ".repeat(w + 2)}`)}`);
}
function columns(rows, indent = "  ") {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => `${indent}${r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join("  ")}`.trimEnd());
}
var row = (r, indent) => `${indent}${KIND_LETTER[r.kind]} ${r.from ? `${r.from} -> ${r.path}` : r.path}`;
function files(h, opts) {
  const total = rowCount(h.files);
  if (total === 0) return [];
  const groups = componentsOf(h);
  const out = ["", `Changed files: ${changeCounts(h.files)}`];
  const limit = opts.fileLimit ?? Infinity;
  if (total > limit) {
    if (groups) {
      out.push(...columns([["Component", "Added", "Modified", "Deleted", "Renamed"], ...countComponents(groups).map((c) => [c.component, String(c.added), String(c.modified), String(c.deleted), String(c.renamed)])]));
    }
    out.push(`  (the ${total} files are not listed here${opts.fullListNote ? `: ${opts.fullListNote}` : ""})`);
    return out;
  }
  if (groups) {
    for (const g of groups) {
      out.push(`  ${g.component} (${changeCounts(g)})`);
      out.push(...fileRows(g).map((r) => row(r, "    ")));
    }
  } else out.push(...fileRows(h.files).map((r) => row(r, "  ")));
  return out;
}
function hostPart(h, opts) {
  const out = [`== ${h.host}: ${h.outcome}${h.rolledBack ? " (rolled back)" : ""} ==`];
  if (h.error) out.push(`Error: ${h.error}`);
  if (h.message && h.message !== h.error) out.push(h.message);
  if (h.restore) out.push(`To restore by hand: ${h.restore}`);
  if (h.rolledBack) out.push("Rolled back: a step after the switch failed, so live went back to the safe tree by itself.");
  out.push(
    ...keyValues([
      ["State", beforeAfter(h.stateBefore, h.stateAfter)],
      ["Live tree", beforeAfter(h.liveTreeBefore, h.liveTreeAfter)],
      ["Revision", beforeAfter(h.revisionBefore, h.revisionAfter, shortRev)],
      ["Application", beforeAfter(h.appVersionBefore, h.appVersionAfter)],
      ["Health check", h.health ? `${h.health.url}: ${h.health.ok ? "ok" : "failed"}${h.health.detail ? `, ${h.health.detail}` : ""} (expected ${h.health.expect})` : void 0],
      ["Cluster", clusterPart(h)]
    ])
  );
  if (h.plan?.length) out.push("", "Dry run: the mode would", ...h.plan.map((p) => `  - ${p}`));
  if (h.steps.length) out.push("", "Steps", ...columns(h.steps.map((s) => [s.name, s.outcome, formatMs(s.ms), s.detail ?? ""])));
  out.push(...files(h, opts));
  for (const d of h.drift) {
    out.push("", `Drift: ${d.files.length} file(s) of the ${d.role} tree ${d.tree} were changed on the server by hand${d.patch ? `; saved in ${d.patch}` : ""}`);
    const limit = opts.fileLimit ?? Infinity;
    out.push(...d.files.slice(0, Number.isFinite(limit) ? limit : void 0).map((f) => `  ${f.status} ${f.path}`));
    if (d.files.length > limit) out.push(`  \u2026 and ${d.files.length - limit} more`);
  }
  if (h.upgradeOutput) {
    const limit = opts.outputLimit ?? 5e3;
    out.push("", `Upgrade output${h.upgradeOutput.length > limit ? ` (last ${limit} characters)` : ""}:`, h.upgradeOutput.slice(-limit).trimEnd());
  }
  if (h.permissions?.length) out.push("", "Permission findings", ...h.permissions.map((p) => `  ${p.problem} ${p.path}`));
  if (h.status) out.push("", "Status", JSON.stringify(h.status, null, 2));
  return out.join("\n");
}
function sessionPart(r, opts) {
  const s = r.session;
  if (!s) return [];
  const out = ["", `== Session: ${s.title} ==`, ...keyValues(sessionFacts(s).filter(([k]) => k !== "Session").concat([["Id", `${s.id} (${s.status})`]]))];
  out.push("", "Interventions");
  if (s.interventions.length === 0) out.push("  none yet");
  else {
    out.push(
      ...columns(
        s.interventions.map((i) => [i.at, i.actor, i.mode, i.host, i.paths.length ? i.paths.join(",") : "whole tree", i.outcome + (i.rolledBack ? " (rolled back)" : ""), `${rowCount(i.files)} file(s)`, i.comment])
      )
    );
  }
  out.push(...files(sessionFilesHost(r, s), opts));
  return out;
}
function renderText(r, opts = {}) {
  const head = `Delivery ${headline(r)}: ${shortRepository(r.repository) || r.hosts[0]?.host || ""}`;
  const out = [
    head,
    "=".repeat(Math.min(head.length, 78)),
    verdict(r),
    "",
    ...keyValues([
      ["Repository", r.repository],
      ["Ref", r.ref],
      ["Commit", r.commit],
      ["Environment", r.environment],
      ["Paths", r.paths.join(", ")],
      ["Comment", r.comment],
      ["By", `${r.actor} (${r.event})`],
      ["Workflow run", r.runUrl],
      ["Report artifact", r.artifact ? `${r.artifact.name} (id ${r.artifact.id})${r.artifact.url ? ` ${r.artifact.url}` : ""}` : void 0],
      ["Session", r.sessionId],
      ["Started", `${r.startedAt} (${formatMs(r.durationMs)})`]
    ]),
    ...sessionPart(r, opts),
    "",
    "Hosts",
    ...columns(r.hosts.map((h) => [h.host, h.outcome + (h.rolledBack ? " (rolled back)" : ""), beforeAfter(h.revisionBefore, h.revisionAfter, shortRev) ?? "\u2013", `${rowCount(h.files)} file(s)`])),
    "",
    ...r.hosts.map((h) => `${hostPart(h, opts)}
`),
    `-- ${r.tool.name} ${r.tool.version}, report schema ${r.schemaVersion}, finished ${r.finishedAt}`
  ];
  return `${out.join("\n")}
`;
}

// src/notify/mail.ts
var MAIL_FILE_LIMIT = 300;
function shouldMail(on, outcome) {
  return on === "always" || on === "failure" && outcome !== "success";
}
function mailSubject(r) {
  const repo = shortRepository(r.repository);
  const mode = `${r.mode}${r.dryRun ? " dry-run" : ""}`;
  return `[Delivery] ${repo ? `${repo} ` : ""}${siteName(r)}: ${mode} ${r.outcome} (${r.session ? r.session.title : refName(r)})`.replace(/[\r\n\t]+/g, " ");
}
var MAIL_ATTACHMENT_LIMIT = 10 * 1024 * 1024;
function composeReportMail(r, secrets) {
  const mask = (s) => maskSecrets(s, secrets);
  const attachments = [
    { filename: "report.json", content: mask(renderJson(r)), contentType: "application/json; charset=utf-8" },
    { filename: "report.html", content: mask(renderHtml(r)), contentType: "text/html; charset=utf-8" }
  ];
  const size = () => attachments.reduce((t, a) => t + Buffer.byteLength(a.content), 0);
  while (attachments.length && size() > MAIL_ATTACHMENT_LIMIT) attachments.pop();
  const where = r.artifact ? `the report artifact ${r.artifact.name}${r.artifact.url ? ` (${r.artifact.url})` : ""}` : "the report artifact of the workflow run";
  const note = attachments.length === 2 ? "the attached report.html and report.json list them all" : attachments.length === 1 ? `the attached report.json lists them all, as does ${where}` : `the report files are too large to attach; ${where} holds them`;
  return {
    subject: mask(mailSubject(r)),
    text: mask(renderText(r, { fileLimit: MAIL_FILE_LIMIT, fullListNote: note })),
    // No folding in the body: mail clients do not all open <details>.
    html: mask(renderHtml(r, { fileLimit: MAIL_FILE_LIMIT, fullListNote: note, outputLimit: 5e3, foldAbove: Infinity })),
    attachments
  };
}
async function sendMail(mail, message, opts) {
  const nodemailer = await import("./nodemailer-MUDXUFTK.js");
  const transport = nodemailer.createTransport({
    host: mail.host.replace(/^\[(.*)\]$/, "$1"),
    port: mail.port,
    secure: mail.secure === "tls",
    requireTLS: mail.secure === "starttls",
    ignoreTLS: mail.secure === "none",
    auth: mail.username ? { user: mail.username, pass: mail.password ?? "" } : void 0,
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    dnsTimeout: opts.timeoutMs,
    socketTimeout: opts.timeoutMs * 2,
    name: hostname()
  });
  try {
    const info = await transport.sendMail({
      from: mail.from,
      to: mail.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      attachments: message.attachments,
      headers: { "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All" }
    });
    const list = (l) => (l ?? []).map((a) => typeof a === "string" ? a : a.address);
    return { ok: true, messageId: info.messageId, accepted: list(info.accepted), rejected: list(info.rejected) };
  } catch (e) {
    const err = e;
    const detail = err.response && !err.message.includes(err.response) ? `${err.message} (${err.response})` : err.message;
    return { ok: false, accepted: [], rejected: [], error: `${err.code ? `${err.code}: ` : ""}${detail}` };
  } finally {
    transport.close();
  }
}
async function mailReport(r, mail, secrets, opts) {
  if (!shouldMail(mail.on, r.outcome)) return { sent: false, info: `no report email: mail-on is ${mail.on} and the run ${r.outcome === "success" ? "succeeded" : r.outcome}` };
  const message = composeReportMail(r, secrets);
  const res = await sendMail(mail, message, opts);
  const server = `${mail.host}:${mail.port} (${mail.secure})`;
  if (!res.ok) {
    return { sent: false, info: "", warning: `the report email to ${mail.to.join(", ")} was not sent through ${server}: ${maskSecrets(res.error ?? "unknown error", secrets)}. The delivery itself is not affected` };
  }
  const warning = res.rejected.length ? `the SMTP server ${server} refused the recipient(s) ${res.rejected.join(", ")} of the report email` : void 0;
  return { sent: true, warning, info: `report email sent to ${res.accepted.join(", ")} through ${server} (${res.messageId ?? "no message id"})` };
}

// src/notify/notify.ts
async function startNotifications(ctx) {
  const { settings, log } = ctx;
  const mask = (s) => maskSecrets(s, settings.secrets);
  const action = deploymentAction(settings.mode, settings.dryRun);
  const { target, skip } = settings.environment && action !== "none" ? deploymentTarget(settings, ctx.env) : {};
  if (skip) log.warning(skip);
  let record;
  if (target && action === "record") {
    const started = await DeploymentRecord.start(target, mask(`${settings.mode} of ${target.ref} by ${settings.run.actor}`), {
      mode: settings.mode,
      hosts: settings.hosts.map((h) => h.label),
      paths: settings.paths,
      runId: settings.run.runId
    });
    record = started.record;
    if (started.warning) log.warning(started.warning);
    if (record) log.info(`deployment ${record.id} of ${record.ref} to ${target.environment}: in progress`);
  }
  const guarded = async (what, fn) => {
    try {
      await fn();
    } catch (e) {
      log.warning(`${what}: ${e.message}`);
    }
  };
  return {
    async finish(report, dir, files2) {
      await guarded("deployment status", async () => {
        if (record) {
          const w = await record.finish(report.outcome, mask(verdict(report)));
          if (w) log.warning(w);
          else log.info(`deployment ${record.id} to ${settings.environment}: ${report.outcome}`);
        } else if (target && action === "inactive" && report.outcome === "success") {
          const live = report.hosts.find((h) => h.revisionAfter)?.revisionAfter;
          const r = await markLatestInactive(target, mask(`goback by ${settings.run.actor}: live went back to the safe tree${live ? ` (${live.slice(0, 12)})` : ""}`));
          if (r.warning) log.warning(r.warning);
          if (r.info) log.info(r.info);
        }
      });
      await guarded("report artifact", async () => {
        const artifact = await uploadReportArtifact({
          baseName: settings.artifactName,
          job: settings.run.job,
          mode: settings.mode,
          dir,
          files: files2,
          env: ctx.env,
          fromActions: ctx.fromActions,
          runUrl: settings.run.runUrl || void 0
        });
        if (artifact.skipped) log.notice(`report artifact not uploaded: ${artifact.skipped}; the report files are in ${dir}`);
        else if (artifact.error) log.warning(`report artifact ${artifact.name} not uploaded: ${artifact.error}; the report files are in ${dir}`);
        else if (artifact.id !== void 0) {
          report.artifact = { name: artifact.name, id: artifact.id, url: artifact.url };
          log.info(`report artifact ${artifact.name} uploaded (id ${artifact.id})`);
        }
      });
      const mail = settings.mail;
      if (mail) {
        await guarded("report email", async () => {
          const res = await mailReport(report, mail, settings.secrets, { timeoutMs: settings.timeoutMs });
          if (res.warning) log.warning(res.warning);
          if (res.info) log.info(res.info);
        });
      }
      return report.artifact?.id;
    }
  };
}
export {
  startNotifications
};
