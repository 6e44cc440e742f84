#!/usr/bin/env node
import { createRequire as __dlvCreateRequire } from 'node:module'; import { dirname as __dlvDirname } from 'node:path'; import { fileURLToPath as __dlvFileURLToPath } from 'node:url'; const require = __dlvCreateRequire(import.meta.url); const __dlvFilenameValue = __dlvFileURLToPath(import.meta.url); const __dlvDirnameValue = __dlvDirname(__dlvFilenameValue);
import {
  INPUTS,
  INPUT_NAMES,
  OUTPUTS,
  consoleSink,
  runDelivery
} from "./chunks/chunk-DOGMWMDY.js";
import {
  renderText
} from "./chunks/chunk-24RHZBYR.js";
import {
  VERSION
} from "./chunks/chunk-JWPRDRVT.js";
import "./chunks/chunk-YCTJSY7M.js";

// src/cli-main.ts
import { appendFileSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";

// src/report/terminal.ts
var TERMINAL_FILE_LIMIT = 300;
var SGR = (code) => (t) => `\x1B[${code}m${t}\x1B[0m`;
var COLOUR = { success: SGR("32"), failure: SGR("31"), refused: SGR("33"), skipped: SGR("2") };
var ANSI = { outcome: (o, t) => COLOUR[o](t), heading: SGR("1"), dim: SGR("2") };
function wantsColour(out, env) {
  return out.isTTY === true && !env.NO_COLOR && env.TERM !== "dumb";
}
function visible(s) {
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
function visibleValues(v) {
  if (typeof v === "string") return visible(v);
  if (Array.isArray(v)) return v.map(visibleValues);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, visibleValues(x)]));
  return v;
}
function renderTerminal(r, opts) {
  return renderText(visibleValues(r), {
    fileLimit: TERMINAL_FILE_LIMIT,
    fullListNote: `report.json${opts.reportDir ? ` in ${opts.reportDir}` : ""} lists them all`,
    paint: opts.colour ? ANSI : void 0
  });
}

// src/cli-main.ts
function usage() {
  const lines = INPUT_NAMES.map((n) => {
    const spec = INPUTS[n];
    const def = spec.default !== void 0 && !spec.default.startsWith("${{") ? ` (default: ${spec.default})` : "";
    return `  --${n.padEnd(30)} ${spec.description}${def}`;
  });
  return `delivery ${VERSION}: safe code deliveries to Moodle and PHP sites over SSH

Usage: delivery --mode MODE --hosts HOSTS --path PATH [options]

Options (the Action's inputs):
${lines.join("\n")}

Any option also exists as --NAME-file PATH (the value is read from the file), and as the environment variable
DELIVERY_NAME (upper case, - as _), for secrets. --verbose prints debug messages; --help, --version.
The report is printed on stdout (in colour on a terminal, unless NO_COLOR is set); outputs follow it as name=value
lines. In a GitHub Actions step, the report's Markdown also goes to the job summary ($GITHUB_STEP_SUMMARY).
Exit codes: 0 success, 1 failure or refusal, 2 invalid input.
`;
}
function parseCli(argv, env) {
  const options = { help: { type: "boolean" }, version: { type: "boolean" }, verbose: { type: "boolean" } };
  for (const n of INPUT_NAMES) {
    options[n] = { type: "string" };
    options[`${n}-file`] = { type: "string" };
  }
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  const out = /* @__PURE__ */ new Map();
  for (const n of INPUT_NAMES) {
    const direct = values[n];
    const file = values[`${n}-file`];
    if (direct !== void 0 && file !== void 0) throw new Error(`give --${n} or --${n}-file, not both`);
    if (file !== void 0) {
      try {
        out.set(n, readFileSync(file, "utf8"));
      } catch (e) {
        throw new Error(`--${n}-file: cannot read ${file}: ${e.message}`);
      }
    } else if (direct !== void 0) out.set(n, direct);
    else {
      const fromEnv = env[`DELIVERY_${n.toUpperCase().replace(/-/g, "_")}`];
      if (fromEnv !== void 0) out.set(n, fromEnv);
    }
  }
  return { values: out, help: values.help === true, version: values.version === true, verbose: values.verbose === true };
}
async function cliMain(argv, env = process.env) {
  let parsed;
  try {
    parsed = parseCli(argv, env);
  } catch (e) {
    process.stderr.write(`error: ${e.message}
Run with --help for the options.
`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(usage());
    return 0;
  }
  if (parsed.version) {
    process.stdout.write(`${VERSION}
`);
    return 0;
  }
  const outputs = [];
  const result = await runDelivery({
    input: (n) => parsed.values.get(n) ?? "",
    env,
    fromActions: false,
    sink: consoleSink(parsed.verbose),
    setOutput: (n, v) => {
      if (n in OUTPUTS) outputs.push(`${n}=${v}`);
    },
    setSecret: () => {
    },
    // The Markdown is for GitHub's job summary; a person at a terminal reads the text rendering.
    summary: (md) => {
      if (env.GITHUB_ACTIONS === "true" && env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, md);
    },
    show: (report, dir) => {
      process.stdout.write(renderTerminal(report, { colour: wantsColour(process.stdout, env), reportDir: dir }));
    }
  });
  if (outputs.length) process.stdout.write(`
${outputs.join("\n")}
`);
  return result.exitCode;
}

// src/cli.ts
cliMain(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`error: ${e.stack ?? e.message}
`);
    process.exit(1);
  }
);
