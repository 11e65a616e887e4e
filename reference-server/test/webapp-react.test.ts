// The webapp bundle as a Mattermost plugin bundle: it ships no React and renders with the one the
// page gives it (window.React, as Mattermost's webapp gives its plugins); here the page shell's,
// loaded under the shell's Content-Security-Policy.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { readPluginFiles } from '../src/manifest.js';
import { bundleRoute } from '../src/plugin-routes.js';
import { SHELL_REACT_ROUTE } from '../src/web.js';
import { ADMIN, realPluginDir } from './helpers.js';
import { loginAndOpen, screenshot, scriptErrors, startBrowserSession, type BrowserSession } from './webapp-helpers.js';

/** Strings every build of React or ReactDOM holds (its internals' names, the element type's symbol). */
const REACT_INTERNALS = [
  '__CLIENT_INTERNALS_DO_NOT_USE_OR_WARN_USERS_THEY_CANNOT_UPGRADE',
  '__DOM_INTERNALS_DO_NOT_USE_OR_WARN_USERS_THEY_CANNOT_UPGRADE',
  'react.transitional.element',
];

/** The React version the reference server pins for its page shell. */
const PINNED_REACT = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
}).dependencies.react;

// Runs in the page before its scripts: when the shell's React lands on window, records the tag of
// every HTML element created through its createElement (which the classic JSX transform calls), and
// any Content-Security-Policy violation.
const WATCH_PAGE = `(() => {
  const seen = window.__seen = { tags: [], violations: [] };
  document.addEventListener('securitypolicyviolation', (e) => seen.violations.push(e.violatedDirective + ' ' + e.blockedURI));
  let shared;
  Object.defineProperty(window, 'React', {
    configurable: true,
    get: () => shared,
    set(react) {
      const createElement = react.createElement;
      react.createElement = function (type, ...rest) {
        if (typeof type === 'string' && !seen.tags.includes(type)) seen.tags.push(type);
        return createElement.call(this, type, ...rest);
      };
      shared = react;
    },
  });
})();`;

interface Seen {
  tags: string[];
  violations: string[];
  version: string;
  scripts: string[];
}

function seen(page: Page): Promise<Seen> {
  return page.evaluate(`({ ...window.__seen, version: window.React.version,
    scripts: performance.getEntriesByType('resource').filter((e) => e.initiatorType === 'script').map((e) => new URL(e.name).pathname) })`);
}

describe('webapp: the bundle takes React from the page (Chromium)', () => {
  let session: BrowserSession | undefined;

  before(async () => {
    session = await startBrowserSession({ EnableOAuthServiceProvider: true });
  });
  after(async () => {
    await session?.close();
  });

  it('the built bundle holds no copy of React or ReactDOM', () => {
    const { bundlePath } = readPluginFiles(realPluginDir());
    assert.ok(bundlePath);
    const bundle = readFileSync(bundlePath, 'utf8');
    for (const internal of REACT_INTERNALS) assert.ok(!bundle.includes(internal), `the bundle holds ${internal}`);
    assert.match(bundle, /window\.React\b/);
  });

  it("renders the plugin's pages with the shell's React, the only one on the page", { timeout: 60_000 }, async () => {
    const page = session!.page;
    await page.addInitScript(WATCH_PAGE);
    await loginAndOpen(page, '/main/integrations', ADMIN.username, ADMIN.password);
    await page.getByRole('link', { name: /^OAuth 2.0 Applications Let/ }).waitFor();
    await screenshot(page, 'integrations-home');

    const { tags, violations, version, scripts } = await seen(page);
    // The cards list is the bundle's markup: created through window.React, not a React of its own.
    for (const tag of ['ul', 'li', 'a', 'strong']) assert.ok(tags.includes(tag), `<${tag}> not created through window.React (${tags})`);
    assert.equal(version, PINNED_REACT);
    assert.deepEqual(scripts, [SHELL_REACT_ROUTE, bundleRoute(session!.server.services.plugin.id)], 'React first, then the bundle, nothing else');
    assert.deepEqual(violations, [], 'every script loads under the page CSP');
    assert.deepEqual(scriptErrors(page), []);

    // Another page of the bundle (history.pushState, the shell renders again) goes through the same React.
    await page.evaluate('window.__seen.tags.length = 0');
    await page.getByRole('link', { name: /^OAuth 2.0 Applications Let/ }).click();
    await page.getByRole('heading', { name: 'No OAuth 2.0 Applications found' }).waitFor();
    const next = await seen(page);
    assert.ok(next.tags.includes('h2'), `the page's <h2> not created through window.React (${next.tags})`);
    assert.deepEqual(next.violations, []);
    assert.deepEqual(scriptErrors(page), []);
  });
});

