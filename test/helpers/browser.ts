// Headless Chromium (Debian's chromium through playwright-core) for the browser tests: a fresh
// profile, no network but what the page asks for, and a record of every console error, page error
// and request to anywhere but the allowed origin (`null` for file: pages).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen since the last `takeProblems()`. */
  takeProblems(): string[];
  /** Requests to anything but `allowedOrigin` (and data:/blob: URLs). */
  foreignRequests: string[];
  close(): Promise<void>;
}

/** A laptop screen. */
export const VIEWPORT = { width: 1366, height: 768 };

export async function openBrowser(allowedOrigin: string): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'malgram-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: VIEWPORT,
  });
  context.setDefaultTimeout(60_000);
  let problems: string[] = [];
  const foreignRequests: string[] = [];
  context.on('request', (req) => {
    const url = req.url();
    if (url.startsWith('data:') || url.startsWith('blob:')) return;
    if (new URL(url).origin !== allowedOrigin) foreignRequests.push(url);
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return {
    context,
    page,
    foreignRequests,
    takeProblems() {
      const out = problems;
      problems = [];
      return out;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
