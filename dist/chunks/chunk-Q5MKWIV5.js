import { createRequire as __dlvCreateRequire } from 'node:module'; import { dirname as __dlvDirname } from 'node:path'; import { fileURLToPath as __dlvFileURLToPath } from 'node:url'; const require = __dlvCreateRequire(import.meta.url); const __dlvFilenameValue = __dlvFileURLToPath(import.meta.url); const __dlvDirnameValue = __dlvDirname(__dlvFilenameValue);
import {
  runDelivery
} from "./chunk-DOGMWMDY.js";
import {
  debug,
  error,
  getInput,
  info,
  notice,
  saveState,
  setFailed,
  setOutput,
  setSecret,
  summary,
  warning
} from "./chunk-KNRNK2Q2.js";

// src/action.ts
var LOCKS_STATE = "locks";
async function actionMain() {
  try {
    const result = await runDelivery({
      input: (name) => getInput(name, { trimWhitespace: false }),
      env: process.env,
      fromActions: true,
      sink: {
        info,
        notice: (m) => notice(m),
        warning: (m) => warning(m),
        error: (m) => error(m),
        debug
      },
      setOutput: (n, v) => setOutput(n, v),
      setSecret,
      summary: async (md) => {
        if (process.env.GITHUB_STEP_SUMMARY) await summary.addRaw(md).write();
      },
      saveLocks: (hosts) => saveState(LOCKS_STATE, JSON.stringify(hosts))
    });
    if (result.exitCode === 2) setFailed("Invalid input: nothing was done (see the errors above)");
    else if (result.exitCode !== 0) setFailed(`Delivery ${result.report?.mode ?? ""} ${result.report?.outcome ?? "failed"}`);
  } catch (e) {
    setFailed(`Unexpected error: ${e.stack ?? e}`);
  }
}

export {
  LOCKS_STATE,
  actionMain
};
