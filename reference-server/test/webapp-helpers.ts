// Browser tests of the webapp: headless Chromium (Debian's) driven by playwright-core against the
// real host, screenshots under test-output/, logging in through the login page.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { ServerOptions } from '../src/server.js';
import { USER, createAdmin, realPluginDir, startServer, type Client, type TestServer } from './helpers.js';

/** test-output/ at the repository root (tests run from reference-server/dist/test). */
export const OUTPUT_DIR = fileURLToPath(new URL('../../../test-output/', import.meta.url));

/** Every wait in these tests is bounded by this (Playwright's own default is 30 s). */
export const WAIT_MS = 10_000;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
    timeout: 30_000,
  });
}

export interface PageOptions {
  width?: number;
  height?: number;
}

/** A fresh browser profile (no cookies) on the host, allowed to use the clipboard. */
export async function newPage(browser: Browser, baseURL: string, options: PageOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL, viewport: { width: options.width ?? 1280, height: options.height ?? 860 }, locale: 'en-US', timezoneId: 'UTC',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  const page = await context.newPage();
  // A script error on a page is a test failure, not a silent blank page.
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as Page & { scriptErrors: string[] }).scriptErrors = errors;
  return { context, page };
}

export interface BrowserSession {
  server: TestServer;
  admin: Client;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /**
   * Closes the page's context and the browser, then runs `others` (closing what the test started
   * besides), then closes the host.
   */
  close(others?: () => Promise<void>): Promise<void>;
}

/**
 * The host with the real plugin, its admin, `serviceSettings` patched into its config (when given),
 * and a fresh page on it in a new browser. What was started is closed again if a later step fails.
 */
export async function startBrowserSession(serviceSettings?: Record<string, unknown>, serverOptions: ServerOptions = {}): Promise<BrowserSession> {
  const server = await startServer({ pluginDir: realPluginDir(), ...serverOptions });
  let browser: Browser | undefined;
  try {
    const { client: admin } = await createAdmin(server.url);
    if (serviceSettings) await admin.patchConfig({ ServiceSettings: serviceSettings } as never);
    browser = await launchBrowser();
    const { context, page } = await newPage(browser, server.url);
    return {
      server, admin, browser, context, page,
      async close(others) {
        await context.close();
        await browser?.close();
        await others?.();
        await server.close();
      },
    };
  } catch (e) {
    await browser?.close();
    await server.close();
    throw e;
  }
}

export function scriptErrors(page: Page): string[] {
  return (page as Page & { scriptErrors?: string[] }).scriptErrors ?? [];
}

/**
 * Saves a screenshot as test-output/<name>.png: the whole page, or only the window for a dialog
 * (its backdrop is fixed to the window, which a full-page picture would show shifted).
 */
export async function screenshot(page: Page, name: string, what: 'page' | 'window' = 'page'): Promise<void> {
  await page.screenshot({ path: outputPng(name), fullPage: what === 'page', animations: 'disabled' });
}

/**
 * Saves a screenshot of some fields of a long form as test-output/<name>.png: the window scrolled to
 * them, cut to the box around them and a margin (they must fit in the window).
 */
export async function screenshotOf(page: Page, name: string, parts: Locator[], margin = 16): Promise<void> {
  await parts[0].scrollIntoViewIfNeeded();
  const boxes = await Promise.all(parts.map(async (part) => {
    const box = await part.boundingBox();
    if (!box) throw new Error(`screenshot ${name}: a part is not shown`);
    return box;
  }));
  const left = Math.max(0, Math.min(...boxes.map((b) => b.x)) - margin);
  const top = Math.max(0, Math.min(...boxes.map((b) => b.y)) - margin);
  const right = Math.max(...boxes.map((b) => b.x + b.width)) + margin;
  const bottom = Math.max(...boxes.map((b) => b.y + b.height)) + margin;
  await page.screenshot({ path: outputPng(name), clip: { x: left, y: top, width: right - left, height: bottom - top }, animations: 'disabled' });
}

function outputPng(name: string): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return join(OUTPUT_DIR, `${name}.png`);
}

/** Logs in through the host's login page, which must be showing. */
export async function submitLogin(page: Page, loginId: string, password: string): Promise<void> {
  await page.getByLabel('Email or Username').fill(loginId);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Opens `path`, which sends the logged-out browser to the login page, and logs in to come back. */
export async function loginAndOpen(page: Page, path: string, loginId: string, password: string): Promise<void> {
  await page.goto(path);
  await page.waitForURL(/\/login\?redirect_to=/);
  await submitLogin(page, loginId, password);
  await page.waitForURL((u) => u.pathname + u.search === path);
}

/**
 * The user's part of an OAuth client's authorization request: opens `authorizationUrl`, logs in
 * when the login page comes, clicks Allow on the consent screen, and returns where the browser
 * was sent back to. `redirectUri` is answered inside the browser, so that nothing has to listen there.
 * `onConsent` looks at the consent screen first.
 */
export async function approveInBrowser(page: Page, authorizationUrl: URL, redirectUri: string, user = USER,
  onConsent: (page: Page) => Promise<void> = async () => {}): Promise<URL> {
  const isCallback = (u: URL) => u.href.startsWith(`${redirectUri}?`);
  await page.route(isCallback, (route) => route.fulfill({ contentType: 'text/html', body: '<p>Signed in. You may close this window.</p>' }));
  try {
    await page.goto(authorizationUrl.href);
    if (new URL(page.url()).pathname === '/login') await submitLogin(page, user.username, user.password);
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await onConsent(page);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(isCallback);
    return new URL(page.url());
  } finally {
    await page.unroute(isCallback);
  }
}

/** The MMCSRF and session cookies the browser holds, as a Cookie header (for direct API checks). */
export async function cookieHeader(context: BrowserContext): Promise<string> {
  return (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
}

// Questions asked inside the page (written as expressions: the host's TypeScript has no DOM types).

/** The text of the focused element. */
export function focusedText(page: Page): Promise<string | null> {
  return page.evaluate('document.activeElement && document.activeElement.textContent');
}

/** The id of the focused element. */
export function focusedId(page: Page): Promise<string | null> {
  return page.evaluate('document.activeElement && document.activeElement.id');
}

/** How many pixels the page is wider than the window (> 0: sideways scrolling). */
export function overflowX(page: Page): Promise<number> {
  return page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
}

export function clipboardText(page: Page): Promise<string> {
  return page.evaluate('navigator.clipboard.readText()');
}
