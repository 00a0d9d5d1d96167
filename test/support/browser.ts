/**
 * Debian's chromium driven by playwright-core, for the page tests: a headless browser with its
 * own throwaway profile, and a poll for what the page renders asynchronously.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.JETMON_CHROMIUM || "/usr/bin/chromium";

/** Whether chromium is installed; says which test is skipped when it is not. */
export function chromiumAvailable(what: string): boolean {
  const ok = existsSync(CHROMIUM);
  if (!ok) console.warn(`SKIP ${what}: ${CHROMIUM} not found (apt-get install -y chromium)`);
  return ok;
}

export interface HeadlessChromium {
  context: BrowserContext;
  page: Page;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

export async function launchHeadlessChromium(): Promise<HeadlessChromium> {
  const userDataDir = mkdtempSync(join(tmpdir(), "jetmon-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  } catch (err) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `cond` every 50 ms for up to 10 s; throws naming `what` when it never holds. */
export async function until(what: string, cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await cond()) return;
    await Bun.sleep(50);
  }
  throw new Error(`gave up waiting for ${what}`);
}
