#!/usr/bin/env node
import { createRequire as __dlvCreateRequire } from 'node:module'; import { dirname as __dlvDirname } from 'node:path'; import { fileURLToPath as __dlvFileURLToPath } from 'node:url'; const require = __dlvCreateRequire(import.meta.url); const __dlvFilenameValue = __dlvFileURLToPath(import.meta.url); const __dlvDirnameValue = __dlvDirname(__dlvFilenameValue);
import {
  INPUTS,
  INPUT_NAMES,
  OUTPUTS,
  VERSION,
  consoleSink,
  runDelivery
} from "./chunks/chunk-LLBUXDXE.js";
import "./chunks/chunk-KAHITVDF.js";
import "./chunks/chunk-YCTJSY7M.js";

// src/cli-main.ts
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
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
Outputs are printed as name=value lines on stdout after the report.
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
    summary: (md) => {
      process.stdout.write(md);
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
