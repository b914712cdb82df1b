import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

interface TestLike {
  teardown(fn: () => unknown): void;
}

/** Debian's chromium (installed by .ci/run with apt); never a downloaded browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where browser tests save screenshots for review (git-ignored). */
const SCREENSHOT_DIR = path.resolve('test-artifacts/screenshots');

/**
 * A headless Chromium for one test file, closed at teardown. The flags keep it off the network
 * (this machine has none beyond loopback) and let it run as root in CI.
 */
export async function launchBrowser(t: TestLike): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    ],
  });
  t.teardown(() => browser.close());
  return browser;
}

/** A context that trusts our self-signed test server certificate, optionally presenting a client certificate. */
export async function newContext(
  browser: Browser,
  opts: { locale?: string; clientCertificate?: { origin: string; cert: string; key: string } } = {},
): Promise<BrowserContext> {
  return browser.newContext({
    ignoreHTTPSErrors: true,
    locale: opts.locale ?? 'ja-JP',
    ...(opts.clientCertificate
      ? { clientCertificates: [{ origin: opts.clientCertificate.origin, cert: Buffer.from(opts.clientCertificate.cert), key: Buffer.from(opts.clientCertificate.key) }] }
      : {}),
  });
}

export async function screenshotPath(name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return path.join(SCREENSHOT_DIR, `${name}.png`);
}
