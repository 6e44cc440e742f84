import { createRequire as __dlvCreateRequire } from 'node:module'; import { dirname as __dlvDirname } from 'node:path'; import { fileURLToPath as __dlvFileURLToPath } from 'node:url'; const require = __dlvCreateRequire(import.meta.url); const __dlvFilenameValue = __dlvFileURLToPath(import.meta.url); const __dlvDirnameValue = __dlvDirname(__dlvFilenameValue);

// src/secrets.ts
function piecesOf(secrets) {
  const pieces = /* @__PURE__ */ new Set();
  for (const s of secrets) {
    if (!s) continue;
    pieces.add(s);
    for (const line of s.split(/\r?\n/)) if (line.trim().length >= 4) pieces.add(line.trim());
  }
  return [...pieces].sort((a, b) => b.length - a.length);
}
function maskSecrets(text, secrets) {
  let out = text;
  for (const p of piecesOf(secrets)) out = out.split(p).join("***");
  return out;
}
var MADE_HERE = /* @__PURE__ */ new Set(["id", "sessionId", "runId", "at", "startedAt", "finishedAt", "openedAt", "closedAt", "updatedAt", "status", "mode", "outcome", "event"]);
function maskValues(value, secrets) {
  const pieces = piecesOf(secrets);
  if (pieces.length === 0) return value;
  const walk = (v) => {
    if (typeof v === "string") {
      let out = v;
      for (const p of pieces) out = out.split(p).join("***");
      return out;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === "string" && MADE_HERE.has(k) ? x : walk(x)]));
    return v;
  };
  return walk(value);
}
var VALUE = String.raw`('[^']*'|"[^"]*"|[^\s'";&|()<>]+)`;
var SECRET_WORD = "(?:pass|pwd|secret|token|api[_-]?key|credential)";
var IN_COMMAND = [
  // scheme://user:password@ and https://token@
  /[a-z][a-z0-9+.-]*:\/\/[^\s/@:'"]*:([^\s/@'"]+)@/gi,
  /https?:\/\/([^\s/@:'"]+)@/gi,
  // NAME=value (DB_PASSWORD=..., PGPASSWORD=...), --name=value and --name value (--password, --api-key)
  new RegExp(String.raw`(?:^|[\s;&|(])(?:export\s+)?[A-Za-z_0-9]*${SECRET_WORD}[A-Za-z_0-9]*=${VALUE}`, "gim"),
  new RegExp(String.raw`(?:^|[\s;&|(])--[A-Za-z0-9-]*${SECRET_WORD}[A-Za-z0-9-]*(?:=|\s+)${VALUE}`, "gim"),
  // curl -u user:password, an Authorization header, mysql's -pPASSWORD
  new RegExp(String.raw`(?:^|\s)(?:-u|--user)\s+['"]?[^\s:'"]+:([^\s'"]+)`, "gm"),
  /authorization:\s*(?:bearer|basic|token)\s+([^\s'"]+)/gi,
  /\b(?:mysql|mysqldump|mariadb|mariadb-dump)\b[^\n;|&]*?\s-p([^\s'"]+)/g
];
function secretsInCommand(text) {
  const found = /* @__PURE__ */ new Set();
  for (const re of IN_COMMAND) {
    for (const m of text.matchAll(re)) {
      const raw = m[m.length - 1] ?? "";
      const v = /^'.*'$|^".*"$/s.test(raw) ? raw.slice(1, -1) : raw;
      if (v.length >= 4 && !v.includes("$") && !v.includes("`")) found.add(v);
    }
  }
  return [...found];
}

// src/transport/run.ts
var OUTPUT_KEEP_BYTES = 64 * 1024 * 1024;
var BoundedOutput = class {
  constructor(limit) {
    this.limit = limit;
  }
  limit;
  head = [];
  headLen = 0;
  tail = [];
  tailLen = 0;
  dropped = 0;
  push(d) {
    const half = Math.floor(this.limit / 2);
    if (this.headLen < half) {
      const take = d.subarray(0, half - this.headLen);
      this.head.push(take);
      this.headLen += take.length;
      d = d.subarray(take.length);
      if (!d.length) return;
    }
    this.tail.push(d);
    this.tailLen += d.length;
    while (this.tailLen > this.limit - half && this.tail.length) {
      const over = this.tailLen - (this.limit - half);
      const first = this.tail[0];
      if (first.length <= over) {
        this.tail.shift();
        this.tailLen -= first.length;
        this.dropped += first.length;
      } else {
        this.tail[0] = first.subarray(over);
        this.tailLen -= over;
        this.dropped += over;
      }
    }
  }
  text() {
    const head = Buffer.concat(this.head).toString("utf8");
    const tail = Buffer.concat(this.tail).toString("utf8");
    return this.dropped ? `${head}
[... ${this.dropped} bytes of output dropped ...]
${tail}` : head + tail;
  }
};
var RunError = class extends Error {
  constructor(host, what, code3, stdout, stderr) {
    const tail = stderr.trim().split("\n").slice(-15).join("\n");
    super(`${what} failed (exit code ${code3})${tail ? `: ${tail}` : ""}`);
    this.host = host;
    this.what = what;
    this.code = code3;
    this.stdout = stdout;
    this.stderr = stderr;
    this.name = "RunError";
  }
  host;
  what;
  code;
  stdout;
  stderr;
};
var TimeoutError = class extends RunError {
  constructor(host, what, stdout, stderr, timeoutMs) {
    super(host, what, 124, stdout, stderr);
    this.timeoutMs = timeoutMs;
    this.name = "TimeoutError";
  }
  timeoutMs;
};
var ConnectionError = class extends Error {
  constructor(host, message, transient) {
    super(message);
    this.host = host;
    this.transient = transient;
    this.name = "ConnectionError";
  }
  host;
  transient;
};

// src/report/components.ts
var MOODLE_PLUGIN_TYPES = {
  aiplacement: "ai/placement",
  aiprovider: "ai/provider",
  antivirus: "lib/antivirus",
  availability: "availability/condition",
  qtype: "question/type",
  mod: "mod",
  auth: "auth",
  calendartype: "calendar/type",
  communication: "communication/provider",
  customfield: "customfield/field",
  enrol: "enrol",
  message: "message/output",
  block: "blocks",
  media: "media/player",
  filter: "filter",
  editor: "lib/editor",
  format: "course/format",
  dataformat: "dataformat",
  profilefield: "user/profile/field",
  report: "report",
  coursereport: "course/report",
  gradeexport: "grade/export",
  gradeimport: "grade/import",
  gradepenalty: "grade/penalty",
  gradereport: "grade/report",
  gradingform: "grade/grading/form",
  mlbackend: "lib/mlbackend",
  mnetservice: "mnet/service",
  webservice: "webservice",
  repository: "repository",
  portfolio: "portfolio",
  search: "search/engine",
  qbank: "question/bank",
  qbehaviour: "question/behaviour",
  qformat: "question/format",
  plagiarism: "plagiarism",
  tool: "admin/tool",
  cachestore: "cache/stores",
  cachelock: "cache/locks",
  fileconverter: "files/converter",
  contenttype: "contentbank/contenttype",
  theme: "theme",
  local: "local",
  h5plib: "h5p/h5plib",
  paygw: "payment/gateway",
  smsgateway: "sms/gateway"
};
var MOODLE_SUBPLUGIN_TYPES = {
  assignsubmission: "mod/assign/submission",
  assignfeedback: "mod/assign/feedback",
  assignment: "mod/assignment/type",
  quiz: "mod/quiz/report",
  quizaccess: "mod/quiz/accessrule",
  workshopform: "mod/workshop/form",
  workshopallocation: "mod/workshop/allocation",
  workshopeval: "mod/workshop/eval",
  datafield: "mod/data/field",
  datapreset: "mod/data/preset",
  ltisource: "mod/lti/source",
  ltiservice: "mod/lti/service",
  booktool: "mod/book/tool",
  scormreport: "mod/scorm/report",
  forumreport: "mod/forum/report",
  bbbext: "mod/bigbluebuttonbn/extension",
  atto: "lib/editor/atto/plugins",
  tiny: "lib/editor/tiny/plugins",
  tinymce: "lib/editor/tinymce/plugins",
  logstore: "admin/tool/log/store",
  factor: "admin/tool/mfa/factor"
};
var byCodePoint = (a, b) => a < b ? -1 : a > b ? 1 : 0;
var TABLE = Object.entries({ ...MOODLE_PLUGIN_TYPES, ...MOODLE_SUBPLUGIN_TYPES }).map(([type, dir]) => [`${dir}/`, type]).sort((a, b) => b[0].length - a[0].length || byCodePoint(a[0], b[0]));
function moodleComponent(path) {
  const p = path.startsWith("public/") ? path.slice("public/".length) : path;
  for (const [dir, type] of TABLE) {
    if (!p.startsWith(dir)) continue;
    const rest = p.slice(dir.length);
    const slash = rest.indexOf("/");
    if (slash > 0) return `${type}_${rest.slice(0, slash)}`;
  }
  return "core";
}
function groupByComponent(files, componentOf = moodleComponent) {
  const groups = /* @__PURE__ */ new Map();
  const group = (path) => {
    const c = componentOf(path);
    let g = groups.get(c);
    if (!g) {
      g = { component: c, added: [], modified: [], deleted: [], renamed: [] };
      groups.set(c, g);
    }
    return g;
  };
  for (const p of files.added) group(p).added.push(p);
  for (const p of files.modified) group(p).modified.push(p);
  for (const p of files.deleted) group(p).deleted.push(p);
  for (const r of files.renamed) group(r.to).renamed.push(r);
  return [...groups.values()].sort((a, b) => a.component === "core" ? -1 : b.component === "core" ? 1 : byCodePoint(a.component, b.component));
}
function countComponents(groups) {
  return groups.map((g) => ({ component: g.component, added: g.added.length, modified: g.modified.length, deleted: g.deleted.length, renamed: g.renamed.length }));
}

// src/report/model.ts
var REPORT_SCHEMA_VERSION = 1;
function emptyChanges() {
  return { added: [], modified: [], deleted: [], renamed: [] };
}
function newHostReport(host) {
  return { host, outcome: "success", steps: [], files: emptyChanges(), drift: [], rolledBack: false };
}
function countChangedPaths(files) {
  const all = /* @__PURE__ */ new Set([...files.added, ...files.modified, ...files.deleted]);
  for (const r of files.renamed) {
    all.add(r.from);
    all.add(r.to);
  }
  return all.size;
}
function overallOutcome(hosts) {
  if (hosts.length === 0) return "failure";
  if (hosts.every((h) => h.outcome === "success" || h.outcome === "skipped")) return "success";
  if (hosts.some((h) => h.outcome === "failure")) return "failure";
  return "refused";
}

// src/report/view.ts
var OUTCOME_WORD = { success: "succeeded", failure: "failed", refused: "refused", skipped: "skipped" };
function shortRev(rev) {
  if (!rev) return "\u2013";
  return /^[0-9a-f]{40,64}$/.test(rev) ? rev.slice(0, 12) : rev;
}
function formatMs(ms) {
  if (ms < 1e3) return `${Math.round(ms)} ms`;
  if (ms < 6e4) return `${(ms / 1e3).toFixed(1)} s`;
  const s = Math.round(ms / 1e3);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor(s % 3600 / 60)).padStart(2, "0")} min`;
}
function shortRepository(repo) {
  if (!repo) return "";
  if (repo.includes("#")) return repo.slice(repo.lastIndexOf("#") + 1);
  let path = repo;
  const url = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?[^/]*(\/.*)?$/i.exec(repo);
  const scp = /^(?:[^@/:]+@)?[^/:]+:(.*)$/.exec(repo);
  if (url) path = url[1] ?? "";
  else if (scp && !repo.startsWith("/")) path = scp[1];
  const parts = path.replace(/\/+$/, "").replace(/\.git$/, "").split("/").filter(Boolean);
  if (parts.length === 0) return repo;
  return url || scp && !repo.startsWith("/") ? parts.slice(-2).join("/") : parts[parts.length - 1];
}
function hostName(label) {
  return label.replace(/^[^@]*@/, "").replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
}
function siteName(report) {
  return report.environment || (report.hosts[0] ? hostName(report.hosts[0].host) : "no host");
}
function refName(report) {
  if (report.ref) return report.ref;
  if (report.commit) return shortRev(report.commit);
  const rev = report.hosts.find((h) => h.revisionAfter)?.revisionAfter;
  return rev ? shortRev(rev) : "no ref";
}
function headline(report) {
  return `${report.mode}${report.dryRun ? " (dry run)" : ""} ${OUTCOME_WORD[report.outcome]}`;
}
function verdict(report) {
  const n = report.hosts.length;
  const hostsWord = `${n} host${n === 1 ? "" : "s"}`;
  if (report.dryRun) return `Dry run on ${hostsWord}: nothing was changed.`;
  const failed = report.hosts.filter((h) => h.outcome === "failure");
  const refused = report.hosts.filter((h) => h.outcome === "refused");
  const rolledBack = report.hosts.filter((h) => h.rolledBack);
  const restore = report.hosts.filter((h) => h.restore);
  const parts = [];
  if (report.outcome === "success") {
    const revs = [...new Set(report.hosts.map((h) => h.revisionAfter).filter(Boolean))];
    const versions = [...new Set(report.hosts.map((h) => h.appVersionAfter).filter(Boolean))];
    const live = ["goback", "backtoprod", "deliver", "init"].includes(report.mode);
    if (live && revs.length === 1) {
      parts.push(`${hostsWord} now serve${n === 1 ? "s" : ""} revision ${shortRev(revs[0])}${versions.length === 1 ? `, ${versions[0]}` : ""}.`);
    } else parts.push(`${report.mode} succeeded on ${hostsWord}.`);
  } else {
    if (failed.length) parts.push(`${failed.length} of ${hostsWord} failed.`);
    if (refused.length) parts.push(`${refused.length} of ${hostsWord} refused the mode: nothing was changed there.`);
    if (rolledBack.length) parts.push(`${rolledBack.length} went back to the safe tree by itself.`);
    if (restore.length) parts.push(`${restore.length} need${restore.length === 1 ? "s" : ""} a restore by hand (see below).`);
  }
  return parts.join(" ");
}
var KIND_LETTER = { added: "A", modified: "M", deleted: "D", renamed: "R" };
function fileRows(files) {
  return [
    ...files.added.map((path) => ({ kind: "added", path })),
    ...files.modified.map((path) => ({ kind: "modified", path })),
    ...files.deleted.map((path) => ({ kind: "deleted", path })),
    ...files.renamed.map((r) => ({ kind: "renamed", path: r.to, from: r.from }))
  ];
}
function componentsOf(host) {
  return host.app === "moodle" ? groupByComponent(host.files) : void 0;
}
function changeCounts(files) {
  const n = rowCount(files);
  const kinds = ["added", "modified", "deleted", "renamed"].filter((k) => files[k].length > 0).map((k) => `${files[k].length} ${k}`);
  return `${n} file${n === 1 ? "" : "s"}${kinds.length ? `: ${kinds.join(", ")}` : ""}`;
}
function rowCount(files) {
  return files.added.length + files.modified.length + files.deleted.length + files.renamed.length;
}
function beforeAfter(before, after, short = (s) => s ?? "\u2013") {
  if (!before && !after) return void 0;
  if (before && after && before === after) return `${short(after)} (unchanged)`;
  return `${short(before)} \u2192 ${short(after)}`;
}
function clusterPart(h) {
  const c = h.cluster;
  if (!c) return void 0;
  const where = c.role === "site" ? "this node ran the site-wide steps" : `node; site-wide steps on ${c.site}`;
  return `${where}${c.upgradedBy ? `; the upgrade ran on ${c.upgradedBy === h.host ? "this node" : c.upgradedBy}` : ""}`;
}
function submoduleRows(h) {
  return (h.submodules ?? []).map((s) => [
    s.path,
    !s.before ? `${shortRev(s.after)} (added)` : !s.after ? `${shortRev(s.before)} (removed)` : beforeAfter(s.before, s.after, shortRev),
    s.url
  ]);
}
function sessionFilesHost(r, s) {
  return { ...newHostReport("session"), files: s.files, app: r.hosts.some((h) => h.app === "moodle") ? "moodle" : "none" };
}

// src/notify/summary.ts
var SUMMARY_SCHEMA_VERSION = 1;
function counts(h) {
  const c = { added: h.added.length, modified: h.modified.length, deleted: h.deleted.length, renamed: h.renamed.length };
  return { ...c, total: c.added + c.modified + c.deleted + c.renamed };
}
function hostSummary(h) {
  const groups = componentsOf(h);
  const up = [...h.steps].reverse().find((s) => s.name === "upgrade");
  return {
    host: h.host,
    outcome: h.outcome,
    revisionBefore: h.revisionBefore,
    revisionAfter: h.revisionAfter,
    appVersionBefore: h.appVersionBefore,
    appVersionAfter: h.appVersionAfter,
    files: counts(h.files),
    components: groups ? countComponents(groups) : void 0,
    drift: {
      files: h.drift.reduce((n, d) => n + d.files.length, 0),
      trees: h.drift.map((d) => ({ tree: d.tree, role: d.role, files: d.files.length, patch: d.patch }))
    },
    upgrade: up ? { outcome: up.outcome, ms: up.ms, detail: up.detail } : void 0,
    rolledBack: h.rolledBack,
    restore: h.restore,
    error: h.error
  };
}
function summarize(r) {
  const kind = r.mode === "session-open" || r.mode === "session-close" ? r.mode : "run";
  const s = r.session;
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    kind,
    outcome: r.outcome,
    mode: r.mode,
    dryRun: r.dryRun,
    headline: headline(r),
    verdict: verdict(r),
    site: siteName(r),
    environment: r.environment,
    repository: r.repository,
    repositoryName: shortRepository(r.repository),
    ref: refName(r),
    commit: r.commit,
    actor: r.actor,
    trigger: r.event,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: r.durationMs,
    comment: r.comment,
    runUrl: r.runUrl,
    artifact: r.artifact ? { ...r.artifact } : void 0,
    session: s ? {
      id: s.id,
      title: s.title,
      status: s.status,
      openedBy: s.openedBy,
      openedAt: s.openedAt,
      closedBy: s.closedBy,
      closedAt: s.closedAt,
      outputState: s.outputState,
      followup: s.followup,
      interventions: s.interventions.length,
      files: counts(s.files).total
    } : void 0,
    hosts: r.hosts.map(hostSummary)
  };
}
function maskValues2(value, secrets) {
  if (typeof value === "string") return maskSecrets(value, secrets);
  if (Array.isArray(value)) return value.map((v) => maskValues2(v, secrets));
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskValues2(v, secrets);
    return out;
  }
  return value;
}

// src/report/escape.ts
var SafeHtml = class {
  constructor(value) {
    this.value = value;
  }
  value;
  toString() {
    return this.value;
  }
};
var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}
function render(value) {
  if (value === null || value === void 0 || value === false) return "";
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}
function html(strings, ...values) {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}
function safeHref(url) {
  if (!url) return void 0;
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : void 0;
  } catch {
    return void 0;
  }
}

// src/report/session.ts
function unionChanges(sets) {
  const out = emptyChanges();
  const seen = { added: /* @__PURE__ */ new Set(), modified: /* @__PURE__ */ new Set(), deleted: /* @__PURE__ */ new Set(), renamed: /* @__PURE__ */ new Set() };
  for (const s of sets) {
    for (const k of ["added", "modified", "deleted"]) {
      for (const p of s[k]) {
        if (!seen[k].has(p)) {
          seen[k].add(p);
          out[k].push(p);
        }
      }
    }
    for (const r of s.renamed) {
      const key = `${r.from}\0${r.to}`;
      if (!seen.renamed.has(key)) {
        seen.renamed.add(key);
        out.renamed.push(r);
      }
    }
  }
  return out;
}
function view({ runId: _r, revisionBefore: _b, revisionAfter: _a, ...i }) {
  return { ...i, paths: i.paths ?? [], comment: i.comment ?? "" };
}
function buildSessionReport(data) {
  if (data.length === 0) return void 0;
  const r = data[0].record;
  const interventions = data.flatMap((d) => d.interventions.map(view)).sort((a, b) => a.at < b.at ? -1 : a.at > b.at ? 1 : 0);
  const damaged = data.reduce((n, d) => n + d.damaged.length, 0);
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    impact: r.impact,
    status: r.status,
    openedAt: r.openedAt,
    openedBy: r.openedBy,
    closedAt: r.closedAt,
    closedBy: r.closedBy,
    outputState: r.outputState,
    followup: r.followup,
    interventions,
    files: unionChanges(interventions.map((i) => i.files)),
    damagedLines: damaged || void 0
  };
}
function sessionFacts(s) {
  return [
    ["Session", `${s.title} (${s.id}, ${s.status})`],
    ["Purpose", s.description || void 0],
    ["Impact", s.impact || void 0],
    ["Opened", `${s.openedAt} by ${s.openedBy}`],
    ["Closed", s.closedAt ? `${s.closedAt} by ${s.closedBy ?? ""}` : void 0],
    ["Output state", s.outputState || void 0],
    ["Follow-up", s.followup || void 0],
    ["Unreadable records", s.damagedLines ? `${s.damagedLines} line(s) of the server's session files could not be read and are left out` : void 0]
  ];
}

// src/report/html.ts
var COLOR = {
  success: { bg: "#1a7f37", fg: "#ffffff" },
  failure: { bg: "#cf222e", fg: "#ffffff" },
  refused: { bg: "#9a6700", fg: "#ffffff" },
  skipped: { bg: "#6e7781", fg: "#ffffff" }
};
var KIND_COLOR = { added: "#1a7f37", modified: "#0969da", deleted: "#cf222e", renamed: "#8250df" };
var FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
var MONO = "font-family:Consolas,Menlo,'DejaVu Sans Mono','Liberation Mono',monospace";
var S = {
  page: `margin:0;padding:0;background:#f6f8fa;${FONT};font-size:14px;line-height:1.45;color:#1f2328`,
  card: `max-width:820px;width:100%;background:#ffffff;border:1px solid #d0d7de;border-collapse:separate;${FONT};font-size:14px;color:#1f2328`,
  cell: "padding:16px 20px",
  h2: `margin:0 0 8px 0;font-size:17px;${FONT}`,
  h3: `margin:14px 0 6px 0;font-size:14px;${FONT}`,
  table: "border-collapse:collapse;width:100%;font-size:13px",
  th: "text-align:left;padding:5px 8px;border-bottom:2px solid #d0d7de;background:#f6f8fa;font-weight:600",
  td: "padding:5px 8px;border-bottom:1px solid #eaeef2;vertical-align:top",
  key: "padding:4px 12px 4px 0;color:#59636e;white-space:nowrap;vertical-align:top;width:1%",
  value: "padding:4px 8px 4px 0;vertical-align:top",
  mono: `${MONO};font-size:12px`,
  path: `${MONO};font-size:12px;word-break:break-all`,
  lines: `${MONO};font-size:12px;line-height:1.7;padding:2px 8px 6px 8px;word-break:break-all`,
  group: "margin-top:6px;padding:4px 8px;background:#f6f8fa;border-top:1px solid #d0d7de;font-weight:600",
  pre: `${MONO};font-size:12px;background:#f6f8fa;border:1px solid #d0d7de;padding:8px;white-space:pre-wrap;word-break:break-all;margin:4px 0`,
  muted: "color:#59636e",
  box: (bg, border) => `margin:8px 0;padding:8px 12px;background:${bg};border-left:4px solid ${border}`
};
var badge = (o) => html`<span style="${`display:inline-block;padding:1px 8px;border-radius:10px;background:${COLOR[o].bg};color:${COLOR[o].fg};font-size:12px;font-weight:600`}">${o}</span>`;
var link = (url, text) => {
  const href = safeHref(url);
  return href ? html`<a href="${href}" style="color:#0969da">${text}</a>` : text;
};
var code = (s) => html`<span style="${S.mono}">${s}</span>`;
function keyValues(rows) {
  const shown = rows.filter(([, v]) => v !== void 0 && v !== "" && v !== null);
  return html`<table role="presentation" style="${S.table}">${shown.map(([k, v]) => html`<tr><td style="${S.key}">${k}</td><td style="${S.value}">${v}</td></tr>`)}</table>`;
}
function dataTable(head, rows, align = []) {
  const a = (i) => align[i] === "r" ? ";text-align:right;white-space:nowrap" : align[i] === "n" ? ";white-space:nowrap" : "";
  return html`<table role="presentation" style="${S.table}"><tr>${head.map((h, i) => html`<th style="${S.th + a(i)}">${h}</th>`)}</tr>${rows.map(
    (r) => html`<tr>${r.map((c, i) => html`<td style="${S.td + a(i)}">${c}</td>`)}</tr>`
  )}</table>`;
}
function fileLine(r) {
  return html`<b style="color:${KIND_COLOR[r.kind]}">${KIND_LETTER[r.kind]}</b>&nbsp; ${r.from ? html`${r.from} → ${r.path}` : r.path}<br>
`;
}
function fileList(host, opts) {
  const files = host.files;
  const total = rowCount(files);
  if (total === 0) return html``;
  const groups = componentsOf(host);
  const parts = [html`<h3 style="${S.h3}">Changed files: ${changeCounts(files)}</h3>`];
  if (groups && groups.length > 1) {
    parts.push(
      dataTable(
        ["Component", "Added", "Modified", "Deleted", "Renamed"],
        countComponents(groups).map((c) => [code(c.component), c.added || "", c.modified || "", c.deleted || "", c.renamed || ""]),
        ["l", "r", "r", "r", "r"]
      )
    );
  }
  const limit = opts.fileLimit ?? Infinity;
  if (total > limit) {
    parts.push(html`<p style="${S.muted}">The ${total} files are not listed here${opts.fullListNote ? html`: ${opts.fullListNote}` : ""}.</p>`);
    return html`${parts}`;
  }
  const lines = (rows) => html`<div style="${S.lines}">${rows.map(fileLine)}</div>`;
  const body = groups ? groups.map((g) => html`<div style="${S.group}">${code(g.component)} <span style="${S.muted}">${changeCounts(g)}</span></div>${lines(fileRows(g))}`) : lines(fileRows(files));
  const legend = html`<div style="${`${S.muted};font-size:12px;margin:10px 0 4px 0`}">A added · M modified · D deleted · R renamed (old → new)</div>`;
  const foldAbove = opts.foldAbove ?? 50;
  parts.push(total > foldAbove ? html`<details><summary style="cursor:pointer;color:#0969da;margin-top:8px">Show the ${total} files</summary>${legend}${body}</details>` : html`${legend}${body}`);
  return html`${parts}`;
}
function driftSection(host, opts) {
  if (host.drift.length === 0) return "";
  const limit = opts.fileLimit ?? Infinity;
  return host.drift.map((d) => {
    const shown = d.files.slice(0, Number.isFinite(limit) ? limit : d.files.length);
    return html`<div style="${S.box("#fff8c5", "#d4a72c")}"><strong>Drift:</strong> ${d.files.length} file(s) of the ${d.role} tree ${code(d.tree)} were changed on the server by hand${d.patch ? html`; saved in ${code(d.patch)}` : ""}.${dataTable(["Change", "Path"], shown.map((f) => [f.status, html`<span style="${S.path}">${f.path}</span>`]))}${shown.length < d.files.length ? html`<p style="${S.muted}">… and ${d.files.length - shown.length} more${opts.fullListNote ? html`: ${opts.fullListNote}` : ""}.</p>` : ""}</div>`;
  });
}
function hostSection(host, opts) {
  const h = host;
  const outputLimit = opts.outputLimit ?? 2e4;
  const health = h.health ? html`${link(h.health.url, h.health.url)}: ${h.health.ok ? "ok" : "failed"}${h.health.detail ? html`, ${h.health.detail}` : ""} (expected ${h.health.expect}; ${h.health.attempts} attempt(s))` : void 0;
  const facts = keyValues([
    ["State", beforeAfter(h.stateBefore, h.stateAfter)],
    ["Live tree", beforeAfter(h.liveTreeBefore, h.liveTreeAfter)],
    ["Revision", beforeAfter(h.revisionBefore, h.revisionAfter, shortRev)],
    ["Application", beforeAfter(h.appVersionBefore, h.appVersionAfter)],
    ["Health check", health],
    ["Cluster", clusterPart(h)]
  ]);
  const steps = h.steps.length ? html`<h3 style="${S.h3}">Steps</h3>${dataTable(
    ["Step", "Outcome", "Time", "Detail"],
    h.steps.map((s) => [s.name, badge(s.outcome), formatMs(s.ms), s.detail ?? ""]),
    ["n", "l", "r", "l"]
  )}` : "";
  const out = h.upgradeOutput ?? "";
  return html`<tr><td style="${`${S.cell};border-top:1px solid #d0d7de`}">
<h2 style="${S.h2}">${h.host} ${badge(h.outcome)}</h2>
${h.error ? html`<div style="${S.box("#ffebe9", "#cf222e")}"><strong>Error:</strong> ${h.error}</div>` : ""}
${h.message && h.message !== h.error ? html`<p style="margin:6px 0">${h.message}</p>` : ""}
${h.restore ? html`<div style="${S.box("#fff1e5", "#bc4c00")}"><strong>To restore by hand:</strong> ${h.restore}</div>` : ""}
${h.rolledBack ? html`<div style="${S.box("#fff8c5", "#d4a72c")}"><strong>Rolled back:</strong> a step after the switch failed, so live went back to the safe tree by itself.</div>` : ""}
${facts}
${h.plan?.length ? html`<h3 style="${S.h3}">Dry run: the mode would</h3><ul style="margin:4px 0;padding-left:20px">${h.plan.map((p) => html`<li>${p}</li>`)}</ul>` : ""}
${steps}
${fileList(h, opts)}${submoduleRows(h).length ? html`<h3 style="${S.h3}">Submodules</h3>${dataTable(["Submodule", "Commit", "From"], submoduleRows(h).map((r) => [html`<span style="${S.path}">${r[0]}</span>`, r[1], r[2]]))}` : ""}
${driftSection(h, opts)}
${out ? html`<h3 style="${S.h3}">Upgrade output${out.length > outputLimit ? ` (last ${outputLimit} characters)` : ""}</h3><pre style="${S.pre}">${out.slice(-outputLimit)}</pre>` : ""}
${h.permissions?.length ? html`<h3 style="${S.h3}">Permission findings</h3>${dataTable(["Path", "Problem"], h.permissions.map((p) => [html`<span style="${S.path}">${p.path}</span>`, p.problem]))}` : ""}
${h.status ? html`<h3 style="${S.h3}">Status</h3><pre style="${S.pre}">${JSON.stringify(h.status, null, 2)}</pre>` : ""}
</td></tr>`;
}
function hostsOverview(r) {
  return dataTable(
    ["Host", "Outcome", "Revision", "Application", "Files", "Time"],
    r.hosts.map((h) => [
      h.host,
      html`${badge(h.outcome)}${h.rolledBack ? " rolled back" : ""}`,
      html`<span style="${`${S.mono};white-space:nowrap`}">${beforeAfter(h.revisionBefore, h.revisionAfter, shortRev) ?? "\u2013"}</span>`,
      h.appVersionAfter ?? h.appVersionBefore ?? "\u2013",
      rowCount(h.files),
      formatMs(h.steps.reduce((t, s) => t + s.ms, 0))
    ]),
    ["l", "l", "l", "l", "r", "r"]
  );
}
function sessionSection(r, opts) {
  const s = r.session;
  if (!s) return "";
  const interventions = s.interventions.length ? dataTable(
    ["Time", "By", "Mode", "Host", "Paths", "Comment", "Outcome", "Files"],
    s.interventions.map((i) => [
      html`<span style="${S.mono}">${i.at}</span>`,
      link(i.runUrl || void 0, i.actor),
      i.mode,
      i.host,
      i.paths.length ? html`${i.paths.map((p, n) => html`${n ? ", " : ""}${code(p)}`)}` : "whole tree",
      i.comment,
      html`${badge(i.outcome)}${i.rolledBack ? " rolled back" : ""}`,
      rowCount(i.files)
    ]),
    ["n", "l", "l", "l", "l", "l", "l", "r"]
  ) : html`<p style="${S.muted}">No intervention yet.</p>`;
  return html`<tr><td style="${`${S.cell};border-top:1px solid #d0d7de`}">
<h2 style="${S.h2}">Session: ${s.title}</h2>
${keyValues(sessionFacts(s).filter(([k]) => k !== "Session"))}
<h3 style="${S.h3}">Interventions</h3>
${interventions}
${fileList(sessionFilesHost(r, s), opts)}
</td></tr>`;
}
function renderHtml(r, opts = {}) {
  const title = `Delivery ${headline(r)}: ${shortRepository(r.repository) || r.hosts[0]?.host || ""}`;
  const meta = keyValues([
    ["Repository", r.repository ? html`<span style="${S.path}">${r.repository}</span>` : void 0],
    ["Ref", r.ref || void 0],
    ["Commit", r.commit ? code(r.commit) : void 0],
    ["Environment", r.environment],
    ["Paths", r.paths.length ? html`${r.paths.map((p, i) => html`${i ? ", " : ""}${code(p)}`)}` : void 0],
    ["Comment", r.comment],
    ["By", `${r.actor} (${r.event})`],
    ["Workflow run", r.runUrl ? link(r.runUrl, r.runUrl) : void 0],
    ["Report artifact", r.artifact ? link(r.artifact.url, `${r.artifact.name} (id ${r.artifact.id})`) : void 0],
    ["Session", r.sessionId],
    ["Started", `${r.startedAt} (${formatMs(r.durationMs)})`],
    ["Method", `${r.method}${r.app !== "auto" ? `, app ${r.app}` : ""}`]
  ]);
  const c = COLOR[r.outcome];
  return `<!DOCTYPE html>
${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body style="${S.page}">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="${`background:#f6f8fa;${FONT}`}"><tr><td align="center" style="padding:16px 8px">
<table role="presentation" cellpadding="0" cellspacing="0" style="${S.card}">
<tr><td style="${`${S.cell};background:${c.bg};color:${c.fg}`}">
<div style="font-size:20px;font-weight:700">${title}</div>
<div style="margin-top:4px;font-size:15px">${verdict(r)}</div>
</td></tr>
<tr><td style="${S.cell}">${meta}</td></tr>
${sessionSection(r, opts)}<tr><td style="${`${S.cell};padding-top:0`}">${hostsOverview(r)}</td></tr>
${r.hosts.map((h) => hostSection(h, opts))}
<tr><td style="${`${S.cell};border-top:1px solid #d0d7de;font-size:12px;${S.muted}`}">${r.tool.name} ${r.tool.version} · report schema ${r.schemaVersion} · finished ${r.finishedAt}</td></tr>
</table>
</td></tr></table>
</body></html>`}
`;
}

// src/report/json.ts
function toReportJson(r) {
  return {
    ...r,
    hosts: r.hosts.map((h) => {
      const groups = componentsOf(h);
      return groups ? { ...h, components: countComponents(groups) } : h;
    })
  };
}
function renderJson(r) {
  return `${JSON.stringify(toReportJson(r), null, 2)}
`;
}

// src/report/markdown.ts
var SUMMARY_LIMIT = 1024 * 1024;
var ICON = { success: "\u2705", failure: "\u274C", refused: "\u26D4", skipped: "\u23ED\uFE0F" };
function mdEscape(s) {
  return s.replace(/[\\`*_{}[\]<>|#&]/g, (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : `\\${c}`).replace(/\r?\n/g, " ");
}
function code2(s) {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length));
  const fence = "`".repeat(longest + 1);
  const pad = s.startsWith("`") || s.endsWith("`") ? " " : "";
  return `${fence}${pad}${s.replace(/\r?\n/g, " ").replace(/\|/g, "\\|")}${pad}${fence}`;
}
function block(text, lang = "") {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${lang}
${text}
${fence}`;
}
var fileLine2 = (r) => `${KIND_LETTER[r.kind]} ${r.from ? `${r.from} -> ${r.path}` : r.path}`;
function table(head, rows, align = []) {
  return [`| ${head.join(" | ")} |`, `|${head.map((_, i) => align[i] === "r" ? "---:" : "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}
function filesSection(h, maxFiles, maxComponents) {
  const total = rowCount(h.files);
  if (total === 0) return [];
  const out = [];
  const groups = componentsOf(h);
  if (groups && groups.length > 1) {
    const counts2 = countComponents(groups);
    const shown = counts2.slice(0, maxComponents);
    out.push(
      table(
        ["Component", "Added", "Modified", "Deleted", "Renamed"],
        shown.map((c) => [code2(c.component), String(c.added || ""), String(c.modified || ""), String(c.deleted || ""), String(c.renamed || "")]),
        ["l", "r", "r", "r", "r"]
      ) + (counts2.length > shown.length ? `

\u2026 and ${counts2.length - shown.length} more components (see the report artifact)` : "")
    );
  }
  let budget = maxFiles;
  let shownTotal = 0;
  const parts = [];
  const lists = groups ? groups.map((g) => ({ title: `**${mdEscape(g.component)}**: ${changeCounts(g)}`, rows: fileRows(g) })) : [{ title: "", rows: fileRows(h.files) }];
  const share = Math.max(10, Math.floor(maxFiles / lists.length));
  for (const l of lists) {
    if (budget <= 0) break;
    const rows = l.rows.slice(0, Math.min(budget, share));
    budget -= rows.length;
    shownTotal += rows.length;
    parts.push(`${l.title ? `${l.title}

` : ""}${block(rows.map(fileLine2).join("\n"))}${rows.length < l.rows.length ? `

\u2026 and ${l.rows.length - rows.length} more` : ""}`);
  }
  if (shownTotal < total) parts.push(`\u2026 ${total - shownTotal} of the ${total} files are not shown here: the report artifact lists them all.`);
  out.push(`<details><summary>Changed files: ${mdEscape(changeCounts(h.files))}</summary>

${parts.join("\n\n")}

</details>`);
  return out;
}
function hostSection2(h, maxFiles, maxComponents) {
  const out = [`### ${ICON[h.outcome]} ${mdEscape(h.host)}: ${h.outcome}${h.rolledBack ? " (rolled back)" : ""}`];
  if (h.error) out.push(`> **Error:** ${mdEscape(h.error)}`);
  if (h.message && h.message !== h.error) out.push(mdEscape(h.message));
  if (h.restore) out.push(`> **To restore by hand:** ${mdEscape(h.restore)}`);
  if (h.rolledBack) out.push("> **Rolled back:** a step after the switch failed, so live went back to the safe tree by itself.");
  const health = h.health ? `${h.health.ok ? "ok" : "failed"}${h.health.detail ? `, ${h.health.detail}` : ""}: ${h.health.url} (expected ${h.health.expect})` : void 0;
  const facts = [
    ["State", beforeAfter(h.stateBefore, h.stateAfter)],
    ["Live tree", beforeAfter(h.liveTreeBefore, h.liveTreeAfter)],
    ["Revision", beforeAfter(h.revisionBefore, h.revisionAfter, shortRev)],
    ["Application", beforeAfter(h.appVersionBefore, h.appVersionAfter)],
    ["Health check", health],
    ["Cluster", clusterPart(h)]
  ];
  const rows = facts.filter((r) => r[1] !== void 0);
  if (rows.length) out.push(table(["", ""], rows.map(([k, v]) => [k, mdEscape(v)])));
  if (h.plan?.length) out.push(`**Dry run: the mode would**
${h.plan.map((p) => `- ${mdEscape(p)}`).join("\n")}`);
  if (h.steps.length) {
    out.push(table(["Step", "Outcome", "Time", "Detail"], h.steps.map((s) => [mdEscape(s.name), `${ICON[s.outcome]} ${s.outcome}`, formatMs(s.ms), mdEscape(s.detail ?? "")]), ["l", "l", "r", "l"]));
  }
  out.push(...filesSection(h, maxFiles, maxComponents));
  const subs = submoduleRows(h);
  if (subs.length) {
    const t = table(["Submodule", "Commit", "From"], subs.map((r) => [code2(r[0]), mdEscape(r[1]), code2(r[2])]));
    out.push(subs.length > 20 ? `<details><summary>Submodules: ${subs.length}</summary>

${t}

</details>` : `**Submodules**

${t}`);
  }
  for (const d of h.drift) {
    const shown = d.files.slice(0, 50);
    out.push(
      `> **Drift:** ${d.files.length} file(s) of the ${d.role} tree ${code2(d.tree)} were changed on the server by hand${d.patch ? `; saved in ${code2(d.patch)}` : ""}.

${block(shown.map((f) => `${f.status} ${f.path}`).join("\n"))}${d.files.length > shown.length ? `

\u2026 and ${d.files.length - shown.length} more (see the report artifact)` : ""}`
    );
  }
  if (h.upgradeOutput) out.push(`<details><summary>Upgrade output</summary>

${block(h.upgradeOutput.slice(-2e4).trimEnd())}

</details>`);
  const audit = h.permissionAudit;
  if (audit && (audit.total > 0 || audit.note)) {
    const counts2 = Object.entries(audit.counts).map(([k, n]) => `${n} ${k}`).join(", ");
    const shown = (h.permissions ?? []).slice(0, 20);
    const rest = audit.total - shown.length;
    out.push(
      `**Permissions (web user ${mdEscape(audit.webUser)}):** ${audit.total ? `${counts2}: the web server (or anyone) could change the code it runs.` : ""}${audit.note ? ` ${mdEscape(audit.note)}` : ""}${shown.length ? `

${block(shown.map((p) => `${p.problem} ${p.path}`).join("\n"))}` : ""}${rest > 0 ? `

\u2026 and ${rest} more` : ""}`
    );
  } else if (h.permissions?.length) out.push(`**Permission findings**

${block(h.permissions.map((p) => `${p.problem} ${p.path}`).join("\n"))}`);
  if (h.status) out.push(`<details><summary>Status</summary>

${block(JSON.stringify(h.status, null, 2), "json")}

</details>`);
  return out.join("\n\n");
}
function sessionSection2(r, maxFiles, maxComponents) {
  const s = r.session;
  if (!s) return [];
  const facts = sessionFacts(s).filter((f) => f[1] !== void 0);
  const out = [`### Session: ${mdEscape(s.title)}`, table(["", ""], facts.map(([k, v]) => [k, mdEscape(v)]))];
  if (s.interventions.length === 0) out.push("No intervention yet.");
  else {
    out.push(
      table(
        ["Time", "By", "Mode", "Host", "Paths", "Comment", "Outcome", "Files"],
        s.interventions.map((i) => [
          mdEscape(i.at),
          i.runUrl ? `[${mdEscape(i.actor)}](${i.runUrl})` : mdEscape(i.actor),
          mdEscape(i.mode),
          mdEscape(i.host),
          i.paths.length ? i.paths.map(code2).join(", ") : "whole tree",
          mdEscape(i.comment),
          `${ICON[i.outcome] ?? ""} ${mdEscape(i.outcome)}${i.rolledBack ? " (rolled back)" : ""}`,
          String(rowCount(i.files))
        ]),
        ["l", "l", "l", "l", "l", "l", "l", "r"]
      )
    );
  }
  out.push(...filesSection(sessionFilesHost(r, s), maxFiles, maxComponents));
  return out;
}
function render2(r, maxFiles, maxComponents) {
  const repo = shortRepository(r.repository);
  const head = `## ${ICON[r.outcome]} Delivery ${mdEscape(headline(r))}${repo ? `: ${mdEscape(repo)}` : ""}`;
  const meta = [
    ["Repository", r.repository ? code2(r.repository) : void 0],
    ["Ref", r.ref ? code2(r.ref) : void 0],
    ["Commit", r.commit ? code2(r.commit) : void 0],
    ["Environment", r.environment ? mdEscape(r.environment) : void 0],
    ["Paths", r.paths.length ? r.paths.map(code2).join(", ") : void 0],
    ["Comment", r.comment ? mdEscape(r.comment) : void 0],
    ["By", `${mdEscape(r.actor)} (${mdEscape(r.event)})`],
    ["Workflow run", r.runUrl ? `[${mdEscape(r.runUrl)}](${r.runUrl})` : void 0],
    ["Report artifact", r.artifact ? r.artifact.url ? `[${mdEscape(r.artifact.name)}](${r.artifact.url})` : mdEscape(r.artifact.name) : void 0],
    ["Session", r.sessionId ? code2(r.sessionId) : void 0],
    ["Started", `${mdEscape(r.startedAt)} (${formatMs(r.durationMs)})`]
  ];
  const hosts = table(
    ["Host", "Outcome", "Revision", "Application", "Files", "Time"],
    r.hosts.map((h) => [
      mdEscape(h.host),
      `${ICON[h.outcome]} ${h.outcome}${h.rolledBack ? " (rolled back)" : ""}`,
      mdEscape(beforeAfter(h.revisionBefore, h.revisionAfter, shortRev) ?? "\u2013"),
      mdEscape(h.appVersionAfter ?? h.appVersionBefore ?? "\u2013"),
      String(rowCount(h.files)),
      formatMs(h.steps.reduce((t, s) => t + s.ms, 0))
    ]),
    ["l", "l", "l", "l", "r", "r"]
  );
  const metaTable = table(["", ""], meta.filter((m) => m[1] !== void 0));
  const footer = `<sub>${mdEscape(`${r.tool.name} ${r.tool.version}`)}, report schema ${r.schemaVersion}, finished ${mdEscape(r.finishedAt)}</sub>`;
  return `${[head, `**${mdEscape(verdict(r))}**`, metaTable, ...sessionSection2(r, maxFiles, maxComponents), hosts, ...r.hosts.map((h) => hostSection2(h, maxFiles, maxComponents)), footer].join("\n\n")}
`;
}
function renderMarkdown(r, maxFiles = 500) {
  let files = maxFiles;
  let components = 200;
  for (; ; ) {
    const text = render2(r, files, components);
    if (Buffer.byteLength(text) <= SUMMARY_LIMIT - 1024) return text;
    if (files === 0 && components === 0) return `${text.slice(0, SUMMARY_LIMIT / 4)}

\u2026 (cut: see the report artifact)
`;
    files = Math.floor(files / 4);
    components = Math.floor(components / 4);
  }
}

// src/notify/chat-settings.ts
var CHAT_EVENTS = ["success", "failure", "session"];

// src/version.ts
var VERSION = "0.1.0";

export {
  maskSecrets,
  maskValues,
  secretsInCommand,
  OUTPUT_KEEP_BYTES,
  BoundedOutput,
  RunError,
  TimeoutError,
  ConnectionError,
  REPORT_SCHEMA_VERSION,
  emptyChanges,
  newHostReport,
  countChangedPaths,
  overallOutcome,
  countComponents,
  shortRev,
  formatMs,
  shortRepository,
  siteName,
  refName,
  headline,
  verdict,
  KIND_LETTER,
  fileRows,
  componentsOf,
  changeCounts,
  rowCount,
  beforeAfter,
  clusterPart,
  submoduleRows,
  sessionFilesHost,
  hostSummary,
  summarize,
  maskValues2,
  SafeHtml,
  html,
  safeHref,
  buildSessionReport,
  sessionFacts,
  renderHtml,
  renderJson,
  mdEscape,
  renderMarkdown,
  CHAT_EVENTS,
  VERSION
};
