// Builds dist/main.js, the plugin's webapp bundle, without a copy of React: as Mattermost plugins
// do (the plugin starter template's webpack `externals`), the bundle takes React from the page,
// where Mattermost's webapp puts it on window for its plugins (the reference server's page shell
// does the same). JSX uses the classic transform (React.createElement), so window.React is all it needs.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The packages the page provides, and the window global each one is. */
const PAGE_GLOBALS = { react: 'React', 'react-dom': 'ReactDOM', 'react-dom/client': 'ReactDOM' };

/** Resolves each of PAGE_GLOBALS to its window global; any other React module is a build error, not a second React. */
const fromPage = {
  name: 'from-page',
  setup(b) {
    b.onResolve({ filter: /^react(-dom)?(\/.*)?$/ }, ({ path }) =>
      Object.hasOwn(PAGE_GLOBALS, path) ? { path, namespace: 'page' }
        : { errors: [{ text: `${path} is not provided by the page (only ${Object.keys(PAGE_GLOBALS).join(', ')})` }] });
    b.onLoad({ filter: /.*/, namespace: 'page' }, ({ path }) => ({ contents: `module.exports = window.${PAGE_GLOBALS[path]};` }));
  },
};

await build({
  absWorkingDir: fileURLToPath(new URL('.', import.meta.url)),
  entryPoints: ['src/index.ts'],
  outfile: 'dist/main.js',
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  jsx: 'transform',
  plugins: [fromPage],
  logLevel: 'info',
});
