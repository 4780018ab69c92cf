// `npm run build`, after tsc: bundles the server into dist/src/main.js (replacing tsc's entry) so that
// `node dist/src/main.js` reads a few files instead of resolving and compiling ~2,000 modules: the
// start's largest cost. Its input is tsc's output, so decorator metadata is there as tsc emits it.
// Dynamic imports (MCP SDK, Stripe, the migrator, nodemailer, ioredis) become chunks beside it,
// read only when used. The worker entry goes to dist/src/worker.js, where the pool looks for it.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();
await build({
  absWorkingDir: root,
  entryPoints: ['dist/src/main.js', 'dist/src/embeddings/worker.js'],
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  outdir: 'dist/src',
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Whitespace and syntax only: type-graphql and MikroORM read class names.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: {
    // CommonJS packages inside an ES module bundle still call require().
    // MikroORM compares its packages' package.json versions, which a bundle does not have (package.json pins them).
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url); process.env.MIKRO_ORM_ALLOW_VERSION_MISMATCH ??= '1';",
  },
  external: [
    // Loaded from node_modules at run time: WebAssembly, native binaries and model files they find
    // beside themselves.
    '@electric-sql/*',
    'onnxruntime-node',
    // Drivers knex and MikroORM require only for other databases.
    'sqlite3', 'better-sqlite3', 'mysql', 'mysql2', 'tedious', 'oracledb', 'pg-query-stream', 'pg-native', 'libsql', 'mariadb/callback',
  ],
});
console.log(`server bundled into dist/src/main.js in ${Math.round(performance.now() - started)} ms`);
