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
  rowCount,
  sessionFacts,
  sessionFilesHost,
  shortRepository,
  shortRev,
  submoduleRows,
  verdict
} from "./chunk-JWPRDRVT.js";

// src/report/text.ts
var PLAIN = { outcome: (_o, t) => t, heading: (t) => t, dim: (t) => t };
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
  const out = ["", `${(opts.paint ?? PLAIN).heading("Changed files")}: ${changeCounts(h.files)}`];
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
  const p = opts.paint ?? PLAIN;
  const out = [p.outcome(h.outcome, `== ${h.host}: ${h.outcome}${h.rolledBack ? " (rolled back)" : ""} ==`)];
  if (h.error) out.push(p.outcome("failure", `Error: ${h.error}`));
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
  if (h.plan?.length) out.push("", p.heading("Dry run: the mode would"), ...h.plan.map((x) => `  - ${x}`));
  if (h.steps.length) {
    const rows = columns(h.steps.map((s) => [s.name, s.outcome, formatMs(s.ms), s.detail ?? ""]));
    out.push("", p.heading("Steps"), ...rows.map((r, i) => h.steps[i].outcome === "success" ? r : h.steps[i].outcome === "skipped" ? p.dim(r) : p.outcome(h.steps[i].outcome, r)));
  }
  out.push(...files(h, opts));
  const subs = submoduleRows(h);
  if (subs.length) out.push("", "Submodules", ...columns(subs));
  for (const d of h.drift) {
    out.push("", `${p.heading("Drift")}: ${d.files.length} file(s) of the ${d.role} tree ${d.tree} were changed on the server by hand${d.patch ? `; saved in ${d.patch}` : ""}`);
    const limit = opts.fileLimit ?? Infinity;
    out.push(...d.files.slice(0, Number.isFinite(limit) ? limit : void 0).map((f) => `  ${f.status} ${f.path}`));
    if (d.files.length > limit) out.push(`  \u2026 and ${d.files.length - limit} more`);
  }
  if (h.upgradeOutput) {
    const limit = opts.outputLimit ?? 5e3;
    out.push("", `Upgrade output${h.upgradeOutput.length > limit ? ` (last ${limit} characters)` : ""}:`, h.upgradeOutput.slice(-limit).trimEnd());
  }
  if (h.permissions?.length) out.push("", p.heading("Permission findings"), ...h.permissions.map((f) => `  ${f.problem} ${f.path}`));
  if (h.status) out.push("", p.heading("Status"), JSON.stringify(h.status, null, 2));
  return out.join("\n");
}
function sessionPart(r, opts) {
  const s = r.session;
  if (!s) return [];
  const p = opts.paint ?? PLAIN;
  const out = ["", p.heading(`== Session: ${s.title} ==`), ...keyValues(sessionFacts(s).filter(([k]) => k !== "Session").concat([["Id", `${s.id} (${s.status})`]]))];
  out.push("", p.heading("Interventions"));
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
  const p = opts.paint ?? PLAIN;
  const head = `Delivery ${headline(r)}: ${shortRepository(r.repository) || r.hosts[0]?.host || ""}`;
  const out = [
    p.heading(p.outcome(r.outcome, head)),
    "=".repeat(Math.min(head.length, 78)),
    p.outcome(r.outcome, verdict(r)),
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
    p.heading("Hosts"),
    ...columns(r.hosts.map((h) => [h.host, h.outcome + (h.rolledBack ? " (rolled back)" : ""), beforeAfter(h.revisionBefore, h.revisionAfter, shortRev) ?? "\u2013", `${rowCount(h.files)} file(s)`])),
    "",
    ...r.hosts.map((h) => `${hostPart(h, opts)}
`),
    p.dim(`-- ${r.tool.name} ${r.tool.version}, report schema ${r.schemaVersion}, finished ${r.finishedAt}`)
  ];
  return `${out.join("\n")}
`;
}

export {
  renderText
};
