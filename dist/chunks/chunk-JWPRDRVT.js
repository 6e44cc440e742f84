import { createRequire as __dlvCreateRequire } from 'node:module'; import { dirname as __dlvDirname } from 'node:path'; import { fileURLToPath as __dlvFileURLToPath } from 'node:url'; const require = __dlvCreateRequire(import.meta.url); const __dlvFilenameValue = __dlvFileURLToPath(import.meta.url); const __dlvDirnameValue = __dlvDirname(__dlvFilenameValue);
import {
  __commonJS,
  __toESM
} from "./chunk-YCTJSY7M.js";

// node_modules/shell-quote/quote.js
var require_quote = __commonJS({
  "node_modules/shell-quote/quote.js"(exports, module) {
    "use strict";
    var OPS = (
      /** @type {const} */
      [
        "||",
        "&&",
        ";;&",
        ";;",
        ";&",
        "|&",
        "<(",
        ">(",
        "<<<",
        "<<-",
        "<<",
        ">>",
        ">&",
        ">|",
        "&>>",
        "&>",
        "<&",
        "<>",
        "&",
        ";",
        "(",
        ")",
        "|",
        "<",
        ">"
      ]
    );
    var LINE_TERMINATORS = /[\n\r\u2028\u2029]/;
    var GLOB_SHELL_SPECIAL = /[\s#!"$&'():;<=>@\\^`|~]/g;
    module.exports = function quote2(xs) {
      var sawComment = false;
      return xs.map(function(s) {
        if (sawComment && typeof s === "string" && LINE_TERMINATORS.test(s)) {
          throw new TypeError("a token after a `comment` must not contain line terminators");
        }
        if (s === "") {
          return (
            /** @type {const} */
            "''"
          );
        }
        if (s && typeof s === "object") {
          if ("op" in s && s.op === "glob") {
            if (typeof s.pattern !== "string") {
              throw new TypeError("glob token requires a string `pattern`");
            }
            if (LINE_TERMINATORS.test(s.pattern)) {
              throw new TypeError("glob `pattern` must not contain line terminators");
            }
            if (s.pattern === "") {
              return (
                /** @type {const} */
                "''"
              );
            }
            return s.pattern.replace(GLOB_SHELL_SPECIAL, "\\$&");
          }
          if ("op" in s && typeof s.op === "string") {
            if (OPS.indexOf(s.op) < 0) {
              throw new TypeError("invalid `op` value: " + JSON.stringify(s.op));
            }
            return s.op.replace(/[\s\S]/g, "\\$&");
          }
          if ("comment" in s && typeof s.comment === "string") {
            if (LINE_TERMINATORS.test(s.comment)) {
              throw new TypeError("`comment` must not contain line terminators");
            }
            sawComment = true;
            return "#" + s.comment;
          }
          throw new TypeError("unrecognized object token shape");
        }
        if (/'/.test(s) && /!/.test(s)) {
          return "'" + s.replace(/'/g, `'"'"'`) + "'";
        }
        if (/["\s\\]/.test(s) && !/'/.test(s)) {
          return "'" + s + "'";
        }
        if (/["'\s]/.test(s)) {
          return '"' + s.replace(/(["\\$`])/g, "\\$1") + '"';
        }
        return String(s).replace(/([A-Za-z]:)?([#!"$&'()*,:;<=>?@[\\\]^`{|}~])/g, "$1\\$2");
      }).join(" ");
    };
  }
});

// node_modules/shell-quote/parse.js
var require_parse = __commonJS({
  "node_modules/shell-quote/parse.js"(exports, module) {
    "use strict";
    var CONTROL = (
      /** @type {const} */
      "(?:" + /** @type {const} */
      [
        "\\|\\|",
        "\\&(?:\\&|>>?)",
        // `&&`, `&>`, and `&>>`
        ";;\\&?",
        // `;;` and `;;&`
        "[;|]\\&",
        // `;&` and `|&`
        "\\<\\(",
        "\\<\\<\\<",
        "\\<\\<-",
        "\\<\\<(?!\\()",
        // `<<(` stays `<` and `<(`, as zsh reads it; other shells reject it
        ">>",
        ">[&|(]",
        // `>&`, `>|`, and `>(`
        "<[&>]",
        // `<&` and `<>`
        "[&;()|<>]"
      ].join(
        /** @type {const} */
        "|"
      ) + /** @type {const} */
      ")"
    );
    var controlRE = new RegExp("^" + CONTROL + "$");
    var META = (
      /** @type {const} */
      "|&;()<> \\t"
    );
    var SINGLE_QUOTE = (
      /** @type {const} */
      "'([^']*?)'"
    );
    var ANSI_C_BODY = "(?:\\\\[\\s\\S]|[^\\\\'])*?";
    var ANSI_C_QUOTE = "\\$'" + ANSI_C_BODY + "'";
    var ansiCAt = new RegExp("\\$'" + ANSI_C_BODY + "(?:(')|\\\\?$)", "g");
    var ANSI_C_LETTERS = "abeEfnrtv";
    var ANSI_C_CHARS = "\x07\b\x1B\x1B\f\n\r	\v";
    var hash = /^#$/;
    var SQ = (
      /** @type {const} */
      "'"
    );
    var DQ = (
      /** @type {const} */
      '"'
    );
    var DS = (
      /** @type {const} */
      "$"
    );
    var TOKEN = "";
    var mult = (
      /** @type {const} */
      4294967296
    );
    for (i = 0; i < 4; i++) {
      TOKEN += (mult * Math.random()).toString(16);
    }
    var i;
    var startsWithToken = new RegExp("^" + TOKEN);
    function matchAll(s, r) {
      var origIndex = r.lastIndex;
      var matches = [];
      var matchObj;
      while (matchObj = r.exec(s)) {
        matches[matches.length] = matchObj;
        if (r.lastIndex === matchObj.index) {
          r.lastIndex += 1;
        }
      }
      r.lastIndex = origIndex;
      return matches;
    }
    function getVar(env, pre, key) {
      var r = typeof env === "function" ? env(key) : env[key];
      if (typeof r === "undefined" && key != "") {
        r = "";
      } else if (typeof r === "undefined") {
        r = "$";
      }
      if (typeof r === "object") {
        return pre + TOKEN + JSON.stringify(r) + TOKEN;
      }
      return pre + r;
    }
    var ansiCEscape = /\\([0-7]{1,3}|x[\dA-Fa-f]{1,2}|u[\dA-Fa-f]{1,4}|U[\dA-Fa-f]{1,8}|c(?:\\\\|[\s\S])|[abeEfnrtv\\'"?])/g;
    function expandAnsiCEscape(m, escape) {
      var kind = escape.charAt(0);
      if (kind === "c") {
        var ctrl = escape.charAt(1);
        return ctrl === "?" ? "\x7F" : String.fromCharCode(ctrl.charCodeAt(0) & 31);
      }
      if (kind === "x" || kind === "u" || kind === "U") {
        var cp = parseInt(escape.slice(1), 16);
        if (cp > 1114111) {
          return m;
        }
        return String.fromCharCode.apply(null, cp > 65535 ? [55232 + (cp >> 10), 56320 + (cp & 1023)] : [cp]);
      }
      if (kind >= "0" && kind <= "7") {
        return String.fromCharCode(parseInt(escape, 8) & 255);
      }
      var letter = ANSI_C_LETTERS.indexOf(escape);
      return letter < 0 ? escape : ANSI_C_CHARS.charAt(letter);
    }
    function expandAnsiC(body) {
      return body.replace(ansiCEscape, expandAnsiCEscape).split("\0")[0];
    }
    function closesAnsiC(s, i2) {
      ansiCAt.lastIndex = i2;
      return !!/** @type {RegExpExecArray} */
      ansiCAt.exec(s)[1];
    }
    function parseInternal(string, env, opts) {
      if (!opts) {
        opts = {};
      }
      var BS = opts.escape || "\\";
      var ifs = opts.splitUnquoted === true ? " 	\n" : typeof opts.splitUnquoted === "string" ? opts.splitUnquoted : "";
      var BAREWORD = "(\\" + BS + `['"$\\` + BS + META + "]|\\$\\$|\\$(?!" + ANSI_C_QUOTE.slice(2) + `)|[^\\s'"$` + META + "])+";
      var DOUBLE_QUOTE = '"(?:\\' + BS + '[\\s\\S]|[^"\\' + BS + '])*"';
      var chunker = new RegExp([
        "(" + CONTROL + ")",
        // control chars
        "(" + ANSI_C_QUOTE + "|" + BAREWORD + "|" + DOUBLE_QUOTE + "|" + SINGLE_QUOTE + ")+"
      ].join("|"), "g");
      var matches = matchAll(string, chunker);
      if (matches.length === 0) {
        return [];
      }
      if (!env) {
        env = {};
      }
      var commented = false;
      return matches.map(function(match) {
        var s = match[0];
        if (!s || commented) {
          return void 0;
        }
        if (controlRE.test(s)) {
          return (
            /** @type {ControlOperator} */
            { op: s }
          );
        }
        var quote2 = false;
        var esc = false;
        var out = "";
        var words = [];
        var sawQuote = false;
        var pendingNw = null;
        var isGlob = false;
        var i2;
        function parseEnvVar() {
          i2 += 1;
          var varend;
          var varname;
          var char = s.charAt(i2);
          if (char === "{") {
            i2 += 1;
            if (s.charAt(i2) === "}") {
              throw new Error("Bad substitution: " + s.slice(i2 - 2, i2 + 1));
            }
            var depth = 1;
            varend = i2;
            while (depth > 0 && varend < s.length) {
              if (s.charAt(varend) === "{" && s.charAt(varend - 1) === "$") {
                depth += 1;
              } else if (s.charAt(varend) === "}") {
                depth -= 1;
              }
              varend += 1;
            }
            if (depth !== 0) {
              throw new Error("Bad substitution: " + s.slice(i2));
            }
            varend -= 1;
            varname = s.slice(i2, varend);
            i2 = varend;
          } else if (/[*@#?$!-]/.test(char)) {
            varname = char;
          } else {
            var slicedFromI = s.slice(i2);
            varend = slicedFromI.match(/[^\w\d_]/);
            if (!varend) {
              varname = slicedFromI;
              i2 = s.length;
            } else {
              varname = slicedFromI.slice(0, varend.index);
              i2 += /** @type {number} */
              varend.index - 1;
            }
          }
          return getVar(
            /** @type {NonNullable<typeof env>} */
            env,
            "",
            varname
          );
        }
        function flushRun() {
          if (pendingNw === null) {
            return;
          }
          if (pendingNw === 0) {
            if (out !== "") {
              words[words.length] = out;
              out = "";
            }
          } else {
            words[words.length] = out;
            out = "";
            for (var fe = 1; fe < pendingNw; fe += 1) {
              words[words.length] = "";
            }
          }
          pendingNw = null;
        }
        for (i2 = 0; i2 < s.length; i2++) {
          var c = s.charAt(i2);
          if (ifs && c !== DS) {
            flushRun();
          }
          isGlob = isGlob || !quote2 && (c === "*" || c === "?");
          if (esc) {
            out += c;
            esc = false;
          } else if (quote2) {
            if (c === quote2) {
              quote2 = false;
            } else if (quote2 == SQ) {
              out += c;
            } else {
              if (c === BS) {
                i2 += 1;
                c = s.charAt(i2);
                if (c === DQ || c === BS || c === DS) {
                  out += c;
                } else {
                  out += BS + c;
                }
              } else if (c === DS) {
                out += parseEnvVar();
              } else {
                out += c;
              }
            }
          } else if (c === DQ || c === SQ) {
            quote2 = c;
            sawQuote = true;
          } else if (controlRE.test(c)) {
            return (
              /** @type {ControlOperator} */
              { op: s }
            );
          } else if (hash.test(c)) {
            commented = true;
            var commentObj = { comment: string.slice(match.index + i2 + 1) };
            if (out.length) {
              return (
                /** @type {const} */
                [out, commentObj]
              );
            }
            return (
              /** @type {const} */
              [commentObj]
            );
          } else if (c === BS) {
            esc = true;
          } else if (c === DS && s.charAt(i2 + 1) === SQ && closesAnsiC(s, i2)) {
            flushRun();
            sawQuote = true;
            out += expandAnsiC(s.slice(i2 + 2, ansiCAt.lastIndex - 1));
            i2 = ansiCAt.lastIndex - 1;
          } else if (c === DS) {
            var value2 = parseEnvVar();
            if (!ifs) {
              out += value2;
            } else {
              for (var vi = 0; vi < value2.length; vi += 1) {
                var vc = value2.charAt(vi);
                if (ifs.indexOf(vc) < 0) {
                  flushRun();
                  out += vc;
                } else if (pendingNw === null) {
                  pendingNw = vc === " " || vc === "	" || vc === "\n" ? 0 : 1;
                } else if (vc !== " " && vc !== "	" && vc !== "\n") {
                  pendingNw += 1;
                }
              }
            }
          } else {
            out += c;
          }
        }
        if (isGlob) {
          return (
            /** @type {GlobPattern} */
            { op: "glob", pattern: out }
          );
        }
        if (ifs) {
          if (pendingNw !== null && pendingNw > 0) {
            words[words.length] = out;
            out = "";
            for (var te = 1; te < pendingNw; te += 1) {
              words[words.length] = "";
            }
          }
          if (out !== "" || sawQuote && words.length === 0) {
            words[words.length] = out;
          }
          return words;
        }
        return out;
      }).reduce(
        function(prev, arg) {
          if (typeof arg === "undefined") {
            return prev;
          }
          [].concat(arg).forEach(function(entry) {
            prev[prev.length] = entry;
          });
          return prev;
        },
        /** @type {ParseEntry[]} */
        []
      );
    }
    module.exports = function parse(s, env, opts) {
      var mapped = parseInternal(s, env, opts);
      if (typeof env !== "function") {
        return mapped;
      }
      return mapped.reduce(
        function(acc, s2) {
          if (typeof s2 === "object") {
            acc[acc.length] = s2;
            return acc;
          }
          var xs = s2.split(RegExp("(" + TOKEN + ".*?" + TOKEN + ")", "g"));
          if (xs.length === 1) {
            acc[acc.length] = xs[0];
            return acc;
          }
          xs.filter(Boolean).forEach(function(x) {
            acc[acc.length] = startsWithToken.test(x) ? JSON.parse(x.split(TOKEN)[1]) : x;
          });
          return acc;
        },
        /** @type {ParseEntry[]} */
        []
      );
    };
  }
});

// node_modules/shell-quote/index.js
var require_shell_quote = __commonJS({
  "node_modules/shell-quote/index.js"(exports) {
    "use strict";
    exports.quote = require_quote();
    exports.parse = require_parse();
  }
});

// src/secrets.ts
function piecesOf(secrets) {
  const pieces = /* @__PURE__ */ new Set();
  for (const s of secrets) {
    if (!s) continue;
    pieces.add(s);
    for (const line of s.split(/\r?\n/)) if (line.trim().length >= 4) pieces.add(line.trim());
  }
  return [...pieces].sort((a, b) => b.length - a.length);
}
function maskSecrets(text, secrets) {
  let out = text;
  for (const p of piecesOf(secrets)) out = out.split(p).join("***");
  return out;
}
var MADE_HERE = /* @__PURE__ */ new Set(["id", "sessionId", "runId", "at", "startedAt", "finishedAt", "openedAt", "closedAt", "updatedAt", "status", "mode", "outcome", "event"]);
function maskValues(value2, secrets) {
  const pieces = piecesOf(secrets);
  if (pieces.length === 0) return value2;
  const walk = (v) => {
    if (typeof v === "string") {
      let out = v;
      for (const p of pieces) out = out.split(p).join("***");
      return out;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === "string" && MADE_HERE.has(k) ? x : walk(x)]));
    return v;
  };
  return walk(value2);
}
var VALUE = String.raw`('[^']*'|"[^"]*"|[^\s'";&|()<>]+)`;
var SECRET_WORD = "(?:pass|pwd|secret|token|api[_-]?key|credential)";
var IN_COMMAND = [
  // scheme://user:password@ and https://token@
  /[a-z][a-z0-9+.-]*:\/\/[^\s/@:'"]*:([^\s/@'"]+)@/gi,
  /https?:\/\/([^\s/@:'"]+)@/gi,
  // NAME=value (DB_PASSWORD=..., PGPASSWORD=...), --name=value and --name value (--password, --api-key)
  new RegExp(String.raw`(?:^|[\s;&|(])(?:export\s+)?[A-Za-z_0-9]*${SECRET_WORD}[A-Za-z_0-9]*=${VALUE}`, "gim"),
  new RegExp(String.raw`(?:^|[\s;&|(])--[A-Za-z0-9-]*${SECRET_WORD}[A-Za-z0-9-]*(?:=|\s+)${VALUE}`, "gim"),
  // curl -u user:password, an Authorization header, mysql's -pPASSWORD
  new RegExp(String.raw`(?:^|\s)(?:-u|--user)\s+['"]?[^\s:'"]+:([^\s'"]+)`, "gm"),
  /authorization:\s*(?:bearer|basic|token)\s+([^\s'"]+)/gi,
  /\b(?:mysql|mysqldump|mariadb|mariadb-dump)\b[^\n;|&]*?\s-p([^\s'"]+)/g
];
function secretsInCommand(text) {
  const found = /* @__PURE__ */ new Set();
  for (const re of IN_COMMAND) {
    for (const m of text.matchAll(re)) {
      const raw = m[m.length - 1] ?? "";
      const v = /^'.*'$|^".*"$/s.test(raw) ? raw.slice(1, -1) : raw;
      if (v.length >= 4 && !v.includes("$") && !v.includes("`")) found.add(v);
    }
  }
  return [...found];
}

// src/errors.ts
var EXIT_CODES = { input: 2, refusal: 1, failure: 1 };
var DeliveryError = class extends Error {
  /** The exit code of a run that stops on this error. */
  get exitCode() {
    return EXIT_CODES[this.kind];
  }
  /** What the report shows: the message, written for people (no class name, no stack). */
  get shown() {
    return this.message;
  }
};
var InputError = class extends DeliveryError {
  constructor(input, problem, fix) {
    super(`Input '${input}': ${problem}. ${fix}`);
    this.input = input;
    this.problem = problem;
    this.fix = fix;
    this.name = "InputError";
  }
  input;
  problem;
  fix;
  kind = "input";
};
var InputErrors = class extends DeliveryError {
  constructor(errors) {
    super(errors.map((e) => e.message).join("\n"));
    this.errors = errors;
    this.name = "InputErrors";
  }
  errors;
  kind = "input";
};
var Refusal = class extends DeliveryError {
  kind = "refusal";
  constructor(message) {
    super(message);
    this.name = "Refusal";
  }
};
var StepFailure = class extends DeliveryError {
  kind = "failure";
  constructor(message) {
    super(message);
    this.name = "StepFailure";
  }
};
function describeError(err) {
  return err instanceof DeliveryError ? err.shown : `${err.name}: ${err.message}`;
}

// src/transport/run.ts
var OUTPUT_KEEP_BYTES = 64 * 1024 * 1024;
var BoundedOutput = class {
  constructor(limit) {
    this.limit = limit;
  }
  limit;
  head = [];
  headLen = 0;
  tail = [];
  tailLen = 0;
  dropped = 0;
  push(d) {
    const half = Math.floor(this.limit / 2);
    if (this.headLen < half) {
      const take = d.subarray(0, half - this.headLen);
      this.head.push(take);
      this.headLen += take.length;
      d = d.subarray(take.length);
      if (!d.length) return;
    }
    this.tail.push(d);
    this.tailLen += d.length;
    while (this.tailLen > this.limit - half && this.tail.length) {
      const over = this.tailLen - (this.limit - half);
      const first = this.tail[0];
      if (first.length <= over) {
        this.tail.shift();
        this.tailLen -= first.length;
        this.dropped += first.length;
      } else {
        this.tail[0] = first.subarray(over);
        this.tailLen -= over;
        this.dropped += over;
      }
    }
  }
  text() {
    const head = Buffer.concat(this.head).toString("utf8");
    const tail2 = Buffer.concat(this.tail).toString("utf8");
    return this.dropped ? `${head}
[... ${this.dropped} bytes of output dropped ...]
${tail2}` : head + tail2;
  }
};
var RunError = class extends DeliveryError {
  constructor(host, what, code3, stdout, stderr) {
    const tail2 = stderr.trim().split("\n").slice(-15).join("\n");
    super(`${what} failed (exit code ${code3})${tail2 ? `: ${tail2}` : ""}`);
    this.host = host;
    this.what = what;
    this.code = code3;
    this.stdout = stdout;
    this.stderr = stderr;
    this.name = "RunError";
  }
  host;
  what;
  code;
  stdout;
  stderr;
  kind = "failure";
};
var TimeoutError = class extends RunError {
  constructor(host, what, stdout, stderr, timeoutMs) {
    super(host, what, 124, stdout, stderr);
    this.timeoutMs = timeoutMs;
    this.name = "TimeoutError";
  }
  timeoutMs;
};
var ConnectionError = class extends DeliveryError {
  constructor(host, message, transient) {
    super(message);
    this.host = host;
    this.transient = transient;
    this.name = "ConnectionError";
  }
  host;
  transient;
  kind = "failure";
};

// src/modes/facts.ts
var WRITER = { writes: true, putsLive: false, source: "none", paths: "ignored", deployment: "none", inspects: false, workTreeOnly: false, auditsChangedPaths: false, sharedCode: "first-host", nodeSteps: [] };
var MODE_FACTS = {
  init: { ...WRITER, intervention: false, source: "new-layout", paths: "refused", putsLive: true, deployment: "record" },
  status: { ...WRITER, writes: false, intervention: false, paths: "refused", inspects: true, sharedCode: "each-host" },
  syncback: { ...WRITER, intervention: true, paths: "used" },
  supersyncback: { ...WRITER, intervention: true, paths: "used" },
  goback: { ...WRITER, intervention: true, paths: "refused", putsLive: true, deployment: "inactive", nodeSteps: ["after-switch"] },
  update: { ...WRITER, intervention: true, source: "layout", paths: "used", workTreeOnly: true },
  backtoprod: { ...WRITER, intervention: true, paths: "refused", putsLive: true, deployment: "record", nodeSteps: ["after-switch", "health"] },
  deliver: { ...WRITER, intervention: true, source: "layout", paths: "used", putsLive: true, deployment: "record", auditsChangedPaths: true, nodeSteps: ["after-switch", "health"] },
  "session-open": { ...WRITER, intervention: false },
  "session-close": { ...WRITER, intervention: false }
};

// src/report/components.ts
var MOODLE_PLUGIN_TYPES = {
  aiplacement: "ai/placement",
  aiprovider: "ai/provider",
  antivirus: "lib/antivirus",
  availability: "availability/condition",
  qtype: "question/type",
  mod: "mod",
  auth: "auth",
  calendartype: "calendar/type",
  communication: "communication/provider",
  customfield: "customfield/field",
  enrol: "enrol",
  message: "message/output",
  block: "blocks",
  media: "media/player",
  filter: "filter",
  editor: "lib/editor",
  format: "course/format",
  dataformat: "dataformat",
  profilefield: "user/profile/field",
  report: "report",
  coursereport: "course/report",
  gradeexport: "grade/export",
  gradeimport: "grade/import",
  gradepenalty: "grade/penalty",
  gradereport: "grade/report",
  gradingform: "grade/grading/form",
  mlbackend: "lib/mlbackend",
  mnetservice: "mnet/service",
  webservice: "webservice",
  repository: "repository",
  portfolio: "portfolio",
  search: "search/engine",
  qbank: "question/bank",
  qbehaviour: "question/behaviour",
  qformat: "question/format",
  plagiarism: "plagiarism",
  tool: "admin/tool",
  cachestore: "cache/stores",
  cachelock: "cache/locks",
  fileconverter: "files/converter",
  contenttype: "contentbank/contenttype",
  theme: "theme",
  local: "local",
  h5plib: "h5p/h5plib",
  paygw: "payment/gateway",
  smsgateway: "sms/gateway"
};
var MOODLE_SUBPLUGIN_TYPES = {
  assignsubmission: "mod/assign/submission",
  assignfeedback: "mod/assign/feedback",
  assignment: "mod/assignment/type",
  quiz: "mod/quiz/report",
  quizaccess: "mod/quiz/accessrule",
  workshopform: "mod/workshop/form",
  workshopallocation: "mod/workshop/allocation",
  workshopeval: "mod/workshop/eval",
  datafield: "mod/data/field",
  datapreset: "mod/data/preset",
  ltisource: "mod/lti/source",
  ltiservice: "mod/lti/service",
  booktool: "mod/book/tool",
  scormreport: "mod/scorm/report",
  forumreport: "mod/forum/report",
  bbbext: "mod/bigbluebuttonbn/extension",
  atto: "lib/editor/atto/plugins",
  tiny: "lib/editor/tiny/plugins",
  tinymce: "lib/editor/tinymce/plugins",
  logstore: "admin/tool/log/store",
  factor: "admin/tool/mfa/factor"
};
var byCodePoint = (a, b) => a < b ? -1 : a > b ? 1 : 0;
var TABLE = Object.entries({ ...MOODLE_PLUGIN_TYPES, ...MOODLE_SUBPLUGIN_TYPES }).map(([type, dir]) => [`${dir}/`, type]).sort((a, b) => b[0].length - a[0].length || byCodePoint(a[0], b[0]));
function moodleComponent(path) {
  const p = path.startsWith("public/") ? path.slice("public/".length) : path;
  for (const [dir, type] of TABLE) {
    if (!p.startsWith(dir)) continue;
    const rest = p.slice(dir.length);
    const slash = rest.indexOf("/");
    if (slash > 0) return `${type}_${rest.slice(0, slash)}`;
  }
  return "core";
}
function groupByComponent(files, componentOf = moodleComponent) {
  const groups = /* @__PURE__ */ new Map();
  const group = (path) => {
    const c = componentOf(path);
    let g = groups.get(c);
    if (!g) {
      g = { component: c, added: [], modified: [], deleted: [], renamed: [] };
      groups.set(c, g);
    }
    return g;
  };
  for (const p of files.added) group(p).added.push(p);
  for (const p of files.modified) group(p).modified.push(p);
  for (const p of files.deleted) group(p).deleted.push(p);
  for (const r of files.renamed) group(r.to).renamed.push(r);
  return [...groups.values()].sort((a, b) => a.component === "core" ? -1 : b.component === "core" ? 1 : byCodePoint(a.component, b.component));
}
function countComponents(groups) {
  return groups.map((g) => ({ component: g.component, added: g.added.length, modified: g.modified.length, deleted: g.deleted.length, renamed: g.renamed.length }));
}

// src/domain.ts
function emptyChanges() {
  return { added: [], modified: [], deleted: [], renamed: [] };
}
function countChangedPaths(files) {
  const all = /* @__PURE__ */ new Set([...files.added, ...files.modified, ...files.deleted]);
  for (const r of files.renamed) {
    all.add(r.from);
    all.add(r.to);
  }
  return all.size;
}
function compactTime(t) {
  return t.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

// src/report/model.ts
var REPORT_SCHEMA_VERSION = 1;
function newHostReport(host) {
  return { host, outcome: "success", steps: [], files: emptyChanges(), drift: [], rolledBack: false };
}
function overallOutcome(hosts) {
  if (hosts.length === 0) return "failure";
  if (hosts.every((h) => h.outcome === "success" || h.outcome === "skipped")) return "success";
  if (hosts.some((h) => h.outcome === "failure")) return "failure";
  return "refused";
}

// src/report/view.ts
var OUTCOME_WORD = { success: "succeeded", failure: "failed", refused: "refused", skipped: "skipped" };
function shortRev(rev) {
  if (!rev) return "\u2013";
  return /^[0-9a-f]{40,64}$/.test(rev) ? rev.slice(0, 12) : rev;
}
function formatMs(ms) {
  if (ms < 1e3) return `${Math.round(ms)} ms`;
  if (ms < 6e4) return `${(ms / 1e3).toFixed(1)} s`;
  const s = Math.round(ms / 1e3);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor(s % 3600 / 60)).padStart(2, "0")} min`;
}
function shortRepository(repo) {
  if (!repo) return "";
  if (repo.includes("#")) return repo.slice(repo.lastIndexOf("#") + 1);
  let path = repo;
  const url = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?[^/]*(\/.*)?$/i.exec(repo);
  const scp = /^(?:[^@/:]+@)?[^/:]+:(.*)$/.exec(repo);
  if (url) path = url[1] ?? "";
  else if (scp && !repo.startsWith("/")) path = scp[1];
  const parts = path.replace(/\/+$/, "").replace(/\.git$/, "").split("/").filter(Boolean);
  if (parts.length === 0) return repo;
  return url || scp && !repo.startsWith("/") ? parts.slice(-2).join("/") : parts[parts.length - 1];
}
function hostName(label) {
  return label.replace(/^[^@]*@/, "").replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
}
function siteName(report) {
  return report.environment || (report.hosts[0] ? hostName(report.hosts[0].host) : "no host");
}
function refName(report) {
  if (report.ref) return report.ref;
  if (report.commit) return shortRev(report.commit);
  const rev = report.hosts.find((h) => h.revisionAfter)?.revisionAfter;
  return rev ? shortRev(rev) : "no ref";
}
function headline(report) {
  return `${report.mode}${report.dryRun ? " (dry run)" : ""} ${OUTCOME_WORD[report.outcome]}`;
}
function verdict(report) {
  const n = report.hosts.length;
  const hostsWord = `${n} host${n === 1 ? "" : "s"}`;
  if (report.dryRun) return `Dry run on ${hostsWord}: nothing was changed.`;
  const failed = report.hosts.filter((h) => h.outcome === "failure");
  const refused = report.hosts.filter((h) => h.outcome === "refused");
  const rolledBack = report.hosts.filter((h) => h.rolledBack);
  const restore = report.hosts.filter((h) => h.restore);
  const parts = [];
  if (report.outcome === "success") {
    const revs = [...new Set(report.hosts.map((h) => h.revisionAfter).filter(Boolean))];
    const versions = [...new Set(report.hosts.map((h) => h.appVersionAfter).filter(Boolean))];
    const live = MODE_FACTS[report.mode]?.putsLive === true;
    if (live && revs.length === 1) {
      parts.push(`${hostsWord} now serve${n === 1 ? "s" : ""} revision ${shortRev(revs[0])}${versions.length === 1 ? `, ${versions[0]}` : ""}.`);
    } else parts.push(`${report.mode} succeeded on ${hostsWord}.`);
  } else {
    if (failed.length) parts.push(`${failed.length} of ${hostsWord} failed.`);
    if (refused.length) parts.push(`${refused.length} of ${hostsWord} refused the mode: nothing was changed there.`);
    if (rolledBack.length) parts.push(`${rolledBack.length} went back to the safe tree by itself.`);
    if (restore.length) parts.push(`${restore.length} need${restore.length === 1 ? "s" : ""} a restore by hand (see below).`);
  }
  return parts.join(" ");
}
var KIND_LETTER = { added: "A", modified: "M", deleted: "D", renamed: "R" };
function fileRows(files) {
  return [
    ...files.added.map((path) => ({ kind: "added", path })),
    ...files.modified.map((path) => ({ kind: "modified", path })),
    ...files.deleted.map((path) => ({ kind: "deleted", path })),
    ...files.renamed.map((r) => ({ kind: "renamed", path: r.to, from: r.from }))
  ];
}
function componentsOf(host) {
  return host.app === "moodle" ? groupByComponent(host.files) : void 0;
}
function changeCounts(files) {
  const n = rowCount(files);
  const kinds = ["added", "modified", "deleted", "renamed"].filter((k) => files[k].length > 0).map((k) => `${files[k].length} ${k}`);
  return `${n} file${n === 1 ? "" : "s"}${kinds.length ? `: ${kinds.join(", ")}` : ""}`;
}
function rowCount(files) {
  return files.added.length + files.modified.length + files.deleted.length + files.renamed.length;
}
function beforeAfter(before, after, short = (s) => s ?? "\u2013") {
  if (!before && !after) return void 0;
  if (before && after && before === after) return `${short(after)} (unchanged)`;
  return `${short(before)} \u2192 ${short(after)}`;
}
function clusterPart(h) {
  const c = h.cluster;
  if (!c) return void 0;
  const where = c.role === "site" ? "this node ran the site-wide steps" : `node; site-wide steps on ${c.site}`;
  const on = (n) => n === h.host ? "this node" : n;
  return `${where}${c.upgradedBy ? `; the upgrade ran on ${on(c.upgradedBy)}` : ""}${c.restoredBy ? `; the database was restored on ${on(c.restoredBy)}` : ""}`;
}
function submoduleRows(h) {
  return (h.submodules ?? []).map((s) => [
    s.path,
    !s.before ? `${shortRev(s.after)} (added)` : !s.after ? `${shortRev(s.before)} (removed)` : beforeAfter(s.before, s.after, shortRev),
    s.url
  ]);
}
function sessionFilesHost(r, s) {
  return { ...newHostReport("session"), files: s.files, app: r.hosts.some((h) => h.app === "moodle") ? "moodle" : "none" };
}

// src/remote/lock.ts
var HEARTBEAT_S = 5;
var MIN_LOCK_TIMEOUT_S = 6 * HEARTBEAT_S;
var LOCK_LOST_CODE = 75;
var UNKNOWN = { runId: "?", actor: "?", host: "?", pid: 0, startedAt: "?" };
function parseLock(text) {
  try {
    const v = JSON.parse(text);
    return v && typeof v === "object" && typeof v.runId === "string" ? v : UNKNOWN;
  } catch {
    return UNKNOWN;
  }
}
function describeHolder(h) {
  return `run ${h.runId} of ${h.actor} on ${h.host} (mode ${h.mode ?? "?"}, started ${h.startedAt})`;
}
var LockLostError = class extends DeliveryError {
  constructor(host, holder, what) {
    super(
      `this run lost its lock ${holder ? `to ${describeHolder(holder)}` : "(the lock file is gone)"}; it stopped before ${what} and changed nothing more. Check the state with mode status`
    );
    this.host = host;
    this.holder = holder;
    this.name = "LockLostError";
  }
  host;
  holder;
  kind = "failure";
};
var mineMarker = (runId) => `"runId":${JSON.stringify(runId)}`;
var OWN_LOCK = `own_lock() {
  [ -n "$1" ] || return 0
  local i=0
  while [ ! -e "$1" ] && [ "$i" -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
  if ! grep -qF -- "$2" "$1" 2>/dev/null; then
    printf 'lock-lost:%s\\n' "$(base64 -w0 < "$1" 2>/dev/null || true)" >&2
    exit ${LOCK_LOST_CODE}
  fi
}
`;
var END_RUN = `pgid_of() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f3; }
groups_of() {
  local mark=$1 exact=$2 me f a g out=' '
  me=$(pgid_of $$)
  for f in $(grep -lzF -e "$mark" /proc/[0-9]*/cmdline 2>/dev/null); do
    while IFS= read -r -d '' a; do
      case "$a" in
        "$mark") ;;
        "$mark#"*) [ "$exact" = 1 ] && continue ;;
        *) continue ;;
      esac
      g=$(pgid_of "$(basename "$(dirname "$f")")")
      if [ -n "$g" ] && [ "$g" -gt 1 ] && [ "$g" != "$me" ]; then case "$out" in *" $g "*) ;; *) out="$out$g " ;; esac; fi
      break
    done < "$f" 2>/dev/null || true
  done
  printf '%s' "$out"
}
end_groups() {
  local gs=$1 g i alive
  [ -n "\${gs// /}" ] || return 0
  for g in $gs; do kill -TERM -- "-$g" 2>/dev/null || true; done
  for i in 1 2 3 4 5 6 7 8 9 10; do
    alive=0
    for g in $gs; do kill -0 -- "-$g" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for g in $gs; do kill -KILL -- "-$g" 2>/dev/null || true; done
  echo "ended=$gs"
}
end_run() { end_groups "$(groups_of "delivery:$1" 0)"; }
end_marker() { end_groups "$(groups_of "$1" 1)"; }
`;
var LOCK_SCRIPT = `${END_RUN}lock=$1; json=$2; stale=$3
mkdir -p -- "$(dirname -- "$lock")"
try_take() { ( set -o noclobber; printf '%s' "$json" > "$lock" ) 2>/dev/null; }
# Takers take turns (flock on a file beside the lock): a taker never creates a lock while another has the stale one
# moved aside, so no lock can be lost between a move and a put back.
if command -v flock >/dev/null 2>&1; then exec 9>>"$(dirname -- "$lock")/.lock-guard"; flock -w 60 9 || true; fi
# A lock that vanishes for an instant (another taker at work) is read again: a few rounds at most.
for round in 1 2 3 4 5 6 7 8 9 10; do
  if try_take; then echo acquired; exit 0; fi
  seen_m=$(stat -c %Y -- "$lock" 2>/dev/null) || { sleep 0.2; continue; }
  seen=$(base64 -w0 < "$lock" 2>/dev/null) || { sleep 0.2; continue; }
  age=$(( $(date +%s) - seen_m ))
  if [ "$stale" -ge 0 ] && [ "$age" -ge "$stale" ]; then
    # Stale: move it aside (one taker wins this rename), then check that what was moved is the lock seen stale (a
    # racing taker may have replaced it by its own fresh lock meanwhile; a heartbeat may have refreshed it): put it
    # back otherwise, and look again.
    aside="$lock.taking.$$"
    mv -- "$lock" "$aside" 2>/dev/null || { sleep 0.2; continue; }
    if [ "$(stat -c %Y -- "$aside")" = "$seen_m" ] && [ "$(base64 -w0 < "$aside")" = "$seen" ]; then
      run=$(base64 -d <<< "$seen" | sed -n 's/.*"runId":"\\([^"]*\\)".*/\\1/p')
      [ -n "$run" ] && end_run "$run" >/dev/null
      if try_take; then printf 'takenover\\n%s\\n' "$seen"; rm -f -- "$aside"; exit 0; fi
      # Another run made a lock while none was there: it holds it now. The stale lock is gone, its groups ended.
      rm -f -- "$aside"
    else
      ln -- "$aside" "$lock" 2>/dev/null || true
      rm -f -- "$aside"
    fi
    continue
  fi
  printf 'held\\nage=%s\\n%s\\n' "$age" "$seen"
  exit 0
done
printf 'held\\nage=0\\n\\n'
`;
var AFTER = "--- taken ---";
var AFTER_END = "--- end ---";
async function acquireLock(sh, layout, info, staleS, after) {
  const script = after ? `taken=$(
${LOCK_SCRIPT})
printf '%s\\n' "$taken"
if [[ $taken == acquired* || $taken == takenover* ]]; then
  printf '%s\\n' '${AFTER}'; shift 3
  set +e; ( set -e
${after.script}
); rc=$?; set -e
  [ "$rc" != 0 ] || printf '\\n%s\\n' '${AFTER_END}'
fi
` : LOCK_SCRIPT;
  const r = await sh.run("take the lock", script, [layout.lock, JSON.stringify(info), String(staleS), ...after?.args ?? []]);
  const cut = r.stdout.indexOf(`
${AFTER}
`);
  const lines = (cut >= 0 ? r.stdout.slice(0, cut) : r.stdout).split("\n");
  const tail2 = cut >= 0 ? r.stdout.slice(cut + AFTER.length + 2) : "";
  const end = tail2.lastIndexOf(`
${AFTER_END}
`);
  const rest = end >= 0 ? { after: tail2.slice(0, end + 1) } : {};
  if (lines.includes("acquired")) return { acquired: true, ...rest };
  const t = lines.indexOf("takenover");
  if (t >= 0) return { acquired: true, takenOver: parseLock(Buffer.from(lines[t + 1] ?? "", "base64").toString("utf8")), ...rest };
  const i = lines.findIndex((l) => l.startsWith("age="));
  const ageS = i >= 0 ? Number(lines[i].slice(4)) : 0;
  const text = Buffer.from(lines[i + 1] ?? "", "base64").toString("utf8");
  const holder = parseLock(text);
  return { acquired: false, holder: holder === UNKNOWN ? null : holder, ageS, text };
}
async function releaseLock(sh, layout, runId, endGroups = false) {
  const r = await sh.run(
    "release the lock",
    `${END_RUN}lock=$1; mine=$2; run=$3; ends=$4
[ -f "$lock" ] || { echo absent; exit 0; }
if grep -qF -- "$mine" "$lock"; then
  [ "$ends" = 1 ] && end_run "$run"
  rm -f -- "$lock"; echo released
else echo other; fi`,
    [layout.lock, mineMarker(runId), runId, endGroups ? "1" : "0"],
    { unguarded: true }
  );
  return r.stdout.includes("released");
}
var BEAT = `lock=$1; mine=$2
for i in 1 2 3; do
  if grep -qF -- "$mine" "$lock" 2>/dev/null; then touch -c -- "$lock"; echo alive; exit 0; fi
  sleep 0.3
done
echo lost
base64 -w0 < "$lock" 2>/dev/null || true
echo
`;
var HeldLock = class {
  constructor(sh, layout, runId, takenOver, warn, intervalMs = HEARTBEAT_S * 1e3) {
    this.sh = sh;
    this.takenOver = takenOver;
    this.warn = warn;
    this.intervalMs = intervalMs;
    this.guard = { path: layout.lock, runId };
  }
  sh;
  takenOver;
  warn;
  intervalMs;
  guard;
  timer;
  beating;
  stopped = false;
  start() {
    this.schedule();
  }
  schedule() {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.beating = this.beat().finally(() => {
        this.beating = void 0;
        this.schedule();
      });
    }, this.intervalMs);
    this.timer.unref?.();
  }
  async beat() {
    if (this.guard.lost !== void 0) return;
    try {
      const r = await this.sh.run("keep the lock alive", BEAT, [this.guard.path, mineMarker(this.guard.runId)], { timeoutMs: 6e4, unguarded: true, group: false });
      const lines = r.stdout.split("\n");
      if (lines.includes("lost")) {
        const text = Buffer.from(lines[lines.indexOf("lost") + 1] ?? "", "base64").toString("utf8");
        this.guard.lost = text ? parseLock(text) : null;
        this.warn(`${this.sh.label}: the lock is no longer this run's (${this.guard.lost ? `held by ${describeHolder(this.guard.lost)}` : "the lock file is gone"}): stopping`);
      }
    } catch (e) {
      if (!this.stopped) this.warn(`${this.sh.label}: the lock's heartbeat failed: ${e.message}`);
    }
  }
  get lost() {
    return this.guard.lost;
  }
  /** Stops the heartbeat (waiting for a beat under way). */
  async stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.beating;
  }
};
function lockLostFrom(e, host, what) {
  if (!(e instanceof RunError) || e.code !== LOCK_LOST_CODE) return e;
  const m = /lock-lost:(\S*)/.exec(e.stderr);
  const text = m?.[1] ? Buffer.from(m[1], "base64").toString("utf8") : "";
  return new LockLostError(host, text ? parseLock(text) : null, what);
}

// src/remote/shell.ts
var import_shell_quote = __toESM(require_shell_quote(), 1);
function q(...words) {
  return (0, import_shell_quote.quote)(words);
}
var PRELUDE = `set -euo pipefail
umask 022
die() { printf '%s\\n' "$*" >&2; exit 3; }
`;
var sequence = 0;
var SshShell = class {
  constructor(conn, opts) {
    this.conn = conn;
    this.opts = opts;
  }
  conn;
  opts;
  guard;
  get label() {
    return this.conn.label;
  }
  get runId() {
    return this.opts.runId;
  }
  /** The command line for a script, as the given user (default: the code owner when set), marked `marker`. */
  commandLine(script, args, as, marker = `delivery:${this.opts.runId}`) {
    const user = as && "user" in as ? as.user : this.opts.sudoUser;
    const words = [];
    if (this.opts.setsid && as?.group !== false) words.push("setsid", "-w");
    if (user) words.push("sudo", "-n", "-u", user, "--");
    words.push("bash", "-c", PRELUDE + script, marker, ...args);
    return q(...words);
  }
  run(what, script, args = [], params = {}) {
    return this.exec(this.opts.sudoUser, what, script, args, params);
  }
  /** Runs a script as another user (Moodle's CLI as the web user), or as the login user with `user: undefined`. */
  runAs(user, what, script, args = [], params = {}) {
    return this.exec(user, what, script, args, params);
  }
  async exec(user, what, script, args, params) {
    if (this.guard && this.guard.lost !== void 0 && !params.unguarded) throw new LockLostError(this.label, this.guard.lost, what);
    const marker = `${this.opts.cleanup ? "delivery-cleanup" : "delivery"}:${this.opts.runId}#${++sequence}`;
    try {
      const bounded = params.timeoutMs === void 0 && this.opts.timeoutMs ? { ...params, timeoutMs: this.opts.timeoutMs } : params;
      return await this.conn.exec(what, this.commandLine(script, args, { user, group: params.group }, marker), bounded);
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
      throw new TimeoutError(e.host, what, e.stdout, `${e.stderr}; ${await this.endCommand(user, marker)}`, e.timeoutMs);
    }
  }
  /** Ends the process group of a command that timed out, over a new channel; says what became of it. */
  async endCommand(user, marker) {
    try {
      const r = await this.conn.exec("end a command that timed out", this.commandLine(`${END_RUN}end_marker "$1"`, [marker], { user, group: false }), { timeoutMs: 6e4 });
      const ended = /ended=\s*(\S.*)?$/m.exec(r.stdout)?.[1]?.trim();
      return ended ? `its process group on the server was ended (groups ${ended})` : "it had already ended on the server";
    } catch (e) {
      return `its process group on the server could not be ended (${e.message}): it may still run`;
    }
  }
  /** Over the SSH connection (see SshConnection.forwardOut). */
  forward(host, port) {
    return this.conn.forwardOut(host, port);
  }
  close() {
    return this.conn.close();
  }
};

// src/session/format.ts
var SESSION_FORMAT = 1;
function storedRecord(r) {
  return {
    format: SESSION_FORMAT,
    id: r.id,
    title: r.title,
    description: r.description,
    impact: r.impact,
    status: r.status,
    openedAt: r.openedAt,
    openedBy: r.openedBy,
    openRunUrl: r.openRunUrl,
    closedAt: r.closedAt,
    closedBy: r.closedBy,
    closeRunUrl: r.closeRunUrl,
    outputState: r.outputState,
    followup: r.followup
  };
}
function storedIntervention(i) {
  return {
    format: SESSION_FORMAT,
    at: i.at,
    runId: i.runId,
    actor: i.actor,
    runUrl: i.runUrl,
    mode: i.mode,
    host: i.host,
    ref: i.ref,
    commit: i.commit,
    paths: [...i.paths],
    comment: i.comment,
    outcome: i.outcome,
    error: i.error,
    rolledBack: i.rolledBack,
    revisionBefore: i.revisionBefore,
    revisionAfter: i.revisionAfter,
    files: changesOf(i.files)
  };
}
var str = (v, fallback = "") => typeof v === "string" ? v : fallback;
var optStr = (v) => typeof v === "string" ? v : void 0;
var strings = (v) => Array.isArray(v) ? v.filter((x) => typeof x === "string") : [];
function changesOf(v) {
  if (typeof v !== "object" || v === null) return emptyChanges();
  const f = v;
  const renamed = Array.isArray(f.renamed) ? f.renamed.filter((r) => typeof r === "object" && r !== null) : [];
  return {
    added: strings(f.added),
    modified: strings(f.modified),
    deleted: strings(f.deleted),
    renamed: renamed.filter((r) => typeof r.from === "string" && typeof r.to === "string").map((r) => ({ from: r.from, to: r.to }))
  };
}
function formatOf(o) {
  const f = o.format ?? 1;
  if (f !== SESSION_FORMAT) throw new Error(`has format ${JSON.stringify(f)}, and this version of Delivery reads format ${SESSION_FORMAT}: upgrade Delivery`);
  return f;
}
var NOT_A_RECORD = "is not a session record (id, title, status open|closed): repair it by hand or move it aside";
function readRecord(v, isId) {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(NOT_A_RECORD);
  const o = v;
  formatOf(o);
  if (typeof o.id !== "string" || !isId(o.id) || o.status !== "open" && o.status !== "closed" || typeof o.title !== "string") throw new Error(NOT_A_RECORD);
  return {
    id: o.id,
    title: o.title,
    description: str(o.description),
    impact: str(o.impact),
    status: o.status,
    openedAt: str(o.openedAt),
    openedBy: str(o.openedBy),
    openRunUrl: str(o.openRunUrl),
    closedAt: optStr(o.closedAt),
    closedBy: optStr(o.closedBy),
    closeRunUrl: optStr(o.closeRunUrl),
    outputState: optStr(o.outputState),
    followup: optStr(o.followup)
  };
}
function readIntervention(v) {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an intervention");
  const o = v;
  formatOf(o);
  if (typeof o.mode !== "string" || typeof o.at !== "string") throw new Error("not an intervention");
  return {
    at: o.at,
    runId: str(o.runId),
    actor: str(o.actor),
    runUrl: str(o.runUrl),
    mode: o.mode,
    host: str(o.host),
    ref: str(o.ref),
    commit: str(o.commit),
    paths: strings(o.paths),
    comment: str(o.comment),
    outcome: str(o.outcome),
    error: optStr(o.error),
    rolledBack: o.rolledBack === true ? true : void 0,
    revisionBefore: optStr(o.revisionBefore),
    revisionAfter: optStr(o.revisionAfter),
    files: changesOf(o.files)
  };
}

// src/session/sessions.ts
var SessionError = class extends DeliveryError {
  kind = "failure";
  constructor(message) {
    super(message);
    this.name = "SessionError";
  }
};
var ID = /^S[0-9]{8}T[0-9]{6}Z-[a-z0-9]{4,8}$/;
function newSessionId(now) {
  const stamp = compactTime(now);
  return `S${stamp}-${Math.random().toString(36).slice(2, 8).padEnd(6, "0")}`;
}
function isSessionId(s) {
  return ID.test(s);
}
function parseRecord(text, file) {
  let v;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new SessionError(`${file} is not valid JSON (${e.message}): repair it by hand or move it aside`);
  }
  try {
    return readRecord(v, isSessionId);
  } catch (e) {
    throw new SessionError(`${file} ${e.message}`);
  }
}
function parseInterventions(text) {
  const interventions = [];
  const damaged = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      interventions.push(readIntervention(JSON.parse(line)));
    } catch {
      damaged.push(line.length > 120 ? `${line.slice(0, 117)}...` : line);
    }
  }
  return { interventions, damaged };
}
async function readSession(sh, layout, id) {
  const r = await sh.run(
    `read session ${id}`,
    `d=$1; id=$2
[ -f "$d/$id.json" ] || { echo missing; exit 0; }
echo "record=$(base64 -w0 < "$d/$id.json")"
if [ -f "$d/$id.jsonl" ]; then echo "lines=$(base64 -w0 < "$d/$id.jsonl")"; fi`,
    [layout.sessions, id]
  );
  if (r.stdout.startsWith("missing")) throw new SessionError(`session ${id} has no record in ${layout.sessions}: repair ${layout.sessions}/current by hand`);
  const get = (k) => Buffer.from(/^(\w+)=(.*)$/m.exec(r.stdout.split("\n").find((l) => l.startsWith(`${k}=`)) ?? "")?.[2] ?? "", "base64").toString("utf8");
  const record = parseRecord(get("record"), `${layout.sessions}/${id}.json`);
  return { record, ...parseInterventions(get("lines")) };
}
async function writeSession(sh, layout, record, secrets) {
  await sh.run(
    `write session ${record.id}`,
    `d=$1; id=$2; status=$3
mkdir -p "$d"
cat > "$d/$id.json.tmp.$$"
mv -f "$d/$id.json.tmp.$$" "$d/$id.json"
if [ "$status" = open ]; then printf '%s\\n' "$id" > "$d/current.tmp.$$" && mv -f "$d/current.tmp.$$" "$d/current"
elif [ -f "$d/current" ] && [ "$(cat "$d/current")" = "$id" ]; then rm -f "$d/current"; fi`,
    [layout.sessions, record.id, record.status],
    { stdin: `${JSON.stringify(maskValues(storedRecord(record), secrets), null, 2)}
` }
  );
}
async function appendIntervention(sh, layout, id, i, secrets) {
  await sh.run(`record the intervention in session ${id}`, `cat >> "$1/$2.jsonl"`, [layout.sessions, id], {
    stdin: `${JSON.stringify(maskValues(storedIntervention(i), secrets))}
`
  });
}
async function listSessions(sh, layout, max = 10) {
  const r = await sh.run(
    "list sessions",
    `d=$1; n=$2
[ -d "$d" ] || exit 0
ls -1 "$d" | { grep -E '^S[0-9]{8}T[0-9]{6}Z-[a-z0-9]+\\.json$' || true; } | sort -r | head -n "$n" | while IFS= read -r f; do
  printf '%s %s\\n' "$f" "$(base64 -w0 < "$d/$f")"
done`,
    [layout.sessions, String(max)]
  );
  const records = [];
  const damaged = [];
  for (const line of r.stdout.split("\n").filter(Boolean)) {
    const [file, b642] = line.split(" ");
    try {
      records.push(parseRecord(Buffer.from(b642 ?? "", "base64").toString("utf8"), `${layout.sessions}/${file}`));
    } catch (e) {
      damaged.push(e.message);
    }
  }
  return { records, damaged };
}

// src/remote/state.ts
var LAYOUT_VERSION = 1;
var StateError = class extends DeliveryError {
  kind = "failure";
  constructor(message) {
    super(message);
    this.name = "StateError";
  }
};
var TREE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
function isTreeId(s) {
  return TREE_ID.test(s);
}
function isTree(t) {
  const r = t;
  return typeof r === "object" && r !== null && typeof r.id === "string" && TREE_ID.test(r.id) && (r.movingTo === void 0 || typeof r.movingTo === "string" && TREE_ID.test(r.movingTo)) && typeof r.revision === "string" && typeof r.served === "boolean" && typeof r.dirty === "boolean";
}
function parseState(text, file) {
  let data;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new StateError(`${file} is not valid JSON (${e.message}); restore it from the journal or fix it by hand`);
  }
  const bad = (what) => new StateError(`${file} is damaged: ${what}; fix it by hand (the journal says what happened)`);
  if (typeof data !== "object" || data === null) throw bad("not an object");
  if (data.layout !== LAYOUT_VERSION) throw bad(`layout ${JSON.stringify(data.layout)} is not ${LAYOUT_VERSION}`);
  if (data.state !== "production" && data.state !== "delivering") throw bad(`state ${JSON.stringify(data.state)}`);
  if (typeof data.trees !== "object" || data.trees === null) throw bad("no trees");
  for (const [id, t] of Object.entries(data.trees)) if (!isTree(t) || t.id !== id) throw bad(`tree ${JSON.stringify(id)}`);
  for (const role of ["live", "safe"]) {
    if (typeof data[role] !== "string" || !data.trees[data[role]]) throw bad(`${role} names no known tree`);
  }
  if (data.state === "delivering" && (typeof data.work !== "string" || !data.trees[data.work])) throw bad("work names no known tree");
  if (data.state === "production" && data.live === data.safe) throw bad("live and safe are the same tree in production");
  return data;
}
function newTreeId(now, runId) {
  const stamp = compactTime(now);
  const salt = Math.random().toString(36).slice(2, 6);
  const run = runId.replace(/[^A-Za-z0-9]/g, "").slice(-8);
  return `${stamp}-${run}-${salt}`;
}
function treeRevision(t) {
  return t.head ?? t.revision;
}
function unfinishedRestore(s) {
  const r = s.restoring;
  return `a database restore from ${r.snapshot} began (run ${r.runId}, ${r.at}) and did not finish: the database may be partly restored, and the site is likely in maintenance mode${r.cron ? " with cron held" : ""}. Run goback with restore-database: true to restore it again and finish (maintenance off, cron on); or, if you restored the database yourself, goback with allow-downgrade: true`;
}

// src/remote/server.ts
function guardArgs(sh) {
  return sh.guard ? [sh.guard.path, mineMarker(sh.guard.runId)] : ["", ""];
}
async function guarded(sh, what, script, args, stdin) {
  const guard = guardArgs(sh);
  try {
    await sh.run(what, `${OWN_LOCK}own_lock "$1" "$2"; shift 2
${script}`, [...guard, ...args], stdin === void 0 ? {} : { stdin });
  } catch (e) {
    throw lockLostFrom(e, sh.label, what);
  }
}
var CLOSE_META = `close_meta() {
  chmod 711 -- "$1" 2>/dev/null || true
  local d; for d in drift sessions; do if [ -d "$1/$d" ] && [ ! -L "$1/$d" ]; then chmod 700 -- "$1/$d" 2>/dev/null || true; fi; done
}
`;
var Layout = class {
  constructor(root) {
    this.root = root;
  }
  root;
  get live() {
    return `${this.root}/live`;
  }
  get trees() {
    return `${this.root}/trees`;
  }
  tree(id) {
    return `${this.root}/trees/${id}`;
  }
  get supersave() {
    return `${this.root}/trees/supersave`;
  }
  get meta() {
    return `${this.root}/.delivery`;
  }
  get state() {
    return `${this.meta}/state.json`;
  }
  get lock() {
    return `${this.meta}/lock`;
  }
  get journal() {
    return `${this.meta}/journal.jsonl`;
  }
  get repo() {
    return `${this.meta}/repo.git`;
  }
  get sessions() {
    return `${this.meta}/sessions`;
  }
  get drift() {
    return `${this.meta}/drift`;
  }
  get reports() {
    return `${this.meta}/reports`;
  }
};
var PROBE = `root=$1
cd / 
b64() { if [ -f "$1" ]; then base64 -w0 < "$1"; fi; }
printf 'user=%s\\n' "$(id -un)"
printf 'now=%s\\n' "$(date +%s)"
if [ -L "$root/live" ]; then printf 'live=1\\ntarget=%s\\n' "$(readlink "$root/live")"; else printf 'live=0\\n'; fi
printf 'state=%s\\n' "$(b64 "$root/.delivery/state.json")"
# The lock's text and time through one open file: a taker may replace the lock between two reads by name, and a
# stale run's text with the new lock's time reads as a live run.
if [ -f "$root/.delivery/lock" ] && exec 3< "$root/.delivery/lock"; then
  printf 'lock=%s\\n' "$(base64 -w0 <&3)"
  printf 'lockmtime=%s\\n' "$(stat -L -c %Y /dev/fd/3)"
  exec 3<&-
else printf 'lock=\\n'; fi 2>/dev/null
printf 'session=%s\\n' "$(head -c 200 "$root/.delivery/sessions/current" 2>/dev/null | tr -d '\\n')"
if [ -d "$root/trees" ]; then printf 'trees=%s\\n' "$(cd "$root/trees" && ls -1A | tr '\\n' ' ')"; fi
for t in setsid rsync git svn cvs sudo base64 sha1sum tar curl; do
  if command -v "$t" >/dev/null 2>&1; then printf 'tool.%s=1\\n' "$t"; else printf 'tool.%s=0\\n' "$t"; fi
done
`;
function fields(stdout) {
  const m = /* @__PURE__ */ new Map();
  for (const line of stdout.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}
var unb64 = (s) => s ? Buffer.from(s, "base64").toString("utf8") : null;
async function probe(sh, layout) {
  const r = await sh.run("probe the delivery root", PROBE, [layout.root]);
  return parseProbe(r.stdout, layout);
}
function parseProbe(stdout, layout) {
  const f = fields(stdout);
  const stateText = unb64(f.get("state"));
  let state = null;
  let stateError;
  if (stateText !== null) {
    try {
      state = parseState(stateText, layout.state);
    } catch (e) {
      if (!(e instanceof StateError)) throw e;
      stateError = e.message;
    }
  }
  const lockText = unb64(f.get("lock"));
  const lock = lockText !== null ? parseLock(lockText) : null;
  const now = Number(f.get("now") ?? "0");
  const tools = {};
  for (const [k, v] of f) if (k.startsWith("tool.")) tools[k.slice(5)] = v === "1";
  return {
    liveExists: f.get("live") === "1",
    liveTarget: f.get("target") ?? "",
    stateText,
    state,
    stateError,
    lock,
    lockAgeS: lockText !== null ? Math.max(0, now - Number(f.get("lockmtime") ?? now)) : 0,
    // Names read from the server are data: only valid tree ids are ever used in a path.
    trees: (f.get("trees") ?? "").split(" ").filter(isTreeId),
    tools,
    user: f.get("user") ?? "",
    ...sessionOf(f.get("session") ?? "", layout)
  };
}
function sessionOf(text, layout) {
  if (text === "" || isSessionId(text)) return { session: text };
  const shown = JSON.stringify(text.replace(/[^\x20-\x7e]/g, "?").slice(0, 40));
  return { session: "", sessionError: `${layout.sessions}/current holds ${shown}, not a session id: repair it by hand or remove it` };
}
var JOURNAL_ARG_MAX = 32 * 1024;
async function writeState(sh, layout, state, entry, secrets = []) {
  state.layout = LAYOUT_VERSION;
  const text = `${JSON.stringify(state, null, 2)}
`;
  const line = entry ? journalLine(entry, secrets) : "";
  if (Buffer.byteLength(line) > JOURNAL_ARG_MAX) {
    await writeState(sh, layout, state);
    await appendJournal(sh, layout, entry, secrets);
    return;
  }
  await guarded(
    sh,
    line ? "write state.json and append to the journal" : "write state.json",
    `${CLOSE_META}close_meta "$(dirname -- "$1")"; tmp="$1.tmp.$$"; cat > "$tmp"; sync "$tmp" 2>/dev/null || true; mv -f -- "$tmp" "$1"
[ -z "$2" ] || { mkdir -p -- "$(dirname -- "$3")"; printf '%s\\n' "$2" >> "$3"; }`,
    [layout.state, line, layout.journal],
    text
  );
}
function journalLine(entry, secrets) {
  return JSON.stringify(maskValues(entry, secrets));
}
async function appendJournal(sh, layout, entry, secrets = []) {
  await sh.run("append to the journal", `mkdir -p "$(dirname "$1")"; cat >> "$1"`, [layout.journal], {
    stdin: `${journalLine(entry, secrets)}
`
  });
}
async function switchLive(sh, layout, treeId) {
  await guarded(
    sh,
    `switch live to ${treeId}`,
    `root=$1; id=$2
[ -d "$root/trees/$id" ] || die "trees/$id does not exist"
tmp="$root/.live.tmp.$$"
ln -s "trees/$id" "$tmp"
mv -T -- "$tmp" "$root/live"
[ "$(readlink "$root/live")" = "trees/$id" ] || die "live does not point at trees/$id after the switch"`,
    [layout.root, treeId]
  );
}
function liveTreeId(p) {
  const m = /^trees\/([^/]+)\/?$/.exec(p.liveTarget);
  return m && isTreeId(m[1]) ? m[1] : "";
}

// src/steps/context.ts
async function step(ctx, name, fn, detail) {
  const started = Date.now();
  ctx.log.info(`${ctx.target.label}: ${name}`);
  try {
    const result = await fn();
    ctx.report.steps.push({ name, outcome: "success", ms: Date.now() - started, detail: detail?.(result) });
    return result;
  } catch (e) {
    const outcome = e instanceof Refusal ? "refused" : "failure";
    ctx.report.steps.push({ name, outcome, ms: Date.now() - started, detail: e.message });
    throw e;
  }
}
function skipped(ctx, name, detail) {
  ctx.report.steps.push({ name, outcome: "skipped", ms: 0, detail });
}
function plan(ctx, sentence) {
  ctx.report.plan ??= [];
  ctx.report.plan.push(sentence);
}
async function saveState(ctx, state, event, data = {}) {
  const at = ctx.now().toISOString();
  state.updatedAt = at;
  state.lastRun = { runId: ctx.settings.run.runId, mode: ctx.settings.mode, actor: ctx.settings.run.actor, at };
  await writeState(ctx.sh, ctx.layout, state, event === void 0 ? void 0 : journalEntry(ctx, event, data), ctx.settings.secrets);
  ctx.state = state;
}
async function journal(ctx, event, data = {}) {
  await appendJournal(ctx.sh, ctx.layout, journalEntry(ctx, event, data), ctx.settings.secrets);
}
function journalEntry(ctx, event, data) {
  return {
    at: ctx.now().toISOString(),
    runId: ctx.settings.run.runId,
    actor: ctx.settings.run.actor,
    mode: ctx.settings.mode,
    event,
    host: ctx.target.label,
    ...data
  };
}
function mustState(ctx) {
  if (!ctx.state) throw new Refusal(`No delivery layout at ${ctx.settings.path}: run mode init first`);
  return ctx.state;
}

// src/app/app.ts
var UnsafeToGoBack = class extends DeliveryError {
  constructor(message, restore) {
    super(message);
    this.restore = restore;
    this.name = "UnsafeToGoBack";
  }
  restore;
  kind = "failure";
};
var NoApp = class {
  name = "none";
  keep = [];
  async version() {
    return void 0;
  }
  async checkGoback() {
  }
  async planSwitch() {
    return [];
  }
  async beforeSwitch() {
    return { upgrade: false, maintenance: false, notes: [] };
  }
  async enterWindow() {
  }
  async cancelSwitch() {
  }
  async afterSwitch() {
  }
  async holdAfterFailure(_ctx, _plan, why) {
    return why;
  }
  async afterGoback() {
  }
};
async function looksLikeMoodle(sh, dir) {
  const r = await sh.run(
    "detect the application",
    `d=$1
if { [ -f "$d/version.php" ] && [ -f "$d/lib/setup.php" ]; } || [ -f "$d/public/version.php" ]; then echo moodle; else echo none; fi`,
    [dir]
  );
  return r.stdout.trim() === "moodle";
}

// src/steps/health.ts
import http from "node:http";
import { isIP } from "node:net";
import tls from "node:tls";
var PROBE2 = `url=$1; php=$2; body=$(mktemp); trap 'rm -f "$body"' EXIT
if command -v curl >/dev/null 2>&1; then
  tool=curl; code=$(curl -s -k -o "$body" -w '%{http_code}' --max-time 10 "$url" || true)
elif command -v "$php" >/dev/null 2>&1; then
  tool=php; code=$("$php" -r '$c = stream_context_create(["http" => ["ignore_errors" => true, "timeout" => 10, "follow_location" => 0], "ssl" => ["verify_peer" => false, "verify_peer_name" => false]]);
$b = @file_get_contents($argv[1], false, $c); file_put_contents($argv[2], (string)$b);
$s = 0; foreach (($http_response_header ?? []) as $h) { if (preg_match("#^HTTP/\\S+ (\\d{3})#", $h, $m)) { $s = (int)$m[1]; } } echo $s;' "$url" "$body" || echo 0)
elif command -v wget >/dev/null 2>&1; then
  tool=wget; code=$(wget -q -S -O "$body" --timeout=10 --max-redirect=0 --no-check-certificate "$url" 2>&1 | sed -n 's#^ *HTTP/[^ ]* \\([0-9][0-9][0-9]\\).*#\\1#p' | tail -1)
else echo "code=none"; exit 0; fi
echo "tool=$tool"
echo "code=\${code:-0}"
echo "body=$(head -c 262144 "$body" | base64 -w0)"`;
var MAX_BODY = 256 * 1024;
var ATTEMPT_MS = 1e4;
function getOverStream(url, stream2, timeoutMs = ATTEMPT_MS) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (a) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stream2.destroy();
      resolve(a);
    };
    const socket = url.protocol === "https:" ? tls.connect({ socket: stream2, servername: isIP(url.hostname.replace(/^\[|\]$/g, "")) ? void 0 : url.hostname, rejectUnauthorized: false }) : stream2;
    const req = http.request({
      method: "GET",
      path: `${url.pathname}${url.search}`,
      headers: { Host: url.host, "User-Agent": "delivery-health-check", Accept: "*/*", Connection: "close" },
      createConnection: () => socket
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ status: 0, body: "", error: `no answer within ${timeoutMs / 1e3} s` });
    }, timeoutMs);
    req.on("error", (e) => finish({ status: 0, body: "", error: e.message }));
    req.on("response", (res) => {
      const chunks = [];
      let size = 0;
      res.on("data", (d) => {
        if (size < MAX_BODY) chunks.push(d);
        size += d.length;
      });
      const end = () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8").slice(0, MAX_BODY) });
      res.on("end", end);
      res.on("close", end);
      res.on("error", end);
    });
    req.end();
  });
}
async function healthCheck(ctx, opts = {}) {
  const url = ctx.settings.healthUrl;
  const { status: status2, text } = ctx.settings.healthExpect;
  const expect = `${status2}${text ? ` ${text}` : ""}`;
  if (ctx.maintenanceKept) {
    skipped(ctx, "health", `not checked: ${ctx.maintenanceKept}`);
    return void 0;
  }
  const attempts = opts.attempts ?? 5;
  const interval = opts.intervalMs ?? 3e3;
  const started = Date.now();
  const report = { url, expect, ok: false, status: 0, attempts: 0, ms: 0 };
  ctx.report.health = report;
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const port = Number(u.port) || (u.protocol === "https:" ? 443 : 80);
  let forwarding = true;
  const once = async () => {
    if (forwarding) {
      try {
        const stream2 = await ctx.sh.forward(host, port);
        report.via = "ssh-forward";
        return await getOverStream(u, stream2);
      } catch (e) {
        const err = e;
        if (!err.prohibited) return { status: 0, body: "", error: `the server could not connect to ${host}:${port}: ${err.message}` };
        forwarding = false;
        ctx.log.info(`${ctx.target.label}: the server refuses SSH forwarding (${err.message}); probing health-url with a client on the server`);
      }
    }
    const r = await ctx.sh.runAs(void 0, "probe health-url", PROBE2, [url, ctx.settings.php], { timeoutMs: 3e4 });
    const code3 = /code=(\S+)/.exec(r.stdout)?.[1] ?? "0";
    if (code3 === "none") throw new StepFailure("the server refuses SSH forwarding and has none of curl, wget or php to probe health-url with");
    report.via = `server-${/tool=(\S+)/.exec(r.stdout)?.[1] ?? "client"}`;
    return { status: Number(code3) || 0, body: Buffer.from(/body=(\S*)/.exec(r.stdout)?.[1] ?? "", "base64").toString("utf8") };
  };
  return step(
    ctx,
    "health",
    async () => {
      for (let i = 0; i < attempts; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, interval));
        report.attempts = i + 1;
        const a = await once();
        report.status = a.status;
        const textOk = !text || a.body.includes(text);
        if (a.status === status2 && textOk) {
          report.ok = true;
          report.ms = Date.now() - started;
          report.detail = `HTTP ${a.status}`;
          return report;
        }
        report.detail = a.status === 0 ? `no answer (${a.error ?? "unknown error"})` : `HTTP ${a.status}${a.status === status2 && !textOk ? `, body lacks ${JSON.stringify(text)}` : ""}`;
      }
      report.ms = Date.now() - started;
      throw new StepFailure(`health check failed: ${url} answered ${report.detail} after ${report.attempts} attempt(s), expected ${expect}`);
    },
    (r) => `${r.url}: ${r.detail} (${r.attempts} attempt(s), via ${r.via})`
  );
}

// src/app/moodle-config.ts
var DUMPABLE = ["pgsql", "mysqli", "mariadb", "auroramysql"];
var PREFIX = /^[A-Za-z0-9_]{0,40}$/;
var READ_CONFIG_PHP = `define('CLI_SCRIPT', true);
define('ABORT_AFTER_CONFIG', true);
$d = $argv[1];
chdir($d);
global $CFG;
$CFG = new stdClass();
ob_start();
require $d . '/config.php';
ob_end_clean();
$o = isset($CFG->dboptions) && is_array($CFG->dboptions) ? $CFG->dboptions : [];
$s = function ($v) { return is_scalar($v) ? (string) $v : ''; };
echo "\\n@@delivery-dbconfig@@", json_encode([
    'dbtype' => $s($CFG->dbtype ?? ''), 'dbhost' => $s($CFG->dbhost ?? ''), 'dbname' => $s($CFG->dbname ?? ''),
    'dbuser' => $s($CFG->dbuser ?? ''), 'dbpass' => bin2hex($s($CFG->dbpass ?? '')), 'prefix' => $s($CFG->prefix ?? ''),
    'dboptions' => ['dbport' => $s($o['dbport'] ?? ''), 'dbsocket' => $s($o['dbsocket'] ?? '')],
    'wwwroot' => $s($CFG->wwwroot ?? ''),
]), "\\n";
`;
var MUC_CONFIG_PHP = `define('CLI_SCRIPT', true);
define('ABORT_AFTER_CONFIG', true);
[$d, $op, $stamp] = [$argv[1], $argv[2], $argv[3] ?? ''];
global $CFG;
$CFG = new stdClass();
ob_start();
require $d . '/config.php';
ob_end_clean();
$f = rtrim($CFG->dataroot, '/') . '/muc/config.php';
if ($op === 'read') {
    if (is_file($f) && !is_link($f)) { echo "@@delivery-muc@@", base64_encode(file_get_contents($f)), "\\n"; } else { echo "@@delivery-muc@@none\\n"; }
    exit(0);
}
$text = stream_get_contents(STDIN);
if (!is_dir(dirname($f))) {
    if ($text === '') { echo "@@delivery-muc@@\\n"; exit(0); }
    if (!mkdir(dirname($f), 0777)) { fwrite(STDERR, "cannot make " . dirname($f) . "\\n"); exit(1); }
}
$aside = $f . '.before-restore-' . preg_replace('/[^0-9A-Za-z]/', '', $stamp);
if (is_file($f) && !is_link($f) && !rename($f, $aside)) { fwrite(STDERR, "cannot set $f aside\\n"); exit(1); }
if ($text !== '') {
    $tmp = $f . '.delivery-tmp';
    if (file_put_contents($tmp, $text) !== strlen($text) || !rename($tmp, $f)) { fwrite(STDERR, "cannot write $f\\n"); exit(1); }
}
echo "@@delivery-muc@@", is_file($aside) ? $aside : '', "\\n";
`;
async function readCacheConfig(ctx, dir) {
  const r = await phpAsWebUser(ctx, `read the cache configuration (muc/config.php) as ${ctx.settings.webUser}`, MUC_CONFIG_PHP, [dir, "read"]);
  const at = r.stdout.lastIndexOf("@@delivery-muc@@");
  if (r.code !== 0 || at < 0) throw new StepFailure(`cannot read moodledata's muc/config.php as ${ctx.settings.webUser} (exit code ${r.code}): ${lastLines(r.stderr || r.stdout)}`);
  const v = r.stdout.slice(at + "@@delivery-muc@@".length).trim().split("\n")[0];
  return v === "none" ? void 0 : Buffer.from(v, "base64");
}
async function putCacheConfig(ctx, dir, text) {
  const stamp = ctx.now().toISOString();
  const r = await phpAsWebUser(ctx, `put back the cache configuration (muc/config.php) as ${ctx.settings.webUser}`, MUC_CONFIG_PHP, [dir, "write", stamp], 12e4, text ?? "");
  const at = r.stdout.lastIndexOf("@@delivery-muc@@");
  if (r.code !== 0 || at < 0) throw new StepFailure(`cannot put back moodledata's muc/config.php as ${ctx.settings.webUser} (exit code ${r.code}): ${lastLines(r.stderr || r.stdout)}`);
  return r.stdout.slice(at + "@@delivery-muc@@".length).trim().split("\n")[0];
}
async function phpAsWebUser(ctx, what, code3, args, timeoutMs = 12e4, stdin) {
  const { webUser } = ctx.settings;
  const php = ctx.app.php ?? ctx.settings.php;
  return ctx.sh.runAs(
    void 0,
    what,
    `web=$1; php=$2; code=$3; shift 3
if [ "$web" = "$(id -un)" ]; then exec "$php" -r "$code" -- "$@"; fi
exec sudo -n -u "$web" -- "$php" -r "$code" -- "$@"`,
    [webUser, php, code3, ...args],
    { nothrow: true, timeoutMs, ...stdin !== void 0 ? { stdin } : {} }
  );
}
async function readDbConfig(ctx, dir) {
  const r = await phpAsWebUser(ctx, `read the database settings from ${dir}/config.php as ${ctx.settings.webUser}`, READ_CONFIG_PHP, [dir]);
  const at = r.stdout.lastIndexOf("@@delivery-dbconfig@@");
  if (r.code !== 0 || at < 0) {
    const why = (r.stderr || r.stdout).trim().split("\n").slice(-5).join("\n");
    throw new StepFailure(
      `cannot read the database settings from ${dir}/config.php as ${ctx.settings.webUser} (exit code ${r.code})${why ? `: ${why}` : ""}`
    );
  }
  const c = JSON.parse(r.stdout.slice(at + "@@delivery-dbconfig@@".length).trim().split("\n")[0]);
  c.dbpass = Buffer.from(c.dbpass, "hex").toString("utf8");
  if (c.dbpass && c.dbpass.length >= 3 && !ctx.settings.secrets.includes(c.dbpass)) ctx.settings.secrets.push(c.dbpass);
  return c;
}
function cannotDump(c) {
  if (!c.dbtype) return "config.php names no $CFG->dbtype";
  if (!DUMPABLE.includes(c.dbtype)) return `the database type ${c.dbtype} has no snapshot here (pgsql, mysqli, mariadb and auroramysql have)`;
  if (!c.dbname) return "config.php names no $CFG->dbname";
  if (!PREFIX.test(c.prefix)) return `the table prefix ${JSON.stringify(c.prefix)} is not letters, digits and underscores`;
  return void 0;
}
function lastLines(s) {
  return s.trim().split("\n").slice(-5).join("\n");
}

// src/remote/sudo.ts
var SCRIPT = `command -v sudo >/dev/null 2>&1 || { echo nosudo; exit 0; }
for u in "$@"; do
  if out=$(cd / && sudo -n -u "$u" -- bash -c 'id -un' 2>&1 </dev/null); then r=ok; else r=no; fi
  printf '%s\\t%s\\t%s\\n' "$r" "$u" "$(printf '%s' "$out" | tr '\\n\\t' '  ' | head -c 400)"
done`;
var SUDOERS_FILE = "/etc/sudoers.d/delivery";
function sudoersLine(login, users, command2 = "ALL") {
  return `${login} ALL=(${users.join(",")}) NOPASSWD: ${command2}`;
}
async function probeSudo(sh, users) {
  const r = await sh.runAs(void 0, "check that sudo may be used", SCRIPT, users);
  if (r.stdout.split("\n").includes("nosudo")) return "no-sudo";
  const verdicts = [];
  for (const line of r.stdout.split("\n")) {
    const [result, user, detail = ""] = line.split("	");
    if (!user) continue;
    const ok = result === "ok" && detail.trim() === user;
    verdicts.push({ user, ok, detail: detail.trim() });
  }
  for (const u of users) if (!verdicts.some((v) => v.user === u)) verdicts.push({ user: u, ok: false, detail: "no answer" });
  return verdicts;
}
function sudoProblem(login, needs, verdicts) {
  const users = [...needs.keys()];
  if (verdicts === "no-sudo") {
    const inputs = [...new Set(needs.values())];
    return `${inputs.join(" and ")} ${inputs.length > 1 ? "need" : "needs"} sudo, which is not installed on the server: install it (apt-get install sudo), then add this line to a sudoers file (visudo -f ${SUDOERS_FILE}): ${sudoersLine(login, users)}. Nothing was changed`;
  }
  const refused = verdicts.filter((v) => !v.ok && needs.has(v.user));
  if (refused.length === 0) return null;
  const each = refused.map((v) => `${needs.get(v.user)} ${v.user}${v.detail ? ` (sudo said: ${v.detail})` : ""}`).join("; ");
  const missing = refused.map((v) => v.user);
  return `the SSH user ${login} may not run commands as ${missing.join(" and ")} through sudo without a password: ${each}. Nothing was changed. Add this line to a sudoers file on the server (visudo -f ${SUDOERS_FILE}): ${sudoersLine(login, missing)} (every command the action runs as ${missing.join(" and ")} is bash, so ${sudoersLine(login, missing, "/usr/bin/bash")} works too; it is not narrower in effect: what limits the account is the list of users it may become)`;
}
var PHP_EUID = `echo "euid=", function_exists("posix_geteuid") ? posix_geteuid() : (preg_match("/^Uid:\\s+\\d+\\s+(\\d+)/m", (string) @file_get_contents("/proc/self/status"), $m) ? $m[1] : "?"), "\\n";`;
var PHP_SCRIPT = `u=$1; php=$2; code=$3
command -v sudo >/dev/null 2>&1 || { echo nosudo; exit 0; }
p=$(command -v -- "$php" 2>/dev/null) || { echo nophp; exit 0; }
case $p in /*) ;; *) printf 'notabs\\t%s\\n' "$p"; exit 0 ;; esac
want=$(id -u -- "$u" 2>/dev/null) || { echo nouser; exit 0; }
if out=$(cd / && sudo -n -u "$u" -- "$p" -r "$code" 2>&1 </dev/null); then r=ok; else r=no; fi
got=$(printf '%s\\n' "$out" | sed -n 's/^euid=\\([0-9][0-9]*\\)$/\\1/p' | tail -1)
printf '%s\\t%s\\t%s\\t%s\\t%s\\n' "$r" "$p" "$want" "$got" "$(printf '%s' "$out" | tr '\\n\\t' '  ' | head -c 400)"`;
async function probePhpAs(sh, user, php) {
  const r = await sh.runAs(void 0, `check that PHP may run as ${user}`, PHP_SCRIPT, [user, php, PHP_EUID], { nothrow: true });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (line === "nosudo") return { kind: "no-sudo" };
  if (line === "nophp") return { kind: "no-php", php };
  if (line === "nouser") return { kind: "no-user", php };
  const f = line.split("	");
  if (f[0] === "notabs") return { kind: "not-absolute", php, found: f[1] ?? "" };
  if (f[0] === "ok" && f[3] !== "" && f[3] === f[2]) return { kind: "ok", php: f[1] };
  const detail = f[0] === "ok" ? `PHP ran, but as uid ${f[3] || "?"}, not ${user}'s ${f[2]}` : (f[4] ?? r.stderr).trim() || "no answer";
  return { kind: "refused", php: f[1] || php, detail };
}
function phpCommandForm(user, php) {
  return `sudo -n -u ${user} ${php} SCRIPT ARGS...`;
}
function phpProblem(login, user, v) {
  const why = `Moodle's CLI runs as web-user ${user}, always as ${phpCommandForm(user, v.kind === "ok" || v.kind === "refused" ? v.php : "/usr/bin/php")}`;
  switch (v.kind) {
    case "ok":
      return null;
    case "no-sudo":
      return `web-user needs sudo, which is not installed on the server: install it (apt-get install sudo), then add this line to a sudoers file (visudo -f ${SUDOERS_FILE}): ${sudoersLine(login, [user], "/usr/bin/php")} (the full path of the php input's binary). Nothing was changed`;
    case "no-php":
      return `php: the SSH user ${login} finds no program ${v.php} on the server (command -v ${v.php}): install PHP's command line (apt-get install php-cli) or give php as an absolute path, e.g. /usr/bin/php8.2. Nothing was changed`;
    case "not-absolute":
      return `php: ${v.php} is ${v.found} for the SSH user ${login} (command -v), not a program with an absolute path, and sudoers rules name programs by their full path: give php as an absolute path, e.g. /usr/bin/php. Nothing was changed`;
    case "no-user":
      return `web-user ${user} does not exist on the server: give the user the web server runs PHP as (e.g. www-data). Nothing was changed`;
    case "refused":
      return `the SSH user ${login} may not run ${v.php} as web-user ${user} through sudo without a password (sudo said: ${v.detail}). Nothing was changed. Add this line to a sudoers file on the server (visudo -f ${SUDOERS_FILE}): ${sudoersLine(login, [user], v.php)} (${why}: nothing else runs as ${user}; a wider rule such as ${sudoersLine(login, [user])} works too)`;
  }
}

// src/app/moodle-cli.ts
import { randomBytes } from "node:crypto";
var PHP_AS_WEB = `d=$1; php=$2; u=$3; shift 3
cd -- "$d" 2>/dev/null || cd /
php_as_web() { if [ -n "$u" ]; then sudo -n -u "$u" -- "$php" "$@"; else "$php" "$@"; fi; }
`;
var THEN = `mark=$1; n=$2; shift 2
first=("\${@:1:n}"); shift "$n"
s=\${EPOCHREALTIME:-}; rc=0; php_as_web "\${first[@]}" || rc=$?; e=\${EPOCHREALTIME:-}
printf '\\n%s %s %s %s\\n' "$mark" "$rc" "\${s/[.,]/}" "\${e/[.,]/}"
if [ "$rc" -ne 0 ]; then exit "$rc"; fi
printf '\\n%s\\n' "$mark" >&2
rc=0; php_as_web "$@" || rc=$?; f=\${EPOCHREALTIME:-}
printf '\\n%s %s %s %s\\n' "$mark" "$rc" "\${e/[.,]/}" "\${f/[.,]/}"`;
function splitAt(text, mark2) {
  const parts = [""];
  for (const line of text.split("\n")) {
    if (line.startsWith(mark2)) parts.push("");
    else parts[parts.length - 1] += `${line}
`;
  }
  return parts.map((p) => p.trim());
}
var MoodleCli = class {
  /**
   * PHP as the web user may run it: the absolute path the sudo preflight resolved (`command -v` as the SSH user), which
   * is the path a sudoers rule names. Unset when the web user is the SSH user (then the `php` input as given).
   */
  php;
  /** Script paths found before they are needed (`findScripts`): a call then needs no round trip to find them. */
  found = /* @__PURE__ */ new Map();
  /**
   * Finds `admin/cli/<script>` (5.1+: `public/admin/cli/<script>`) of the tree in `dir` for each script, as the code
   * owner (who can read the trees), in one command; remembers the paths for `cli`. Returns them (missing: absent).
   */
  async findScripts(ctx, dir, scripts) {
    const r = await ctx.sh.run(
      `find ${scripts.map((s) => `admin/cli/${s}`).join(", ")} in ${dir}`,
      `d=$1; shift
if [ -f "$d/public/version.php" ]; then c="$d/public/admin/cli"; else c="$d/admin/cli"; fi
for s in "$@"; do if [ -f "$c/$s" ]; then printf 'cli=%s\\n' "$c/$s"; else echo "no $c/$s" >&2; fi; done`,
      [dir, ...scripts]
    );
    const paths = /* @__PURE__ */ new Map();
    for (const m of r.stdout.matchAll(/^cli=(.*)$/gm)) {
      const script = scripts.find((s) => m[1].endsWith(`/${s}`));
      if (script) paths.set(script, m[1]);
    }
    for (const [s, p] of paths) this.found.set(`${dir}\0${s}`, p);
    return paths;
  }
  /**
   * Records where scripts are in a tree whose layout is known (its version.php was read: `public/` or not), so that
   * running them needs no round trip to find them first. Moodle's own scripts, which the tree's upgrade check proved.
   */
  knowScripts(dir, publicRoot, scripts) {
    for (const s of scripts) this.found.set(`${dir}\0${s}`, `${dir}/${publicRoot ? "public/" : ""}admin/cli/${s}`);
  }
  /**
   * Runs `admin/cli/<script>` of the tree in `dir` with PHP, as the web user, in its own process group like every
   * command, from the tree's root when the SSH user may enter it, else from `/` (Moodle's scripts find config.php from
   * `__DIR__`, not from the working directory). Never throws for the script's own exit code; throws when sudo refuses.
   */
  async cli(ctx, dir, script, args, timeoutMs = 6e5, stream2) {
    const what = `moodle ${script}${args.length ? ` ${args.join(" ")}` : ""} as ${ctx.settings.webUser}`;
    const file = this.found.get(`${dir}\0${script}`) ?? (await this.findScripts(ctx, dir, [script])).get(script);
    if (!file) return { code: 127, out: `no admin/cli/${script} in ${dir}`, stdout: "" };
    return this.runPhp(ctx, dir, what, [file, ...args], timeoutMs, stream2);
  }
  /** The user PHP runs as (undefined: the login user) and the PHP path. */
  phpUser(ctx) {
    const { webUser } = ctx.settings;
    return { user: webUser === ctx.target.user ? void 0 : webUser, php: this.php ?? ctx.settings.php };
  }
  /**
   * Runs PHP with `argv` as the web user (`sudo -n -u WEB PHP ARGV...`), from `dir` when the SSH user may enter it.
   * Never throws for PHP's own exit code; throws when sudo refuses.
   */
  async runPhp(ctx, dir, what, argv, timeoutMs, stream2) {
    const { user, php } = this.phpUser(ctx);
    const r = await ctx.sh.runAs(void 0, what, `${PHP_AS_WEB}rc=0; php_as_web "$@" || rc=$?
exit "$rc"`, [dir, php, user ?? "", ...argv], {
      nothrow: true,
      timeoutMs,
      ...stream2 ? { onStdout: lineWise(stream2), keepBytes: 1024 * 1024 } : {}
    });
    this.sudoRefused(ctx, r.code, r.stdout, r.stderr);
    return { code: r.code, out: joinOut(r.stdout, r.stderr), stdout: r.stdout };
  }
  /** Throws a StepFailure naming the sudoers rule to write when sudo refused to run PHP as the web user. */
  sudoRefused(ctx, code3, stdout, stderr) {
    const { user, php } = this.phpUser(ctx);
    if (user && code3 === 1 && /^sudo: /m.test(stderr) && !stdout) {
      throw new StepFailure(
        `cannot run Moodle's CLI as ${user}: ${stderr.trim().split("\n")[0]}. Allow the login user ${ctx.target.user} to run PHP as ${user} without a password (sudoers: ${sudoersLine(ctx.target.user, [user], php)}), or set web-user`
      );
    }
  }
  /**
   * Runs `first` then, only when it succeeded, `then` (two CLI scripts of the tree in `dir`) in one command: nothing
   * runs between them, not even a round trip to the runner. Each result comes with the milliseconds it took on the
   * server (undefined where the server's bash cannot tell); `then` is undefined when `first` failed. `stream` gets the
   * first script's output lines as they come. Throws when sudo refuses or the command cannot run (connection, timeout).
   */
  async cliThen(ctx, dir, first, then, timeoutMs, stream2) {
    const found = await this.findScripts(ctx, dir, [first[0], then[0]].filter((s) => !this.found.has(`${dir}\0${s}`)));
    const path = (s) => this.found.get(`${dir}\0${s}`) ?? found.get(s);
    const [a, b] = [path(first[0]), path(then[0])];
    if (!a) return { first: { code: 127, out: `no admin/cli/${first[0]} in ${dir}`, stdout: "" } };
    if (!b) return { first: { code: 127, out: `no admin/cli/${then[0]} in ${dir}`, stdout: "" } };
    const { user, php } = this.phpUser(ctx);
    const mark2 = `delivery-${randomBytes(12).toString("hex")}`;
    const argv1 = [a, ...first[1]];
    const r = await ctx.sh.runAs(void 0, `moodle ${first[0]} ${first[1].join(" ")}, then ${then[0]} ${then[1].join(" ")}, as ${ctx.settings.webUser}`, `${PHP_AS_WEB}${THEN}`, [dir, php, user ?? "", mark2, String(argv1.length), ...argv1, b, ...then[1]], {
      nothrow: true,
      timeoutMs,
      ...stream2 ? { onStdout: lineWise((l) => l.startsWith(mark2) ? void 0 : stream2(l)), keepBytes: 1024 * 1024 } : {}
    });
    const out = splitAt(r.stdout, mark2);
    const err = splitAt(r.stderr, mark2);
    const marks = [...r.stdout.matchAll(new RegExp(`^${mark2} (-?[0-9]+) ([0-9]*) ([0-9]*)$`, "gm"))].map((m) => ({ code: Number(m[1]), ms: m[2] && m[3] ? Math.round((Number(m[3]) - Number(m[2])) / 1e3) : void 0 }));
    if (!marks.length) this.sudoRefused(ctx, r.code, r.stdout, r.stderr);
    const one = { code: marks[0]?.code ?? r.code, out: joinOut(out[0], err[0]), stdout: out[0], ms: marks[0]?.ms };
    if (one.code !== 0 || marks.length < 2) return { first: one };
    return { first: one, then: { code: marks[1].code, out: joinOut(out[1] ?? "", err[1] ?? ""), stdout: out[1] ?? "", ms: marks[1].ms } };
  }
  /** Runs a CLI script that must succeed, as a named step. */
  async must(ctx, name, dir, script, args, timeoutMs) {
    return step(
      ctx,
      name,
      async () => {
        const r = await this.cli(ctx, dir, script, args, timeoutMs);
        if (r.code !== 0) throw new StepFailure(`${script} ${args.join(" ")} failed (exit code ${r.code})${r.out ? `: ${tail(r.out)}` : ""}`);
        return r.stdout;
      },
      (out) => lastLine(out) || "done"
    );
  }
  /** Whether a CLI script's `--help` mentions an option (older Moodle lacks some). */
  async supports(ctx, dir, script, option) {
    const r = await this.cli(ctx, dir, script, ["--help"], 6e4);
    return r.code === 0 && r.out.includes(option);
  }
  /** What an operator types to run a CLI script as the web user. */
  command(ctx, dir, script, args, publicRoot = false) {
    return this.byHand(ctx, `${dir}/${publicRoot ? "public/" : ""}admin/cli/${script}`, args);
  }
  /** `command`, at the path this run found the script in `dir` when it did (else as `publicRoot` says). */
  commandFor(ctx, dir, script, args, publicRoot = false) {
    const file = this.found.get(`${dir}\0${script}`);
    return file ? this.byHand(ctx, file, args) : this.command(ctx, dir, script, args, publicRoot);
  }
  byHand(ctx, file, args) {
    return `sudo -u ${ctx.settings.webUser} ${this.php ?? ctx.settings.php} ${file}${args ? ` ${args}` : ""}`;
  }
};
function joinOut(stdout, stderr) {
  return `${stdout}${stderr ? `${stdout && !stdout.endsWith("\n") ? "\n" : ""}${stderr}` : ""}`.trim();
}
function lineWise(each) {
  let rest = "";
  return (chunk) => {
    const lines = (rest + chunk.toString("utf8")).split("\n");
    rest = lines.pop() ?? "";
    for (const l of lines) if (l.trim()) each(l.trimEnd());
  };
}
function tail(out) {
  return out.trim().split("\n").slice(-15).join("\n");
}
function lastLine(out) {
  return out.trim().split("\n").pop()?.slice(0, 200) ?? "";
}

// src/app/moodle-maintenance.ts
function decideMaintenance(setting, pending, required) {
  if (setting === "always") return true;
  if (setting === "never") return false;
  return pending && required !== false;
}
async function readMaintenance(cli, ctx, dir) {
  const on = await cliMaintenanceFile(cli, ctx, dir, "read");
  const w = await cli.cli(ctx, dir, "cfg.php", ["--name=maintenance_enabled"], 12e4);
  if (w.code !== 0 && w.code !== 3) {
    throw new StepFailure(`cannot tell whether the site is in maintenance mode: cfg.php --name=maintenance_enabled failed (exit code ${w.code})${w.out ? `: ${tail(w.out)}` : ""}`);
  }
  return { cli: on, web: w.code === 0 && w.stdout.trim() === "1" };
}
function cliMaintenanceOn(cli, ctx, dir) {
  return cliMaintenanceFile(cli, ctx, dir, "read");
}
async function cliMaintenanceFile(cli, ctx, dir, action) {
  const f = await cli.runPhp(ctx, dir, `${action} CLI maintenance mode as ${ctx.settings.webUser}`, ["-r", CLI_MAINTENANCE, "--", `${dir}/config.php`, action], 12e4);
  const on = /^climaintenance=([01])$/m.exec(f.stdout)?.[1];
  if (f.code !== 0 || on === void 0) {
    throw new StepFailure(`cannot tell whether the site is in CLI maintenance mode: PHP could not read ${dir}/config.php and moodledata as ${ctx.settings.webUser} (exit code ${f.code})${f.out ? `: ${tail(f.out)}` : ""}`);
  }
  return on === "1";
}
async function cronEnabled(cli, ctx, dir) {
  const r = await cli.cli(ctx, dir, "cfg.php", ["--name=cron_enabled"], 12e4);
  if (r.code !== 0 && r.code !== 3) {
    throw new StepFailure(`cannot tell whether cron is enabled: cfg.php --name=cron_enabled failed (exit code ${r.code})${r.out ? `: ${tail(r.out)}` : ""}`);
  }
  return r.code === 0 && !["", "0"].includes(r.stdout.trim());
}
async function maintenanceOff(cli, ctx, adminMaintenance, dir) {
  if (adminMaintenance === "web") {
    await step(
      ctx,
      "maintenance off",
      async () => {
        const r = await cli.cli(ctx, dir, "cfg.php", ["--name=maintenance_enabled", "--set=1"], 12e4);
        if (r.code !== 0) throw new StepFailure(`cfg.php --name=maintenance_enabled --set=1 failed (exit code ${r.code})${r.out ? `: ${tail(r.out)}` : ""}`);
        await cliMaintenanceFile(cli, ctx, dir, "end");
      },
      () => "CLI maintenance off; the admin's maintenance mode (maintenance_enabled) stays on"
    );
  } else {
    await cli.must(ctx, "maintenance off", dir, "maintenance.php", ["--disable"]);
  }
}
var CLI_MAINTENANCE = `define("CLI_SCRIPT", true); define("ABORT_AFTER_CONFIG", true); $CFG = new stdClass(); require $argv[1];
$f = $CFG->dataroot . "/climaintenance.html"; if (($argv[2] ?? "") === "end" && file_exists($f)) { unlink($f); }
echo "climaintenance=", file_exists($f) ? 1 : 0, "\\n";`;

// src/app/moodle-version.ts
function parseVersionPhp(text) {
  const str2 = (name) => new RegExp(`\\$${name}\\s*=\\s*(['"])([^'"]*)\\1`).exec(text)?.[2];
  const version = /\$version\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*;/.exec(text)?.[1];
  const release = str2("release");
  if (!version || !release) return void 0;
  const m = /\$maturity\s*=\s*([A-Z_]+|[0-9]+)\s*;/.exec(text)?.[1];
  const maturity = m === void 0 ? void 0 : MATURITY[m] ?? (/^[0-9]+$/.test(m) ? Number(m) : void 0);
  return { release, version, branch: str2("branch"), ...maturity === void 0 ? {} : { maturity } };
}
var MATURITY = { MATURITY_ALPHA: 50, MATURITY_BETA: 100, MATURITY_RC: 150, MATURITY_STABLE: 200 };
function describeVersion(v) {
  return v ? `${v.release} (${v.version})` : "unknown";
}
function compareVersions(a, b) {
  const [ai, af = ""] = a.trim().split(".");
  const [bi, bf = ""] = b.trim().split(".");
  const n = BigInt(ai || "0") - BigInt(bi || "0");
  if (n !== 0n) return n < 0n ? -1 : 1;
  const fa = af.padEnd(8, "0");
  const fb = bf.padEnd(8, "0");
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}
async function readVersion(sh, dir) {
  const r = await sh.run(
    `read the Moodle version in ${dir}`,
    `d=$1
if [ -f "$d/public/version.php" ]; then echo public=1; head -c 65536 "$d/public/version.php"; elif [ -f "$d/version.php" ]; then echo public=0; head -c 65536 "$d/version.php"; fi`,
    [dir]
  );
  const v = parseVersionPhp(r.stdout);
  if (v) v.publicRoot = r.stdout.startsWith("public=1");
  return v;
}

// src/app/moodle-db-scripts.ts
var isPg = (t) => t === "pgsql";
function connArgs(c) {
  return [c.dbtype, c.dbhost, c.dboptions.dbport ?? "", c.dboptions.dbsocket ?? "", c.dbuser, c.dbname, c.prefix];
}
var DB_PRELUDE = `IFS= read -r pw || true
type=$1 host=$2 port=$3 sock=$4 user=$5 db=$6 prefix=$7; shift 7
likepat="\${prefix//_/\\\\_}%"
if [ "$type" = pgsql ]; then
  export PGPASSWORD="$pw" PGUSER="$user" PGDATABASE="$db" PGCONNECT_TIMEOUT=20
  if [ -n "$sock" ] && [ "\${sock:0:1}" = / ]; then export PGHOST="$sock"; elif [ -n "$host" ]; then export PGHOST="$host"; fi
  [ -z "$port" ] || export PGPORT="$port"
  for t in pg_dump pg_restore psql; do command -v "$t" >/dev/null || die "$t is not installed on the server (Debian: apt-get install postgresql-client)"; done
  sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
  dbsize() { sql -v pat="$likepat" <<< "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') AND n.nspname = current_schema() AND c.relname LIKE :'pat';"; }
  tables() { sql -v pat="$likepat" <<< "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname LIKE :'pat' ORDER BY 1;"; }
else
  export MYSQL_PWD="$pw"
  client=$(command -v mariadb || command -v mysql) || die "the mysql client is not installed on the server (Debian: apt-get install mariadb-client)"
  dumper=$(command -v mariadb-dump || command -v mysqldump) || die "mysqldump is not installed on the server (Debian: apt-get install mariadb-client)"
  my=(--user="$user")
  if [ -n "$sock" ]; then my+=(--socket="$sock"); elif [ -n "$host" ]; then my+=(--host="$host"); fi
  [ -z "$port" ] || my+=(--port="$port")
  sql() { "$client" --no-defaults "\${my[@]}" --connect-timeout=20 -N -B --database="$db"; }
  dbsize() { sql <<< "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE '$likepat';"; }
  tables() { sql <<< "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name LIKE '$likepat' ORDER BY 1;"; }
fi
`;
var DUMP = `${DB_PRELUDE}dir=$1 name=$2
umask 077
mkdir -p -- "$dir"
chmod 0700 -- "$dir"
size=$(dbsize) || die "cannot connect to the database $db as $user to measure it"
size=\${size//[^0-9]/}; size=\${size:-0}
avail=$(df -P -k -- "$dir" | awk 'NR == 2 { print $4 * 1024 }')
need=$(( size + 16 * 1024 * 1024 ))
if [ "\${avail:-0}" -lt "$need" ]; then
  die "not enough free space in $dir for a snapshot: the site's tables take $size bytes; $avail bytes are free, $need needed (the tables and 16 MiB to spare). Free space there, or set backup-dir to a larger disk"
fi
echo "size=$size"
tmp="$dir/.$name.partial"
trap 'rm -f -- "$tmp"' EXIT
if [ "$type" = pgsql ]; then
  if [ -n "$prefix" ]; then pg_dump -Fc -Z 1 --no-owner -t "$prefix*" -f "$tmp"; else pg_dump -Fc -Z 1 --no-owner -f "$tmp"; fi     || die "pg_dump of $db failed: nothing was switched"
else
  mapfile -t list < <(tables) || die "cannot list the tables of $db"
  [ "\${#list[@]}" -gt 0 ] || die "no table of $db starts with the prefix $prefix"
  "$dumper" --no-defaults "\${my[@]}" --single-transaction --quick --skip-lock-tables --no-tablespaces     --default-character-set=utf8mb4 --result-file="$tmp" -- "$db" "\${list[@]}"     || die "mysqldump of $db failed: nothing was switched"
fi
sync -- "$tmp" 2>/dev/null || sync
chmod 0600 -- "$tmp"
mv -f -- "$tmp" "$dir/$name"
trap - EXIT
sum=$(cd -- "$dir" && sha256sum -- "./$name" | cut -d' ' -f1)
printf '%s  %s\\n' "$sum" "$name" > "$dir/$name.sha256"
echo "bytes=$(stat -c %s -- "$dir/$name")"
echo "sha256=$sum"
`;
var PRUNE = `dir=$1 keep=$2
cd -- "$dir"
mapfile -t all < <(ls -1 -- . | grep -E '^moodle-db-[0-9]{8}T[0-9]{6}Z-.*\\.(pgdump|sql)$' | sort)
n=$(( \${#all[@]} - keep ))
for (( i = 0; i < n; i++ )); do rm -f -- "./\${all[$i]}" "./\${all[$i]}.sha256"; echo "\${all[$i]}"; done
`;
var SIZE = `${DB_PRELUDE}size=$(dbsize) || die "cannot connect to the database $db as $user to measure it"
echo "size=\${size//[^0-9]/}"
`;
var VERIFY = `f=$1
[ -f "$f" ] || die "the snapshot $f is missing"
[ -f "$f.sha256" ] || die "the checksum file $f.sha256 is missing"
want=$(cut -d' ' -f1 < "$f.sha256")
have=$(sha256sum -- "$f" | cut -d' ' -f1)
[ "$want" = "$have" ] || die "the snapshot $f is damaged: its sha256 is $have, $f.sha256 says $want"
echo "sha256=$have"
`;
var RESTORE = `${DB_PRELUDE}f=$1
if [ "$type" = pgsql ]; then
  mapfile -t have < <(tables) || die "cannot list the tables of $db: the database was not changed"
  mapfile -t keep < <(pg_restore -l -- "$f" | awk '$4 == "TABLE" && $5 != "DATA" { print $6 }') || die "pg_restore cannot read $f: the database was not changed"
  {
    for t in "\${have[@]}"; do
      printf '%s\\n' "\${keep[@]}" | grep -qxF -- "$t" || printf 'DROP TABLE IF EXISTS "%s" CASCADE;\\n' "$t"
    done
    pg_restore --clean --if-exists --no-owner -f - -- "$f"
  } | psql -X -q -v ON_ERROR_STOP=1 --single-transaction -o /dev/null     || die "the restore of $f into $db failed and was rolled back (one transaction): the database is as it was before the restore"
else
  mapfile -t have < <(tables) || die "cannot list the tables of $db: the database was not changed"
  mapfile -t keep < <(sed -n 's/^CREATE TABLE \`\\([^\`]*\\)\`.*/\\1/p' -- "$f")
  drops=""
  for t in "\${have[@]}"; do
    printf '%s\\n' "\${keep[@]}" | grep -qxF -- "$t" || drops+="DROP TABLE IF EXISTS \\\`$t\\\`;"$'\\n'
  done
  { printf 'SET foreign_key_checks = 0;\\n%s' "$drops"; cat -- "$f"; } | "$client" --no-defaults "\${my[@]}" --database="$db"     || die "the restore of $f into $db failed part-way (MySQL cannot undo table changes): the site's tables are partly restored; run the restore again by hand: mysql $db < $f"
fi
echo restored
`;
function kv(out) {
  const r = {};
  for (const l of out.split("\n")) {
    const m = /^([a-z0-9]+)=(.*)$/.exec(l.trim());
    if (m) r[m[1]] = m[2];
  }
  return r;
}

// src/app/moodle-db.ts
function backupDir(ctx) {
  return ctx.settings.backupDir ?? `${ctx.layout.meta}/backups`;
}
function snapshotName(now, runId, dbtype, from, to) {
  const stamp = compactTime(now);
  const clean = (s) => s.replace(/[^A-Za-z0-9.]/g, "").slice(0, 24) || "unknown";
  return `moodle-db-${stamp}-${clean(runId)}-${clean(from)}-to-${clean(to)}.${isPg(dbtype) ? "pgdump" : "sql"}`;
}
function humanBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
async function databaseSize(ctx, c) {
  const r = await ctx.sh.run(`measure the database ${c.dbname}`, SIZE, connArgs(c), { stdin: `${c.dbpass}
`, secrets: [c.dbpass], timeoutMs: 3e5 });
  return Number(kv(r.stdout).size ?? 0);
}
async function takeSnapshot(ctx, c, v) {
  const dir = backupDir(ctx);
  const name = snapshotName(ctx.now(), ctx.settings.run.runId, c.dbtype, v.from, v.to);
  const started = Date.now();
  const rec = await step(
    ctx,
    "database snapshot",
    async () => {
      const r = await ctx.sh.run(`snapshot the database ${c.dbname}`, DUMP, [...connArgs(c), dir, name], {
        stdin: `${c.dbpass}
`,
        secrets: [c.dbpass],
        nothrow: true,
        timeoutMs: 6 * 36e5
      });
      if (r.code !== 0) throw new StepFailure(`database snapshot failed: ${lastLines(r.stderr || r.stdout)}`);
      const o = kv(r.stdout);
      const muc = await saveCacheConfig(ctx, `${dir}/${name}.muc`);
      const record = {
        ...muc ? { muc } : {},
        file: `${dir}/${name}`,
        sha256: o.sha256,
        bytes: Number(o.bytes),
        dbtype: c.dbtype,
        dbname: c.dbname,
        prefix: c.prefix,
        fromVersion: v.from,
        fromRelease: v.fromRelease,
        toVersion: v.to,
        toRelease: v.toRelease,
        tree: ctx.state?.live ?? "",
        runId: ctx.settings.run.runId,
        at: ctx.now().toISOString(),
        ms: Date.now() - started,
        quiet: v.quiet
      };
      return record;
    },
    (r) => `${r.file} (${humanBytes(r.bytes)}, ${c.dbtype}) in ${(r.ms / 1e3).toFixed(1)} s; database ${v.from} before the upgrade to ${v.to}; the maintenance window grew by ${(r.ms / 1e3).toFixed(1)} s`
  );
  ctx.report.snapshot = { file: rec.file, bytes: rec.bytes, ms: rec.ms, sha256: rec.sha256, dbtype: rec.dbtype, fromVersion: rec.fromVersion, toVersion: rec.toVersion, windowGrowthMs: rec.ms };
  if (ctx.state) {
    const state = ctx.state;
    state.snapshots = [...state.snapshots ?? [], rec];
    await saveState(ctx, state);
  }
  await journal(ctx, "database-snapshot", { snapshot: rec });
  const pruned = await ctx.sh.run("apply backup-keep", PRUNE, [dir, String(ctx.settings.backupKeep)], { nothrow: true });
  const gone = pruned.stdout.split("\n").map((s) => s.trim()).filter(Boolean);
  if (pruned.code !== 0) ctx.log.warning(`could not remove old snapshots in ${dir}: ${lastLines(pruned.stderr)}`);
  if (gone.length && ctx.state) {
    ctx.state.snapshots = (ctx.state.snapshots ?? []).filter((s) => !gone.some((g) => s.file === `${dir}/${g}`));
    await saveState(ctx, ctx.state, "database-snapshot-removed", { files: gone.map((g) => `${dir}/${g}`), keep: ctx.settings.backupKeep });
  }
  return rec;
}
async function saveCacheConfig(ctx, file) {
  try {
    const text = await readCacheConfig(ctx, ctx.layout.tree(ctx.state.live));
    if (!text) return void 0;
    await ctx.sh.run(`keep the cache configuration in ${file}`, 'umask 077; cat > "$1.tmp"; mv -f -- "$1.tmp" "$1"', [file], { stdin: text });
    return file;
  } catch (e) {
    ctx.log.warning(`the cache configuration (muc/config.php) was not kept with the snapshot: ${e.message}`);
    return void 0;
  }
}
async function restoreCacheConfig(ctx, dir, s) {
  await step(ctx, "cache configuration", async () => {
    let text;
    if (s.muc) {
      const r = await ctx.sh.run(`read ${s.muc}`, 'base64 -w0 < "$1"', [s.muc]);
      text = Buffer.from(r.stdout.trim(), "base64");
    }
    return { aside: await putCacheConfig(ctx, dir, text), kept: Boolean(text) };
  }, (r) => `${r.kept ? `muc/config.php as it was before the upgrade (${s.muc})` : "no cache configuration was kept with the snapshot: Moodle builds its default one (cache stores configured by hand must be set again)"}${r.aside ? `; the newer one is kept as ${r.aside}` : ""}`);
}
async function verifySnapshot(ctx, s) {
  await step(ctx, "snapshot checksum", async () => {
    const r = await ctx.sh.run(`verify the snapshot ${s.file}`, VERIFY, [s.file], { nothrow: true, timeoutMs: 36e5 });
    if (r.code !== 0) throw new Refusal(`goback refused: ${lastLines(r.stderr)}; nothing was changed`);
    if (kv(r.stdout).sha256 !== s.sha256) {
      throw new Refusal(`goback refused: the snapshot ${s.file} is not the one recorded (sha256 ${kv(r.stdout).sha256}, state.json says ${s.sha256}); nothing was changed`);
    }
    return s.sha256;
  }, (h) => `${s.file}: sha256 ${h.slice(0, 16)}\u2026 matches`);
}
async function restoreSnapshot(ctx, c, s) {
  await step(ctx, "database restore", async () => {
    const r = await ctx.sh.run(`restore ${s.file} into ${c.dbname}`, RESTORE, [...connArgs(c), s.file], {
      stdin: `${c.dbpass}
`,
      secrets: [c.dbpass],
      nothrow: true,
      timeoutMs: 6 * 36e5
    });
    if (r.code !== 0) throw new StepFailure(`database restore failed: ${lastLines(r.stderr || r.stdout)}`);
  }, () => `${s.file} restored into ${c.dbname} (${c.dbtype}): the database is at ${s.fromVersion} again`);
}
function snapshotFor(state, dbVersion) {
  if (!dbVersion) return void 0;
  return [...state.snapshots ?? []].reverse().find((s) => compareVersions(s.toVersion, dbVersion) === 0);
}

// src/steps/hooks.ts
async function runHook(ctx, name, command2) {
  return step(
    ctx,
    name,
    async () => {
      const live = ctx.state ? ctx.layout.tree(ctx.state.live) : ctx.layout.live;
      const r = await ctx.sh.runAs(
        void 0,
        `the ${name} command`,
        `export DELIVERY_ROOT=$1 DELIVERY_LIVE=$2 DELIVERY_MODE=$3; cmd=$4
cd "$DELIVERY_ROOT" 2>/dev/null || cd
set +eu +o pipefail
eval "$cmd"`,
        [ctx.layout.root, live, ctx.settings.mode, command2],
        { timeoutMs: 36e5 }
      );
      return `${r.stdout}${r.stderr}`.trim();
    },
    (out) => out ? out.split("\n").slice(-3).join(" | ").slice(0, 300) : "done"
  );
}

// src/vcs/changes.ts
function parseNameStatusZ(out) {
  const changes = emptyChanges();
  const f = out.split("\0");
  let i = 0;
  while (i < f.length) {
    const status2 = f[i++];
    if (!status2) continue;
    const kind = status2[0];
    if (kind === "R" || kind === "C") {
      const from = f[i++];
      const to = f[i++];
      if (kind === "R") changes.renamed.push({ from, to });
      else changes.added.push(to);
    } else {
      const path = f[i++];
      if (kind === "A") changes.added.push(path);
      else if (kind === "D") changes.deleted.push(path);
      else changes.modified.push(path);
    }
  }
  return changes;
}
function parsePorcelainZ(out) {
  const files = [];
  for (const entry of out.split("\0")) {
    if (entry.length < 4) continue;
    const xy = entry.slice(0, 2);
    const path = entry.slice(3);
    if (xy === "!!") continue;
    if (xy === "??") files.push({ path, status: "untracked" });
    else if (xy.includes("D")) files.push({ path, status: "deleted" });
    else if (xy.includes("T")) files.push({ path, status: "type-changed" });
    else if (xy[0] === "A") files.push({ path, status: "added" });
    else files.push({ path, status: "modified" });
  }
  return files;
}
function parseIgnoredZ(out) {
  return out.split("\0").filter((e) => e.startsWith("!! ") && e.length > 3).map((e) => e.slice(3).replace(/\/$/, ""));
}
function isKept(path, keep) {
  return keep.some((k) => path === k || path.startsWith(`${k}/`));
}
function inPaths(path, paths) {
  return paths.length === 0 || isKept(path, paths);
}

// src/vcs/names.ts
function sequence2(b, i) {
  const c = b[i];
  if (c < 128) return 1;
  const cont = (k) => i + k < b.length && (b[i + k] & 192) === 128;
  if (c >= 194 && c <= 223) return cont(1) ? 2 : 0;
  if (c >= 224 && c <= 239) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1];
    if (c === 224 && c1 < 160) return 0;
    if (c === 237 && c1 >= 160) return 0;
    return 3;
  }
  if (c >= 240 && c <= 244) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1];
    if (c === 240 && c1 < 144) return 0;
    if (c === 244 && c1 >= 144) return 0;
    return 4;
  }
  return 0;
}
function decodeName(b) {
  let out = "";
  let start = 0;
  let i = 0;
  while (i < b.length) {
    const n = sequence2(b, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += b.subarray(start, i).toString("utf8") + String.fromCharCode(56320 + b[i]);
    i++;
    start = i;
  }
  return out + b.subarray(start).toString("utf8");
}
function encodeName(s) {
  if (!/[\udc80-\udcff]/.test(s)) return Buffer.from(s, "utf8");
  const parts = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 56448 && c <= 56575 && !(i > 0 && s.charCodeAt(i - 1) >= 55296 && s.charCodeAt(i - 1) <= 56319)) {
      parts.push(Buffer.from(s.slice(start, i), "utf8"), Buffer.from([c - 56320]));
      start = i + 1;
    }
  }
  parts.push(Buffer.from(s.slice(start), "utf8"));
  return Buffer.concat(parts);
}
function isUtf8Name(s) {
  return !/[\udc80-\udcff]/.test(s);
}

// src/vcs/submodules.ts
var SUBMODULES = `# sub_mask URL: URL without its user and password.
sub_mask() { printf '%s' "$1" | sed -E 's#^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@#\\1***@#'; }
# sub_url BASE URL: the URL git uses for a submodule whose .gitmodules says URL, in a repository fetched from BASE.
sub_url() {
  local base=\${1%/} rel=$2
  case $rel in ./*|../*) ;; *) printf '%s' "$rel"; return 0 ;; esac
  while :; do
    case $rel in
      ./*) rel=\${rel#./} ;;
      ../*) rel=\${rel#../}
        if [[ $base == */* ]]; then base=\${base%/*}; elif [[ $base == *:* ]]; then base=\${base%%:*}:; fi ;;
      *) break ;;
    esac
  done
  case $base in *:) printf '%s%s' "$base" "$rel" ;; *) printf '%s/%s' "$base" "$rel" ;; esac
}
# (Entries are filtered with grep before bash reads them: a bash loop over the 30,000 files of a Moodle tree takes
# seconds.)
# sub_list GD COMMIT: one record per submodule of COMMIT (not nested): path NUL commit NUL name NUL url-as-written NUL.
# A commit's submodules never change, so the list of a commit the store holds is kept in GD/delivery-sublist/COMMIT:
# the scripts of a delivery ask for the same two commits several times. Listing the whole tree of a commit to find its
# submodules takes a quarter of a second at 100,000 files, so the list of a new commit is derived when it can be from
# a kept one (sub_links_from), and the tree is listed whole only when it cannot. Kept only when the listing succeeded.
sub_list() {
  local gd=$1 c=$2 memo tmp
  if [[ $c =~ ^([0-9a-f]{40}|[0-9a-f]{64})$ ]]; then
    memo=$gd/delivery-sublist/$c
    if [ -f "$memo" ]; then cat -- "$memo"; return 0; fi
    if git --git-dir="$gd" cat-file -e "$c^{commit}" 2>/dev/null && mkdir -p -- "$gd/delivery-sublist" 2>/dev/null       && tmp=$(mktemp -- "$memo.XXXXXX" 2>/dev/null); then
      if { sub_links_from "$gd" "$c" "$tmp" > "$tmp.tree" 2>/dev/null           || git --git-dir="$gd" ls-tree -r -z --full-tree "$c" > "$tmp.tree" 2>/dev/null; }         && { grep -z '^160000 ' < "$tmp.tree" || true; } | sub_records "$gd" "$c" > "$tmp" && mv -f -- "$tmp" "$memo"; then
        rm -f -- "$tmp.tree" "$tmp.diff" "$tmp.pairs" "$tmp.links" "$tmp.paths"
        # Lists written over 60 days ago go (reading one does not change its time; a later ask lists the commit again).
        find "$gd/delivery-sublist" -maxdepth 1 -type f -mtime +60 -delete 2>/dev/null || true
        cat -- "$memo"
        return 0
      fi
      rm -f -- "$tmp" "$tmp.tree" "$tmp.diff" "$tmp.pairs" "$tmp.links" "$tmp.paths"
    fi
  fi
  { git --git-dir="$gd" ls-tree -r -z --full-tree "$c" 2>/dev/null | grep -z '^160000 ' || true; } | sub_records "$gd" "$c"
}
# sub_links_from GD COMMIT TMP: the gitlink entries of COMMIT's tree, as ls-tree -r -z lines in the tree's order,
# derived from the kept list of another commit P (a parent of COMMIT's that has one, else the list kept last) and the
# entries whose old or new mode is a gitlink in what differs between P and COMMIT (a diff of 100 changed files takes
# 0.03 s where the listing takes 0.2 s at 100,000 files). Fails, and sub_list lists the tree whole, when no list is
# kept, P is not in the store, or a command fails. TMP: a scratch file prefix.
sub_links_from() {
  local gd=$1 c=$2 tmp=$3 p= x line path rest ns rc=0
  local -A at=()
  for x in $(git --git-dir="$gd" show -s --format=%P "$c" 2>/dev/null) \\
    $(ls -t -- "$gd/delivery-sublist" 2>/dev/null | grep -E -m1 '^([0-9a-f]{40}|[0-9a-f]{64})$'); do
    if [[ $x =~ ^([0-9a-f]{40}|[0-9a-f]{64})$ ]] && [ "$x" != "$c" ] && [ -f "$gd/delivery-sublist/$x" ]; then p=$x; break; fi
  done
  [ -n "$p" ] || return 1
  while IFS= read -r -d '' path && IFS= read -r -d '' x && IFS= read -r -d '' line && IFS= read -r -d '' line; do
    at[$path]=$x
  done < "$gd/delivery-sublist/$p" || return 1
  # Each entry's fields and name joined into one record (paste -z), so that a name is never taken for an entry.
  git --git-dir="$gd" diff-tree -r -z --no-renames --no-commit-id "$p" "$c" > "$tmp.diff" || return 1
  paste -z -d '\\t' - - < "$tmp.diff" > "$tmp.pairs" || return 1
  grep -z -E '^:(160000 [0-7]{6}|[0-7]{6} 160000) [0-9a-f]+ [0-9a-f]+ [A-Z][0-9]*'$'\\t' < "$tmp.pairs" > "$tmp.links" || rc=$?
  [ "$rc" -le 1 ] || return 1
  while IFS= read -r -d '' line; do
    path=\${line#*$'\\t'}
    [ -n "$path" ] || return 1
    rest=\${line#:* * * }; ns=\${rest%% *}
    [ "\${line:1:6}" != 160000 ] || at[$path]=
    [ "\${line:8:6}" != 160000 ] || at[$path]=$ns
  done < "$tmp.links"
  for path in "\${!at[@]}"; do [ -z "\${at[$path]}" ] || printf '%s\\0' "$path"; done | LC_ALL=C sort -z > "$tmp.paths" || return 1
  while IFS= read -r -d '' path; do
    printf '160000 commit %s\\t%s\\0' "\${at[$path]}" "$path" || return 1
  done < "$tmp.paths"
}
# sub_records GD COMMIT: sub_list's records from the gitlink entries of COMMIT's tree on stdin (ls-tree -z lines).
sub_records() {
  local gd=$1 c=$2 rec k v meta p
  local -A nm=() ur=()
  if git --git-dir="$gd" cat-file -e "$c:.gitmodules" 2>/dev/null; then
    while IFS= read -r -d '' rec; do
      k=\${rec%%$'\\n'*}; v=\${rec#*$'\\n'}
      case $k in
        submodule.*.path) [ -z "$v" ] || nm[$v]=\${k:10:\${#k}-15} ;;
        submodule.*.url) k=\${k:10:\${#k}-14}; [ -z "$k" ] || ur[$k]=$v ;;
      esac
    done < <(git --git-dir="$gd" config --blob "$c:.gitmodules" -z --get-regexp '^submodule\\..*\\.(path|url)$' || true)
  fi
  while IFS= read -r -d '' rec; do
    meta=\${rec%%$'\\t'*}; p=\${rec#*$'\\t'}
    [ "\${meta%% *}" = 160000 ] || continue
    k=\${nm[$p]-}
    # A write that fails (a full disk) fails the function: sub_list then keeps no list cut short.
    if [ -n "$k" ]; then printf '%s\\0%s\\0%s\\0%s\\0' "$p" "\${meta##* }" "$k" "\${ur[$k]-}" || return 1
    else printf '%s\\0%s\\0\\0\\0' "$p" "\${meta##* }" || return 1; fi
  done
}
# sub_fetch GD URL COMMIT NAME PATH: makes sure the store holds COMMIT of that submodule, or fails naming it.
sub_fetch() {
  local gd=$1 url=$2 sha=$3 name=$4 p=$5 shown
  git --git-dir="$gd" cat-file -e "$sha^{commit}" 2>/dev/null && return 0
  shown=$(sub_mask "$url")
  [ -n "$url" ] || die "submodule '$p' (commit $sha) has no URL in .gitmodules: add it there"
  case $url in
    -*|*::*) die "submodule '$name' ($p): its URL '$shown' is not allowed (an option or a remote helper): use an https://, ssh://, git:// or file:// URL, user@host:path or an absolute path" ;;
  esac
  if gitc --git-dir="$gd" fetch -q --no-tags --no-write-fetch-head -- "$url" "+$sha:refs/delivery/submodules/$sha" 2>"$gd/.fetch.err"; then :
  elif gitc --git-dir="$gd" fetch -q --no-tags --no-write-fetch-head -- "$url" '+refs/heads/*:refs/delivery/submodules/incoming/heads/*' '+refs/tags/*:refs/delivery/submodules/incoming/tags/*' 2>>"$gd/.fetch.err" \\
    && git --git-dir="$gd" cat-file -e "$sha^{commit}" 2>/dev/null; then
    git --git-dir="$gd" update-ref "refs/delivery/submodules/$sha" "$sha"
  else
    sed -E 's#([A-Za-z][A-Za-z0-9+.-]*://)[^/@ ]*@#\\1***@#g' "$gd/.fetch.err" >&2; rm -f "$gd/.fetch.err"
    die "cannot fetch submodule '$name' ($p) at commit $sha from $shown: check that the server can reach that repository with the credentials given, and that the commit was pushed. Nothing was switched"
  fi
  rm -f "$gd/.fetch.err"
}
# sub_fetch_all GD COMMIT BASEURL PREFIX: fetches every submodule of COMMIT, nested ones too.
sub_fetch_all() {
  local gd=$1 c=$2 base=$3 pre=$4 p sha name url u
  while IFS= read -r -d '' -u 4 p && IFS= read -r -d '' -u 4 sha && IFS= read -r -d '' -u 4 name && IFS= read -r -d '' -u 4 url; do
    u=$(sub_url "$base" "$url")
    sub_fetch "$gd" "$u" "$sha" "\${name:-$pre$p}" "$pre$p"
    sub_fetch_all "$gd" "$sha" "$u" "$pre$p/"
  done 4< <(sub_list "$gd" "$c")
}
# sub_flat GD COMMIT BASEURL PREFIX: every submodule of COMMIT, nested ones too: path NUL commit NUL url NUL.
sub_flat() {
  local gd=$1 c=$2 base=$3 pre=$4 p sha name url u
  git --git-dir="$gd" cat-file -e "$c^{commit}" 2>/dev/null || return 0
  while IFS= read -r -d '' -u 4 p && IFS= read -r -d '' -u 4 sha && IFS= read -r -d '' -u 4 name && IFS= read -r -d '' -u 4 url; do
    u=$(sub_url "$base" "$url")
    printf '%s\\0%s\\0%s\\0' "$pre$p" "$sha" "$(sub_mask "$u")"
    sub_flat "$gd" "$sha" "$u" "$pre$p/"
  done 4< <(sub_list "$gd" "$c")
}
# sub_nolinks ROOT REL: removes a link found on the way from ROOT to ROOT/REL (a checkout never writes through one).
sub_nolinks() {
  local acc=$1 rest=$2 x
  while [ -n "$rest" ]; do
    x=\${rest%%/*}; if [[ $rest == */* ]]; then rest=\${rest#*/}; else rest=; fi
    acc=$acc/$x
    if [ -L "$acc" ]; then rm -f -- "$acc"; fi
  done
}
# sub_haslink ROOT REL: whether a link lies on the way from ROOT to ROOT/REL.
sub_haslink() {
  local acc=$1 rest=$2
  while [ -n "$rest" ]; do
    acc=$acc/\${rest%%/*}; if [[ $rest == */* ]]; then rest=\${rest#*/}; else rest=; fi
    [ ! -L "$acc" ] || return 0
  done
  return 1
}
# sub_gitdir GD D: gives the checkout D a git directory of its own that borrows the store's objects.
sub_gitdir() {
  if [ ! -d "$2/.git" ] || [ -L "$2/.git" ]; then rm -rf -- "$2/.git"; git init -q --template= -- "$2"; fi
  printf '%s\\n' "$1/objects" > "$2/.git/objects/info/alternates"
}
# sub_settle GD DIR [COMMIT]: after a copy between trees, makes each submodule checkout of DIR record the commit DIR
# records for it (its files are left as the copy made them). COMMIT: the commit DIR's index was just reset to, whose
# kept submodule list then answers (listing the index costs a tenth of a second at 100,000 files).
sub_settle() {
  local gd=$1 dir=$2 c=\${3:-} rec meta p sha
  if [ -n "$c" ] && git --git-dir="$gd" cat-file -e "$c^{commit}" 2>/dev/null; then
    while IFS= read -r -d '' -u 4 p && IFS= read -r -d '' -u 4 sha && IFS= read -r -d '' -u 4 rec && IFS= read -r -d '' -u 4 rec; do
      sub_settle_at "$gd" "$dir" "$p" "$sha"
    done 4< <(sub_list "$gd" "$c")
    return 0
  fi
  while IFS= read -r -d '' -u 4 rec; do
    meta=\${rec%%$'\\t'*}; p=\${rec#*$'\\t'}
    [ "\${meta%% *}" = 160000 ] || continue
    sha=\${meta#* }; sha=\${sha%% *}
    sub_settle_at "$gd" "$dir" "$p" "$sha"
  done 4< <(git -C "$dir" ls-files -s -z | grep -z '^160000 ' || true)
}
sub_settle_at() {
  local gd=$1 dir=$2 p=$3 sha=$4
  if sub_haslink "$dir" "$p" || [ ! -d "$dir/$p" ]; then return 0; fi
  sub_gitdir "$gd" "$dir/$p"
  git -C "$dir/$p" reset -q "$sha"
  sub_settle "$gd" "$dir/$p"
}
# sub_checkout GD DIR COMMIT OLD: puts every submodule of COMMIT (checked out in DIR) at its commit, nested ones too,
# and removes those that OLD had and COMMIT has not.
sub_checkout() {
  local gd=$1 dir=$2 c=$3 old=$4 p sha name url d was
  local -A now=()
  while IFS= read -r -d '' -u 4 p && IFS= read -r -d '' -u 4 sha && IFS= read -r -d '' -u 4 name && IFS= read -r -d '' -u 4 url; do
    now[$p]=1
    sub_nolinks "$dir" "$p"
    d=$dir/$p
    if [ -e "$d" ] && [ ! -d "$d" ]; then rm -f -- "$d"; fi
    mkdir -p -- "$d"
    was=
    if [ -d "$d/.git" ] && [ ! -L "$d/.git" ]; then was=$(git -C "$d" rev-parse -q --verify HEAD 2>/dev/null || true); fi
    sub_gitdir "$gd" "$d"
    git -C "$d" checkout -q --detach -f "$sha"
    sub_checkout "$gd" "$d" "$sha" "$was"
  done 4< <(sub_list "$gd" "$c")
  [ -n "$old" ] || return 0
  while IFS= read -r -d '' -u 4 p && IFS= read -r -d '' -u 4 sha && IFS= read -r -d '' -u 4 name && IFS= read -r -d '' -u 4 url; do
    [ -z "\${now[$p]-}" ] || continue
    if sub_haslink "$dir" "$p" || [ ! -d "$dir/$p/.git" ]; then continue; fi
    rm -rf -- "\${dir:?}/$p"
    if git -C "$dir" cat-file -e "$c:$p" 2>/dev/null; then git -C "$dir" checkout -q -f "$c" -- "$p"; fi
  done 4< <(sub_list "$gd" "$old")
}
# sub_all GD COMMIT KIND PREFIX: every file of COMMIT (nested submodules too) as a name-status record of KIND.
sub_all() {
  local gd=$1 c=$2 kind=$3 pre=$4 rec meta
  while IFS= read -r -d '' -u 4 rec; do
    meta=\${rec%%$'\\t'*}
    if [ "\${meta%% *}" = 160000 ]; then sub_all "$gd" "\${meta##* }" "$kind" "$pre\${rec#*$'\\t'}/"
    else printf '%s\\0%s\\0' "$kind" "$pre\${rec#*$'\\t'}"; fi
  done 4< <(git --git-dir="$gd" ls-tree -r -z --full-tree "$c" 2>/dev/null || true)
}
# sub_diff GD OLD NEW PREFIX [-- PATH...]: git diff --name-status -z -M OLD NEW, with each submodule replaced by its
# files: a bumped one by what differs between its two commits, an added or removed one by all its files.
sub_diff() {
  local gd=$1 a=$2 b=$3 pre=$4 meta om nm os ns st p q
  shift 4; [ "\${1:-}" != -- ] || shift
  while IFS= read -r -d '' -u 4 meta && IFS= read -r -d '' -u 4 p; do
    read -r om nm os ns st <<< "\${meta#:}"
    q=; case $st in R*|C*) IFS= read -r -d '' -u 4 q ;; esac
    if [ "$om" != 160000 ] && [ "$nm" != 160000 ]; then
      if [ -n "$q" ]; then printf '%s\\0%s\\0%s\\0' "$st" "$pre$p" "$pre$q"; else printf '%s\\0%s\\0' "$st" "$pre$p"; fi
    elif [ "$om" = 160000 ] && [ "$nm" = 160000 ] && git --git-dir="$gd" cat-file -e "$os^{commit}" 2>/dev/null; then
      sub_diff "$gd" "$os" "$ns" "$pre$p/"
    else
      if [ "$om" = 160000 ]; then sub_all "$gd" "$os" D "$pre$p/"; elif [ "$om" != 000000 ]; then printf 'D\\0%s\\0' "$pre$p"; fi
      if [ "$nm" = 160000 ]; then sub_all "$gd" "$ns" A "$pre$p/"; elif [ "$nm" != 000000 ]; then printf 'A\\0%s\\0' "$pre$p"; fi
    fi
  done 4< <(git --git-dir="$gd" diff --raw -z -M --no-abbrev "$a" "$b" -- "$@")
}
# sub_adopt GD SRC DIR: DIR is a copy of the working copy SRC: each submodule checked out there gets its commit's
# objects from SRC's checkout into the store, and a git directory of its own (its files stay as they were copied).
sub_adopt() {
  local gd=$1 src=$2 dir=$3 rec meta p sha
  while IFS= read -r -d '' -u 4 rec; do
    meta=\${rec%%$'\\t'*}; p=\${rec#*$'\\t'}
    [ "\${meta%% *}" = 160000 ] || continue
    sha=\${meta#* }; sha=\${sha%% *}
    if sub_haslink "$src" "$p" || sub_haslink "$dir" "$p" || [ ! -e "$src/$p/.git" ] || [ ! -d "$dir/$p" ]; then continue; fi
    if ! git --git-dir="$gd" cat-file -e "$sha^{commit}" 2>/dev/null; then
      git --git-dir="$gd" fetch -q --no-tags --no-write-fetch-head -- "$src/$p" "+$sha:refs/delivery/submodules/$sha" 2>/dev/null         || { git --git-dir="$gd" fetch -q --no-tags --no-write-fetch-head -- "$src/$p" '+HEAD:refs/delivery/submodules/incoming/HEAD' '+refs/heads/*:refs/delivery/submodules/incoming/heads/*' '+refs/tags/*:refs/delivery/submodules/incoming/tags/*'           && git --git-dir="$gd" update-ref "refs/delivery/submodules/$sha" "$sha"; }         || die "the submodule $p of $src does not hold the commit $sha its superproject records: run git submodule update in $src, then init again"
    fi
    rm -rf -- "$dir/$p/.git"
    sub_gitdir "$gd" "$dir/$p"
    git -C "$dir/$p" reset -q "$sha"
    sub_adopt "$gd" "$src/$p" "$dir/$p"
  done 4< <(git -C "$dir" ls-files -s -z | grep -z '^160000 ' || true)
}
# sub_paths DIR PREFIX: the submodule checkouts of DIR, nested ones too: path NUL recorded commit NUL.
sub_paths() {
  local dir=$1 pre=$2 rec meta p sha
  while IFS= read -r -d '' -u 4 rec; do
    meta=\${rec%%$'\\t'*}; p=\${rec#*$'\\t'}
    [ "\${meta%% *}" = 160000 ] || continue
    sha=\${meta#* }; sha=\${sha%% *}
    if sub_haslink "$dir" "$p"; then continue; fi
    printf '%s\\0%s\\0' "$pre$p" "$sha"
    if [ -d "$dir/$p/.git" ] && [ ! -L "$dir/$p/.git" ]; then sub_paths "$dir/$p" "$pre$p/"; fi
  done 4< <(git -C "$dir" ls-files -s -z 2>/dev/null | grep -z '^160000 ' || true)
}
# sub_drift DIR PREFIX (DLV_GD: the store): hand-made changes inside the submodule checkouts of DIR, as git status --porcelain=v1 -z
# records, against the commit the tree records for each (not the checkout's own HEAD); and their ignored files (\`!!\`).
sub_drift() {
  local dir=$1 pre=$2 rec meta p sha d st f x
  while IFS= read -r -d '' -u 4 rec; do
    meta=\${rec%%$'\\t'*}; p=\${rec#*$'\\t'}
    [ "\${meta%% *}" = 160000 ] || continue
    sha=\${meta#* }; sha=\${sha%% *}
    d=$dir/$p
    if sub_haslink "$dir" "$p" || [ ! -d "$d" ]; then printf ' T %s\\0' "$pre$p"; continue; fi
    if [ ! -d "$d/.git" ] || [ -L "$d/.git" ]; then
      # Not checked out: every file the commit holds is missing (or is there without its git directory).
      sub_all "$DLV_GD" "$sha" D "" | while IFS= read -r -d '' st && IFS= read -r -d '' f; do printf ' D %s\\0' "$pre$p/$f"; done
      continue
    fi
    git -C "$d" diff --name-status -z --no-renames --ignore-submodules=all "$sha" -- | while IFS= read -r -d '' st && IFS= read -r -d '' f; do
      case $st in A) printf 'A  %s\\0' "$pre$p/$f" ;; D) printf ' D %s\\0' "$pre$p/$f" ;; T) printf ' T %s\\0' "$pre$p/$f" ;; *) printf ' M %s\\0' "$pre$p/$f" ;; esac
    done
    git -C "$d" ls-files -z -o --exclude-standard | while IFS= read -r -d '' f; do printf '?? %s\\0' "$pre$p/$f"; done
    git -C "$d" ls-files -z -o -i --exclude-standard --directory | while IFS= read -r -d '' f; do printf '!! %s\\0' "$pre$p/$f"; done
    sub_drift "$d" "$pre$p/"
  done 4< <(git -C "$dir" ls-files -s -z 2>/dev/null | grep -z '^160000 ' || true)
}
`;
function parseSubFlat(text) {
  const f = text.split("\0");
  const out = /* @__PURE__ */ new Map();
  for (let i = 0; i + 2 < f.length; i += 3) if (f[i]) out.set(f[i], { commit: f[i + 1], url: f[i + 2] });
  return out;
}
function submoduleReport(before, after) {
  const paths = [.../* @__PURE__ */ new Set([...before.keys(), ...after.keys()])].sort();
  return paths.map((path) => {
    const b = before.get(path);
    const a = after.get(path);
    const r = { path, url: (a ?? b).url };
    if (b) r.before = b.commit;
    if (a) r.after = a.commit;
    return r;
  });
}

// src/vcs/git-scripts.ts
var SYNC_LIST = `repo=$1; src=$2; dst=$3; want_src=$4; want_dst=$5; listed=$6
export LC_ALL=C GIT_LITERAL_PATHSPECS=1 GIT_OPTIONAL_LOCKS=0 GIT_CONFIG_NOSYSTEM=1 DLV_GD=$repo
unknown() { printf 'reason=%s\\n' "$1"; exit 0; }
for c in "$want_src" "$want_dst"; do
  git --git-dir="$repo" cat-file -e "$c^{commit}" 2>/dev/null || unknown "commit $c is not in the object store"
done
[ "$(git -C "$src" rev-parse -q --verify HEAD 2>/dev/null)" = "$want_src" ] || unknown "the live tree's HEAD is not the commit recorded for it"
[ "$(git -C "$dst" rev-parse -q --verify HEAD 2>/dev/null)" = "$want_dst" ] || unknown "the safe tree's HEAD is not the commit recorded for it"
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
# What the recorded commits say differs. A submodule whose commit changed is one path (its folder, copied whole);
# its new commit must be known, or what its folder should hold is not.
git --git-dir="$repo" diff-tree -r -z --no-renames --raw "$want_dst" "$want_src" > "$w/diff"
: > "$w/list"
while IFS= read -r -d '' meta && IFS= read -r -d '' p; do
  read -r om nm os ns st <<< "\${meta#:}"
  if [ "$om" = 160000 ] || [ "$nm" = 160000 ]; then
    [ "$nm" != 160000 ] || git --git-dir="$repo" cat-file -e "$ns^{commit}" 2>/dev/null || unknown "the commit $ns of submodule $p is not in the object store"
  fi
  printf '%s\\0' "$p" >> "$w/list"
done < "$w/diff"
# Ignored files (which git's status does not show) are always compared: listed in both trees (at once), submodules
# included (a read of the folders, not a stat of every tracked file).
ignored() {
  local t=$1 out=$2 p sha
  git -C "$t" ls-files -z -o -i --exclude-standard --directory | sed -z 's#/$##' >> "$out"
  while IFS= read -r -d '' p && IFS= read -r -d '' sha; do
    [ -d "$t/$p/.git" ] && [ ! -L "$t/$p" ] && [ ! -L "$t/$p/.git" ] || continue
    git -C "$t/$p" ls-files -z -o -i --exclude-standard --directory > "$out.sub" 2>/dev/null || return 1
    sed -z 's#/$##' "$out.sub" | while IFS= read -r -d '' f; do printf '%s\\0' "$p/$f"; done >> "$out"
  done < <(sub_paths "$t" "")
}
if [ "$listed" = 1 ]; then
  # This run's drift checks listed them, in the same walk as their status (NUL-separated on stdin).
  cat >> "$w/list"
else
  ignored "$src" "$w/src" & a=$!
  ignored "$dst" "$w/dst" & b=$!
  wait "$a" && wait "$b" || unknown "the ignored files cannot be listed"
  cat -- "$w/src" "$w/dst" >> "$w/list"
fi
echo "list=$(sort -zu "$w/list" | base64 -w0)"`;
var SAVE_DRIFT = `export GIT_OPTIONAL_LOCKS=0 LC_ALL=C GIT_LITERAL_PATHSPECS=1
${SUBMODULES}tree=$1; dest=$2
umask 077
mkdir -p -- "$(dirname -- "$dest")"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
: > "$work/all"; : > "$work/untracked"
# Files inside a submodule go to the diff of the deepest submodule holding them.
subs=(); shas=()
while IFS= read -r -d '' p && IFS= read -r -d '' sha; do subs+=("$p"); shas+=("$sha"); done < <(sub_paths "$tree" "")
while IFS= read -r -d '' e; do
  f=\${e#?:}; at=; k=-1
  # A link standing where a submodule is cannot be a diff: the patch says what it points to.
  if [ -L "$tree/$f" ] && git -C "$tree" ls-files -s -z -- "$f" | grep -qz '^160000 '; then
    printf '# %s: a link to %s stands where the submodule is\\n' "$f" "$(readlink -- "$tree/$f")" >> "$work/notes"; continue
  fi
  for i in "\${!subs[@]}"; do
    case $f in "\${subs[$i]}"/*) if [ \${#subs[$i]} -gt \${#at} ]; then at=\${subs[$i]}; k=$i; fi ;; esac
  done
  if [ "$k" -ge 0 ]; then
    case "$e" in u:*) printf '%s\\0' "\${f#"$at"/}" >> "$work/s$k.untracked" ;; esac
    printf '%s\\0' "\${f#"$at"/}" >> "$work/s$k.all"; continue
  fi
  case "$e" in u:*) printf '%s\\0' "\${e#u:}" >> "$work/untracked" ;; esac
  printf '%s\\0' "\${e#?:}" >> "$work/all"
done
cp -- "$(git -C "$tree" rev-parse --path-format=absolute --git-path index)" "$work/index"
export GIT_INDEX_FILE="$work/index"
if [ -s "$work/untracked" ]; then git -C "$tree" add -N --pathspec-from-file="$work/untracked" --pathspec-file-nul; fi
{ cat -- "$work/notes" 2>/dev/null || true; xargs -0 -r -a "$work/all" git -C "$tree" diff --binary HEAD --; } > "$dest.tmp"
for k in "\${!subs[@]}"; do
  [ -s "$work/s$k.all" ] || continue
  d=$tree/\${subs[$k]}
  if [ -f "$d/.git/index" ]; then cp -- "$d/.git/index" "$work/i$k"; else rm -f -- "$work/i$k"; fi
  if [ -s "$work/s$k.untracked" ]; then GIT_INDEX_FILE="$work/i$k" git -C "$d" add -N --pathspec-from-file="$work/s$k.untracked" --pathspec-file-nul; fi
  GIT_INDEX_FILE="$work/i$k" xargs -0 -r -a "$work/s$k.all" git -C "$d" diff --binary --src-prefix="a/\${subs[$k]}/" --dst-prefix="b/\${subs[$k]}/" "\${shas[$k]}" -- >> "$dest.tmp"
done
mv -f "$dest.tmp" "$dest"`;

// src/vcs/git.ts
var STATUS_CACHES = `status_caches() {
  [ "$(git --git-dir="$1" config --get core.untrackedCache || true)" = false ] && return 0
  # Two checks may set it at once: a lost race leaves it set by the other.
  git --git-dir="$1" config core.untrackedCache false 2>/dev/null || true
  git --git-dir="$1" config core.splitIndex true 2>/dev/null || true
}
`;
var GIT_PRELUDE = `export GIT_TERMINAL_PROMPT=0 GIT_OPTIONAL_LOCKS=0 LC_ALL=C GIT_CONFIG_NOSYSTEM=1 GIT_LITERAL_PATHSPECS=1
export GIT_SSH_COMMAND="ssh -o BatchMode=yes"
export GIT_AUTHOR_NAME=Delivery GIT_AUTHOR_EMAIL=delivery@localhost GIT_COMMITTER_NAME=Delivery GIT_COMMITTER_EMAIL=delivery@localhost
DLV_U=; DLV_P=; DLV_H=
if [ "$1" = 1 ]; then IFS= read -r DLV_U || true; IFS= read -r DLV_P || true; IFS= read -r DLV_H || true; fi
export DLV_U DLV_P DLV_H
shift
gitc() {
  if [ -n "$DLV_U$DLV_P" ]; then
    git -c credential.helper= -c 'credential.helper=!f() { test "$1" = get || exit 0; h=; while IFS= read -r l && [ -n "$l" ]; do case $l in host=*) h=\${l#host=} ;; esac; done; [ -n "$DLV_H" ] && [ "$h" = "$DLV_H" ] || exit 0; printf "username=%s\\npassword=%s\\n" "$DLV_U" "$DLV_P"; }; f' "$@"
  else git "$@"; fi
}
# fetch_commit GITDIR URL REF: fetches REF (branch, tag, commit; '' = the remote HEAD) and prints its commit.
fetch_commit() {
  local gd=$1 url=$2 ref=$3 want
  want=\${ref:-HEAD}
  if gitc --git-dir="$gd" fetch -q --no-tags --no-write-fetch-head "$url" "+$want:refs/delivery/incoming" 2>"$gd/.fetch.err"; then
    git --git-dir="$gd" rev-parse --verify -q "refs/delivery/incoming^{commit}"
  elif printf '%s' "$ref" | grep -Eq '^[0-9a-f]{7,40}$' && gitc --git-dir="$gd" fetch -q --no-tags --no-write-fetch-head "$url" '+refs/heads/*:refs/delivery/heads/*' '+refs/tags/*:refs/delivery/tags/*' 2>>"$gd/.fetch.err" && git --git-dir="$gd" rev-parse --verify -q "$ref^{commit}"; then
    :
  else
    cat "$gd/.fetch.err" >&2; rm -f "$gd/.fetch.err"
    die "cannot fetch '\${ref:-the default branch}' from the repository"
  fi
  rm -f "$gd/.fetch.err"
}
${STATUS_CACHES}# compose TREE BASE SOURCE MESSAGE PATH...: prints a local commit holding BASE with PATHs taken from SOURCE.
compose() {
  local tree=$1 base=$2 src=$3 msg=$4 idx t p
  shift 4
  idx=$(mktemp)
  GIT_INDEX_FILE=$idx git -C "$tree" read-tree "$base"
  for p in "$@"; do
    GIT_INDEX_FILE=$idx git -C "$tree" ls-files -z -- "$p" | GIT_INDEX_FILE=$idx git -C "$tree" update-index -z --force-remove --stdin
    git -C "$tree" ls-tree -r -z "$src" -- "$p" | GIT_INDEX_FILE=$idx git -C "$tree" update-index -z --index-info
  done
  t=$(GIT_INDEX_FILE=$idx git -C "$tree" write-tree)
  rm -f "$idx"
  printf '%s\\n' "$msg" | git -C "$tree" commit-tree "$t" -p "$base"
}
`;
var GitDriver = class {
  constructor(ctx) {
    this.ctx = ctx;
  }
  ctx;
  method = "git";
  tools = ["git"];
  syncExcludes = ["/.git"];
  /** Per tree id: the ignored files its last drift check under the lock listed, until syncList takes them. */
  ignored = /* @__PURE__ */ new Map();
  /** Runs a git script with the credentials (if any) on stdin, never on a command line. */
  git(what, script, args) {
    const { repositoryUsername: u, repositoryPassword: p } = this.ctx.settings;
    const cred = u !== void 0 || p !== void 0;
    return this.ctx.sh.run(what, GIT_PRELUDE + SUBMODULES + script, [cred ? "1" : "0", ...args], {
      stdin: cred ? `${u ?? ""}
${p ?? ""}
${repositoryHost(this.ctx.settings.repository)}
` : void 0,
      secrets: p ? [p] : []
    });
  }
  get repo() {
    return this.ctx.layout.repo;
  }
  async init(treeIds) {
    const { repository, ref } = this.ctx.settings;
    const r = await this.git(
      "check out the repository into the trees",
      `repo=$1; url=$2; ref=$3; shift 3
[ -d "$repo" ] || git init -q --bare "$repo"
git --git-dir="$repo" config gc.auto 0
status_caches "$repo"
commit=$(fetch_commit "$repo" "$url" "$ref")
sub_fetch_all "$repo" "$commit" "$url" ""
for t in "$@"; do git --git-dir="$repo" worktree add -q --detach -f "$t" "$commit"; sub_checkout "$repo" "$t" "$commit" ""; done
echo "commit=$commit"
echo "subs=$(sub_flat "$repo" "$commit" "$url" "" | base64 -w0)"`,
      [this.repo, repository, ref, ...treeIds.map((id) => this.ctx.layout.tree(id))]
    );
    const submodules = submoduleReport(/* @__PURE__ */ new Map(), parseSubFlat(b64(r.stdout, "subs")));
    return { revision: value(r.stdout, "commit"), repository, ...submodules.length ? { submodules } : {} };
  }
  async adopt(source, treeIds) {
    const r = await this.git(
      "adopt the existing git working copy",
      `repo=$1; src=$2; shift 2
[ -d "$src/.git" ] || die "$src is not a git working copy (no .git): adopt it with method push, or check it out with init"
head=$(git -C "$src" rev-parse --verify -q "HEAD^{commit}") || die "$src has no commit checked out"
origin=$(git -C "$src" remote get-url origin 2>/dev/null || true)
rm -rf -- "$repo"
git clone -q --bare --no-hardlinks -- "$src" "$repo"
git --git-dir="$repo" config gc.auto 0
status_caches "$repo"
git --git-dir="$repo" remote remove origin 2>/dev/null || true
for t in "$@"; do
  git --git-dir="$repo" worktree add -q --detach -f --no-checkout "$t" "$head"
  rsync -a --exclude=/.git -- "$src/" "$t/"
  git -C "$t" reset -q
  sub_adopt "$repo" "$src" "$t"
done
echo "commit=$head"
echo "origin=$origin"`,
      [this.repo, source, ...treeIds.map((id) => this.ctx.layout.tree(id))]
    );
    return { revision: value(r.stdout, "commit"), repository: value(r.stdout, "origin") };
  }
  async update(tree, ref, paths, dryRun, opts = {}) {
    const { repository } = this.ctx.settings;
    const base = tree.head ?? tree.revision;
    const r = await this.git(
      dryRun ? "compute the update (dry run)" : "update the work tree",
      `repo=$1; tree=$2; url=$3; ref=$4; base=$5; dry=$6; fetched=$7; shift 7
gd=$repo
if [ "$dry" = 1 ]; then
  # A throwaway repository borrowing the store's objects: the dry run writes nothing in the layout.
  gd=$(mktemp -d); trap 'rm -rf "$gd"' EXIT
  git init -q --bare "$gd"; echo "$repo/objects" > "$gd/objects/info/alternates"
fi
# The commit this run's checks fetched is taken as it is (a second fetch costs a walk of the tree's objects).
if [ -n "$fetched" ] && git --git-dir="$gd" cat-file -e "$fetched^{commit}" 2>/dev/null; then commit=$fetched
else commit=$(fetch_commit "$gd" "$url" "$ref"); fi
head=$commit
if [ $# -gt 0 ]; then
  if [ "$dry" = 1 ]; then head=; else head=$(compose "$tree" "$base" "$commit" "delivery: $* from $commit" "$@"); fi
fi
# Every submodule the tree will hold is fetched before the tree changes.
sub_fetch_all "$gd" "\${head:-$commit}" "$url" ""
echo "commit=$commit"
echo "head=$head"
echo "diff=$(sub_diff "$gd" "$base" "$commit" "" -- "$@" | base64 -w0)"
echo "subsbefore=$(sub_flat "$gd" "$base" "$url" "" | base64 -w0)"
echo "subsafter=$(sub_flat "$gd" "\${head:-$commit}" "$url" "" | base64 -w0)"
if [ "$dry" != 1 ]; then git -C "$tree" checkout -q --detach -f "$head"; sub_checkout "$gd" "$tree" "$head" "$base"; fi`,
      [this.repo, this.ctx.layout.tree(tree.id), repository, ref, base, dryRun ? "1" : "0", opts.fetched ?? "", ...paths]
    );
    const commit = value(r.stdout, "commit");
    const head = value(r.stdout, "head") || void 0;
    const changes = parseNameStatusZ(decodeName(Buffer.from(value(r.stdout, "diff"), "base64")));
    const subs = submoduleReport(parseSubFlat(b64(r.stdout, "subsbefore")), parseSubFlat(b64(r.stdout, "subsafter"))).filter((s) => inPaths(s.path, paths));
    const submodules = subs.length ? { submodules: subs } : {};
    if (paths.length === 0) return { commit, revision: commit, head: void 0, changes, ...submodules };
    return { commit, revision: tree.revision, head, take: { paths, ref, revision: commit }, changes, ...submodules };
  }
  async fetch(ref) {
    const r = await this.git("fetch the ref", `commit=$(fetch_commit "$1" "$2" "$3"); sub_fetch_all "$1" "$commit" "$2" ""; echo "commit=$commit"`, [
      this.repo,
      this.ctx.settings.repository,
      ref
    ]);
    return value(r.stdout, "commit");
  }
  async drift(tree, refresh = false) {
    const r = await this.ctx.sh.run(
      `look for hand-made changes in ${tree.id}`,
      `export LC_ALL=C GIT_LITERAL_PATHSPECS=1
[ "$3" = 1 ] || export GIT_OPTIONAL_LOCKS=0
${SUBMODULES}${STATUS_CACHES}DLV_GD=$2
[ "$3" != 1 ] || status_caches "$2"
{ git -C "$1" -c status.showUntrackedFiles=all status --porcelain=v1 -z --no-renames --ignore-submodules=all --ignored=matching; sub_drift "$1" ""; } | base64 -w0`,
      [this.ctx.layout.tree(tree.id), this.repo, refresh ? "1" : "0"]
    );
    const out = decodeName(Buffer.from(r.stdout.trim(), "base64"));
    if (refresh) this.ignored.set(tree.id, parseIgnoredZ(out));
    return parsePorcelainZ(out);
  }
  async syncList(from, to) {
    const listed = [this.ignored.get(from.id), this.ignored.get(to.id)];
    this.ignored.delete(from.id);
    this.ignored.delete(to.id);
    const known = listed[0] !== void 0 && listed[1] !== void 0;
    const r = await this.ctx.sh.run(
      `list what differs between ${from.id} and ${to.id}`,
      SUBMODULES + SYNC_LIST,
      [this.repo, this.ctx.layout.tree(from.id), this.ctx.layout.tree(to.id), from.head ?? from.revision, to.head ?? to.revision, known ? "1" : "0"],
      known ? { stdin: encodeName(listed.flatMap((l) => l ?? []).map((p) => `${p}\0`).join("")) } : {}
    );
    const reason = value(r.stdout, "reason");
    if (reason) return { reason };
    const list = decodeName(Buffer.from(value(r.stdout, "list"), "base64"));
    return { paths: list.split("\0").filter((p) => p !== "") };
  }
  async saveDrift(tree, files, dest) {
    const list = files.map((f) => `${f.status === "untracked" ? "u" : "t"}:${f.path}\0`).join("");
    await this.ctx.sh.run(
      `save the hand-made changes of ${tree.id}`,
      SAVE_DRIFT,
      [this.ctx.layout.tree(tree.id), dest],
      { stdin: encodeName(list) }
    );
  }
  async afterSync(from, to, paths) {
    if (paths.length === 0) {
      const head = from.head ?? from.revision;
      await this.git(
        `record ${to.id} at ${head}`,
        `export LC_ALL=C; git -C "$1" reset -q --no-refresh "$2" -- 2>/dev/null || git -C "$1" reset -q "$2" --; sub_settle "$3" "$1" "$2"`,
        [this.ctx.layout.tree(to.id), head, this.repo]
      );
      return { revision: from.revision, head: from.head, paths: from.paths };
    }
    const base = to.head ?? to.revision;
    const source = from.head ?? from.revision;
    const r = await this.git(
      `record ${paths.length} path(s) in ${to.id}`,
      `tree=$1; base=$2; src=$3; repo=$4; shift 4
head=$(compose "$tree" "$base" "$src" "delivery: syncback $* from $src" "$@")
git -C "$tree" reset -q "$head" --
sub_settle "$repo" "$tree" "$head"
echo "head=$head"`,
      [this.ctx.layout.tree(to.id), base, source, this.repo, ...paths]
    );
    const takes = [...to.paths ?? [], { paths, ref: `syncback:${from.id}`, revision: source }];
    return { head: value(r.stdout, "head"), paths: takes };
  }
  async move(from, to) {
    await this.ctx.sh.run(
      `rename tree ${from} to ${to}`,
      `git --git-dir="$1" worktree move "$2" "$3" 2>/dev/null && exit 0
[ ! -e "$3" ] || die "$3 already exists"
wt=$(git -C "$2" rev-parse --path-format=absolute --git-dir)
echo "being renamed to $3" > "$wt/locked"
mv -T -- "$2" "$3"
git --git-dir="$1" worktree repair -- "$3"
rm -f -- "$wt/locked"`,
      [this.repo, this.ctx.layout.tree(from), this.ctx.layout.tree(to)]
    );
  }
  async cleanHalfInit() {
    await this.ctx.sh.run(
      "clean a half-finished init",
      `root=$1; repo=$2
find "$root/trees" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
if [ -d "$repo" ]; then git --git-dir="$repo" worktree prune; fi`,
      [this.ctx.layout.root, this.repo]
    );
  }
};
function repositoryHost(url) {
  if (!/^https?:\/\//i.test(url)) return "";
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}
function b64(stdout, name) {
  return Buffer.from(value(stdout, name), "base64").toString("utf8");
}
function value(stdout, name) {
  const line = stdout.split("\n").find((l) => l.startsWith(`${name}=`));
  return line ? line.slice(name.length + 1).trim() : "";
}

// src/vcs/common.ts
var UTF8_LOCALE = `dlv_utf8() {
  local l
  for l in C.UTF-8 C.utf8 en_US.UTF-8 en_US.utf8; do
    if [ "$(LC_ALL=$l locale charmap 2>/dev/null)" = UTF-8 ]; then export LC_ALL=$l LANG=$l LANGUAGE=; return 0; fi
  done
  export LC_ALL=C
}
dlv_utf8
`;
function field(stdout, name) {
  return decodeName(Buffer.from(value(stdout, name), "base64"));
}
function nulField(stdout, name) {
  return field(stdout, name).split("\0").filter((s) => s !== "").map((s) => s.replace(/^\.\//, ""));
}
async function moveTree(sh, layout, from, to) {
  await sh.run(`rename tree ${from} to ${to}`, `[ ! -e "$2" ] || die "$2 already exists"; mv -T -- "$1" "$2"`, [layout.tree(from), layout.tree(to)]);
}
var WorkingCopyTrees = class {
  constructor(ctx) {
    this.ctx = ctx;
  }
  ctx;
  move(from, to) {
    return moveTree(this.ctx.sh, this.ctx.layout, from, to);
  }
  cleanHalfInit() {
    return cleanTrees(this.ctx.sh, this.ctx.layout);
  }
};
async function cleanTrees(sh, layout, extra = []) {
  await sh.run("clean a half-finished init", 'root=$1; shift; find "$root/trees" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +; for d in "$@"; do rm -rf -- "$d"; done', [
    layout.root,
    ...extra
  ]);
}
var NO_LINKS = `no_links() {
  local d=$1 rest=$2 c
  while [[ $rest == */* ]]; do
    c=\${rest%%/*}; rest=\${rest#*/}; d=$d/$c
    if [ -L "$d" ] || { [ -e "$d" ] && [ ! -d "$d" ]; }; then rm -f -- "$d"; fi
  done
  if [ "\${3:-}" = self ] && [ -L "$d/$rest" ]; then rm -f -- "$d/$rest"; fi
  return 0
}
`;
var PUT_PATH = `${NO_LINKS}put_path() {
  local s="$1/$3" d="$2/$3"
  no_links "$2" "$3" self
  if [ -d "$s" ] && [ ! -L "$s" ]; then
    mkdir -p -- "$d"
    if command -v rsync >/dev/null 2>&1; then rsync -a --delete --modify-window=-1 -- "$s/" "$d/"
    else find "$d" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +; (cd "$s" && tar cf - .) | (cd "$d" && tar xpf -); fi
  elif [ -e "$s" ] || [ -L "$s" ]; then
    mkdir -p -- "$(dirname -- "$d")"; rm -rf -- "$d"; cp -a -- "$s" "$d"
  else rm -rf -- "$d"; fi
}
`;
function conflictMessage(conflicts, rev, treeId) {
  const list = conflicts.slice(0, 20).join(", ") + (conflicts.length > 20 ? ` and ${conflicts.length - 20} more` : "");
  return `the update to ${rev} would conflict with hand-made changes in trees/${treeId}: ${list}. Nothing was changed and nothing was switched. Commit those changes to the repository, or undo them on the server (they are saved in the drift patch), then run update again`;
}
async function saveDriftFiles(ctx, tree, files, dest, prelude, diffCommand, credentials) {
  const list = files.map((f) => `${f.status}\0${f.path}\0`).join("");
  await ctx.sh.run(
    `save the hand-made changes of ${tree.id}`,
    `${prelude}tree=$1; dest=$2
umask 077
cd "$tree"
mkdir -p -- "$(dirname -- "$dest")"
tracked=(); untracked=(); existing=()
while IFS= read -r -d '' st && IFS= read -r -d '' p; do
  if [ "$st" = untracked ]; then untracked+=("$p"); else tracked+=("$p"); fi
  if [ -e "$p" ] || [ -L "$p" ]; then existing+=("$p"); fi
done
{
  if [ \${#tracked[@]} -gt 0 ]; then ${diffCommand} 2>&1 || true; fi
  for p in "\${untracked[@]}"; do diff -u --label /dev/null --label "b/$p" -- /dev/null "./$p" || true; done
} > "$dest.tmp"
# (tar --null -T reads each name verbatim, never as an option.)
if [ \${#existing[@]} -gt 0 ]; then printf '%s\\0' "\${existing[@]}" | tar czf "\${dest%.patch}.files.tar.gz" --null -T -; fi
mv -f "$dest.tmp" "$dest"`,
    [credentials ? "1" : "0", ctx.layout.tree(tree.id), dest],
    { stdin: Buffer.concat([credentials?.stdinPrefix ?? Buffer.alloc(0), encodeName(list)]), secrets: credentials?.secrets ?? [] }
  );
}

// src/steps/copy.ts
var COPY_SCRIPT = `${NO_LINKS}src=$1; dst=$2; dry=$3; nexcl=$4; shift 4
excl=(); for ((i = 0; i < nexcl; i++)); do excl+=("$1"); shift; done
changed=0
if command -v rsync >/dev/null 2>&1; then
  # Nanosecond mtimes (--modify-window=-1): with whole seconds, a same-size change made within the second is missed.
  args=(-a --delete --modify-window=-1 --out-format='%i %n')
  [ "$dry" = 1 ] && args+=(--dry-run)
  for e in "\${excl[@]}"; do args+=(--exclude="$e"); done
  if [ $# -eq 0 ]; then
    out=$(rsync "\${args[@]}" -- "$src/" "$dst/")
  else
    out=""
    for p in "$@"; do
      if [ "$dry" != 1 ]; then
        if [ -d "$src/$p" ] && [ ! -L "$src/$p" ]; then no_links "$dst" "$p" self; else no_links "$dst" "$p"; fi
      fi
      if [ -d "$src/$p" ] && [ ! -L "$src/$p" ]; then
        [ "$dry" = 1 ] || mkdir -p -- "$dst/$p"; out+=$(rsync "\${args[@]}" -- "$src/$p/" "$dst/$p/")
      elif [ -e "$src/$p" ] || [ -L "$src/$p" ]; then
        [ "$dry" = 1 ] || mkdir -p -- "$(dirname -- "$dst/$p")"; out+=$(rsync "\${args[@]}" -- "$src/$p" "$dst/$p")
      elif [ -e "$dst/$p" ] || [ -L "$dst/$p" ]; then
        [ "$dry" = 1 ] || rm -rf -- "$dst/$p"; out+="*deleting $p"
      fi
    done
  fi
  changed=$(printf '%s' "$out" | grep -c . || true)
elif [ "$dry" = 1 ]; then
  changed=-1
else
  # No rsync: replace the content (keeping the excluded metadata) with a tar copy.
  copy_one() {
    local s=$1 d=$2
    if [ -d "$s" ] && [ ! -L "$s" ]; then
      mkdir -p -- "$d"
      find "$d" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf -- {} +
      (cd "$s" && tar cf - --exclude=./.git .) | (cd "$d" && tar xpf -)
    elif [ -e "$s" ] || [ -L "$s" ]; then
      mkdir -p -- "$(dirname -- "$d")"; rm -rf -- "$d"; cp -a -- "$s" "$d"
    else rm -rf -- "$d"; fi
  }
  if [ $# -eq 0 ]; then copy_one "$src" "$dst"
  else
    for p in "$@"; do
      if [ -d "$src/$p" ] && [ ! -L "$src/$p" ]; then no_links "$dst" "$p" self; else no_links "$dst" "$p"; fi
      copy_one "$src/$p" "$dst/$p"
    done
  fi
  changed=-1
fi
echo "changed=$changed"`;
function keepExcludes(keep) {
  return keep.map((k) => `/${/[[*?]/.test(k) ? k.replace(/[[\]*?\\]/g, "\\$&") : k}`);
}
async function copyTree(ctx, fromDir, toDir, paths, excludes, dryRun = false) {
  const r = await ctx.sh.run(`copy ${paths.length ? paths.join(", ") : "the whole tree"} into ${toDir}`, COPY_SCRIPT, [
    fromDir,
    toDir,
    dryRun ? "1" : "0",
    String(excludes.length),
    ...excludes,
    ...paths
  ]);
  const m = /changed=(-?\d+)/.exec(r.stdout);
  return m ? Number(m[1]) : -1;
}
var COPY_LIST_SCRIPT = `src=$1; dst=$2; dry=$3; nexcl=$4; shift 4
excl=(); for ((i = 0; i < nexcl; i++)); do excl+=("$1"); shift; done
command -v rsync >/dev/null 2>&1 || { echo "fallback=the server has no rsync"; exit 0; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
cat > "$w/in"
: > "$w/all"; : > "$w/sum"
while IFS= read -r -d '' e; do
  p=\${e#?:}
  case "/$p/" in //|//*|*/../*|*/./*|*//*) echo "fallback=the path '$p' is not a plain relative path"; exit 0 ;; esac
  d=$p; top=
  while [[ $d == */* ]]; do
    d=\${d%/*}
    if [ -L "$src/$d" ] || [ -L "$dst/$d" ]; then echo "fallback=a link stands at $d"; exit 0; fi
    # A folder the source lacks, or has as a file: that is what is copied (deleted) in the path's place (rsync can
    # neither look inside a file nor name a path under a missing folder).
    if { [ -e "$src/$d" ] && [ ! -d "$src/$d" ]; } || { [ ! -e "$src/$d" ] && [ ! -L "$src/$d" ]; }; then top=$d; fi
  done
  [ -z "$top" ] || p=$top
  printf '%s\\0' "$p" >> "$w/all"
  case $e in c:*) printf '%s\\0' "$p" >> "$w/sum" ;; esac
done < "$w/in"
sort -zu -o "$w/all" "$w/all"; sort -zu -o "$w/sum" "$w/sum"
args=(-a -r --delete --delete-missing-args --force --modify-window=-1 --from0 '--out-format=%i %n')
[ "$dry" = 1 ] && args+=(--dry-run)
for e in "\${excl[@]}"; do args+=(--exclude="$e"); done
out=""
[ -s "$w/all" ] && out=$(rsync "\${args[@]}" --files-from="$w/all" -- "$src/" "$dst/")
[ -s "$w/sum" ] && out+=$'\\n'$(rsync "\${args[@]}" --checksum --files-from="$w/sum" -- "$src/" "$dst/")
if [ "$dry" != 1 ]; then
  while IFS= read -r -d '' p; do
    [ -e "$src/$p" ] || [ -L "$src/$p" ] && continue
    d=$p
    while [[ $d == */* ]]; do
      d=\${d%/*}
      { [ -e "$src/$d" ] || [ -L "$src/$d" ]; } && break
      rmdir -- "$dst/$d" 2>/dev/null || break
    done
  done < "$w/all"
fi
echo "changed=$(printf '%s\\n' "$out" | grep -c . || true)"`;
async function copyList(ctx, fromDir, toDir, paths, excludes, dryRun = false) {
  const list = paths.map((p) => `${p.by === "content" ? "c" : "q"}:${p.path}\0`).join("");
  const r = await ctx.sh.run(
    `copy ${paths.length} path(s) into ${toDir}`,
    COPY_LIST_SCRIPT,
    [fromDir, toDir, dryRun ? "1" : "0", String(excludes.length), ...excludes],
    { stdin: encodeName(list) }
  );
  const fallback = /^fallback=(.*)$/m.exec(r.stdout);
  if (fallback) return { fallback: fallback[1] };
  const m = /changed=(-?\d+)/.exec(r.stdout);
  return { changed: m ? Number(m[1]) : -1 };
}
var KEEP_FUNCTIONS = `meta() { stat -c '%a %G' -- "$1"; }
# same_access A B: same mode, and same group or a group that changes nobody's access (its bits are the others' bits).
same_access() {
  local a b m
  a=$(meta "$1"); b=$(meta "$2"); [ "$a" = "$b" ] && return 0
  [ "\${a% *}" = "\${b% *}" ] || return 1
  m=$(stat -c %a -- "$1"); [ $(((8#$m >> 3) & 7)) = $((8#$m & 7)) ]
}
keep_fail() {
  local k=$1 s=$2 d=$3 why=$4 want got me fix
  me=$(id -un); want=$(meta "$s"); got=missing
  if [ -e "$d" ] || [ -L "$d" ]; then
    got="'$(stat -c '%a %U:%G' -- "$d")'"; [ -r "$s" ] && ! cmp -s -- "$s" "$d" && got="$got, with other content"
  fi
  if [ -n "\${adopt_root:-}" ]; then
    fix="adopt a directory on the file system of $adopt_root in which $me owns $k (as root: cp -a -- $src NEW-FOLDER; chown $me -- NEW-FOLDER/$k), then run init again"
  elif [ ! -r "$s" ]; then
    fix="as root: chown $me -- $s (then $me can read it, and link it), then run again"
  else
    fix="as root: cp -p -- $s $d (or chgrp \${want#* } -- $d; chmod \${want% *} -- $d), then run again; or make $me the owner of $s, so that it can link it"
  fi
  local copy="cannot give a copy group \${want#* } (not a member)"; [ -r "$s" ] || copy="cannot read it"
  die "kept file $k: $d must hold $s with its mode and group ('$want'), or the web server may not read it; it is $got. $me $copy and cannot link it to $s ($why). Fix: $fix. (Adding $me to group \${want#* } also works, but lets it write whatever that group may write, such as moodledata.)"
}
# keep_file KEY SRC DST: DST becomes SRC's content with SRC's mode and group. Prints "copied=KEY" when it changed.
keep_file() {
  local k=$1 s=$2 d=$3 tmp why
  tmp="$d.dlvtmp.$$"
  if [ -L "$s" ]; then
    [ -L "$d" ] && [ "$(readlink -- "$s")" = "$(readlink -- "$d")" ] && return 0
    mkdir -p -- "$(dirname -- "$d")"; rm -rf -- "$tmp"; cp -P -- "$s" "$tmp"; mv -fT -- "$tmp" "$d"; echo "copied=$k"; return 0
  fi
  if [ -f "$d" ] && [ ! -L "$d" ]; then
    [ "$s" -ef "$d" ] && return 0
    cmp -s -- "$s" "$d" && same_access "$s" "$d" && return 0
  fi
  mkdir -p -- "$(dirname -- "$d")"; rm -rf -- "$tmp" "$tmp.ln"
  if ! { cp -p -- "$s" "$tmp" 2>/dev/null || cp -- "$s" "$tmp" 2>/dev/null; } || ! chmod -- "$(stat -c %a -- "$s")" "$tmp"; then rm -f -- "$tmp"; fi
  if [ -e "$tmp" ]; then
    chgrp -- "$(stat -c %g -- "$s")" "$tmp" 2>/dev/null || true
    if [ "$(meta "$tmp")" = "$(meta "$s")" ]; then mv -fT -- "$tmp" "$d"; echo "copied=$k"; return 0; fi
  fi
  if why=$(ln -- "$s" "$tmp.ln" 2>&1); then rm -f -- "$tmp"; mv -fT -- "$tmp.ln" "$d"; echo "copied=$k"; echo "linked=$k"; return 0; fi
  # A copy whose group differs but gives everyone the same access (group bits = others' bits) will do.
  if [ -e "$tmp" ] && same_access "$s" "$tmp"; then mv -fT -- "$tmp" "$d"; echo "copied=$k"; return 0; fi
  rm -f -- "$tmp" "$tmp.ln"
  keep_fail "$k" "$s" "$d" "\${why##*: }"
}
# keep_path KEY SRC DST: a kept file, or a kept folder whose every entry keeps mode and group (files linked if need be).
keep_path() {
  local k=$1 s=$2 d=$3 e
  if [ -d "$s" ] && [ ! -L "$s" ]; then
    if command -v rsync >/dev/null 2>&1; then
      mkdir -p -- "$d"
      [ -z "$(rsync -a --delete --modify-window=-1 --dry-run --out-format=%n -- "$s/" "$d/")" ] || { rsync -a --delete --modify-window=-1 -- "$s/" "$d/"; echo "copied=$k"; }
    elif ! diff -r -- "$s" "$d" >/dev/null 2>&1; then rm -rf -- "$d"; cp -a -- "$s" "$d"; echo "copied=$k"; fi
    while IFS= read -r -d '' e; do
      if [ -d "$s/$e" ] && [ ! -L "$s/$e" ]; then
        same_access "$s/$e" "$d/$e" || keep_fail "$k" "$s/$e" "$d/$e" "a folder cannot be linked"
      else keep_file "$k" "$s/$e" "$d/$e" >/dev/null; fi
    done < <(cd "$s" && find . -printf '%P\\0' | sed -z '/^$/d')
  else
    keep_file "$k" "$s" "$d"
  fi
}
`;
async function syncKeep(ctx, fromDir, toDir) {
  if (ctx.keep.length === 0) return [];
  const r = await ctx.sh.run(
    `carry the kept files into ${toDir}`,
    `${NO_LINKS}${KEEP_FUNCTIONS}src=$1; dst=$2; shift 2
for k in "$@"; do
  s="$src/$k"; d="$dst/$k"
  [ -e "$s" ] || [ -L "$s" ] || continue
  # A link at a parent of the destination (or at it, for a folder) is replaced, never followed.
  if [ -d "$s" ] && [ ! -L "$s" ]; then no_links "$dst" "$k" self; else no_links "$dst" "$k"; fi
  keep_path "$k" "$s" "$d"
done`,
    [fromDir, toDir, ...ctx.keep]
  );
  return [...new Set(r.stdout.split("\n").filter((l) => l.startsWith("copied=")).map((l) => l.slice(7)))];
}
async function adoptKeep(ctx, source, treeDirs, keep) {
  if (keep.length === 0) return [];
  const r = await ctx.sh.run(
    "check the kept files of the trees against the adopted directory",
    `${NO_LINKS}${KEEP_FUNCTIONS}adopt_root=$1; src=$2; nt=$3; shift 3
trees=(); for ((i = 0; i < nt; i++)); do trees+=("$1"); shift; done
for t in "\${trees[@]}"; do
  for k in "$@"; do
    s="$src/$k"
    [ -e "$s" ] || [ -L "$s" ] || continue
    if [ -d "$s" ] && [ ! -L "$s" ]; then no_links "$t" "$k" self; else no_links "$t" "$k"; fi
    keep_path "$k" "$s" "$t/$k"
  done
done`,
    [ctx.layout.root, source, String(treeDirs.length), ...treeDirs, ...keep]
  );
  return [...new Set(r.stdout.split("\n").filter((l) => l.startsWith("linked=")).map((l) => l.slice(7)))];
}

// src/app/moodle-sites.ts
var upgrading = /* @__PURE__ */ new WeakMap();
function plainFleet(settings) {
  return settings.hosts.length > 1 && !settings.cluster && !settings.sharedCode;
}
function claimUpgrade(ctx, wwwroot) {
  const { settings } = ctx;
  if (!plainFleet(settings) || !wwwroot) return;
  let sites = upgrading.get(settings);
  if (!sites) upgrading.set(settings, sites = /* @__PURE__ */ new Map());
  const key = wwwroot.trim().replace(/\/+$/, "").toLowerCase();
  const other = sites.get(key);
  if (other && other !== ctx.target.label) {
    throw new Refusal(
      `${other}, another host of this run, is upgrading the database of the same Moodle site (wwwroot ${wwwroot}): these hosts are nodes of one site, and each would upgrade its one database. Deliver them with cluster: true, which upgrades it once with every node switched. This node was not switched (state delivering: run again to resume)`
    );
  }
  sites.set(key, ctx.target.label);
}

// src/app/moodle-plan.ts
var READ_VERSIONS = `for role in live work; do
  d=$1; shift
  echo "@@ $role"
  ( cd -- "$d" && grep -r -s -H -E --include=version.php \\
      --exclude-dir=.git --exclude-dir=tests --exclude-dir=fixtures --exclude-dir=vendor --exclude-dir=node_modules \\
      '^[[:space:]]*[$](plugin|module)->(component|version)[[:space:]]*=|^[[:space:]]*[$]version[[:space:]]*=' . ) || true
done
`;
function parseVersionLines(lines) {
  const files = /* @__PURE__ */ new Map();
  for (const line of lines) {
    const m = /^\.\/(.+?\/)?version\.php:(.*)$/.exec(line);
    if (!m) continue;
    const dir = (m[1] ?? "").replace(/\/$/, "");
    const f = files.get(dir) ?? {};
    const text = m[2];
    const comp = /\$(?:plugin|module)->component\s*=\s*(['"])([A-Za-z0-9_]+)\1/.exec(text);
    const ver = /\$(?:plugin|module)->version\s*=\s*([0-9]+(?:\.[0-9]+)?)/.exec(text);
    const core = /^\s*\$version\s*=\s*([0-9]+(?:\.[0-9]+)?)/.exec(text);
    if (comp) f.component = comp[2];
    if (ver) f.version = ver[1];
    if (core && (dir === "" || dir === "public")) f.core = core[1];
    files.set(dir, f);
  }
  const out = /* @__PURE__ */ new Map();
  for (const f of files.values()) {
    if (f.core) out.set("core", f.core);
    else if (f.component && f.version) out.set(f.component, f.version);
  }
  return out;
}
function diffComponents(before, after) {
  const names = [.../* @__PURE__ */ new Set([...before.keys(), ...after.keys()])].sort((a, b) => a === "core" ? -1 : b === "core" ? 1 : a.localeCompare(b));
  return names.filter((n) => before.get(n) !== after.get(n)).map((n) => ({ component: n, before: before.get(n), after: after.get(n) }));
}
async function readUpgradePlan(ctx, liveDir, workDir, maintenance, dry) {
  const plan2 = await step(
    ctx,
    "upgrade plan",
    async () => {
      const r = await ctx.sh.run("read the version.php files of the live and work trees", READ_VERSIONS, [liveDir, workDir], { timeoutMs: 3e5 });
      const [, live = "", work = ""] = r.stdout.split(/^@@ (?:live|work)$/m);
      const components = diffComponents(parseVersionLines(live.split("\n")), parseVersionLines(work.split("\n")));
      const p = { components, maintenance };
      if (dry && ctx.settings.databaseBackup === "auto") {
        const db = await readDbConfig(ctx, liveDir);
        if (!cannotDump(db)) p.snapshotBytes = await databaseSize(ctx, db);
      }
      return p;
    },
    (p) => `${describeChanges(p.components)}; maintenance ${p.maintenance ? "needed" : "not needed"}`
  );
  ctx.report.upgradePlan = plan2;
  return plan2;
}
function describeChanges(c) {
  const changed = c.filter((x) => x.before && x.after).map((x) => `${x.component} ${x.before} -> ${x.after}`);
  const added = c.filter((x) => !x.before).map((x) => `${x.component} ${x.after}`);
  const removed = c.filter((x) => !x.after).map((x) => x.component);
  const parts = [
    changed.length ? `${changed.length} component${changed.length === 1 ? "" : "s"} change version: ${shortList(changed)}` : "no component changes version",
    added.length ? `new: ${shortList(added)}` : "",
    removed.length ? `removed: ${shortList(removed)}` : ""
  ];
  return parts.filter(Boolean).join("; ");
}
function shortList(items, max = 20) {
  return items.length > max ? `${items.slice(0, max).join(", ")} and ${items.length - max} more` : items.join(", ");
}
function planSentences(ctx, p) {
  return [
    `upgrade plan: ${describeChanges(p.components)}`,
    p.snapshotBytes !== void 0 ? `a database snapshot would be taken into ${backupDir(ctx)} before the switch (the site's tables take ${humanBytes(p.snapshotBytes)}), keeping the newest ${ctx.settings.backupKeep}` : ctx.settings.databaseBackup === "never" ? "no database snapshot (database-backup: never)" : "no database snapshot (this database type has none)"
  ];
}
async function announceMaintenance(ctx, app, dir) {
  const minutes = ctx.settings.maintenanceNotice;
  await step(
    ctx,
    "maintenance notice",
    async () => {
      const r = await app.cli(ctx, dir, "maintenance.php", [`--enablelater=${minutes}`]);
      if (r.code !== 0) throw new StepFailure(`maintenance.php --enablelater=${minutes} failed (exit code ${r.code}): ${r.out.split("\n").slice(-5).join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, minutes * 6e4));
    },
    () => `users were warned ${minutes} min ahead (maintenance.php --enablelater=${minutes})`
  );
}
function restoreHint(ctx, dbVersion) {
  const snap = ctx.state ? snapshotFor(ctx.state, dbVersion) : void 0;
  if (snap) {
    return `A snapshot of the database taken before the upgrade to ${snap.toVersion} exists (${snap.file}, database ${snap.fromVersion}): run goback with restore-database: true to restore it and go back (the site is in maintenance mode meanwhile; changes made since the upgrade are lost)`;
  }
  return "No snapshot of the database before this upgrade is recorded (database-backup takes one before each upgrade): restore the database from your own backup taken before the upgrade, then run goback with allow-downgrade: true";
}

// src/app/moodle-upgrade.ts
var UPGRADE_MS = 4 * 36e5;
async function finishSwitch(app, ctx, p, dir, nodes) {
  const problems = [];
  let offTried = false;
  if (p.upgrade) {
    p.databaseChanged = true;
    const args = ["--non-interactive", ...p.outageless ? ["--maintenance=false"] : []];
    const together = p.maintenance && p.adminMaintenance !== "web";
    if (p.to) app.knowScripts(dir, Boolean(p.to.publicRoot), ["upgrade.php", "maintenance.php"]);
    const r = together ? await upgradeThenOff(app, ctx, p, dir, args) : { failure: await upgrade(app, ctx, p, dir, args) };
    if (r.failure) await upgradeFailed(app, ctx, p, dir, r.failure);
    if (together) {
      offTried = true;
      if ("off" in r && r.off) problems.push(r.off);
    }
  }
  let purgeError;
  const purge = async () => {
    await app.must(ctx, "purge caches", dir, "purge_caches.php", []).catch((e) => purgeError = e);
    if (nodes) await nodes().catch((e) => purgeError = purgeError ? new Error(`${purgeError.message}; ${e.message}`) : e);
  };
  const purgedByUpgrade = p.upgrade && !p.outageless;
  if (!purgedByUpgrade) await purge();
  if (p.maintenance && !offTried) {
    await maintenanceOff(app, ctx, p.adminMaintenance, dir).then(
      () => p.maintenance = false,
      (e) => problems.push(e.message)
    );
  }
  if (purgedByUpgrade) await purge();
  if (p.cronHeld) {
    await app.must(ctx, "cron on", dir, "cron.php", ["--enable"]).then(
      () => p.cronHeld = false,
      (e) => problems.push(e.message)
    );
  }
  if (purgeError) problems.unshift(purgeError.message);
  if (!problems.length) return;
  const why = problems.join("; ");
  if (!p.upgrade) throw new StepFailure(why);
  const cmd = (s, a) => app.command(ctx, dir, s, a, p.to?.publicRoot);
  throw new UnsafeToGoBack(
    `${why}. The database upgrade to ${describeVersion(p.to)} succeeded, so the site does not go back to the older code`,
    [
      purgeError ? `purge Moodle's caches: ${cmd("purge_caches.php", "")}` : "",
      p.maintenance ? `turn maintenance mode off: ${cmd("maintenance.php", "--disable")}` : "",
      p.cronHeld ? `turn cron back on: ${cmd("cron.php", "--enable")}` : ""
    ].filter(Boolean).join("; then ")
  );
}
var upgradeDetail = (p) => `${describeVersion(p.from)} -> ${describeVersion(p.to)}${p.outageless ? " (no maintenance needed: --maintenance=false)" : ""}`;
var stream = (ctx) => (line) => ctx.log.info(`${ctx.target.label}: upgrade: ${line}`);
async function upgrade(app, ctx, p, dir, args) {
  let failure;
  await step(
    ctx,
    "upgrade",
    async () => {
      const r = await app.cli(ctx, dir, "upgrade.php", args, UPGRADE_MS, stream(ctx)).catch((e) => ({ code: -1, out: e.message, stdout: "" }));
      ctx.report.upgradeOutput = r.out;
      if (r.code !== 0) {
        failure = `upgrade.php --non-interactive failed (exit code ${r.code})${r.out ? `: ${tail(r.out)}` : ""}`;
        throw new StepFailure(failure);
      }
    },
    () => upgradeDetail(p)
  ).catch(() => void 0);
  return failure;
}
async function upgradeThenOff(app, ctx, p, dir, args) {
  const started = Date.now();
  ctx.log.info(`${ctx.target.label}: upgrade`);
  const r = await app.cliThen(ctx, dir, ["upgrade.php", args], ["maintenance.php", ["--disable"]], UPGRADE_MS, stream(ctx)).catch((e) => ({ first: { code: -1, out: e.message, stdout: "", ms: void 0 }, then: void 0 }));
  const { first, then } = r;
  ctx.report.upgradeOutput = first.out;
  const upMs = first.ms ?? Date.now() - started;
  if (first.code !== 0) {
    const failure = `upgrade.php --non-interactive failed (exit code ${first.code})${first.out ? `: ${tail(first.out)}` : ""}`;
    ctx.report.steps.push({ name: "upgrade", outcome: "failure", ms: upMs, detail: failure });
    return { failure };
  }
  ctx.report.steps.push({ name: "upgrade", outcome: "success", ms: upMs, detail: `${upgradeDetail(p)}; maintenance off in the same command` });
  ctx.log.info(`${ctx.target.label}: maintenance off`);
  const offMs = then?.ms ?? Math.max(0, Date.now() - started - upMs);
  if (!then || then.code !== 0) {
    const off = then ? `maintenance.php --disable failed (exit code ${then.code})${then.out ? `: ${tail(then.out)}` : ""}` : "maintenance.php --disable did not report (the connection ended after the upgrade)";
    ctx.report.steps.push({ name: "maintenance off", outcome: "failure", ms: offMs, detail: off });
    return { off };
  }
  ctx.report.steps.push({ name: "maintenance off", outcome: "success", ms: offMs, detail: lastLine(then.stdout) || "done" });
  p.maintenance = false;
  return {};
}
async function upgradeFailed(app, ctx, p, dir, failure) {
  p.failedInMaintenance = p.maintenance;
  if (!p.maintenance && p.adminMaintenance !== "cli" && ctx.settings.maintenance !== "never") {
    await app.must(ctx, "maintenance on", dir, "maintenance.php", ["--enable"]).then(
      () => p.maintenance = true,
      (e) => ctx.log.warning(`could not turn maintenance mode on after the failed upgrade: ${e.message}`)
    );
  }
  throw new UnsafeToGoBack(
    `${failure}. The database may be half-upgraded: the site ${p.maintenance || p.adminMaintenance === "cli" ? "stays in maintenance mode" : `is NOT in maintenance mode (${ctx.settings.maintenance === "never" ? "maintenance: never" : "it could not be turned on"})`} and will not go back by itself`,
    restoreAfterFailedUpgrade(app, ctx, p, dir)
  );
}
async function holdAfterFailure(app, ctx, p, dir, why) {
  let held = "";
  if (p.adminMaintenance === "cli") held = "The site stays in the maintenance mode its admin had set. ";
  else if (ctx.settings.maintenance !== "never") {
    await app.must(ctx, "maintenance on", dir, "maintenance.php", ["--enable"]).then(
      () => {
        p.maintenance = true;
        held = "The site was put back into maintenance mode. ";
      },
      (e) => held = `Maintenance mode could not be turned back on (${e.message}). `
    );
  }
  return `${held}${why} after the database was upgraded to ${describeVersion(p.to)}: the older code in the safe tree cannot serve it, so nothing went back. Fix the cause on trees/${ctx.state?.live} (or restore the database from the backup taken before the upgrade${p.beforeUpgrade ? " by before-upgrade" : ""} and run goback), then turn maintenance mode off: ${app.command(ctx, dir, "maintenance.php", "--disable", p.to?.publicRoot)}`;
}
function restoreAfterFailedUpgrade(app, ctx, p, dir) {
  const safe = ctx.state ? `trees/${ctx.state.safe}` : "the safe tree";
  const safeDir = ctx.state ? ctx.layout.tree(ctx.state.safe) : dir;
  const off = (d, pub) => [
    p.adminMaintenance === "cli" ? "" : app.command(ctx, d, "maintenance.php", "--disable", pub),
    p.adminMaintenance === "web" ? app.command(ctx, d, "cfg.php", "--name=maintenance_enabled --set=1", pub) : "",
    p.cronHeld ? app.command(ctx, d, "cron.php", "--enable", pub) : ""
  ].filter(Boolean).join(" and ") || "leave maintenance mode on, as the admin had it";
  return [
    `Either fix the cause and finish the upgrade: ${app.command(ctx, dir, "upgrade.php", "--non-interactive", p.to?.publicRoot)}, then ${off(dir, p.to?.publicRoot)}.`,
    `Or restore the database and moodledata from the backup taken before the upgrade${p.beforeUpgrade ? ` (before-upgrade: ${ctx.settings.beforeUpgrade})` : ""}, run mode goback (live back to ${safe}, ${describeVersion(p.from)}), then ${off(safeDir, p.from?.publicRoot)}.`
  ].join(" ");
}

// src/app/moodle.ts
var MoodleApp = class extends MoodleCli {
  constructor(sh, layout) {
    super();
    this.sh = sh;
    this.layout = layout;
  }
  sh;
  layout;
  name = "moodle";
  keep = ["config.php"];
  async version(tree) {
    return this.versionAt(this.layout.tree(tree.id));
  }
  versionAt(dir) {
    return readVersion(this.sh, dir);
  }
  /** The live tree (the one the CLI must use while it matches the database). */
  liveDir(ctx) {
    if (!ctx.state) throw new StepFailure("no delivery state: run mode init first");
    return this.layout.tree(ctx.state.live);
  }
  /** The version recorded in the database (`cfg.php --name=version`), read through the live tree. */
  async databaseVersion(ctx) {
    const r = await this.cli(ctx, this.liveDir(ctx), "cfg.php", ["--name=version"], 12e4);
    const v = r.out.split("\n").map((l) => l.trim()).find((l) => /^[0-9]+(\.[0-9]+)?$/.test(l));
    return r.code === 0 ? v : void 0;
  }
  async checkGoback(ctx, safe) {
    const safeV = await this.version(safe);
    if (!safeV || ctx.settings.allowDowngrade) return;
    let against = await this.databaseVersion(ctx);
    let what = "the database";
    if (!against) {
      against = ctx.state ? (await this.version(ctx.state.trees[ctx.state.live]))?.version : void 0;
      what = "the live tree's code (the database's version could not be read with admin/cli/cfg.php)";
    }
    if (against && compareVersions(safeV.version, against) < 0) {
      throw new Refusal(
        `goback refused: the safe tree trees/${safe.id} holds Moodle ${describeVersion(safeV)}, older than ${what} (${against}); Moodle refuses to run older code on a newer database. ${restoreHint(ctx, against)}`
      );
    }
  }
  /** Versions, layout move, and whether an upgrade is pending (read-only, except carrying config.php when not dry). */
  async inspect(ctx, work, live, dry) {
    const workDir = this.layout.tree(work.id);
    const liveDir = this.layout.tree(live.id);
    const [from, to] = [await this.versionAt(liveDir), await this.versionAt(workDir)];
    await step(ctx, "moodle versions", async () => void 0, () => `live trees/${live.id}: ${describeVersion(from)}${from?.branch ? ` branch ${from.branch}` : ""}; work trees/${work.id}: ${describeVersion(to)}${to?.branch ? ` branch ${to.branch}` : ""}`);
    if (!to) throw new StepFailure(`the work tree trees/${work.id} holds no readable Moodle version.php: it would not serve Moodle`);
    this.checkLayoutMove(ctx, from, to);
    if (!dry) await syncKeep(ctx, liveDir, workDir);
    const { pending, required } = await step(
      ctx,
      "upgrade check",
      async () => {
        const r = await this.cli(ctx, workDir, "upgrade.php", ["--is-pending"], 3e5);
        if (r.code !== 0 && r.code !== 2) {
          throw new StepFailure(`cannot tell whether the work tree needs a database upgrade: upgrade.php --is-pending failed (exit code ${r.code})${r.out ? `: ${tail(r.out)}` : ""}; nothing was switched`);
        }
        if (r.code === 0) return { pending: false, required: void 0 };
        if (!ctx.settings.upgrade) return { pending: true, required: void 0 };
        if (!await this.supports(ctx, workDir, "upgrade.php", "--is-maintenance-required")) return { pending: true, required: void 0 };
        const m = await this.cli(ctx, workDir, "upgrade.php", ["--is-maintenance-required"], 3e5);
        if (m.code !== 2 && m.code !== 3) {
          throw new StepFailure(`upgrade.php --is-maintenance-required failed (exit code ${m.code})${m.out ? `: ${tail(m.out)}` : ""}; nothing was switched`);
        }
        return { pending: true, required: m.code === 2 };
      },
      (r) => r.pending ? `database upgrade pending (${describeVersion(from)} -> ${describeVersion(to)}); maintenance ${r.required === void 0 ? "assumed required (upgrade.php cannot tell)" : r.required ? "required" : "not required"}` : "no database upgrade pending: code-only switch"
    );
    if (pending && ctx.settings.upgrade && to.maturity !== void 0 && to.maturity < MATURITY.MATURITY_STABLE) {
      const level = Object.keys(MATURITY).find((k) => MATURITY[k] === to.maturity) ?? `maturity ${to.maturity}`;
      throw new Refusal(
        `the work tree's code (${describeVersion(to)}) is ${level}, not a stable release: Moodle's upgrade.php refuses to upgrade to it (without --allow-unstable), which would leave the new code live on the old database. Nothing was switched: deliver a stable release`
      );
    }
    if (pending && !ctx.settings.upgrade) {
      throw new Refusal(
        `the work tree's code (${describeVersion(to)}) needs a database upgrade and upgrade is false: switching would serve it on the old database (Moodle then answers every page with its upgrade screen). Nothing was switched: run backtoprod with upgrade: true, or deliver code that needs no upgrade`
      );
    }
    return { from, to, pending, required, liveDir };
  }
  async planSwitch(ctx, work, live) {
    const { pending, required, liveDir } = await this.inspect(ctx, work, live, true);
    const m = decideMaintenance(ctx.settings.maintenance, pending, required);
    if (!pending) return [`no database upgrade pending: switch, then purge_caches.php${m ? ", in maintenance mode (maintenance: always)" : ""}`];
    const upgrade2 = await readUpgradePlan(ctx, liveDir, this.layout.tree(work.id), m, true);
    return [
      `a database upgrade is pending: ${ctx.settings.beforeUpgrade ? "run before-upgrade, " : ""}cron held, fresh path and kept files, ${m && ctx.settings.maintenanceNotice ? `announce maintenance to users ${ctx.settings.maintenanceNotice} min ahead (maintenance.php --enablelater=${ctx.settings.maintenanceNotice}) and wait, ` : ""}${m ? "maintenance mode on, " : "no maintenance mode, "}${upgrade2.snapshotBytes !== void 0 ? "database snapshot, " : ""}switch, upgrade.php --non-interactive${pending && required === false && ctx.settings.maintenance !== "always" ? " --maintenance=false" : ""}, ${m ? "maintenance mode off (in the same command), " : ""}purge_caches.php, cron on (maintenance and cron as the admin had them: a site already in maintenance stays so, cron the admin disabled stays off)`,
      ...planSentences(ctx, upgrade2)
    ];
  }
  async beforeSwitch(ctx, work, live) {
    const { from, to, pending, required, liveDir } = await this.inspect(ctx, work, live, false);
    const plan2 = { upgrade: false, maintenance: false, notes: [], outageless: false, cronHeld: false, beforeUpgrade: false, from, to };
    plan2.upgrade = pending;
    plan2.outageless = pending && required === false && ctx.settings.maintenance !== "always";
    const maintenance = decideMaintenance(ctx.settings.maintenance, pending, required);
    if (maintenance || ctx.settings.healthUrl) {
      const m = await step(
        ctx,
        "maintenance state",
        () => readMaintenance(this, ctx, liveDir),
        (m2) => m2.cli ? "in CLI maintenance mode (set by the admin): it stays on" : m2.web ? "in maintenance mode set on the web (maintenance_enabled, by the admin): it stays on" : "not in maintenance mode"
      );
      plan2.adminMaintenance = m.cli ? "cli" : m.web ? "web" : void 0;
      if (plan2.adminMaintenance) {
        ctx.maintenanceKept = `the site's admin keeps it in ${plan2.adminMaintenance === "cli" ? "CLI maintenance mode" : "maintenance mode (maintenance_enabled)"}, which this delivery leaves on`;
      }
    }
    if (pending && await this.supports(ctx, liveDir, "cron.php", "--disable-wait")) {
      plan2.adminCronOff = !await step(ctx, "cron state", () => cronEnabled(this, ctx, liveDir), (on) => on ? "cron enabled" : "cron disabled (by the admin): it stays disabled");
    }
    const workDir = this.layout.tree(work.id);
    const upgrade2 = pending ? await readUpgradePlan(ctx, liveDir, workDir, maintenance, false) : void 0;
    const db = pending && ctx.settings.databaseBackup === "auto" ? await readDbConfig(ctx, workDir) : void 0;
    if (pending && plainFleet(ctx.settings)) {
      const site = db ?? await readDbConfig(ctx, workDir).catch((e) => ctx.log.warning(`${ctx.target.label}: ${e.message}: the site's address is unknown`));
      claimUpgrade(ctx, site ? site.wwwroot : void 0);
    }
    const noDump = db && cannotDump(db);
    if (noDump) {
      skipped(ctx, "database snapshot", `no snapshot: ${noDump}; use before-upgrade for your own backup`);
      plan2.notes.push(`no database snapshot was taken (${noDump}): goback cannot restore the database`);
    }
    plan2.window = maintenance && plan2.adminMaintenance !== "cli";
    plan2.prepared = { pending, maintenance, liveDir, db: db && !noDump ? db : void 0, upgrade: upgrade2 };
    try {
      if (pending && ctx.settings.beforeUpgrade) {
        await runHook(ctx, "before-upgrade", ctx.settings.beforeUpgrade);
        plan2.beforeUpgrade = true;
      }
      if (pending) {
        if (plan2.adminCronOff !== void 0) {
          plan2.cronHeld = !plan2.adminCronOff;
          await this.must(ctx, "cron hold", liveDir, "cron.php", ["--disable-wait"], 9e5);
        } else {
          skipped(ctx, "cron hold", "cron.php of the live tree has no --disable-wait (Moodle before 4.2)");
          plan2.notes.push("cron was not held during the upgrade: this Moodle cannot disable it from the CLI");
        }
      }
    } catch (e) {
      await this.cancelSwitch(ctx, plan2);
      throw e;
    }
    return plan2;
  }
  /**
   * The maintenance window opens: the notice and its wait, maintenance on, the database snapshot (nothing writes while
   * it is taken). Only the switch, the upgrade and the purge follow before maintenance goes off.
   */
  async enterWindow(ctx, sp) {
    const plan2 = sp;
    const prep = plan2.prepared;
    if (!prep) throw new StepFailure("internal: enterWindow without beforeSwitch");
    const { pending, maintenance, liveDir, db, upgrade: upgrade2 } = prep;
    if (maintenance && plan2.adminMaintenance === "cli") {
      skipped(ctx, "maintenance on", "the site is already in CLI maintenance mode, set by its admin: it stays on after the delivery");
    } else if (maintenance) {
      if (pending && ctx.settings.maintenanceNotice > 0) await announceMaintenance(ctx, this, liveDir);
      await this.must(ctx, "maintenance on", liveDir, "maintenance.php", ["--enable"]);
      plan2.maintenance = true;
    } else {
      skipped(ctx, "maintenance on", ctx.settings.maintenance === "never" ? "maintenance: never" : pending ? "the upgrade does not require maintenance mode" : "no upgrade: code-only switch");
    }
    const { from, to } = plan2;
    if (db && from && to) {
      plan2.snapshot = await takeSnapshot(ctx, db, { from: from.version, fromRelease: from.release, to: to.version, toRelease: to.release, quiet: plan2.maintenance && plan2.cronHeld });
      if (upgrade2) upgrade2.snapshotBytes = plan2.snapshot.bytes;
    }
  }
  /** Refuses a move between the pre-5.1 layout and 5.1's `public/` web root that the web server is not ready for. */
  checkLayoutMove(ctx, from, to) {
    if (!from) return;
    if (!from.publicRoot && to.publicRoot && !ctx.settings.confirmPublicRoot) {
      throw new Refusal(
        `this delivery moves the site to Moodle 5.1's layout (web root ${this.layout.live}/public, code ${describeVersion(to)}): a web server whose document root is ${this.layout.live} would then serve the code tree itself. Point the web server's root at ${this.layout.live}/public (nginx: root ${this.layout.live}/public;), then run again with confirm-public-root: true. Nothing was switched`
      );
    }
    if (from.publicRoot && !to.publicRoot) {
      throw new Refusal(
        `this delivery moves the site from Moodle 5.1's public/ layout back to the older layout (code ${describeVersion(to)}): the web server serves ${this.layout.live}/public, which the work tree lacks. Nothing was switched`
      );
    }
  }
  async cancelSwitch(ctx, plan2) {
    const p = plan2;
    const dir = this.liveDir(ctx);
    if (p.maintenance) {
      await maintenanceOff(this, ctx, p.adminMaintenance, dir).then(() => p.maintenance = false).catch((e) => ctx.log.warning(`could not turn maintenance mode off: ${e.message}`));
    }
    if (p.cronHeld) {
      await this.must(ctx, "cron on", dir, "cron.php", ["--enable"]).then(
        () => p.cronHeld = false,
        (e) => ctx.log.warning(`could not turn cron back on: ${e.message}`)
      );
    }
  }
  async afterSwitch(ctx, plan2, nodes) {
    return finishSwitch(this, ctx, plan2, this.liveDir(ctx), nodes);
  }
  async holdAfterFailure(ctx, plan2, why) {
    return holdAfterFailure(this, ctx, plan2, this.liveDir(ctx), why);
  }
  /**
   * `status`: maintenance mode (CLI, web), cron and the database's version against the live code, read through the
   * live tree as the web user (four read-only PHP runs, at once). Warns of what a run that stopped half-way may leave:
   * the site in maintenance, cron held, a database the live code does not match.
   */
  async siteStatus(ctx) {
    const dir = this.liveDir(ctx);
    const [m, cron, db, code3] = await Promise.all([readMaintenance(this, ctx, dir), cronEnabled(this, ctx, dir), this.databaseVersion(ctx), this.versionAt(dir)]);
    const maintenance = m.cli && m.web ? "on (CLI and web)" : m.cli ? "on (CLI)" : m.web ? "on (web: maintenance_enabled)" : "off";
    const facts = { maintenance, cron: cron ? "enabled" : "disabled", database: db ?? "unknown (cfg.php --name=version answered nothing)" };
    if (code3) facts.code = code3.version;
    const warnings = [];
    const cmd = (script, args) => this.command(ctx, this.layout.live, script, args, code3?.publicRoot);
    const restoring = Boolean(ctx.state?.restoring);
    if ((m.cli || m.web) && !restoring) warnings.push(`the site is in maintenance mode (${maintenance.slice(4, -1)}): if no one meant it (a run that stopped half-way), end it with ${cmd("maintenance.php", "--disable")}`);
    if (!cron && !restoring) warnings.push(`cron is disabled: if no one meant it (a run that stopped half-way holds it), turn it on with ${cmd("cron.php", "--enable")}`);
    if (db && code3) {
      const c = compareVersions(code3.version, db);
      if (c < 0) warnings.push(`the database (${db}) is newer than the live code (${describeVersion(code3)}): Moodle cannot serve it; deliver the upgraded code again, or go back with restore-database: true`);
      if (c > 0) warnings.push(`the live code (${describeVersion(code3)}) is newer than the database (${db}): an upgrade is pending (admin/cli/upgrade.php)`);
    }
    return { facts, warnings };
  }
  async afterGoback(ctx) {
    await this.must(ctx, "purge caches", this.liveDir(ctx), "purge_caches.php", []).catch(
      (e) => ctx.log.warning(`purging caches after going back failed: ${e.message}; run purge_caches.php by hand`)
    );
  }
};

// src/app/moodle-restore.ts
async function prepareRestore(ctx, state, safe) {
  if (!(ctx.app instanceof MoodleApp)) throw new Refusal("restore-database: true restores a Moodle database: this site is not Moodle (app). Nothing was changed");
  const app = ctx.app;
  const safeV = await app.version(safe);
  const read = await app.databaseVersion(ctx);
  if (!safeV) throw new Refusal(`goback refused: the safe tree trees/${safe.id} holds no readable Moodle version.php. Nothing was changed`);
  const unfinished = state.restoring;
  if (!read && !unfinished) {
    throw new Refusal("goback refused: the database version could not be read (admin/cli/cfg.php --name=version through the live tree), so no snapshot can be matched to it. Nothing was changed");
  }
  const dbVersion = read ?? "unknown (partly restored)";
  if (!unfinished && compareVersions(safeV.version, dbVersion) >= 0) {
    skipped(ctx, "database restore", `not needed: the safe tree's code (${describeVersion(safeV)}) serves the database (${dbVersion}) as it is`);
    return void 0;
  }
  const snap = unfinished ? state.snapshots?.find((x) => x.file === unfinished.snapshot) : snapshotFor(state, dbVersion);
  if (unfinished && !snap) {
    throw new Refusal(
      `goback refused: the unfinished restore's snapshot ${unfinished.snapshot} is no longer recorded in state.json. Restore the database from your own backup, then run goback with allow-downgrade: true. Nothing was changed`
    );
  }
  if (!snap) {
    const known = (state.snapshots ?? []).map((s) => `${s.file} (${s.fromVersion} -> ${s.toVersion})`);
    throw new Refusal(
      `goback refused: no snapshot taken before the upgrade to ${dbVersion} (the database's version) is recorded${known.length ? `; state.json records ${known.join(", ")}` : ""}. Restore the database from your own backup, then run goback with allow-downgrade: true. Nothing was changed`
    );
  }
  if (compareVersions(snap.fromVersion, safeV.version) !== 0) {
    throw new Refusal(
      `goback refused: the snapshot ${snap.file} holds the database at ${snap.fromVersion}, but the safe tree trees/${safe.id} holds Moodle ${describeVersion(safeV)}: that code cannot serve that database. Nothing was changed`
    );
  }
  await verifySnapshot(ctx, snap);
  const db = await step(ctx, "restore check", async () => {
    const c = await readDbConfig(ctx, ctx.layout.tree(safe.id));
    if (c.dbtype !== snap.dbtype || c.dbname !== snap.dbname || c.prefix !== snap.prefix) {
      throw new Refusal(
        `goback refused: the snapshot ${snap.file} is of ${snap.dbtype} database ${snap.dbname} (prefix ${snap.prefix}), but config.php names ${c.dbtype} database ${c.dbname} (prefix ${c.prefix}). Nothing was changed`
      );
    }
    return c;
  }, () => `the snapshot ${snap.file} (${humanBytes(snap.bytes)}, taken ${snap.at}) takes the database from ${dbVersion} back to ${snap.fromVersion}, the safe tree's version${unfinished ? ` (again: the restore of run ${unfinished.runId} did not finish)` : ""}`);
  return { app, snapshot: snap, db, dbVersion, safe, publicRoot: safeV.publicRoot };
}
function planRestore(ctx, r) {
  plan(
    ctx,
    `restore the database from ${r.snapshot.file} (checksum verified; ${r.dbVersion} -> ${r.snapshot.fromVersion}): maintenance mode on, cron held, restore, switch, purge_caches.php, maintenance mode off, cron on${ctx.settings.healthUrl ? ", health check" : ""}; changes made in the database since the upgrade are lost`
  );
}
async function restoreBeforeSwitch(ctx, r, held = { maintenance: false, cron: ctx.state?.restoring?.cron ?? false }) {
  const live = ctx.layout.tree(ctx.state.live);
  if (!held.maintenance && ctx.state?.restoring && await cliMaintenanceOn(r.app, ctx, live).catch(() => false)) {
    held.maintenance = true;
    skipped(ctx, "maintenance on", "the site is still in the maintenance mode the unfinished restore turned on");
  }
  if (!held.maintenance) {
    await must(ctx, r.app, "maintenance on", live, "maintenance.php", ["--enable"]);
    held.maintenance = true;
  }
  if (!held.cron) {
    const help = await r.app.cli(ctx, live, "cron.php", ["--help"], 6e4);
    if (help.code === 0 && help.out.includes("--disable-wait")) {
      held.cron = true;
      await must(ctx, r.app, "cron hold", live, "cron.php", ["--disable-wait"], 9e5).catch((e) => {
        throw new StepFailure(`${e.message}. Nothing was restored or switched; the site is in maintenance mode: turn it off with ${command(ctx, r, live, "maintenance.php", "--disable")} and ${command(ctx, r, live, "cron.php", "--enable")}`);
      });
    } else skipped(ctx, "cron hold", "cron.php has no --disable-wait (Moodle before 4.2)");
  }
  const state = ctx.state;
  state.restoring = { snapshot: r.snapshot.file, runId: ctx.settings.run.runId, at: ctx.now().toISOString(), cron: held.cron };
  await saveState(ctx, state, "database-restore-start", { snapshot: r.snapshot.file, from: r.dbVersion, to: r.snapshot.fromVersion });
  try {
    await restoreSnapshot(ctx, r.db, r.snapshot);
  } catch (e) {
    const why = e.message;
    const unchanged = r.db.dbtype === "pgsql" && !(e instanceof ConnectionError);
    ctx.report.restore = `The database restore failed; the site stays in maintenance mode on trees/${ctx.state.live} (code ${r.dbVersion})${held.cron ? " with cron held" : ""}. ${why}. Fix the cause and run goback with restore-database: true again${unchanged ? `, or turn maintenance off on the current code: ${command(ctx, r, live, "maintenance.php", "--disable")}` : " (the database may be partly restored: keep the site in maintenance until then)"}`;
    if (unchanged) {
      delete state.restoring;
      await saveState(ctx, state, "database-restore-failed", { snapshot: r.snapshot.file, error: why });
    } else await journal(ctx, "database-restore-failed", { snapshot: r.snapshot.file, error: why });
    throw new StepFailure(ctx.report.restore);
  }
  await journal(ctx, "database-restore", { snapshot: r.snapshot.file, from: r.dbVersion, to: r.snapshot.fromVersion });
  try {
    await restoreCacheConfig(ctx, live, r.snapshot);
  } catch (e) {
    ctx.report.restore = `${e.message}. The database was restored to ${r.snapshot.fromVersion}; the site stays in maintenance mode on trees/${ctx.state.live}: put moodledata's muc/config.php back as it was before the upgrade (or move it aside), then run goback with allow-downgrade: true`;
    throw new StepFailure(ctx.report.restore);
  }
  return held;
}
async function finishRestore(ctx, r, held, beforeOpen) {
  const live = ctx.layout.tree(ctx.state.live);
  const problems = [];
  await must(ctx, r.app, "purge caches", live, "purge_caches.php", []).catch((e) => problems.push(e.message));
  if (beforeOpen) await beforeOpen().catch((e) => problems.push(e.message));
  const after = await r.app.databaseVersion(ctx);
  await step(ctx, "database version", async () => {
    if (after === void 0 || compareVersions(after, r.snapshot.fromVersion) !== 0) throw new StepFailure(`after the restore the database reports version ${after ?? "unknown"}, not the snapshot's ${r.snapshot.fromVersion}`);
    return after;
  }, (v) => `${v} (the snapshot's), served by trees/${ctx.state.live}`).catch((e) => problems.push(e.message));
  if (problems.length) {
    throw new StepFailure(`${problems.join("; ")}. The site stays in maintenance mode on trees/${ctx.state.live}: fix the cause, then ${command(ctx, r, live, "maintenance.php", "--disable")}${held.cron ? ` and ${command(ctx, r, live, "cron.php", "--enable")}` : ""}`);
  }
  if (held.maintenance) await must(ctx, r.app, "maintenance off", live, "maintenance.php", ["--disable"]).then(() => held.maintenance = false);
  if (held.cron) await must(ctx, r.app, "cron on", live, "cron.php", ["--enable"]).then(() => held.cron = false);
  const state = ctx.state;
  delete state.restoring;
  await saveState(ctx, state, "database-restore-end", { snapshot: r.snapshot.file });
  if (ctx.settings.healthUrl) await healthCheck(ctx);
}
function mayRestoreAfterFailedUpgrade(ctx, p) {
  const m = p;
  return Boolean(ctx.settings.restoreDatabase && ctx.settings.autoRollback && ctx.app instanceof MoodleApp && m.snapshot?.quiet && m.failedInMaintenance);
}
async function restoreAfterFailedUpgrade2(ctx, p, safe, doSwitch, beforeOpen) {
  const app = ctx.app;
  await verifySnapshot(ctx, p.snapshot);
  const db = await readDbConfig(ctx, ctx.layout.tree(safe.id));
  const r = { app, snapshot: p.snapshot, db, dbVersion: p.to?.version ?? p.snapshot.toVersion, safe, publicRoot: p.from?.publicRoot };
  const held = await restoreBeforeSwitch(ctx, r, { maintenance: p.maintenance, cron: p.cronHeld });
  await doSwitch();
  p.maintenance = held.maintenance;
  p.cronHeld = held.cron;
  await finishRestore(ctx, r, held, beforeOpen);
  p.maintenance = held.maintenance;
  p.cronHeld = held.cron;
}
async function must(ctx, app, name, dir, script, args, timeoutMs) {
  await step(ctx, name, async () => {
    const r = await app.cli(ctx, dir, script, args, timeoutMs);
    if (r.code !== 0) throw new StepFailure(`${script} ${args.join(" ")} failed (exit code ${r.code})${r.out ? `: ${r.out.split("\n").slice(-5).join("\n")}` : ""}`);
  });
}
function command(ctx, r, dir, script, args) {
  return r.app.commandFor(ctx, dir, script, args, r.publicRoot);
}

// src/steps/switch.ts
function renameRoles(state, from, to) {
  if (state.live === from) state.live = to;
  if (state.safe === from) state.safe = to;
  if (state.work === from) state.work = to;
}
async function freshPath(ctx, state, id) {
  const t = state.trees[id];
  if (!t.served || !t.dirty) return id;
  const to = newTreeId(ctx.now(), ctx.settings.run.runId);
  return step(
    ctx,
    "fresh path",
    async () => {
      t.movingTo = to;
      await saveState(ctx, state);
      await ctx.vcs.move(id, to);
      delete state.trees[id];
      state.trees[to] = { ...t, id: to, served: false, dirty: false, movingTo: void 0, updatedAt: ctx.now().toISOString() };
      renameRoles(state, id, to);
      await saveState(ctx, state, "rename", { from: id, to });
      return to;
    },
    () => `trees/${id} -> trees/${to} (its content changed since it was last served: a new real path keeps OPcache from serving stale code)`
  );
}
async function keepFiles(ctx, state, id) {
  await step(
    ctx,
    "keep files",
    () => syncKeep(ctx, ctx.layout.tree(state.live), ctx.layout.tree(id)),
    (c) => c.length ? `carried ${c.join(", ")}` : "already identical"
  );
}
async function switchTo(ctx, state, id, roles, { kept = false } = {}) {
  const from = state.live;
  if (!kept) await keepFiles(ctx, state, id);
  await step(
    ctx,
    "switch",
    async () => {
      await switchLive(ctx.sh, ctx.layout, id);
      state.trees[id].served = true;
      state.trees[id].dirty = false;
      state.state = roles.state;
      state.live = roles.live;
      state.safe = roles.safe;
      if (roles.work) state.work = roles.work;
      else delete state.work;
      await saveState(ctx, state, "switch", { from, to: id, state: roles.state });
    },
    () => `live: trees/${from} -> trees/${id}`
  );
}
function needsReconcile(probe2, state) {
  return Object.values(state.trees).some((t) => t.movingTo) || !probe2.liveExists || liveTreeId(probe2) !== state.live;
}
async function reconcile(ctx, state) {
  const fixed = [];
  const onDisk = new Set(ctx.probe.trees);
  for (const t of Object.values(state.trees)) {
    if (!t.movingTo) continue;
    const to = t.movingTo;
    if (!onDisk.has(t.id) && onDisk.has(to)) {
      delete state.trees[t.id];
      state.trees[to] = { ...t, id: to, served: false, dirty: false, movingTo: void 0 };
      renameRoles(state, t.id, to);
      fixed.push(`recorded the rename of trees/${t.id} to trees/${to}`);
    } else {
      delete t.movingTo;
      fixed.push(`trees/${t.id} was not renamed; kept its id`);
    }
  }
  const actual = liveTreeId(ctx.probe);
  if (!ctx.probe.liveExists && onDisk.has(state.live)) {
    await switchLive(ctx.sh, ctx.layout, state.live);
    state.trees[state.live].served = true;
    fixed.push(`live was missing: pointed it at trees/${state.live}`);
  } else if (actual !== state.live) {
    if (state.state === "delivering" && actual === state.work) {
      state.trees[actual].served = true;
      state.trees[actual].dirty = false;
      state.safe = state.live;
      state.live = actual;
      state.state = "production";
      delete state.work;
      fixed.push(`live had been switched to trees/${actual} by a run that then stopped: state is production (application steps after that switch may not have run)`);
    } else if (state.state === "production" && actual === state.safe) {
      state.trees[actual].served = true;
      state.trees[actual].dirty = false;
      state.work = state.live;
      state.live = actual;
      state.state = "delivering";
      fixed.push(`live had been switched back to trees/${actual} by a run that then stopped: state is delivering`);
    } else {
      throw new StateError(
        `live points at ${JSON.stringify(ctx.probe.liveTarget)} but state.json says trees/${state.live}: someone changed the layout by hand; point live back, or fix state.json (the journal says what happened)`
      );
    }
  }
  if (fixed.length) {
    await saveState(ctx, state, "reconcile", { fixed });
    for (const f of fixed) ctx.log.warning(f);
  }
  return fixed;
}

// src/modes/backtoprod.ts
async function backtoprod(ctx) {
  const state = mustState(ctx);
  const safeId = state.live;
  const work = state.trees[state.work ?? ""];
  ctx.report.revisionAfter ??= treeRevision(work);
  if (ctx.vcs.checkReady) await step(ctx, "ready", () => ctx.vcs.checkReady(work));
  if (ctx.settings.dryRun) {
    const rename = work.served && work.dirty ? " under a fresh id" : "";
    plan(ctx, `switch live from trees/${safeId} to the work tree trees/${work.id}${rename}; trees/${safeId} becomes the safe tree`);
    for (const sentence of await ctx.app.planSwitch(ctx, work, state.trees[safeId])) plan(ctx, sentence);
    if (ctx.settings.afterSwitch) plan(ctx, "run the after-switch command");
    if (ctx.settings.healthUrl) plan(ctx, `check ${ctx.settings.healthUrl}`);
    return;
  }
  const switchPlan = await ctx.app.beforeSwitch(ctx, work, state.trees[safeId]);
  let id;
  try {
    id = await freshPath(ctx, state, work.id);
    await keepFiles(ctx, state, id);
    await ctx.app.enterWindow(ctx, switchPlan);
    await switchTo(ctx, state, id, { state: "production", live: id, safe: safeId }, { kept: true });
  } catch (e) {
    if (ctx.state?.live === safeId) await ctx.app.cancelSwitch(ctx, switchPlan);
    throw e;
  }
  ctx.report.liveTreeAfter = id;
  try {
    await ctx.app.afterSwitch(ctx, switchPlan);
    if (ctx.settings.afterSwitch) await runHook(ctx, "after-switch", ctx.settings.afterSwitch);
    if (ctx.settings.healthUrl) await healthCheck(ctx);
  } catch (e) {
    if (e instanceof UnsafeToGoBack && mayRestoreAfterFailedUpgrade(ctx, switchPlan)) {
      await restoreAfterFailedUpgrade2(ctx, switchPlan, state.trees[safeId], async () => {
        await switchTo(ctx, state, safeId, { state: "delivering", live: safeId, safe: safeId, work: id });
        ctx.report.rolledBack = true;
        ctx.report.liveTreeAfter = safeId;
        await journal(ctx, "rollback", { from: id, to: safeId, error: e.message, databaseRestored: switchPlan.snapshot.file });
      }).catch((err) => failAfterUpgrade(ctx, `${e.message}. Restoring the database failed: ${err.message}`, ctx.report.restore ?? e.restore));
      throw new StepFailure(
        `${e.message}. The database was restored from ${switchPlan.snapshot.file} and the site went back to trees/${safeId} (state delivering, trees/${id} is the work tree): fix the cause, then run backtoprod (or deliver) again`
      );
    }
    if (e instanceof UnsafeToGoBack) return failAfterUpgrade(ctx, e.message, e.restore);
    const why = e.message;
    if (switchPlan.databaseChanged) {
      return failAfterUpgrade(ctx, why, await ctx.app.holdAfterFailure(ctx, switchPlan, why));
    }
    if (!ctx.settings.autoRollback) {
      throw new StepFailure(`${why}. auto-rollback is off: trees/${id} stays live; run goback to return to trees/${safeId}`);
    }
    try {
      await ctx.app.checkGoback(ctx, state.trees[safeId]);
    } catch (refused) {
      throw new StepFailure(`${why}. Could not go back by itself: ${refused.message}`);
    }
    ctx.log.warning(`${why}: going back to trees/${safeId}`);
    await switchTo(ctx, state, safeId, { state: "delivering", live: safeId, safe: safeId, work: id });
    ctx.report.rolledBack = true;
    ctx.report.liveTreeAfter = safeId;
    await journal(ctx, "rollback", { from: id, to: safeId, error: why });
    await ctx.app.afterGoback(ctx);
    if (ctx.settings.afterSwitch) {
      await runHook(ctx, "after-switch", ctx.settings.afterSwitch).catch((err) => ctx.log.warning(`after-switch after going back: ${err.message}`));
    }
    throw new StepFailure(
      `${why}. Went back to trees/${safeId} (state delivering, trees/${id} is the work tree): fix the code, then run update and backtoprod (or deliver)`
    );
  }
}
async function failAfterUpgrade(ctx, why, restore) {
  ctx.report.restore = restore;
  await journal(ctx, "failed-after-upgrade", { error: why, restore });
  throw new StepFailure(`${why}. To restore: ${restore}`);
}

// src/steps/drift.ts
var ROLE_ORDER = ["live", "safe", "work"];
async function checkDrift(ctx, tree, role, { save = !ctx.settings.dryRun } = {}) {
  return step(
    ctx,
    `drift ${role}`,
    async () => {
      const refresh = !MODE_FACTS[ctx.settings.mode].inspects && !ctx.settings.dryRun;
      const files = (await ctx.vcs.drift(tree, refresh)).filter((f) => !isKept(f.path, ctx.keep));
      if (files.length === 0) return null;
      const entry = { tree: tree.id, role, files };
      if (save) {
        const stamp = compactTime(ctx.now());
        entry.patch = `${ctx.layout.drift}/${stamp}-${tree.id}-${role}.patch`;
        const saved = await ctx.vcs.saveDrift(tree, files, entry.patch);
        if (typeof saved === "string") entry.patch = saved;
      }
      ctx.report.drift.push(entry);
      ctx.report.drift.sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role));
      const list = files.slice(0, 20).map((f) => `${f.status} ${f.path}`).join(", ");
      const more = files.length > 20 ? ` and ${files.length - 20} more` : "";
      const msg = `${files.length} file(s) of the ${role} tree ${tree.id} were changed by hand on the server: ${list}${more}`;
      if (ctx.settings.onDrift === "fail" && !MODE_FACTS[ctx.settings.mode].inspects) {
        throw new StepFailure(
          `${msg}. on-drift is fail, so nothing was changed${entry.patch ? ` (the changes are saved in ${entry.patch})` : ""}: commit them to the repository, or undo them, then run again`
        );
      }
      ctx.log.warning(`${msg}${entry.patch ? `; saved in ${entry.patch}` : ""}`);
      return entry;
    },
    (r) => r ? `${r.files.length} file(s) changed by hand` : "none"
  );
}

// src/modes/goback.ts
async function goback(ctx, afterSyncback = false) {
  const state = mustState(ctx);
  const former = state.live;
  const safe = state.trees[state.safe];
  const unfinished = afterSyncback ? void 0 : state.restoring;
  if (unfinished && !ctx.settings.restoreDatabase) {
    if (!ctx.settings.allowDowngrade) throw new Refusal(`goback refused: ${unfinishedRestore(state)}`);
    ctx.log.warning(`${ctx.target.label}: allow-downgrade: true: the unfinished restore from ${unfinished.snapshot} is forgotten; the database is as you left it`);
    if (ctx.settings.dryRun) {
      plan(ctx, `forget the unfinished restore from ${unfinished.snapshot} (allow-downgrade: true)${state.state === "production" ? `, then switch live from trees/${former} to the safe tree trees/${safe.id}` : ""}`);
      return;
    }
    delete state.restoring;
    await saveState(ctx, state, "database-restore-abandoned", { snapshot: unfinished.snapshot });
    if (state.state === "delivering") return;
  }
  const site = !afterSyncback && ctx.report.cluster?.role === "node" ? ctx.report.cluster.site : void 0;
  const restore = ctx.settings.restoreDatabase && !afterSyncback && !site ? await prepareRestore(ctx, state, safe) : void 0;
  if (!restore && !site && !(afterSyncback && ctx.settings.dryRun)) await ctx.app.checkGoback(ctx, safe);
  if (ctx.settings.dryRun) {
    if (site) plan(ctx, `the downgrade guard${ctx.settings.restoreDatabase ? " and the database restore" : ""} run once for the cluster, on ${site}`);
    const rename = safe.served && safe.dirty ? " under a fresh id (its content changed since it was last served)" : "";
    if (restore) planRestore(ctx, restore);
    if (state.state === "production") plan(ctx, `switch live from trees/${former} to the safe tree trees/${safe.id}${rename}; trees/${former} becomes the work tree`);
    return;
  }
  const sameCode = treeRevision(safe) === treeRevision(state.trees[former]);
  const held = restore ? await restoreBeforeSwitch(ctx, restore) : void 0;
  if (state.state === "production") {
    const id = await freshPath(ctx, state, safe.id);
    await switchTo(ctx, state, id, { state: "delivering", live: id, safe: id, work: former });
    ctx.report.liveTreeAfter = id;
  }
  if (restore && held) await finishRestore(ctx, restore, held);
  else if (!sameCode) await ctx.app.afterGoback(ctx);
  if (ctx.settings.afterSwitch) await runHook(ctx, "after-switch", ctx.settings.afterSwitch);
}

// src/modes/syncback.ts
async function syncback(ctx, opts = {}) {
  const paths = opts.paths ?? [];
  const supersave = opts.supersave ?? false;
  const state = mustState(ctx);
  const live = state.trees[state.live];
  const safe = state.trees[state.safe];
  const what = paths.length ? paths.join(", ") : "the whole tree";
  if (!opts.drift) await checkDrift(ctx, safe, "safe");
  const dry = ctx.settings.dryRun;
  const from = ctx.layout.tree(live.id);
  const to = ctx.layout.tree(safe.id);
  const excludes = [...ctx.vcs.syncExcludes, ...paths.length ? [] : keepExcludes(ctx.keep)];
  let comparison = { kind: "full", why: "" };
  const fast = await fastList(ctx, live, safe, opts, paths);
  if (!dry) await mark(ctx, state, safe.id, { runId: ctx.settings.run.runId, at: ctx.now().toISOString() });
  const changed = await step(
    ctx,
    "syncback",
    async () => {
      if ("list" in fast) {
        const r = await copyList(ctx, from, to, fast.list, excludes, dry);
        if (r.fallback === void 0) {
          comparison = { kind: "fast", why: `the ${fast.list.length} path(s) that differ between the recorded commits, the drift found and the ignored files` };
          return r.changed;
        }
        comparison = { kind: "full", why: r.fallback };
      } else comparison = { kind: "full", why: fast.why };
      return copyTree(ctx, from, to, paths, excludes, dry);
    },
    (n) => `${what}: trees/${live.id} -> trees/${safe.id} (${comparison.kind === "fast" ? `compared ${comparison.why}` : `full comparison: ${comparison.why}`})` + (n >= 0 ? `, ${n} entr${n === 1 ? "y" : "ies"} ${dry ? "would change" : "changed"}` : "")
  );
  if (dry) {
    plan(ctx, `copy ${what} from the live tree trees/${live.id} into the safe tree trees/${safe.id}${changed >= 0 ? ` (${changed} entries differ)` : ""}`);
    if (supersave) plan(ctx, `copy the live tree into trees/supersave`);
    return;
  }
  await step(ctx, "keep files", () => syncKeep(ctx, from, to), (c) => c.length ? `carried ${c.join(", ")}` : "already identical");
  const patch = await step(ctx, "record syncback", () => ctx.vcs.afterSync(live, safe, paths));
  const { syncing: _, ...rest } = state.trees[safe.id];
  state.trees[safe.id] = { ...rest, ...patch, dirty: true, updatedAt: ctx.now().toISOString() };
  await saveState(ctx, state, "syncback", { from: live.id, to: safe.id, paths, changed, comparison: comparison.kind, why: comparison.why });
  if (supersave) {
    await step(ctx, "supersave", () => copyTree(ctx, from, ctx.layout.supersave, [], ctx.vcs.syncExcludes));
    state.supersave = { revision: live.head ?? live.revision, updatedAt: ctx.now().toISOString() };
    await saveState(ctx, state, "supersave", { from: live.id });
  }
}
async function mark(ctx, state, id, syncing) {
  state.trees[id] = { ...state.trees[id], syncing };
  await saveState(ctx, state);
}
async function fastList(ctx, live, safe, opts, paths) {
  if (!opts.drift) return { why: "syncback on its own compares everything" };
  if (ctx.settings.verify === "full") return { why: "verify: full" };
  if (paths.length) return { why: "a syncback of paths" };
  if (ctx.settings.dryRun) return { why: "a dry run" };
  if (!ctx.vcs.syncList) return { why: `method ${ctx.vcs.method} cannot list what differs` };
  if (safe.syncing) return { why: `an earlier syncback into ${safe.id} was cut off (run ${safe.syncing.runId})` };
  for (const t of [live, safe]) {
    if (t.paths?.length) return { why: `tree ${t.id} holds paths taken from another ref (${t.paths.map((p) => p.paths.join(", ")).join("; ")})` };
    if (t.updating) return { why: `the update of tree ${t.id} was cut off` };
  }
  const known = await step(ctx, "list differences", () => ctx.vcs.syncList(live, safe), (r) => r.paths ? `${r.paths.length} path(s)` : r.reason);
  if (known.reason !== void 0) return { why: known.reason };
  const list = /* @__PURE__ */ new Map();
  for (const p of known.paths) list.set(p, "quick");
  for (const d of [opts.drift.live, opts.drift.safe]) for (const f of d?.files ?? []) list.set(f.path, "content");
  return { list: [...list].filter(([p]) => !isKept(p, ctx.keep)).map(([path, by]) => ({ path, by })) };
}

// src/modes/update.ts
async function update(ctx, tree, driftChecked = false) {
  const state = mustState(ctx);
  const work = tree ?? state.trees[state.work ?? ""];
  const { ref, paths, dryRun } = ctx.settings;
  if (!driftChecked) await checkDrift(ctx, work, "work");
  ctx.report.revisionBefore = treeRevision(work);
  if (!dryRun) {
    state.trees[work.id] = { ...work, updating: { runId: ctx.settings.run.runId, ref, at: ctx.now().toISOString() }, dirty: true };
    await saveState(ctx, state);
  }
  const res = await step(
    ctx,
    dryRun ? "update (dry run)" : "update",
    () => ctx.vcs.update(work, ref, paths, dryRun, { fetched: ctx.fetched }),
    (r) => `${paths.length ? paths.join(", ") : "whole tree"} to ${ref || "the default branch"} (${r.commit}): ${countChangedPaths(r.changes)} path(s) changed`
  );
  ctx.report.files = res.changes;
  if (res.submodules) ctx.report.submodules = res.submodules;
  ctx.report.revisionAfter = res.commit;
  ctx.commit = res.commit;
  if (dryRun) {
    const c2 = res.changes;
    plan(
      ctx,
      `update trees/${work.id} to ${res.commit}${paths.length ? ` (paths ${paths.join(", ")})` : ""}: ${c2.added.length} added, ${c2.modified.length} modified, ${c2.deleted.length} deleted, ${c2.renamed.length} renamed`
    );
    for (const s of res.submodules ?? []) if (s.before !== s.after) plan(ctx, `submodule ${s.path}: ${s.before ?? "(added)"} -> ${s.after ?? "(removed)"}`);
    return;
  }
  const record = {
    ...work,
    updating: void 0,
    revision: res.revision,
    head: res.head,
    paths: res.take ? [...work.paths ?? [], res.take] : void 0,
    dirty: true,
    updatedAt: ctx.now().toISOString()
  };
  delete record.updating;
  if (!record.head) delete record.head;
  if (!record.paths) delete record.paths;
  state.trees[work.id] = record;
  if (!paths.length) state.ref = ref;
  const c = res.changes;
  await saveState(ctx, state, "update", {
    tree: work.id,
    ref,
    commit: res.commit,
    paths,
    revisionBefore: treeRevision(work),
    revisionAfter: treeRevision(record),
    added: c.added.length,
    modified: c.modified.length,
    deleted: c.deleted.length,
    renamed: c.renamed.length
  });
}

// src/modes/deliver.ts
async function deliver(ctx) {
  if (await prepareDelivery(ctx)) await backtoprod(ctx);
}
async function prepareDelivery(ctx) {
  const state = mustState(ctx);
  if (state.state === "delivering") {
    plan(ctx, "resume the delivery in progress: update, then backtoprod");
    await update(ctx);
    if (ctx.settings.dryRun) await backtoprod(ctx);
    return !ctx.settings.dryRun;
  }
  const live = state.trees[state.live];
  const fetch = ctx.vcs.fetch?.bind(ctx.vcs);
  const checks = await Promise.allSettled([
    !ctx.settings.dryRun && fetch ? step(ctx, "fetch", () => fetch(ctx.settings.ref), (c) => `${ctx.settings.ref || "default branch"} is ${c}`) : void 0,
    checkDrift(ctx, live, "live"),
    checkDrift(ctx, state.trees[state.safe], "safe")
  ]);
  const failed = checks.find((c) => c.status === "rejected");
  if (failed) throw failed.reason;
  const fetched = checks[0].value;
  if (fetched) ctx.commit = ctx.fetched = fetched;
  const drift = (i) => checks[i].value;
  await syncback(ctx, { drift: { live: drift(1), safe: drift(2) } });
  if (ctx.settings.dryRun) {
    await goback(ctx, true);
    await update(ctx, live, true);
    plan(ctx, `switch live back to trees/${live.id}, updated, under a fresh id; the copy that served meanwhile becomes the safe tree`);
    return false;
  }
  await goback(ctx);
  await update(ctx, void 0, true);
  return true;
}

// src/modes/fit.ts
var anyState = () => null;
var noSessionOpen = (p) => p.session ? `session ${p.session} is open: close it with mode session-close before opening another` : null;
var sessionOpen = (p) => p.session ? null : "no delivery session is open on this server: nothing to close (open one with mode session-open)";
var noLayout = (p, root) => {
  if (!p.liveExists && p.stateText === null) return null;
  const what = `${p.liveExists ? "live" : ""}${p.liveExists && p.stateText !== null ? " and " : ""}${p.stateText !== null ? ".delivery/state.json" : ""}`;
  return `A delivery layout already exists at ${root} (${what}): init changes nothing; run mode status to see it`;
};
function onLayout(fits) {
  return (p, root, mode) => {
    if (p.stateText === null) return `No delivery layout at ${root}${p.liveExists ? " (live exists but .delivery/state.json does not)" : ""}: run mode init first`;
    return p.state ? fits(p.state, mode) : null;
  };
}
var delivering = (s) => `a delivery is in progress (state delivering: live serves trees/${s.live} while trees/${s.work} is being updated)`;
var inProduction = onLayout(
  (s, mode) => s.state === "production" ? null : `${mode} runs in production, but ${delivering(s)}: run backtoprod (or deliver) to finish it first`
);
var canGoBack = onLayout(
  (s) => s.state === "production" || s.restoring ? null : `goback already happened: ${delivering(s)}. Run update then backtoprod (or deliver); to undo the goback, run backtoprod`
);
function noUnfinishedRestore(fit) {
  return (p, root, mode) => p.state?.restoring ? `${mode} refused: ${unfinishedRestore(p.state)}` : fit(p, root, mode);
}
var hasWorkTree = onLayout(
  (s) => s.state === "delivering" ? null : `update changes the work tree, which exists only while delivering, and the state is production (live serves trees/${s.live}): run goback first, or deliver for the whole cycle`
);
var hasUpdatedWorkTree = noUnfinishedRestore(onLayout((s) => {
  const u = s.state === "delivering" ? s.trees[s.work ?? ""]?.updating : void 0;
  if (u) {
    return `the update of the work tree trees/${s.work} to ${u.ref || "the default branch"} by run ${u.runId} did not finish, so the tree may be half updated: run update again (or deliver, which resumes), then backtoprod`;
  }
  return s.state === "delivering" ? null : `backtoprod switches an updated work tree live, and the state is production (live serves trees/${s.live}): run goback and update first, or deliver for the whole cycle`;
}));
var anyLayout = noUnfinishedRestore(onLayout(() => null));

// src/credentials.ts
function hideCredentials(value2) {
  return value2.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/gi, "$1***@").replace(CVS_PASSWORD, "$1***@").replace(SCP_PASSWORD, "***@");
}
var SSH_SCHEMES = ["ssh:", "git+ssh:", "ssh+git:", "svn+ssh:"];
var CVS_PASSWORD = /^(:[a-z]+(?:;[^:]*)?:)([^@/:]*):[^@/]*@/i;
var SCP_PASSWORD = /^[^/@:\s]+:[^/@\s]*@/;
function credentialsIn(value2) {
  const v = value2.trim();
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(v);
  if (scheme) {
    let u;
    try {
      u = new URL(v);
    } catch {
      u = void 0;
    }
    if (!u) return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(v) ? "holds a user name or password in the URL" : void 0;
    if (u.password) return "holds a password in the URL";
    if (u.username && !SSH_SCHEMES.includes(scheme[1].toLowerCase())) return `holds a user name or token in the ${scheme[1]}// URL`;
    return void 0;
  }
  if (CVS_PASSWORD.test(v)) return "holds a password in the CVSROOT";
  if (SCP_PASSWORD.test(v)) return "holds a password in the address (user:password@host)";
  return void 0;
}
function withoutCredentials(value2) {
  if (!credentialsIn(value2)) return value2;
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i.exec(value2);
  if (m) {
    const user = m[2].split(":")[0];
    const keep = user && SSH_SCHEMES.includes(m[1].slice(0, -2).toLowerCase()) ? `${user}@` : "";
    return `${m[1]}${keep}${value2.slice(m[0].length)}`;
  }
  if (CVS_PASSWORD.test(value2)) return value2.replace(CVS_PASSWORD, "$1$2@");
  return value2.replace(SCP_PASSWORD, "");
}

// src/modes/init.ts
async function sameTimestamps(ctx, first, second) {
  const excl = ctx.vcs.syncExcludes;
  const r = await ctx.sh.run(
    `give ${second} the timestamps of ${first}`,
    `src=$1; dst=$2; shift 2
command -v rsync >/dev/null 2>&1 || { echo changed=-1; exit 0; }
args=(-a --checksum --modify-window=-1 --out-format='%i %n')
for e in "$@"; do args+=(--exclude="$e"); done
out=$(rsync "\${args[@]}" -- "$src/" "$dst/")
# A git worktree's index records each file's time: refreshed now, the first drift check does not hash every file of
# the second tree (its times changed), nor the files of either that were written in the second the index was
# written, which git cannot trust by their times ("racily clean") until an index is written in a later second.
if command -v git >/dev/null 2>&1; then
  for t in "$src" "$dst"; do [ ! -e "$t/.git" ] || git -C "$t" update-index -q --refresh >/dev/null 2>&1 || true; done
fi
echo "changed=$(printf '%s' "$out" | grep -c . || true)"`,
    [first, second, ...excl],
    { timeoutMs: 36e5 }
  );
  const m = /changed=(-?\d+)/.exec(r.stdout);
  return m ? Number(m[1]) : -1;
}
async function init(ctx) {
  const { settings, layout } = ctx;
  const source = settings.adopt ? `the existing directory ${settings.adopt}` : `${settings.repository} at ${settings.ref || "its default branch"}`;
  if (settings.dryRun) {
    if (ctx.probe.trees.length) plan(ctx, `remove what a half-finished init left in ${layout.trees}`);
    plan(ctx, `create ${layout.trees}/<two new ids> from ${source}, then ${layout.live} pointing at the first`);
    return;
  }
  if (ctx.probe.trees.length) {
    await step(ctx, "clean half-finished init", () => ctx.vcs.cleanHalfInit());
  }
  await ctx.sh.run("create the layout", `${CLOSE_META}meta=$1; shift; for d in "$meta" "$@"; do mkdir -p -- "$d"; done; close_meta "$meta"`, [
    layout.meta,
    layout.trees,
    layout.drift,
    layout.sessions,
    layout.reports
  ]);
  const now = ctx.now();
  const ids = [newTreeId(now, settings.run.runId), newTreeId(now, settings.run.runId)];
  const result = await step(
    ctx,
    settings.adopt ? "adopt" : "checkout",
    () => settings.adopt ? ctx.vcs.adopt(settings.adopt, ids) : ctx.vcs.init(ids),
    (r) => `${source} -> trees/${ids[0]}, trees/${ids[1]} at ${r.revision}`
  );
  ctx.commit = result.revision;
  await step(
    ctx,
    "same timestamps",
    () => sameTimestamps(ctx, layout.tree(ids[0]), layout.tree(ids[1])),
    (n) => n < 0 ? "the server has no rsync: the first syncback compares every file" : `trees/${ids[1]} took the timestamps of trees/${ids[0]} (${n} entr${n === 1 ? "y" : "ies"})`
  );
  const repository = withoutCredentials(result.repository);
  if (repository !== result.repository) {
    ctx.log.warning(`${ctx.target.label}: the adopted checkout's origin holds credentials; recorded without them as ${repository}. Give them as repository-username and repository-password`);
  }
  let app = settings.app;
  if (app === "auto") app = await looksLikeMoodle(ctx.sh, layout.tree(ids[0])) ? "moodle" : "none";
  if (settings.adopt) {
    const keep = app === "moodle" ? [.../* @__PURE__ */ new Set([...ctx.keep, "config.php"])].sort() : ctx.keep;
    const adopted = settings.adopt;
    await step(
      ctx,
      "keep files",
      () => adoptKeep(ctx, adopted, ids.map((id) => layout.tree(id)), keep),
      (linked) => linked.length ? `${linked.join(", ")}: linked to ${adopted} (a copy could not keep the group)` : `mode and group as in ${adopted}`
    );
  }
  const at = now.toISOString();
  const state = {
    layout: LAYOUT_VERSION,
    state: "production",
    live: ids[0],
    safe: ids[1],
    trees: Object.fromEntries(ids.map((id, i) => [id, { id, revision: result.revision, served: i === 0, dirty: false, updatedAt: at }])),
    method: settings.method,
    repository,
    ref: settings.ref,
    app,
    updatedAt: at
  };
  await saveState(ctx, state);
  await step(ctx, "switch", () => switchLive(ctx.sh, layout, ids[0]), () => `live -> trees/${ids[0]}`);
  await journal(ctx, "init", { trees: ids, revision: result.revision, source, app });
  ctx.report.revisionAfter = result.revision;
  if (result.submodules) ctx.report.submodules = result.submodules;
  ctx.report.liveTreeAfter = ids[0];
}

// src/modes/session.ts
async function sessionOpen2(ctx) {
  const { settings } = ctx;
  const id = settings.run.sessionId;
  ctx.sessionId = id;
  if (settings.dryRun) {
    plan(ctx, `open session ${id}: ${settings.sessionTitle}`);
    return;
  }
  const record = {
    id,
    title: settings.sessionTitle,
    description: settings.sessionDescription,
    impact: settings.sessionImpact,
    status: "open",
    openedAt: ctx.now().toISOString(),
    openedBy: settings.run.actor,
    openRunUrl: settings.run.runUrl
  };
  await step(ctx, "open session", () => writeSession(ctx.sh, ctx.layout, record, settings.secrets), () => `${id}: ${record.title}`);
  ctx.sessionData = { record, interventions: [], damaged: [] };
  await journal(ctx, "session-open", { session: id, title: record.title });
}
async function sessionClose(ctx) {
  const { settings } = ctx;
  const open = ctx.probe.session;
  ctx.sessionId = open;
  const data = await step(ctx, "read session", () => readSession(ctx.sh, ctx.layout, open), (d) => `${d.interventions.length} intervention(s)`);
  if (data.damaged.length) ctx.log.warning(`session ${open}: ${data.damaged.length} line(s) of its intervention file could not be read and are left out: ${data.damaged.join(" | ")}`);
  ctx.sessionData = data;
  if (settings.dryRun) {
    plan(ctx, `close session ${open} (${data.interventions.length} intervention(s))`);
    return data;
  }
  const record = {
    ...data.record,
    status: "closed",
    closedAt: ctx.now().toISOString(),
    closedBy: settings.run.actor,
    closeRunUrl: settings.run.runUrl,
    outputState: settings.sessionOutputState,
    followup: settings.sessionFollowup
  };
  await step(ctx, "close session", () => writeSession(ctx.sh, ctx.layout, record, settings.secrets), () => open);
  await journal(ctx, "session-close", { session: open });
  ctx.sessionData = { ...data, record };
  return ctx.sessionData;
}
async function joinSession(ctx, report) {
  const id = ctx.sessionId;
  if (!id) return;
  const { settings } = ctx;
  const i = {
    at: ctx.now().toISOString(),
    runId: settings.run.runId,
    actor: settings.run.actor,
    runUrl: settings.run.runUrl,
    mode: settings.mode,
    host: ctx.target.label,
    ref: settings.ref,
    commit: ctx.commit ?? "",
    paths: settings.paths,
    comment: settings.comment,
    outcome: report.outcome,
    error: report.error,
    revisionBefore: report.revisionBefore,
    revisionAfter: report.revisionAfter,
    rolledBack: report.rolledBack || void 0,
    files: report.files
  };
  await appendIntervention(ctx.sh, ctx.layout, id, i, settings.secrets);
}

// src/modes/status.ts
async function sessionStatus(ctx) {
  const out = {};
  const { records, damaged } = await listSessions(ctx.sh, ctx.layout);
  if (ctx.probe.session) {
    try {
      const open = await readSession(ctx.sh, ctx.layout, ctx.probe.session);
      out.open = { ...open.record, interventions: open.interventions.length, damagedLines: open.damaged.length || void 0 };
    } catch (e) {
      out.open = { id: ctx.probe.session, error: e.message };
    }
  }
  if (ctx.probe.sessionError) {
    out.open = { error: ctx.probe.sessionError };
    ctx.log.warning(ctx.probe.sessionError);
  }
  out.recent = records.map((r) => ({ id: r.id, title: r.title, status: r.status, openedAt: r.openedAt, closedAt: r.closedAt }));
  if (damaged.length) out.damaged = damaged;
  return out;
}
async function status(ctx) {
  const p = ctx.probe;
  const info = { root: ctx.layout.root, user: p.user };
  ctx.report.status = info;
  if (p.lock) info.lock = { ...p.lock, ageSeconds: p.lockAgeS };
  const page = `${ctx.layout.reports}/index.html`;
  const [sessions, found] = await Promise.all([sessionStatus(ctx), ctx.sh.run("look for the status page", '[ -f "$1" ] && echo yes || true', [page])]);
  info.sessions = sessions;
  if (found.stdout.trim() === "yes") {
    info.statusPage = page;
    ctx.log.info(`${ctx.target.label}: status page ${page} (written by each run that changes this server)`);
  }
  if (!ctx.state) {
    info.layout = p.stateError ? "damaged" : p.liveExists ? "live exists without .delivery/state.json" : "none";
    if (p.stateError) info.error = p.stateError;
    ctx.report.message = p.stateError ?? `No delivery layout at ${ctx.layout.root}${p.trees.length ? " (trees left by a half-finished init: init will clean them)" : ""}: run mode init to create one`;
    return;
  }
  const s = ctx.state;
  info.state = s.state;
  info.live = s.live;
  info.liveTarget = p.liveTarget;
  if (liveTreeId(p) !== s.live) info.warning = `live points at ${p.liveTarget || "nothing"}, state.json says trees/${s.live}`;
  info.safe = s.safe;
  if (s.work) info.work = s.work;
  info.method = s.method;
  info.repository = s.repository;
  info.ref = s.ref;
  info.app = s.app;
  info.lastRun = s.lastRun;
  if (s.supersave) info.supersave = s.supersave;
  const trees = {};
  for (const t of Object.values(s.trees)) {
    const v = await ctx.app.version(t);
    trees[t.id] = { revision: treeRevision(t), base: t.revision, paths: t.paths, app: v?.release, version: v?.version, branch: v?.branch, updatedAt: t.updatedAt };
  }
  info.trees = trees;
  const live = s.trees[s.live];
  ctx.report.revisionAfter = treeRevision(live);
  ctx.report.liveTreeAfter = s.live;
  await checkDrift(ctx, live, "live", { save: false });
  const site = await siteStatus(ctx, info);
  if (s.restoring) {
    info.restoring = s.restoring;
    site.unshift(unfinishedRestore(s));
    ctx.log.warning(`${ctx.target.label}: ${unfinishedRestore(s)}`);
  }
  const roles = s.state === "production" ? `live trees/${s.live}, safe trees/${s.safe}` : `live (safe) trees/${s.live}, work trees/${s.work}`;
  ctx.report.message = `${s.state}: ${roles}${p.lock ? `; locked by run ${p.lock.runId} of ${p.lock.actor} for ${p.lockAgeS} s` : ""}${info.statusPage ? `; status page ${page}` : ""}${site.length ? `. ${site.join("; ")}` : ""}`;
}
async function siteStatus(ctx, info) {
  if (!ctx.app.siteStatus) return [];
  try {
    const s = await ctx.app.siteStatus(ctx);
    if (!s) return [];
    info.site = { ...s.facts, ...s.warnings.length ? { warnings: s.warnings } : {} };
    for (const w of s.warnings) ctx.log.warning(`${ctx.target.label}: ${w}`);
    return [...s.warnings];
  } catch (e) {
    const why = `the site's state could not be read: ${e.message}`;
    info.site = { error: why };
    ctx.log.warning(`${ctx.target.label}: ${why}`);
    return [];
  }
}

// src/modes/table.ts
async function ready(ctx) {
  const state = mustState(ctx);
  const work = state.trees[state.work ?? ""];
  if (ctx.vcs.checkReady) await step(ctx, "ready", () => ctx.vcs.checkReady(work));
}
var MODE_TABLE = {
  init: { ...MODE_FACTS.init, run: (ctx) => init(ctx), fit: noLayout },
  status: { ...MODE_FACTS.status, run: (ctx) => status(ctx), fit: anyState },
  syncback: { ...MODE_FACTS.syncback, run: (ctx) => syncback(ctx, { paths: ctx.settings.paths }), fit: inProduction },
  supersyncback: { ...MODE_FACTS.supersyncback, run: (ctx) => syncback(ctx, { paths: ctx.settings.paths, supersave: true }), fit: inProduction },
  goback: { ...MODE_FACTS.goback, run: (ctx) => goback(ctx), fit: canGoBack, cluster: { sequence: "back", plan: (ctx) => goback(ctx) } },
  update: { ...MODE_FACTS.update, run: (ctx) => update(ctx), fit: hasWorkTree },
  backtoprod: {
    ...MODE_FACTS.backtoprod,
    run: (ctx) => backtoprod(ctx),
    fit: hasUpdatedWorkTree,
    cluster: { sequence: "forward", prepare: ready, plan: (ctx) => backtoprod(ctx) }
  },
  deliver: {
    ...MODE_FACTS.deliver,
    run: (ctx) => deliver(ctx),
    fit: anyLayout,
    cluster: {
      sequence: "forward",
      prepare: async (ctx) => {
        await prepareDelivery(ctx);
      },
      plan: async (ctx) => {
        await prepareDelivery(ctx);
      }
    }
  },
  "session-open": { ...MODE_FACTS["session-open"], run: (ctx) => sessionOpen2(ctx), fit: noSessionOpen },
  "session-close": {
    ...MODE_FACTS["session-close"],
    run: async (ctx) => {
      await sessionClose(ctx);
    },
    fit: sessionOpen
  }
};
function modeRow(mode) {
  return MODE_TABLE[mode];
}
function refusal(mode, p, root, session = "auto") {
  const row = MODE_TABLE[mode];
  if (session === "required" && row.intervention && !p.session) {
    return `no delivery session is open and session is required: open one first with mode session-open (session-title, session-description, session-impact)`;
  }
  return row.fit(p, root, mode);
}

// src/notify/summary.ts
var SUMMARY_SCHEMA_VERSION = 1;
function counts(h) {
  const c = { added: h.added.length, modified: h.modified.length, deleted: h.deleted.length, renamed: h.renamed.length };
  return { ...c, total: c.added + c.modified + c.deleted + c.renamed };
}
function hostSummary(h) {
  const groups = componentsOf(h);
  const up = [...h.steps].reverse().find((s) => s.name === "upgrade");
  return {
    host: h.host,
    outcome: h.outcome,
    revisionBefore: h.revisionBefore,
    revisionAfter: h.revisionAfter,
    appVersionBefore: h.appVersionBefore,
    appVersionAfter: h.appVersionAfter,
    files: counts(h.files),
    components: groups ? countComponents(groups) : void 0,
    drift: {
      files: h.drift.reduce((n, d) => n + d.files.length, 0),
      trees: h.drift.map((d) => ({ tree: d.tree, role: d.role, files: d.files.length, patch: d.patch }))
    },
    upgrade: up ? { outcome: up.outcome, ms: up.ms, detail: up.detail } : void 0,
    rolledBack: h.rolledBack,
    restore: h.restore,
    error: h.error
  };
}
function summarize(r) {
  const kind = r.mode === "session-open" || r.mode === "session-close" ? r.mode : "run";
  const s = r.session;
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    kind,
    outcome: r.outcome,
    mode: r.mode,
    dryRun: r.dryRun,
    headline: headline(r),
    verdict: verdict(r),
    site: siteName(r),
    environment: r.environment,
    repository: r.repository,
    repositoryName: shortRepository(r.repository),
    ref: refName(r),
    commit: r.commit,
    actor: r.actor,
    trigger: r.event,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: r.durationMs,
    comment: r.comment,
    runUrl: r.runUrl,
    artifact: r.artifact ? { ...r.artifact } : void 0,
    session: s ? {
      id: s.id,
      title: s.title,
      status: s.status,
      openedBy: s.openedBy,
      openedAt: s.openedAt,
      closedBy: s.closedBy,
      closedAt: s.closedAt,
      outputState: s.outputState,
      followup: s.followup,
      interventions: s.interventions.length,
      files: counts(s.files).total
    } : void 0,
    hosts: r.hosts.map(hostSummary)
  };
}
function maskValues2(value2, secrets) {
  if (typeof value2 === "string") return maskSecrets(value2, secrets);
  if (Array.isArray(value2)) return value2.map((v) => maskValues2(v, secrets));
  if (value2 && typeof value2 === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value2)) out[k] = maskValues2(v, secrets);
    return out;
  }
  return value2;
}

// src/report/escape.ts
var SafeHtml = class {
  constructor(value2) {
    this.value = value2;
  }
  value;
  toString() {
    return this.value;
  }
};
var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}
function render(value2) {
  if (value2 === null || value2 === void 0 || value2 === false) return "";
  if (value2 instanceof SafeHtml) return value2.value;
  if (Array.isArray(value2)) return value2.map(render).join("");
  return escapeHtml(String(value2));
}
function html(strings2, ...values) {
  let out = strings2[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings2[i + 1];
  return new SafeHtml(out);
}
function safeHref(url) {
  if (!url) return void 0;
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : void 0;
  } catch {
    return void 0;
  }
}

// src/report/session.ts
function unionChanges(sets) {
  const out = emptyChanges();
  const seen = { added: /* @__PURE__ */ new Set(), modified: /* @__PURE__ */ new Set(), deleted: /* @__PURE__ */ new Set(), renamed: /* @__PURE__ */ new Set() };
  for (const s of sets) {
    for (const k of ["added", "modified", "deleted"]) {
      for (const p of s[k]) {
        if (!seen[k].has(p)) {
          seen[k].add(p);
          out[k].push(p);
        }
      }
    }
    for (const r of s.renamed) {
      const key = `${r.from}\0${r.to}`;
      if (!seen.renamed.has(key)) {
        seen.renamed.add(key);
        out.renamed.push(r);
      }
    }
  }
  return out;
}
function view(i) {
  return {
    at: i.at,
    actor: i.actor,
    runUrl: i.runUrl,
    mode: i.mode,
    host: i.host,
    ref: i.ref,
    commit: i.commit,
    paths: i.paths,
    comment: i.comment,
    outcome: i.outcome,
    error: i.error,
    rolledBack: i.rolledBack,
    files: i.files
  };
}
function buildSessionReport(data) {
  if (data.length === 0) return void 0;
  const r = data[0].record;
  const interventions = data.flatMap((d) => d.interventions.map(view)).sort((a, b) => a.at < b.at ? -1 : a.at > b.at ? 1 : 0);
  const damaged = data.reduce((n, d) => n + d.damaged.length, 0);
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    impact: r.impact,
    status: r.status,
    openedAt: r.openedAt,
    openedBy: r.openedBy,
    closedAt: r.closedAt,
    closedBy: r.closedBy,
    outputState: r.outputState,
    followup: r.followup,
    interventions,
    files: unionChanges(interventions.map((i) => i.files)),
    damagedLines: damaged || void 0
  };
}
function sessionFacts(s) {
  return [
    ["Session", `${s.title} (${s.id}, ${s.status})`],
    ["Purpose", s.description || void 0],
    ["Impact", s.impact || void 0],
    ["Opened", `${s.openedAt} by ${s.openedBy}`],
    ["Closed", s.closedAt ? `${s.closedAt} by ${s.closedBy ?? ""}` : void 0],
    ["Output state", s.outputState || void 0],
    ["Follow-up", s.followup || void 0],
    ["Unreadable records", s.damagedLines ? `${s.damagedLines} line(s) of the server's session files could not be read and are left out` : void 0]
  ];
}

// src/report/html.ts
var COLOR = {
  success: { bg: "#1a7f37", fg: "#ffffff" },
  failure: { bg: "#cf222e", fg: "#ffffff" },
  refused: { bg: "#9a6700", fg: "#ffffff" },
  skipped: { bg: "#6e7781", fg: "#ffffff" }
};
var KIND_COLOR = { added: "#1a7f37", modified: "#0969da", deleted: "#cf222e", renamed: "#8250df" };
var FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
var MONO = "font-family:Consolas,Menlo,'DejaVu Sans Mono','Liberation Mono',monospace";
var S = {
  page: `margin:0;padding:0;background:#f6f8fa;${FONT};font-size:14px;line-height:1.45;color:#1f2328`,
  card: `max-width:820px;width:100%;background:#ffffff;border:1px solid #d0d7de;border-collapse:separate;${FONT};font-size:14px;color:#1f2328`,
  cell: "padding:16px 20px",
  h2: `margin:0 0 8px 0;font-size:17px;${FONT}`,
  h3: `margin:14px 0 6px 0;font-size:14px;${FONT}`,
  table: "border-collapse:collapse;width:100%;font-size:13px",
  th: "text-align:left;padding:5px 8px;border-bottom:2px solid #d0d7de;background:#f6f8fa;font-weight:600",
  td: "padding:5px 8px;border-bottom:1px solid #eaeef2;vertical-align:top",
  key: "padding:4px 12px 4px 0;color:#59636e;white-space:nowrap;vertical-align:top;width:1%",
  value: "padding:4px 8px 4px 0;vertical-align:top",
  mono: `${MONO};font-size:12px`,
  path: `${MONO};font-size:12px;word-break:break-all`,
  lines: `${MONO};font-size:12px;line-height:1.7;padding:2px 8px 6px 8px;word-break:break-all`,
  group: "margin-top:6px;padding:4px 8px;background:#f6f8fa;border-top:1px solid #d0d7de;font-weight:600",
  pre: `${MONO};font-size:12px;background:#f6f8fa;border:1px solid #d0d7de;padding:8px;white-space:pre-wrap;word-break:break-all;margin:4px 0`,
  muted: "color:#59636e",
  box: (bg, border) => `margin:8px 0;padding:8px 12px;background:${bg};border-left:4px solid ${border}`
};
var badge = (o) => html`<span style="${`display:inline-block;padding:1px 8px;border-radius:10px;background:${COLOR[o].bg};color:${COLOR[o].fg};font-size:12px;font-weight:600`}">${o}</span>`;
var link = (url, text) => {
  const href = safeHref(url);
  return href ? html`<a href="${href}" style="color:#0969da">${text}</a>` : text;
};
var code = (s) => html`<span style="${S.mono}">${s}</span>`;
function keyValues(rows) {
  const shown = rows.filter(([, v]) => v !== void 0 && v !== "" && v !== null);
  return html`<table role="presentation" style="${S.table}">${shown.map(([k, v]) => html`<tr><td style="${S.key}">${k}</td><td style="${S.value}">${v}</td></tr>`)}</table>`;
}
function dataTable(head, rows, align = []) {
  const a = (i) => align[i] === "r" ? ";text-align:right;white-space:nowrap" : align[i] === "n" ? ";white-space:nowrap" : "";
  return html`<table role="presentation" style="${S.table}"><tr>${head.map((h, i) => html`<th style="${S.th + a(i)}">${h}</th>`)}</tr>${rows.map(
    (r) => html`<tr>${r.map((c, i) => html`<td style="${S.td + a(i)}">${c}</td>`)}</tr>`
  )}</table>`;
}
function fileLine(r) {
  return html`<b style="color:${KIND_COLOR[r.kind]}">${KIND_LETTER[r.kind]}</b>&nbsp; ${r.from ? html`${r.from} → ${r.path}` : r.path}<br>
`;
}
function fileList(host, opts) {
  const files = host.files;
  const total = rowCount(files);
  if (total === 0) return html``;
  const groups = componentsOf(host);
  const parts = [html`<h3 style="${S.h3}">Changed files: ${changeCounts(files)}</h3>`];
  if (groups && groups.length > 1) {
    parts.push(
      dataTable(
        ["Component", "Added", "Modified", "Deleted", "Renamed"],
        countComponents(groups).map((c) => [code(c.component), c.added || "", c.modified || "", c.deleted || "", c.renamed || ""]),
        ["l", "r", "r", "r", "r"]
      )
    );
  }
  const limit = opts.fileLimit ?? Infinity;
  if (total > limit) {
    parts.push(html`<p style="${S.muted}">The ${total} files are not listed here${opts.fullListNote ? html`: ${opts.fullListNote}` : ""}.</p>`);
    return html`${parts}`;
  }
  const lines = (rows) => html`<div style="${S.lines}">${rows.map(fileLine)}</div>`;
  const body = groups ? groups.map((g) => html`<div style="${S.group}">${code(g.component)} <span style="${S.muted}">${changeCounts(g)}</span></div>${lines(fileRows(g))}`) : lines(fileRows(files));
  const legend = html`<div style="${`${S.muted};font-size:12px;margin:10px 0 4px 0`}">A added · M modified · D deleted · R renamed (old → new)</div>`;
  const foldAbove = opts.foldAbove ?? 50;
  parts.push(total > foldAbove ? html`<details><summary style="cursor:pointer;color:#0969da;margin-top:8px">Show the ${total} files</summary>${legend}${body}</details>` : html`${legend}${body}`);
  return html`${parts}`;
}
function driftSection(host, opts) {
  if (host.drift.length === 0) return "";
  const limit = opts.fileLimit ?? Infinity;
  return host.drift.map((d) => {
    const shown = d.files.slice(0, Number.isFinite(limit) ? limit : d.files.length);
    return html`<div style="${S.box("#fff8c5", "#d4a72c")}"><strong>Drift:</strong> ${d.files.length} file(s) of the ${d.role} tree ${code(d.tree)} were changed on the server by hand${d.patch ? html`; saved in ${code(d.patch)}` : ""}.${dataTable(["Change", "Path"], shown.map((f) => [f.status, html`<span style="${S.path}">${f.path}</span>`]))}${shown.length < d.files.length ? html`<p style="${S.muted}">… and ${d.files.length - shown.length} more${opts.fullListNote ? html`: ${opts.fullListNote}` : ""}.</p>` : ""}</div>`;
  });
}
function hostSection(host, opts) {
  const h = host;
  const outputLimit = opts.outputLimit ?? 2e4;
  const health = h.health ? html`${link(h.health.url, h.health.url)}: ${h.health.ok ? "ok" : "failed"}${h.health.detail ? html`, ${h.health.detail}` : ""} (expected ${h.health.expect}; ${h.health.attempts} attempt(s))` : void 0;
  const facts = keyValues([
    ["State", beforeAfter(h.stateBefore, h.stateAfter)],
    ["Live tree", beforeAfter(h.liveTreeBefore, h.liveTreeAfter)],
    ["Revision", beforeAfter(h.revisionBefore, h.revisionAfter, shortRev)],
    ["Application", beforeAfter(h.appVersionBefore, h.appVersionAfter)],
    ["Health check", health],
    ["Cluster", clusterPart(h)]
  ]);
  const steps = h.steps.length ? html`<h3 style="${S.h3}">Steps</h3>${dataTable(
    ["Step", "Outcome", "Time", "Detail"],
    h.steps.map((s) => [s.name, badge(s.outcome), formatMs(s.ms), s.detail ?? ""]),
    ["n", "l", "r", "l"]
  )}` : "";
  const out = h.upgradeOutput ?? "";
  return html`<tr><td style="${`${S.cell};border-top:1px solid #d0d7de`}">
<h2 style="${S.h2}">${h.host} ${badge(h.outcome)}</h2>
${h.error ? html`<div style="${S.box("#ffebe9", "#cf222e")}"><strong>Error:</strong> ${h.error}</div>` : ""}
${h.message && h.message !== h.error ? html`<p style="margin:6px 0">${h.message}</p>` : ""}
${h.restore ? html`<div style="${S.box("#fff1e5", "#bc4c00")}"><strong>To restore by hand:</strong> ${h.restore}</div>` : ""}
${h.rolledBack ? html`<div style="${S.box("#fff8c5", "#d4a72c")}"><strong>Rolled back:</strong> a step after the switch failed, so live went back to the safe tree by itself.</div>` : ""}
${facts}
${h.plan?.length ? html`<h3 style="${S.h3}">Dry run: the mode would</h3><ul style="margin:4px 0;padding-left:20px">${h.plan.map((p) => html`<li>${p}</li>`)}</ul>` : ""}
${steps}
${fileList(h, opts)}${submoduleRows(h).length ? html`<h3 style="${S.h3}">Submodules</h3>${dataTable(["Submodule", "Commit", "From"], submoduleRows(h).map((r) => [html`<span style="${S.path}">${r[0]}</span>`, r[1], r[2]]))}` : ""}
${driftSection(h, opts)}
${out ? html`<h3 style="${S.h3}">Upgrade output${out.length > outputLimit ? ` (last ${outputLimit} characters)` : ""}</h3><pre style="${S.pre}">${out.slice(-outputLimit)}</pre>` : ""}
${h.permissions?.length ? html`<h3 style="${S.h3}">Permission findings</h3>${dataTable(["Path", "Problem"], h.permissions.map((p) => [html`<span style="${S.path}">${p.path}</span>`, p.problem]))}` : ""}
${h.status ? html`<h3 style="${S.h3}">Status</h3><pre style="${S.pre}">${JSON.stringify(h.status, null, 2)}</pre>` : ""}
</td></tr>`;
}
function hostsOverview(r) {
  return dataTable(
    ["Host", "Outcome", "Revision", "Application", "Files", "Time"],
    r.hosts.map((h) => [
      h.host,
      html`${badge(h.outcome)}${h.rolledBack ? " rolled back" : ""}`,
      html`<span style="${`${S.mono};white-space:nowrap`}">${beforeAfter(h.revisionBefore, h.revisionAfter, shortRev) ?? "\u2013"}</span>`,
      h.appVersionAfter ?? h.appVersionBefore ?? "\u2013",
      rowCount(h.files),
      formatMs(h.steps.reduce((t, s) => t + s.ms, 0))
    ]),
    ["l", "l", "l", "l", "r", "r"]
  );
}
function sessionSection(r, opts) {
  const s = r.session;
  if (!s) return "";
  const interventions = s.interventions.length ? dataTable(
    ["Time", "By", "Mode", "Host", "Paths", "Comment", "Outcome", "Files"],
    s.interventions.map((i) => [
      html`<span style="${S.mono}">${i.at}</span>`,
      link(i.runUrl || void 0, i.actor),
      i.mode,
      i.host,
      i.paths.length ? html`${i.paths.map((p, n) => html`${n ? ", " : ""}${code(p)}`)}` : "whole tree",
      i.comment,
      html`${badge(i.outcome)}${i.rolledBack ? " rolled back" : ""}`,
      rowCount(i.files)
    ]),
    ["n", "l", "l", "l", "l", "l", "l", "r"]
  ) : html`<p style="${S.muted}">No intervention yet.</p>`;
  return html`<tr><td style="${`${S.cell};border-top:1px solid #d0d7de`}">
<h2 style="${S.h2}">Session: ${s.title}</h2>
${keyValues(sessionFacts(s).filter(([k]) => k !== "Session"))}
<h3 style="${S.h3}">Interventions</h3>
${interventions}
${fileList(sessionFilesHost(r, s), opts)}
</td></tr>`;
}
function renderHtml(r, opts = {}) {
  const title = `Delivery ${headline(r)}: ${shortRepository(r.repository) || r.hosts[0]?.host || ""}`;
  const meta = keyValues([
    ["Repository", r.repository ? html`<span style="${S.path}">${r.repository}</span>` : void 0],
    ["Ref", r.ref || void 0],
    ["Commit", r.commit ? code(r.commit) : void 0],
    ["Environment", r.environment],
    ["Paths", r.paths.length ? html`${r.paths.map((p, i) => html`${i ? ", " : ""}${code(p)}`)}` : void 0],
    ["Comment", r.comment],
    ["By", `${r.actor} (${r.event})`],
    ["Workflow run", r.runUrl ? link(r.runUrl, r.runUrl) : void 0],
    ["Report artifact", r.artifact ? link(r.artifact.url, `${r.artifact.name} (id ${r.artifact.id})`) : void 0],
    ["Session", r.sessionId],
    ["Started", `${r.startedAt} (${formatMs(r.durationMs)})`],
    ["Method", `${r.method}${r.app !== "auto" ? `, app ${r.app}` : ""}`]
  ]);
  const c = COLOR[r.outcome];
  return `<!DOCTYPE html>
${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body style="${S.page}">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="${`background:#f6f8fa;${FONT}`}"><tr><td align="center" style="padding:16px 8px">
<table role="presentation" cellpadding="0" cellspacing="0" style="${S.card}">
<tr><td style="${`${S.cell};background:${c.bg};color:${c.fg}`}">
<div style="font-size:20px;font-weight:700">${title}</div>
<div style="margin-top:4px;font-size:15px">${verdict(r)}</div>
</td></tr>
<tr><td style="${S.cell}">${meta}</td></tr>
${sessionSection(r, opts)}<tr><td style="${`${S.cell};padding-top:0`}">${hostsOverview(r)}</td></tr>
${r.hosts.map((h) => hostSection(h, opts))}
<tr><td style="${`${S.cell};border-top:1px solid #d0d7de;font-size:12px;${S.muted}`}">${r.tool.name} ${r.tool.version} · report schema ${r.schemaVersion} · finished ${r.finishedAt}</td></tr>
</table>
</td></tr></table>
</body></html>`}
`;
}

// src/report/json.ts
function toReportJson(r) {
  return {
    ...r,
    hosts: r.hosts.map((h) => {
      const groups = componentsOf(h);
      return groups ? { ...h, components: countComponents(groups) } : h;
    })
  };
}
function renderJson(r) {
  return `${JSON.stringify(toReportJson(r), null, 2)}
`;
}

// src/notify/chat-settings.ts
var CHAT_EVENTS = ["success", "failure", "session"];

// src/version.ts
var VERSION = "0.1.0";

// src/report/markdown.ts
var SUMMARY_LIMIT = 1024 * 1024;
var ICON = { success: "\u2705", failure: "\u274C", refused: "\u26D4", skipped: "\u23ED\uFE0F" };
function mdEscape(s) {
  return s.replace(/[\\`*_{}[\]<>|#&]/g, (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : `\\${c}`).replace(/\r?\n/g, " ");
}
function code2(s) {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length));
  const fence = "`".repeat(longest + 1);
  const pad = s.startsWith("`") || s.endsWith("`") ? " " : "";
  return `${fence}${pad}${s.replace(/\r?\n/g, " ").replace(/\|/g, "\\|")}${pad}${fence}`;
}
function block(text, lang = "") {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${lang}
${text}
${fence}`;
}
var fileLine2 = (r) => `${KIND_LETTER[r.kind]} ${r.from ? `${r.from} -> ${r.path}` : r.path}`;
function table(head, rows, align = []) {
  return [`| ${head.join(" | ")} |`, `|${head.map((_, i) => align[i] === "r" ? "---:" : "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}
function filesSection(h, maxFiles, maxComponents) {
  const total = rowCount(h.files);
  if (total === 0) return [];
  const out = [];
  const groups = componentsOf(h);
  if (groups && groups.length > 1) {
    const counts2 = countComponents(groups);
    const shown = counts2.slice(0, maxComponents);
    out.push(
      table(
        ["Component", "Added", "Modified", "Deleted", "Renamed"],
        shown.map((c) => [code2(c.component), String(c.added || ""), String(c.modified || ""), String(c.deleted || ""), String(c.renamed || "")]),
        ["l", "r", "r", "r", "r"]
      ) + (counts2.length > shown.length ? `

\u2026 and ${counts2.length - shown.length} more components (see the report artifact)` : "")
    );
  }
  let budget = maxFiles;
  let shownTotal = 0;
  const parts = [];
  const lists = groups ? groups.map((g) => ({ title: `**${mdEscape(g.component)}**: ${changeCounts(g)}`, rows: fileRows(g) })) : [{ title: "", rows: fileRows(h.files) }];
  const share = Math.max(10, Math.floor(maxFiles / lists.length));
  for (const l of lists) {
    if (budget <= 0) break;
    const rows = l.rows.slice(0, Math.min(budget, share));
    budget -= rows.length;
    shownTotal += rows.length;
    parts.push(`${l.title ? `${l.title}

` : ""}${block(rows.map(fileLine2).join("\n"))}${rows.length < l.rows.length ? `

\u2026 and ${l.rows.length - rows.length} more` : ""}`);
  }
  if (shownTotal < total) parts.push(`\u2026 ${total - shownTotal} of the ${total} files are not shown here: the report artifact lists them all.`);
  out.push(`<details><summary>Changed files: ${mdEscape(changeCounts(h.files))}</summary>

${parts.join("\n\n")}

</details>`);
  return out;
}
function hostSection2(h, maxFiles, maxComponents) {
  const out = [`### ${ICON[h.outcome]} ${mdEscape(h.host)}: ${h.outcome}${h.rolledBack ? " (rolled back)" : ""}`];
  if (h.error) out.push(`> **Error:** ${mdEscape(h.error)}`);
  if (h.message && h.message !== h.error) out.push(mdEscape(h.message));
  if (h.restore) out.push(`> **To restore by hand:** ${mdEscape(h.restore)}`);
  if (h.rolledBack) out.push("> **Rolled back:** a step after the switch failed, so live went back to the safe tree by itself.");
  const health = h.health ? `${h.health.ok ? "ok" : "failed"}${h.health.detail ? `, ${h.health.detail}` : ""}: ${h.health.url} (expected ${h.health.expect})` : void 0;
  const facts = [
    ["State", beforeAfter(h.stateBefore, h.stateAfter)],
    ["Live tree", beforeAfter(h.liveTreeBefore, h.liveTreeAfter)],
    ["Revision", beforeAfter(h.revisionBefore, h.revisionAfter, shortRev)],
    ["Application", beforeAfter(h.appVersionBefore, h.appVersionAfter)],
    ["Health check", health],
    ["Cluster", clusterPart(h)]
  ];
  const rows = facts.filter((r) => r[1] !== void 0);
  if (rows.length) out.push(table(["", ""], rows.map(([k, v]) => [k, mdEscape(v)])));
  if (h.plan?.length) out.push(`**Dry run: the mode would**
${h.plan.map((p) => `- ${mdEscape(p)}`).join("\n")}`);
  if (h.steps.length) {
    out.push(table(["Step", "Outcome", "Time", "Detail"], h.steps.map((s) => [mdEscape(s.name), `${ICON[s.outcome]} ${s.outcome}`, formatMs(s.ms), mdEscape(s.detail ?? "")]), ["l", "l", "r", "l"]));
  }
  out.push(...filesSection(h, maxFiles, maxComponents));
  const subs = submoduleRows(h);
  if (subs.length) {
    const t = table(["Submodule", "Commit", "From"], subs.map((r) => [code2(r[0]), mdEscape(r[1]), code2(r[2])]));
    out.push(subs.length > 20 ? `<details><summary>Submodules: ${subs.length}</summary>

${t}

</details>` : `**Submodules**

${t}`);
  }
  for (const d of h.drift) {
    const shown = d.files.slice(0, 50);
    out.push(
      `> **Drift:** ${d.files.length} file(s) of the ${d.role} tree ${code2(d.tree)} were changed on the server by hand${d.patch ? `; saved in ${code2(d.patch)}` : ""}.

${block(shown.map((f) => `${f.status} ${f.path}`).join("\n"))}${d.files.length > shown.length ? `

\u2026 and ${d.files.length - shown.length} more (see the report artifact)` : ""}`
    );
  }
  if (h.upgradeOutput) out.push(`<details><summary>Upgrade output</summary>

${block(h.upgradeOutput.slice(-2e4).trimEnd())}

</details>`);
  const audit = h.permissionAudit;
  if (audit && (audit.total > 0 || audit.note)) {
    const counts2 = Object.entries(audit.counts).map(([k, n]) => `${n} ${k}`).join(", ");
    const shown = (h.permissions ?? []).slice(0, 20);
    const rest = audit.total - shown.length;
    out.push(
      `**Permissions (web user ${mdEscape(audit.webUser)}):** ${audit.total ? `${counts2}: the web server (or anyone) could change the code it runs.` : ""}${audit.note ? ` ${mdEscape(audit.note)}` : ""}${shown.length ? `

${block(shown.map((p) => `${p.problem} ${p.path}`).join("\n"))}` : ""}${rest > 0 ? `

\u2026 and ${rest} more` : ""}`
    );
  } else if (h.permissions?.length) out.push(`**Permission findings**

${block(h.permissions.map((p) => `${p.problem} ${p.path}`).join("\n"))}`);
  if (h.status) out.push(`<details><summary>Status</summary>

${block(JSON.stringify(h.status, null, 2), "json")}

</details>`);
  return out.join("\n\n");
}
function sessionSection2(r, maxFiles, maxComponents) {
  const s = r.session;
  if (!s) return [];
  const facts = sessionFacts(s).filter((f) => f[1] !== void 0);
  const out = [`### Session: ${mdEscape(s.title)}`, table(["", ""], facts.map(([k, v]) => [k, mdEscape(v)]))];
  if (s.interventions.length === 0) out.push("No intervention yet.");
  else {
    out.push(
      table(
        ["Time", "By", "Mode", "Host", "Paths", "Comment", "Outcome", "Files"],
        s.interventions.map((i) => [
          mdEscape(i.at),
          i.runUrl ? `[${mdEscape(i.actor)}](${i.runUrl})` : mdEscape(i.actor),
          mdEscape(i.mode),
          mdEscape(i.host),
          i.paths.length ? i.paths.map(code2).join(", ") : "whole tree",
          mdEscape(i.comment),
          `${ICON[i.outcome] ?? ""} ${mdEscape(i.outcome)}${i.rolledBack ? " (rolled back)" : ""}`,
          String(rowCount(i.files))
        ]),
        ["l", "l", "l", "l", "l", "l", "l", "r"]
      )
    );
  }
  out.push(...filesSection(sessionFilesHost(r, s), maxFiles, maxComponents));
  return out;
}
function render2(r, maxFiles, maxComponents) {
  const repo = shortRepository(r.repository);
  const head = `## ${ICON[r.outcome]} Delivery ${mdEscape(headline(r))}${repo ? `: ${mdEscape(repo)}` : ""}`;
  const meta = [
    ["Repository", r.repository ? code2(r.repository) : void 0],
    ["Ref", r.ref ? code2(r.ref) : void 0],
    ["Commit", r.commit ? code2(r.commit) : void 0],
    ["Environment", r.environment ? mdEscape(r.environment) : void 0],
    ["Paths", r.paths.length ? r.paths.map(code2).join(", ") : void 0],
    ["Comment", r.comment ? mdEscape(r.comment) : void 0],
    ["By", `${mdEscape(r.actor)} (${mdEscape(r.event)})`],
    ["Workflow run", r.runUrl ? `[${mdEscape(r.runUrl)}](${r.runUrl})` : void 0],
    ["Report artifact", r.artifact ? r.artifact.url ? `[${mdEscape(r.artifact.name)}](${r.artifact.url})` : mdEscape(r.artifact.name) : void 0],
    ["Session", r.sessionId ? code2(r.sessionId) : void 0],
    ["Started", `${mdEscape(r.startedAt)} (${formatMs(r.durationMs)})`]
  ];
  const hosts = table(
    ["Host", "Outcome", "Revision", "Application", "Files", "Time"],
    r.hosts.map((h) => [
      mdEscape(h.host),
      `${ICON[h.outcome]} ${h.outcome}${h.rolledBack ? " (rolled back)" : ""}`,
      mdEscape(beforeAfter(h.revisionBefore, h.revisionAfter, shortRev) ?? "\u2013"),
      mdEscape(h.appVersionAfter ?? h.appVersionBefore ?? "\u2013"),
      String(rowCount(h.files)),
      formatMs(h.steps.reduce((t, s) => t + s.ms, 0))
    ]),
    ["l", "l", "l", "l", "r", "r"]
  );
  const metaTable = table(["", ""], meta.filter((m) => m[1] !== void 0));
  const footer = `<sub>${mdEscape(`${r.tool.name} ${r.tool.version}`)}, report schema ${r.schemaVersion}, finished ${mdEscape(r.finishedAt)}</sub>`;
  return `${[head, `**${mdEscape(verdict(r))}**`, metaTable, ...sessionSection2(r, maxFiles, maxComponents), hosts, ...r.hosts.map((h) => hostSection2(h, maxFiles, maxComponents)), footer].join("\n\n")}
`;
}
function renderMarkdown(r, maxFiles = 500) {
  let files = maxFiles;
  let components = 200;
  for (; ; ) {
    const text = render2(r, files, components);
    if (Buffer.byteLength(text) <= SUMMARY_LIMIT - 1024) return text;
    if (files === 0 && components === 0) return `${text.slice(0, SUMMARY_LIMIT / 4)}

\u2026 (cut: see the report artifact)
`;
    files = Math.floor(files / 4);
    components = Math.floor(components / 4);
  }
}

export {
  DeliveryError,
  InputError,
  InputErrors,
  Refusal,
  StepFailure,
  describeError,
  emptyChanges,
  countChangedPaths,
  compactTime,
  maskSecrets,
  maskValues,
  secretsInCommand,
  newSessionId,
  listSessions,
  treeRevision,
  unfinishedRestore,
  OUTPUT_KEEP_BYTES,
  BoundedOutput,
  RunError,
  TimeoutError,
  ConnectionError,
  HEARTBEAT_S,
  MIN_LOCK_TIMEOUT_S,
  describeHolder,
  LockLostError,
  acquireLock,
  releaseLock,
  HeldLock,
  SshShell,
  Layout,
  PROBE,
  probe,
  parseProbe,
  liveTreeId,
  step,
  skipped,
  plan,
  saveState,
  journal,
  mustState,
  UnsafeToGoBack,
  NoApp,
  healthCheck,
  sudoersLine,
  probeSudo,
  sudoProblem,
  probePhpAs,
  phpCommandForm,
  phpProblem,
  runHook,
  parseNameStatusZ,
  isKept,
  inPaths,
  decodeName,
  encodeName,
  isUtf8Name,
  parseSubFlat,
  submoduleReport,
  GitDriver,
  value,
  UTF8_LOCALE,
  field,
  nulField,
  WorkingCopyTrees,
  cleanTrees,
  NO_LINKS,
  PUT_PATH,
  conflictMessage,
  saveDriftFiles,
  MoodleApp,
  prepareRestore,
  restoreBeforeSwitch,
  finishRestore,
  mayRestoreAfterFailedUpgrade,
  restoreAfterFailedUpgrade2 as restoreAfterFailedUpgrade,
  freshPath,
  keepFiles,
  switchTo,
  needsReconcile,
  reconcile,
  MODE_FACTS,
  hideCredentials,
  credentialsIn,
  joinSession,
  MODE_TABLE,
  modeRow,
  refusal,
  countComponents,
  REPORT_SCHEMA_VERSION,
  newHostReport,
  overallOutcome,
  shortRev,
  formatMs,
  shortRepository,
  siteName,
  refName,
  headline,
  verdict,
  KIND_LETTER,
  fileRows,
  componentsOf,
  changeCounts,
  rowCount,
  beforeAfter,
  clusterPart,
  submoduleRows,
  sessionFilesHost,
  hostSummary,
  summarize,
  maskValues2,
  SafeHtml,
  html,
  safeHref,
  buildSessionReport,
  sessionFacts,
  renderHtml,
  renderJson,
  mdEscape,
  renderMarkdown,
  CHAT_EVENTS,
  VERSION
};
