/**
 * The submodule shell functions on their own, run by bash: URLs resolved as git resolves a submodule's URL against its
 * superproject's, and credentials masked; the report of submodules before and after; the repository's credentials
 * offered to its own host only, never to another host a submodule names.
 */
import { describe, expect, it } from 'vitest'
import { run } from '../../helpers/proc.js'
import { parseSubFlat, SUBMODULES, submoduleReport } from '../../../src/vcs/submodules.js'
import { GIT_PRELUDE, repositoryHost } from '../../../src/vcs/git.js'

const bash = async (call: string, ...args: string[]) => (await run('bash', ['-c', `set -euo pipefail\n${SUBMODULES}${call}`, 'x', ...args], { check: true })).stdout

describe('sub_url', () => {
  const cases: [string, string, string][] = [
    ['https://git.example.org/org/moodle.git', '../attendance.git', 'https://git.example.org/org/attendance.git'],
    ['https://git.example.org/org/moodle.git/', '../../other/attendance.git', 'https://git.example.org/other/attendance.git'],
    ['https://git.example.org/org/moodle.git', './plugins/x.git', 'https://git.example.org/org/moodle.git/plugins/x.git'],
    ['/srv/git/moodle.git', '../attendance.git', '/srv/git/attendance.git'],
    ['git@github.com:org/moodle.git', '../attendance.git', 'git@github.com:org/attendance.git'],
    ['git@github.com:moodle.git', '../attendance.git', 'git@github.com:attendance.git'],
    ['https://git.example.org/org/moodle.git', 'https://other.example.org/x.git', 'https://other.example.org/x.git'],
  ]
  it.each(cases)('%s + %s', async (base, url, want) => {
    expect(await bash('sub_url "$1" "$2"', base, url)).toBe(want)
  })
  // What git itself makes of the same relative URLs (git submodule's own resolver).
  it('agrees with git', async () => {
    for (const [base, url] of cases) {
      // git submodule init writes the resolved URL of each .gitmodules entry into the repository's config.
      const script = `set -e; d=$(mktemp -d); cd "$d"; git init -q; git remote add origin "$1"
git config -f .gitmodules submodule.p.path p; git config -f .gitmodules submodule.p.url "$2"
git update-index --add --cacheinfo 160000,0123456789abcdef0123456789abcdef01234567,p
git submodule -q init; git config submodule.p.url; rm -rf "$d"`
      const git = (await run('bash', ['-c', script, 'x', base, url], { check: true })).stdout.trim()
      expect(await bash('sub_url "$1" "$2"', base, url)).toBe(git.replace(/\/$/, ''))
    }
  })
})

describe('sub_mask', () => {
  it('hides the user and password of a URL', async () => {
    expect(await bash('sub_mask "$1"', 'https://deployer:s3cr3t@git.example.org/x.git')).toBe('https://***@git.example.org/x.git')
    expect(await bash('sub_mask "$1"', '/srv/git/x.git')).toBe('/srv/git/x.git')
  })
})

describe('submoduleReport', () => {
  it('pairs submodules by path: bumped, kept, added and removed', () => {
    const before = parseSubFlat('a\0c1\0u1\0b\0c2\0u2\0')
    const after = parseSubFlat('a\0c3\0u1\0c\0c4\0u3\0')
    expect(submoduleReport(before, after)).toEqual([
      { path: 'a', url: 'u1', before: 'c1', after: 'c3' },
      { path: 'b', url: 'u2', before: 'c2' },
      { path: 'c', url: 'u3', after: 'c4' },
    ])
  })
})

describe('the credentials given to git', () => {
  // git asks its credential helper for each host it fetches from (`git credential fill` asks as a fetch would).
  const ask = (host: string) =>
    run('bash', ['-c', `${GIT_PRELUDE}printf 'protocol=https\\nhost=%s\\n\\n' "$1" | gitc credential fill`, 'x', '1', host], {
      input: `deployer\ns3cr3t-token\n${repositoryHost('https://git.example.org:8443/org/moodle.git')}\n`,
      env: { ...process.env, HOME: '/nonexistent' },
    })
  it('are given for the repository\'s host', async () => {
    const r = await ask('git.example.org:8443')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('password=s3cr3t-token')
  })
  it('are never given to another host a submodule names', async () => {
    for (const host of ['evil.example.org', 'git.example.org', 'git.example.org:8443.evil.example.org']) {
      const r = await ask(host)
      expect(r.code, host).not.toBe(0)
      expect(r.stdout + r.stderr).not.toContain('s3cr3t')
    }
  })
})
