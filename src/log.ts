/**
 * Where messages go: the Actions log (through @actions/core) or the terminal. Every message is masked.
 */
import { maskSecrets } from './transport/run.js'

export interface Logger {
  info(message: string): void
  /** Something worth seeing that is not a problem (an Actions notice annotation; info on a terminal). */
  notice(message: string): void
  warning(message: string): void
  error(message: string): void
  debug(message: string): void
}

export interface LogSink {
  info(m: string): void
  notice?(m: string): void
  warning(m: string): void
  error(m: string): void
  debug(m: string): void
}

export function createLogger(sink: LogSink, secrets: () => readonly string[]): Logger {
  const m = (s: string) => maskSecrets(s, secrets())
  return {
    info: (s) => sink.info(m(s)),
    notice: (s) => (sink.notice ?? sink.info)(m(s)),
    warning: (s) => sink.warning(m(s)),
    error: (s) => sink.error(m(s)),
    debug: (s) => sink.debug(m(s)),
  }
}

/** A terminal sink: info to stderr (stdout is kept for the report), prefixed levels. */
export const consoleSink = (verbose = false): LogSink => ({
  info: (s) => process.stderr.write(`${s}\n`),
  warning: (s) => process.stderr.write(`warning: ${s}\n`),
  error: (s) => process.stderr.write(`error: ${s}\n`),
  debug: (s) => {
    if (verbose) process.stderr.write(`debug: ${s}\n`)
  },
})

/** A sink that keeps messages in memory (tests, and the report of warnings). */
export function memorySink(): LogSink & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (s) => lines.push(s),
    warning: (s) => lines.push(`warning: ${s}`),
    error: (s) => lines.push(`error: ${s}`),
    debug: () => {},
  }
}
