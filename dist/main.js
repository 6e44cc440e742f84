import { createRequire as __dlvCreateRequire } from 'node:module'; import { dirname as __dlvDirname } from 'node:path'; import { fileURLToPath as __dlvFileURLToPath } from 'node:url'; const require = __dlvCreateRequire(import.meta.url); const __dlvFilenameValue = __dlvFileURLToPath(import.meta.url); const __dlvDirnameValue = __dlvDirname(__dlvFilenameValue);
import {
  actionMain
} from "./chunks/chunk-HVDWPXI7.js";
import "./chunks/chunk-IBGJZJ7W.js";
import "./chunks/chunk-TXOZJV2J.js";
import "./chunks/chunk-ECYSG4TQ.js";
import "./chunks/chunk-UECBD7R7.js";
import "./chunks/chunk-YCTJSY7M.js";

// src/main.ts
void actionMain();
