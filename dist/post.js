import { createRequire as __dlvCreateRequire } from 'node:module'; import { dirname as __dlvDirname } from 'node:path'; import { fileURLToPath as __dlvFileURLToPath } from 'node:url'; const require = __dlvCreateRequire(import.meta.url); const __dlvFilenameValue = __dlvFileURLToPath(import.meta.url); const __dlvDirnameValue = __dlvDirname(__dlvFilenameValue);
import {
  LOCKS_STATE
} from "./chunks/chunk-Q5MKWIV5.js";
import {
  JumpTunnel,
  SshConnection,
  readSettings,
  registerSecrets
} from "./chunks/chunk-DOGMWMDY.js";
import {
  getInput,
  getState,
  setSecret,
  warning
} from "./chunks/chunk-KNRNK2Q2.js";
import "./chunks/chunk-ECYSG4TQ.js";
import {
  Layout,
  SshShell,
  releaseLock
} from "./chunks/chunk-JWPRDRVT.js";
import "./chunks/chunk-YCTJSY7M.js";

// src/cleanup.ts
async function releaseHeldLocks(settings, hosts, warn) {
  const released = [];
  const tunnel = settings.jump ? new JumpTunnel(settings.jump.target, settings.jump.auth, settings.hostKeys, settings.timeoutMs) : void 0;
  await Promise.all(
    hosts.map(async (target) => {
      try {
        const conn = await SshConnection.connect({ target, auth: settings.auth, hostKeys: settings.hostKeys, timeoutMs: settings.timeoutMs, tunnel, secrets: settings.secrets, attempts: 2 });
        try {
          const sh = new SshShell(conn, { runId: settings.run.runId, sudoUser: settings.sudoUser !== target.user ? settings.sudoUser : void 0, setsid: false, cleanup: true });
          if (await releaseLock(sh, new Layout(settings.path), settings.run.runId, true)) released.push(target.label);
        } finally {
          await conn.close();
        }
      } catch (e) {
        warn(`${target.label}: could not release the lock: ${e.message}`);
      }
    })
  );
  tunnel?.close();
  return released;
}
async function actionPost() {
  try {
    const saved = getState(LOCKS_STATE);
    if (!saved) return;
    const hosts = JSON.parse(saved);
    if (hosts.length === 0) return;
    const settings = readSettings((name) => getInput(name, { trimWhitespace: false }));
    registerSecrets(settings.secrets, setSecret);
    const released = await releaseHeldLocks(settings, hosts, (m) => warning(m));
    for (const h of released) warning(`${h}: released the delivery lock left by the main step`);
  } catch (e) {
    warning(`post step: ${e.message}`);
  }
}

// src/post.ts
void actionPost();
