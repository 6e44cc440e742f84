// Bundles the Action's main and post entries and the CLI into dist/ with esbuild: ESM, Node 20+, shared code split
// into chunks. ssh2's optional native parts (cpu-features, the sshcrypto addon) are replaced by a module that throws,
// so ssh2 uses its pure-JS code paths, the same on every runner.
import { build } from 'esbuild'
import { rmSync } from 'node:fs'

const stubNative = {
  name: 'stub-native',
  setup(b) {
    b.onResolve({ filter: /^cpu-features$|\.node$/ }, (args) => ({ path: args.path, namespace: 'stub-native' }))
    b.onLoad({ filter: /.*/, namespace: 'stub-native' }, () => ({
      contents: 'throw new Error("native module left out of the bundle")',
      loader: 'js',
    }))
  },
}

rmSync('dist', { recursive: true, force: true })
await build({
  entryPoints: { main: 'src/main.ts', post: 'src/post.ts', cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'linked',
  logLevel: 'warning',
  banner: {
    js: [
      "import { createRequire as __dlvCreateRequire } from 'node:module';",
      "import { dirname as __dlvDirname } from 'node:path';",
      "import { fileURLToPath as __dlvFileURLToPath } from 'node:url';",
      'const require = __dlvCreateRequire(import.meta.url);',
      'const __dlvFilenameValue = __dlvFileURLToPath(import.meta.url);',
      'const __dlvDirnameValue = __dlvDirname(__dlvFilenameValue);',
    ].join(' '),
  },
  // CommonJS code's free __filename / __dirname read the banner's values. Under other names, so that an ES module
  // that declares its own (@azure/storage-common's crc64.js, in the artifact chunk) does not clash with the banner.
  define: { __filename: '__dlvFilenameValue', __dirname: '__dlvDirnameValue' },
  plugins: [stubNative],
})
