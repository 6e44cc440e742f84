import { createRequire as __dlvCreateRequire } from 'node:module'; import { dirname as __dlvDirname } from 'node:path'; import { fileURLToPath as __dlvFileURLToPath } from 'node:url'; const require = __dlvCreateRequire(import.meta.url); const __dlvFilenameValue = __dlvFileURLToPath(import.meta.url); const __dlvDirnameValue = __dlvDirname(__dlvFilenameValue);
import {
  context,
  getOctokit
} from "./chunk-K2XEGRVR.js";
import "./chunk-ECYSG4TQ.js";
import "./chunk-YCTJSY7M.js";
export {
  context,
  getOctokit
};
