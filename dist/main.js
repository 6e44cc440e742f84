import { createRequire as __dlvCreateRequire } from 'node:module'; import { dirname as __dlvDirname } from 'node:path'; import { fileURLToPath as __dlvFileURLToPath } from 'node:url'; const require = __dlvCreateRequire(import.meta.url); const __dlvFilenameValue = __dlvFileURLToPath(import.meta.url); const __dlvDirnameValue = __dlvDirname(__dlvFilenameValue);
import {
  actionMain
} from "./chunks/chunk-Q5MKWIV5.js";
import "./chunks/chunk-DOGMWMDY.js";
import "./chunks/chunk-KNRNK2Q2.js";
import "./chunks/chunk-ECYSG4TQ.js";
import "./chunks/chunk-JWPRDRVT.js";
import "./chunks/chunk-YCTJSY7M.js";

// src/main.ts
void actionMain();
