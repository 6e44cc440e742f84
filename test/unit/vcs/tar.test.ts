/**
 * The tar writer, checked by GNU tar itself: long and unicode names, links, modes, an empty file.
 */
import { mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { run } from '../../helpers/proc.js'
import { tarEnd, tarEntry } from '../../../src/vcs/tar.js'

describe('tar writer', () => {
  it('writes an archive GNU tar extracts exactly', async () => {
    const dir = await mkdtemp('/tmp/dlv-tar-')
    try {
      const long = `${'deep/'.repeat(30)}file with a long name.php`
      const entries = [
        { path: 'plain.txt', content: Buffer.from('hello\n'), mode: 0o644, mtime: 1700000000 },
        { path: 'bin/run.sh', content: Buffer.from('#!/bin/sh\n'), mode: 0o755, mtime: 1700000000 },
        { path: 'lang/en/café menü.php', content: Buffer.from('<?php // ü\n'), mode: 0o644, mtime: 1700000000 },
        { path: long, content: Buffer.alloc(70000, 7), mode: 0o644, mtime: 1700000000 },
        { path: 'empty', content: Buffer.alloc(0), mode: 0o644, mtime: 1700000000 },
        { path: 'link.php', link: 'lang/en/café menü.php', mode: 0o777, mtime: 1700000000 },
        { path: 'long-link', link: `../${'x'.repeat(150)}`, mode: 0o777, mtime: 1700000000 },
      ]
      await writeFile(`${dir}/a.tar`, Buffer.concat([...entries.flatMap((e) => tarEntry(e)), tarEnd()]))
      const r = await run('tar', ['-x', '--no-same-owner', '-C', dir, '-f', `${dir}/a.tar`])
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(await readFile(`${dir}/plain.txt`, 'utf8')).toBe('hello\n')
      expect((await stat(`${dir}/bin/run.sh`)).mode & 0o777).toBe(0o755)
      expect(await readFile(`${dir}/lang/en/café menü.php`, 'utf8')).toBe('<?php // ü\n')
      expect((await readFile(`${dir}/${long}`)).equals(Buffer.alloc(70000, 7))).toBe(true)
      expect((await stat(`${dir}/empty`)).size).toBe(0)
      expect(await readlink(`${dir}/link.php`)).toBe('lang/en/café menü.php')
      expect(await readlink(`${dir}/long-link`)).toBe(`../${'x'.repeat(150)}`)
      expect((await stat(`${dir}/plain.txt`)).mtimeMs).toBe(1700000000000)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
