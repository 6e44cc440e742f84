/**
 * The drift check's record of a tree's folders (src/vcs/git-walk.ts) against git's own full walk, with real git and
 * bash. After each round of changes made the way people and tools make them (files and folders added, removed and
 * moved; hostile names; links, one planted where a folder was; a folder's modification time set back; ignored files
 * and folders; the index changed by hand; a commit checked out; a .gitignore changed; repositories made inside the
 * tree), the record's answer must be what `git status` prints, entry for entry. Most rounds must be answered from the
 * record: a walk that always fell back to git's would prove nothing. The rounds wait for the clock's next second, as
 * a record trusts only folders whose times are before the second its check began.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WALK } from '../../src/vcs/git-walk.js'
import { run } from '../helpers/proc.js'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp('/tmp/dlv-walk-')
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Prints "SAME how" or "DIFF how" and the difference, for the tree in the working folder. */
const CHECK = `check() {
  local ut ours theirs how
  ut=$(mktemp -d)
  ours=$( set -euo pipefail; export DLV_UT=$ut; ut_status "$PWD/.git/dlv-walk" 1 0 | tr '\\0' '\\n' | sort )
  how=$(cat "$ut/how"); rm -rf "$ut"
  theirs=$(git -c status.showUntrackedFiles=all status --porcelain=v1 -z --no-renames --ignore-submodules=all --ignored=matching | tr '\\0' '\\n' | sort)
  if [ "$ours" = "$theirs" ]; then echo "SAME $how"; else echo "DIFF $how"; diff <(echo "$ours") <(echo "$theirs") || true; fi
}
# next_second: waits until the clock's next second has begun.
next_second() { local s; s=$(date +%s); while [ "$(date +%s)" = "$s" ]; do sleep 0.05; done; }
`

/** A small tree: a few plugins, a .gitignore with a negation, one commit. */
const SETUP = `git init -q t && cd t
git config user.email t@example.org; git config user.name t; git config gc.auto 0
mkdir -p a/b c mod/forum/lang/en
echo 1 > a/b/f; echo 2 > c/g; echo 3 > mod/forum/lib.php; echo 4 > mod/forum/lang/en/x.php
printf 'vendor/\\n*.log\\n/cache\\n!keep.log\\n' > .gitignore
git add -A; git commit -qm 1
`

async function bash(script: string, ...args: string[]) {
  // A folder outside the tree, for the links planted in it.
  const r = await run('bash', ['-c', `export LC_ALL=C GIT_LITERAL_PATHSPECS=1 OUTSIDE="$PWD/outside"\nmkdir -p outside; echo o > outside/o\n${WALK}${CHECK}${script}`, 'walk', ...args], { cwd: dir })
  expect(r.code, r.stderr).toBe(0)
  return r.stdout
}

describe("the drift check's record of a tree's folders", () => {
  it('answers as git status does after every round of random changes, mostly from the record', async () => {
    const out = await bash(
      `RANDOM=$1; rounds=$2
${SETUP}
names=(n1 '-delete' ':(glob)*' $'nl\\nx' 'sp ace' '*' 'keep.log' 'x.log' 'vendor' 'cache' '.hidden' '--' 'é' ':' '\\\\')
pick() { local a=("$@"); printf '%s' "\${a[RANDOM % \${#a[@]}]}"; }
next_second; check; next_second
for ((r = 0; r < rounds; r++)); do
  for ((k = 0; k < 1 + RANDOM % 3; k++)); do
    mapfile -d '' -t D < <(find . -name .git -prune -o -type d -print0); d=$(pick "\${D[@]}"); n=$(pick "\${names[@]}")
    mapfile -d '' -t F < <(find . -name .git -prune -o -type f -print0); f=$(pick "\${F[@]}")
    case $((RANDOM % 15)) in
      0|1) [ -d "$d/$n" ] || echo "$RANDOM" > "$d/$n" ;;
      2) mkdir -p -- "$d/$n/sub" 2> /dev/null && echo y > "$d/$n/sub/z" ;;
      3) mkdir -p -- "$d/new$RANDOM" ;;
      4) rm -f -- "$f" ;;
      5) case $d in .|./mod|./mod/*) ;; *) rm -rf -- "$d" ;; esac ;;
      6) mv -- "$f" "$d/mv$RANDOM" 2> /dev/null || true ;;
      7) ln -s ../c "$d/ln$RANDOM" 2> /dev/null || true ;;
      8) echo z > "$d/t$RANDOM"; touch -d 2001-01-01 -- "$d" ;;
      9) git add -f -- "$f" 2> /dev/null || true ;;
      10) git rm -q --cached -- "$f" 2> /dev/null || true ;;
      11) git add -A . > /dev/null 2>&1 || true; git commit -qm "c$r" > /dev/null 2>&1 || true; git checkout -q -f --detach "HEAD~$((RANDOM % 2))" 2> /dev/null || true ;;
      12) [ $((RANDOM % 4)) != 0 ] || echo "*.tmp$RANDOM" >> .gitignore ;;
      13) [ $((RANDOM % 3)) != 0 ] || git init -q -- "$d/repo$RANDOM" ;;
      14) case $d in .|./mod|./mod/*) ;; *) rm -rf -- "$d"; ln -s "$OUTSIDE" -- "$d" ;; esac ;;
    esac
  done
  # Most rounds let a second pass (the record then trusts the folders changed before); some do not.
  [ $((RANDOM % 4)) = 0 ] || next_second
  check
done
echo "outside: $(ls -A "$OUTSIDE")"`,
      '20231009',
      '24',
    )
    const lines = out.split('\n').filter((l) => /^(SAME|DIFF) /.test(l))
    expect(out).not.toContain('DIFF')
    expect(out).toContain('outside: o\n')
    expect(lines).toHaveLength(25)
    expect(lines.filter((l) => l === 'SAME record').length).toBeGreaterThanOrEqual(12)
  }, 120_000)

  it('reads again a folder whose modification time was set back, a folder replaced by a link, an index changed by hand', async () => {
    const out = await bash(`rm -rf t; ${SETUP}
mkdir -p deep/er/est; echo x > deep/er/est/kept; git add deep; git commit -qm deep
next_second; check; next_second; check; next_second
echo hand > deep/er/est/new.php; touch -d 2001-01-01 deep/er/est; check
rm -rf a/b; ln -s "$OUTSIDE" a/b; check
git rm -q --cached c/g; check
git add c/g; next_second; check`)
    expect(out.trim().split('\n')).toEqual(['SAME full', 'SAME record', 'SAME record', 'SAME record', 'SAME record', 'SAME record'])
  })

  it('walks the whole tree again when a .gitignore is added, changed or removed, and when a repository is made inside it', async () => {
    // A .gitignore changed in the second a check began keeps no record: the next check walks the tree again too.
    const out = await bash(`rm -rf t; ${SETUP}
next_second; check; next_second; check; next_second
echo '*.tmp' > mod/.gitignore; echo "added $(check)"; next_second; check; next_second; check; next_second
echo 'x.tmp' > mod/.gitignore; echo "changed $(check)"; next_second; check; next_second; check; next_second
rm mod/.gitignore; echo "removed $(check)"; next_second; check; next_second; check; next_second
printf 'build/\\n' >> .gitignore; echo "root $(check)"; next_second; check; next_second; check; next_second
git init -q a/b; echo "repo $(check)"; next_second; check
printf 'lib.php\\n' >> .gitignore; echo "tracked $(check)"; next_second; check; next_second; check`)
    expect(out.trim().split('\n')).toEqual([
      'SAME full', 'SAME record',
      'added SAME full', 'SAME full', 'SAME record',
      'changed SAME full', 'SAME full', 'SAME record',
      // Removed: no rule changed in the second the check began, so that check keeps a record.
      'removed SAME full', 'SAME record', 'SAME record',
      'root SAME full', 'SAME full', 'SAME record',
      'repo SAME full', 'SAME record',
      // A rule that matches a tracked file: no record is kept (ut_excluded).
      'tracked SAME full', 'SAME full', 'SAME full',
    ])
  })
})
