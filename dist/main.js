import { createRequire as __dlvCreateRequire } from 'node:module'; import { dirname as __dlvDirname } from 'node:path'; import { fileURLToPath as __dlvFileURLToPath } from 'node:url'; const require = __dlvCreateRequire(import.meta.url); const __filename = __dlvFileURLToPath(import.meta.url); const __dirname = __dlvDirname(__filename);
import {
  actionMain
} from "./chunks/chunk-I65WUXM5.js";
import "./chunks/chunk-NXYG3UG4.js";

// src/main.ts
void actionMain();
