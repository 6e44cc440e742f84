import { createRequire as __dlvCreateRequire } from 'node:module'; import { dirname as __dlvDirname } from 'node:path'; import { fileURLToPath as __dlvFileURLToPath } from 'node:url'; const require = __dlvCreateRequire(import.meta.url); const __filename = __dlvFileURLToPath(import.meta.url); const __dirname = __dlvDirname(__filename);
import {
  actionMain
} from "./chunks/chunk-YVRRDACI.js";
import "./chunks/chunk-2L5KPC47.js";

// src/main.ts
void actionMain();
