import { createRequire as __dlvCreateRequire } from 'node:module'; import { dirname as __dlvDirname } from 'node:path'; import { fileURLToPath as __dlvFileURLToPath } from 'node:url'; const require = __dlvCreateRequire(import.meta.url); const __dlvFilenameValue = __dlvFileURLToPath(import.meta.url); const __dlvDirnameValue = __dlvDirname(__dlvFilenameValue);
import {
  renderText
} from "./chunk-24RHZBYR.js";
import {
  MODE_TABLE,
  VERSION,
  beforeAfter,
  formatMs,
  maskSecrets,
  maskValues,
  maskValues2,
  mdEscape,
  refName,
  renderHtml,
  renderJson,
  shortRepository,
  shortRev,
  siteName,
  summarize,
  verdict
} from "./chunk-JWPRDRVT.js";
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
    const { DefaultArtifactClient } = await import("./artifact-QRBVKZLS.js");
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
  return Object.hasOwn(MODE_TABLE, mode) ? MODE_TABLE[mode].deployment : "none";
}
function deploymentTarget(settings, env) {
  if (!settings.environment) return { skip: "no environment given" };
  const [owner, repo] = settings.run.workflowRepository.split("/");
  if (!owner || !repo) return { skip: `environment '${settings.environment}' is given but the workflow repository is unknown (GITHUB_REPOSITORY is not set): no deployment recorded` };
  if (!settings.githubToken) return { skip: `environment '${settings.environment}' is given but there is no token: give github-token (default: the job's token, github.token)` };
  const ref = settings.ref || settings.run.sha;
  if (!ref && MODE_TABLE[settings.mode].deployment !== "inactive") return { skip: "no ref to record the deployment for (give ref)" };
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
  const { getOctokit } = await import("./github-KQ7XPDE2.js");
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

// src/notify/chat.ts
import { randomUUID } from "node:crypto";

// src/notify/chat-payloads.ts
import { createHmac } from "node:crypto";
var ICON = { success: "\u2705", failure: "\u274C", refused: "\u26D4", skipped: "\u23ED\uFE0F" };
function clip(text, max) {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}\u2026`;
}
var http = (u) => {
  if (!u) return void 0;
  try {
    const p = new URL(u);
    return p.protocol === "https:" || p.protocol === "http:" ? p.href : void 0;
  } catch {
    return void 0;
  }
};
function artifactLink(s) {
  const a = s.artifact;
  const url = http(a?.url) ?? (a && http(s.runUrl) ? `${s.runUrl}#artifacts` : void 0);
  return url ? { url, label: `Report artifact${a ? ` ${a.name}` : ""}` } : void 0;
}
function hostFacts(h) {
  const facts = [["Outcome", `${ICON[h.outcome]} ${h.outcome}${h.rolledBack ? " (went back to the safe tree)" : ""}`]];
  const rev = beforeAfter(h.revisionBefore, h.revisionAfter, shortRev);
  if (rev) facts.push(["Revision", rev]);
  const ver = beforeAfter(h.appVersionBefore, h.appVersionAfter);
  if (ver) facts.push(["Version", ver]);
  const f = h.files;
  const kinds = ["added", "modified", "deleted", "renamed"].filter((k) => f[k] > 0).map((k) => `${f[k]} ${k}`);
  facts.push(["Files", `${f.total}${kinds.length ? ` (${kinds.join(", ")})` : ""}`]);
  if (h.components?.length) {
    const shown = h.components.slice(0, 12).map((c) => `${c.component} ${c.added + c.modified + c.deleted + c.renamed}`);
    facts.push(["Components", `${shown.join(", ")}${h.components.length > 12 ? `, and ${h.components.length - 12} more` : ""}`]);
  }
  facts.push(["Drift", h.drift.files ? `${h.drift.files} file(s) changed by hand, saved (${h.drift.trees.map((t) => `${t.role} ${t.files}`).join(", ")})` : "none"]);
  if (h.upgrade) facts.push(["Upgrade", `${h.upgrade.outcome} in ${formatMs(h.upgrade.ms)}${h.upgrade.detail ? `: ${h.upgrade.detail}` : ""}`]);
  if (h.restore) facts.push(["Restore by hand", h.restore]);
  if (h.error) facts.push(["Error", h.error]);
  return facts;
}
function runLine(s) {
  const parts = [s.repositoryName || s.repository, s.ref, s.commit ? shortRev(s.commit) : "", `by ${s.actor}`, s.trigger ? `(${s.trigger})` : ""].filter(Boolean);
  return parts.join(" \xB7 ");
}
function sessionLines(s) {
  const x = s.session;
  if (!x) return [];
  const lines = [`Session ${x.title} (${x.id}), ${x.status}: ${x.interventions} intervention(s), ${x.files} file(s)`];
  if (x.outputState) lines.push(`Output state: ${x.outputState}`);
  if (x.followup) lines.push(`Follow-up: ${x.followup}`);
  return lines;
}
var HOSTS_SHOWN = 10;
function otherHosts(s) {
  const rest = s.hosts.slice(HOSTS_SHOWN);
  if (!rest.length) return void 0;
  const by = /* @__PURE__ */ new Map();
  for (const h of rest) by.set(h.outcome, (by.get(h.outcome) ?? 0) + 1);
  return `and ${rest.length} more host(s): ${[...by].map(([o, n]) => `${n} ${o}`).join(", ")} (the report lists them all)`;
}
var plain = (text, max) => ({ type: "plain_text", text: clip(text, max) || " " });
function slackPayload(s, subject) {
  const blocks = [];
  blocks.push({ type: "header", text: plain(`${ICON[s.outcome]} ${s.headline}: ${s.site}`, 150) });
  blocks.push({ type: "section", text: plain([s.verdict, ...sessionLines(s)].join("\n"), 3e3) });
  blocks.push({ type: "context", elements: [plain(runLine(s), 2e3)] });
  for (const h of s.hosts.slice(0, HOSTS_SHOWN)) {
    blocks.push({ type: "divider" });
    blocks.push({ type: "section", text: plain(h.host, 3e3), fields: hostFacts(h).slice(0, 10).map(([k, v]) => plain(`${k}
${v}`, 2e3)) });
  }
  const rest = otherHosts(s);
  if (rest) blocks.push({ type: "section", text: plain(rest, 3e3) });
  const buttons = [];
  if (http(s.runUrl) && s.runUrl.length <= 3e3) buttons.push({ type: "button", text: plain("Workflow run", 75), url: s.runUrl });
  const art = artifactLink(s);
  if (art && art.url.length <= 3e3) buttons.push({ type: "button", text: plain(art.label, 75), url: art.url });
  if (buttons.length) blocks.push({ type: "actions", elements: buttons });
  return { text: clip(subject, 3e3), blocks: blocks.slice(0, 50) };
}
var MATTERMOST_TEXT_LIMIT = 16383;
function mattermostPayload(s) {
  const e = mdEscape;
  const out = [`#### ${ICON[s.outcome]} ${e(s.headline)}: ${e(s.site)}`, e(s.verdict)];
  for (const l of sessionLines(s)) out.push(e(l));
  out.push(`_${e(runLine(s))}_`);
  const shown = s.hosts.slice(0, HOSTS_SHOWN);
  if (shown.length) {
    out.push("", "| Host | Outcome | Revision | Version | Files | Drift | Upgrade |", "|---|---|---|---|---:|---|---|");
    for (const h of shown) {
      const f = Object.fromEntries(hostFacts(h));
      out.push(`| ${[h.host, f.Outcome, f.Revision ?? "\u2013", f.Version ?? "\u2013", f.Files, f.Drift, f.Upgrade ?? "\u2013"].map((v) => e(v)).join(" | ")} |`);
    }
    const rest = otherHosts(s);
    if (rest) out.push("", e(rest));
    for (const h of shown) {
      const f = Object.fromEntries(hostFacts(h));
      if (f.Components) out.push("", `**${e(h.host)}** components: ${e(f.Components)}`);
      if (f["Restore by hand"]) out.push("", `**${e(h.host)}** restore by hand: ${e(f["Restore by hand"])}`);
      if (f.Error) out.push("", `**${e(h.host)}** error: ${e(clip(f.Error, 1e3))}`);
    }
  }
  const art = artifactLink(s);
  const links = [http(s.runUrl) ? `[Workflow run](${s.runUrl})` : "", art ? `[${e(art.label)}](${art.url})` : ""].filter(Boolean);
  if (links.length) out.push("", links.join(" \xB7 "));
  return { text: clip(out.join("\n"), MATTERMOST_TEXT_LIMIT) };
}
var cardText = (s) => s.replace(/[\\[\]*_`]/g, (c) => `\\${c}`);
function teamsPayload(s) {
  const good = s.outcome === "success";
  const body = [
    { type: "TextBlock", text: cardText(`${ICON[s.outcome]} ${s.headline}: ${s.site}`), size: "Large", weight: "Bolder", color: good ? "Good" : "Attention", wrap: true },
    { type: "TextBlock", text: cardText([s.verdict, ...sessionLines(s)].join("\n\n")), wrap: true },
    { type: "TextBlock", text: cardText(runLine(s)), isSubtle: true, spacing: "None", wrap: true }
  ];
  for (const h of s.hosts.slice(0, HOSTS_SHOWN)) {
    body.push({
      type: "Container",
      separator: true,
      items: [
        { type: "TextBlock", text: cardText(h.host), weight: "Bolder", wrap: true },
        { type: "FactSet", facts: hostFacts(h).map(([title, value]) => ({ title, value: cardText(clip(value, 1e3)) })) }
      ]
    });
  }
  const rest = otherHosts(s);
  if (rest) body.push({ type: "TextBlock", text: cardText(rest), wrap: true });
  const actions = [];
  if (http(s.runUrl)) actions.push({ type: "Action.OpenUrl", title: "Workflow run", url: s.runUrl });
  const art = artifactLink(s);
  if (art) actions.push({ type: "Action.OpenUrl", title: art.label, url: art.url });
  const card = {
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    type: "AdaptiveCard",
    version: "1.4",
    fallbackText: `${s.headline}: ${s.site}`,
    body,
    msteams: { width: "Full" }
  };
  if (actions.length) card.actions = actions;
  return { type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: card }] };
}
function signBody(body, secret) {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}
function webhookBody(s, id, sentAt) {
  return JSON.stringify({ ...s, deliveryId: id, sentAt: sentAt.toISOString() });
}

// src/notify/chat-post.ts
var DEFAULT_POST = { attempts: 3, attemptTimeoutMs: 1e4, totalMs: 3e4, backoffMs: 1e3 };
var sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function describeFetchError(e, timeoutMs) {
  const err = e;
  if (err.name === "TimeoutError" || err.name === "AbortError") return `no answer within ${formatMs(timeoutMs)}`;
  const cause = err.cause;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.startsWith(cause.code) ? ` (${cause.message})` : ""}`;
  return cause?.message ?? err.message;
}
async function postWebhook(url, body, headers, opts = DEFAULT_POST) {
  const deadline = Date.now() + opts.totalMs;
  let last = { ok: false, status: 0, attempts: 0, error: "not sent" };
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const timeout = Math.min(opts.attemptTimeoutMs, left);
    let retryAfterMs;
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json; charset=utf-8", "User-Agent": `delivery/${VERSION}`, ...headers },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(timeout)
      });
      const text = (await res.text()).slice(0, 300).replace(/\s+/g, " ").trim();
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, attempts: attempt };
      const answer = `HTTP ${res.status}${text ? `: ${text}` : ""}`;
      if (res.status >= 300 && res.status < 400) {
        return { ok: false, status: res.status, attempts: attempt, error: `${answer} (a redirect${res.headers.get("location") ? ` to ${res.headers.get("location")}` : ""}, not followed: give the webhook's current URL)` };
      }
      last = { ok: false, status: res.status, attempts: attempt, error: answer };
      if (res.status !== 429 && res.status < 500) return last;
      const ra = res.headers.get("retry-after");
      if (ra && /^\d{1,6}$/.test(ra.trim())) retryAfterMs = Number(ra.trim()) * 1e3;
    } catch (e) {
      last = { ok: false, status: 0, attempts: attempt, error: describeFetchError(e, timeout) };
    }
    if (attempt === opts.attempts) break;
    const wait = retryAfterMs ?? opts.backoffMs * 2 ** (attempt - 1);
    if (Date.now() + wait >= deadline) {
      last.error += retryAfterMs !== void 0 ? ` (Retry-After ${retryAfterMs / 1e3} s is past the time bound)` : "";
      break;
    }
    await sleep(wait);
  }
  return last;
}
function urlParts(url) {
  const parts = [url];
  try {
    const u = new URL(url);
    for (const p of [`${u.pathname}${u.search}`, u.pathname, u.search.slice(1), decodeURIComponent(u.pathname)]) if (p.length >= 8) parts.push(p);
  } catch {
  }
  return parts;
}

// src/notify/mail.ts
import { hostname } from "node:os";
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
function composeReportMail(report, secrets) {
  const r = maskValues(report, secrets);
  const attachments = [
    { filename: "report.json", content: renderJson(r), contentType: "application/json; charset=utf-8" },
    { filename: "report.html", content: renderHtml(r), contentType: "text/html; charset=utf-8" }
  ];
  const size = () => attachments.reduce((t, a) => t + Buffer.byteLength(a.content), 0);
  while (attachments.length && size() > MAIL_ATTACHMENT_LIMIT) attachments.pop();
  const where = r.artifact ? `the report artifact ${r.artifact.name}${r.artifact.url ? ` (${r.artifact.url})` : ""}` : "the report artifact of the workflow run";
  const note = attachments.length === 2 ? "the attached report.html and report.json list them all" : attachments.length === 1 ? `the attached report.json lists them all, as does ${where}` : `the report files are too large to attach; ${where} holds them`;
  return {
    subject: mailSubject(r),
    text: renderText(r, { fileLimit: MAIL_FILE_LIMIT, fullListNote: note }),
    // No folding in the body: mail clients do not all open <details>.
    html: renderHtml(r, { fileLimit: MAIL_FILE_LIMIT, fullListNote: note, outputLimit: 5e3, foldAbove: Infinity }),
    attachments
  };
}
async function sendMail(mail, message, opts) {
  const nodemailer = await import("./nodemailer-CG5B7USB.js");
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

// src/notify/chat.ts
var SIGNATURE_HEADER = "X-Delivery-Signature-256";
var EVENT_HEADER = "X-Delivery-Event";
var ID_HEADER = "X-Delivery-Id";
var KIND_NAME = { slack: "Slack", mattermost: "Mattermost", teams: "Teams", webhook: "JSON" };
function shouldChat(on, r) {
  if (on.includes("session") && (r.mode === "session-open" || r.mode === "session-close")) return true;
  return on.includes(r.outcome === "success" ? "success" : "failure");
}
function targetLabel(t) {
  let host = "?";
  try {
    host = new URL(t.url).host;
  } catch {
  }
  return `${KIND_NAME[t.kind]} webhook at ${host}`;
}
function chatRequest(t, s, subject, now = /* @__PURE__ */ new Date()) {
  switch (t.kind) {
    case "slack":
      return { body: JSON.stringify(slackPayload(s, subject)), headers: {} };
    case "mattermost":
      return { body: JSON.stringify(mattermostPayload(s)), headers: {} };
    case "teams":
      return { body: JSON.stringify(teamsPayload(s)), headers: {} };
    case "webhook": {
      const id = randomUUID();
      const body = webhookBody(s, id, now);
      const headers = { [EVENT_HEADER]: s.kind, [ID_HEADER]: id };
      if (t.secret) headers[SIGNATURE_HEADER] = signBody(body, t.secret);
      return { body, headers };
    }
  }
}
async function chatReport(r, chat, secrets, opts = DEFAULT_POST) {
  const out = { info: [], warnings: [] };
  if (!chat.targets.length) return out;
  if (!shouldChat(chat.on, r)) {
    out.info.push(`no chat message: chat-on is ${chat.on.length ? chat.on.join(", ") : "never"} and the run ${r.outcome === "success" ? "succeeded" : r.outcome}`);
    return out;
  }
  const hidden = [...secrets, ...chat.targets.flatMap((t) => urlParts(t.url))];
  const summary = maskValues2(summarize(r), secrets);
  const subject = maskSecrets(mailSubject(r), secrets);
  await Promise.all(
    chat.targets.map(async (t) => {
      const label = targetLabel(t);
      try {
        const req = chatRequest(t, summary, subject);
        const res = await postWebhook(t.url, req.body, req.headers, opts);
        if (res.ok) out.info.push(`report posted to the ${label} (HTTP ${res.status}${res.attempts > 1 ? `, try ${res.attempts}` : ""})`);
        else out.warnings.push(maskSecrets(`the report was not posted to the ${label} after ${res.attempts} try(s): ${res.error}. The delivery itself is not affected`, hidden));
      } catch (e) {
        out.warnings.push(maskSecrets(`the report was not posted to the ${label}: ${e.message}. The delivery itself is not affected`, hidden));
      }
    })
  );
  return out;
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
    async finish(report, dir, files) {
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
          files,
          env: ctx.env,
          fromActions: ctx.fromActions,
          runUrl: settings.run.runUrl || void 0
        });
        if (artifact.skipped) {
          if (ctx.fromActions) log.notice(`report artifact not uploaded: ${artifact.skipped}; the report files are in ${dir}`);
        } else if (artifact.error) log.warning(`report artifact ${artifact.name} not uploaded: ${artifact.error}; the report files are in ${dir}`);
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
      const chat = settings.chat;
      if (chat) {
        await guarded("chat messages", async () => {
          const res = await chatReport(report, chat, settings.secrets);
          for (const w of res.warnings) log.warning(w);
          for (const i of res.info) log.info(i);
        });
      }
      return report.artifact?.id;
    }
  };
}
export {
  startNotifications
};
