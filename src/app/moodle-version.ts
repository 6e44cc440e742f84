/**
 * Moodle's code version: `$release`, `$version`, `$branch` and `$maturity` read from a tree's `version.php` (5.1+:
 * `public/version.php`), shown as the report shows them, and compared as Moodle compares them (as numbers). The
 * layout (`public/` or not) comes with the version: it says where the CLI scripts are.
 */
import type { RemoteShell } from '../remote/shell.js'
import type { AppVersion } from './app.js'

/** Reads `$release`, `$version` and `$branch` from the text of a Moodle version.php. */
export function parseVersionPhp(text: string): AppVersion | undefined {
  const str = (name: string) => new RegExp(`\\$${name}\\s*=\\s*(['"])([^'"]*)\\1`).exec(text)?.[2]
  const version = /\$version\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*;/.exec(text)?.[1]
  const release = str('release')
  if (!version || !release) return undefined
  const m = /\$maturity\s*=\s*([A-Z_]+|[0-9]+)\s*;/.exec(text)?.[1]
  const maturity = m === undefined ? undefined : (MATURITY[m] ?? (/^[0-9]+$/.test(m) ? Number(m) : undefined))
  return { release, version, branch: str('branch'), ...(maturity === undefined ? {} : { maturity }) }
}

/** Moodle's maturity levels (lib/setuplib.php). */
export const MATURITY: Record<string, number> = { MATURITY_ALPHA: 50, MATURITY_BETA: 100, MATURITY_RC: 150, MATURITY_STABLE: 200 }

/** `4.3 (Build: 20231009) (2023100900.00)`: a version as the report shows it. */
export function describeVersion(v: AppVersion | undefined): string {
  return v ? `${v.release} (${v.version})` : 'unknown'
}

/** Compares two Moodle `$version` numbers (YYYYMMDDRR.XX); negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const [ai, af = ''] = a.trim().split('.')
  const [bi, bf = ''] = b.trim().split('.')
  const n = BigInt(ai || '0') - BigInt(bi || '0')
  if (n !== 0n) return n < 0n ? -1 : 1
  const fa = af.padEnd(8, '0')
  const fb = bf.padEnd(8, '0')
  return fa === fb ? 0 : fa < fb ? -1 : 1
}

/** The version of the Moodle code in `dir` (undefined when it holds no readable version.php), and its layout. */
export async function readVersion(sh: RemoteShell, dir: string): Promise<AppVersion | undefined> {
  const r = await sh.run(
    `read the Moodle version in ${dir}`,
    `d=$1
if [ -f "$d/public/version.php" ]; then echo public=1; head -c 65536 "$d/public/version.php"; elif [ -f "$d/version.php" ]; then echo public=0; head -c 65536 "$d/version.php"; fi`,
    [dir],
  )
  const v = parseVersionPhp(r.stdout)
  if (v) v.publicRoot = r.stdout.startsWith('public=1')
  return v
}
