/**
 * Debian's Chromium for the browser tests, driven by playwright-core (no
 * browser download): where it is, whether it is here, and how they launch it.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Where Debian's package puts it (`apt-get install -y chromium`; .ci/run does). */
export const CHROMIUM = '/usr/bin/chromium';
/** Whether this machine has it: browser tests skip with `chromiumMissing(...)` otherwise. */
export const hasChromium = existsSync(CHROMIUM);

/** The skip message of a browser test named `what` on a machine without Chromium. */
export const chromiumMissing = (what: string) => `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to run ${what}`;

/** Headless Chromium that asks nothing of the network by itself (no updates, sync, QUIC). Throws when it cannot start. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
