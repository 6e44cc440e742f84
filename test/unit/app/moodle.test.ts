/**
 * Pure parts of the Moodle driver: reading version.php, comparing versions, deciding maintenance mode.
 */
import { describe, expect, it } from 'vitest'
import { decideMaintenance } from '../../../src/app/moodle-maintenance.js'
import { compareVersions, describeVersion, parseVersionPhp } from '../../../src/app/moodle-version.js'

const REAL_43 = `<?php
// This file is part of Moodle - https://moodle.org/
defined('MOODLE_INTERNAL') || die();

$version  = 2023100900.00;              // 20231009      = branching date YYYYMMDD - do not modify!
                                        //         RR    = release increments - 00 in DEV branches.
                                        //           .XX = incremental changes.
$release  = '4.3 (Build: 20231009)';    // Human-friendly version name
$branch   = '403';                      // This version's branch.
$maturity = MATURITY_STABLE;            // This version's maturity level.
`

describe('parseVersionPhp', () => {
  it("reads $version, $release, $branch and $maturity of Moodle's own version.php", () => {
    expect(parseVersionPhp(REAL_43)).toEqual({ version: '2023100900.00', release: '4.3 (Build: 20231009)', branch: '403', maturity: 200 })
  })
  it('reads each maturity level (upgrade.php refuses those below MATURITY_STABLE without --allow-unstable)', () => {
    const at = (m: string) => parseVersionPhp(REAL_43.replace('MATURITY_STABLE', m))?.maturity
    expect([at('MATURITY_ALPHA'), at('MATURITY_BETA'), at('MATURITY_RC'), at('150')]).toEqual([50, 100, 150, 150])
    expect(parseVersionPhp(REAL_43.replace(/\$maturity.*\n/, ''))?.maturity).toBeUndefined()
  })
  it('takes double quotes and a version without decimals', () => {
    expect(parseVersionPhp('<?php $version = 2025100600; $release = "5.1dev (Build: 20251006)"; $branch = "501";')).toEqual({
      version: '2025100600',
      release: '5.1dev (Build: 20251006)',
      branch: '501',
    })
  })
  it('ignores $plugin->version and $plugin->release', () => {
    expect(parseVersionPhp("<?php $plugin->version = 2023100900; $plugin->release = '1.0';")).toBeUndefined()
  })
  it('is undefined for a file without $version or $release', () => {
    expect(parseVersionPhp('<?php echo 1;')).toBeUndefined()
    expect(parseVersionPhp("<?php $release = '4.3';")).toBeUndefined()
    expect(parseVersionPhp('')).toBeUndefined()
  })
  it('describes a version for people', () => {
    expect(describeVersion(parseVersionPhp(REAL_43))).toBe('4.3 (Build: 20231009) (2023100900.00)')
    expect(describeVersion(undefined)).toBe('unknown')
  })
})

describe('compareVersions', () => {
  it('orders by the date part, then the increments', () => {
    expect(compareVersions('2023042400.00', '2023100900.00')).toBe(-1)
    expect(compareVersions('2023100900.01', '2023100900.00')).toBe(1)
    expect(compareVersions('2023100900.1', '2023100900.10')).toBe(0)
    expect(compareVersions('2023100900', '2023100900.00')).toBe(0)
    expect(compareVersions('2023100900.05', '2023100900.5')).toBe(-1)
  })
  it('does not lose precision on large numbers', () => {
    expect(compareVersions('9999999999999999.01', '9999999999999999.02')).toBe(-1)
  })
})

describe('decideMaintenance', () => {
  it('auto: only for a pending upgrade that requires it (or cannot tell)', () => {
    expect(decideMaintenance('auto', false, undefined)).toBe(false)
    expect(decideMaintenance('auto', true, true)).toBe(true)
    expect(decideMaintenance('auto', true, false)).toBe(false)
    expect(decideMaintenance('auto', true, undefined)).toBe(true)
  })
  it('always and never override', () => {
    expect(decideMaintenance('always', false, undefined)).toBe(true)
    expect(decideMaintenance('always', true, false)).toBe(true)
    expect(decideMaintenance('never', true, true)).toBe(false)
  })
})
