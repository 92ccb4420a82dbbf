/** A real browser for the console's tests: Debian's Chromium, headless, driven by playwright-core. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser (`.ci/run` installs it when it is missing). */
export const CHROMIUM = '/usr/bin/chromium';

/** axe-core's browser build, injected into pages to check them. */
const AXE = join(__dirname, '..', '..', '..', 'node_modules', 'axe-core', 'axe.min.js');

/** Launches the system Chromium headless; fails naming the package when it is not installed. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Chromium's sandbox refuses to start as root, which CI containers often are.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}

/**
 * A fresh context (no cookies) at a laptop's size, in light or dark. `forAxe` lets injected scripts past
 * the console's CSP (axe-core arrives as an inline script); every other context keeps the policy on.
 */
export function newContext(
  browser: Browser,
  options: { colorScheme?: 'light' | 'dark'; forAxe?: boolean } = {},
): Promise<BrowserContext> {
  return browser.newContext({
    viewport: { width: 1366, height: 820 },
    colorScheme: options.colorScheme ?? 'light',
    bypassCSP: options.forAxe ?? false,
  });
}

/** Fills the sign-in form the page shows with `token` and waits until the console is signed in. */
export async function signInWith(page: Page, token: string): Promise<void> {
  await page.getByLabel('Capstan token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** With CAPSTAN_CONSOLE_SHOTS set to a directory, saves the page there as `<name>-light.png` and `<name>-dark.png`. */
export async function shoot(page: Page, name: string): Promise<void> {
  const dir = process.env.CAPSTAN_CONSOLE_SHOTS;
  if (!dir) return;
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: join(dir, `${name}-${colorScheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: null });
}

/** One axe-core finding: rule, impact and where. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe-core on the page as it is (a context made `forAxe`) and returns its serious and critical violations. */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as any).axe;
    const result = await axe.run((globalThis as any).document, { resultTypes: ['violations'] });
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n: any) => String(n.target)),
    }));
  });
  return (violations as AxeViolation[]).filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
