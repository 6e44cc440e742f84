import { createRequire as __dlvCreateRequire } from 'node:module'; import { dirname as __dlvDirname } from 'node:path'; import { fileURLToPath as __dlvFileURLToPath } from 'node:url'; const require = __dlvCreateRequire(import.meta.url); const __dlvFilenameValue = __dlvFileURLToPath(import.meta.url); const __dlvDirnameValue = __dlvDirname(__dlvFilenameValue);
import {
  actionMain
} from "./chunks/chunk-HFRTGNC5.js";
import "./chunks/chunk-NPAOVA64.js";
import "./chunks/chunk-P7H54HB6.js";
import "./chunks/chunk-Q672LZQS.js";
import "./chunks/chunk-FZ7FMKK6.js";
import "./chunks/chunk-YCTJSY7M.js";

// src/main.ts
void actionMain();
