// Builds dist/vendor/react.js from react.js beside this file: the React the page shell provides.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

await build({
  absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
  entryPoints: ['vendor/react.js'],
  outfile: 'dist/vendor/react.js',
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'info',
});
