import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { pack } from 'tar-stream';
import type { Locator, Page } from 'playwright-core';
import { totpCode } from '../../src/auth/totp.js';
import { projectRoot, spawnNode } from '../support/processes.js';

/** Debian's Chromium with the flags DESIGN.md section 5 lists (no sandbox in containers, nothing phoning home). */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Where the tests save a screenshot of every page they visit (an ignored folder). */
export const SCREENSHOTS = join(projectRoot, '.tmp', 'screenshots');

export interface IssuedUser {
  readonly username: string;
  readonly oneTimePassword: string;
  readonly totpSecret: string;
  readonly countryCode: string;
  readonly id: number;
}

/** A user created by the operator's CLI (`ariadne users add --json`), as an administrator would hand it over. */
export async function addUser(env: Record<string, string>, o: { username: string; country: string; agency: string; role: string; certifyDays?: number }): Promise<IssuedUser> {
  const args = ['users', 'add', '--country', o.country, '--agency', o.agency, '--role', o.role, '--username', o.username, '--json'];
  if (o.certifyDays) args.push('--certify-days', String(o.certifyDays));
  const run = spawnNode('dist/src/cli/main.js', args, env);
  const exit = await run.exited;
  if (exit.code !== 0) throw new Error(`users add ${o.username}: ${run.output()}`);
  const issued = JSON.parse(run.output()) as { user: { id: number; username: string; countryCode: string }; oneTimePassword: string; totpSecret: string };
  return { username: issued.user.username, id: issued.user.id, countryCode: issued.user.countryCode, oneTimePassword: issued.oneTimePassword, totpSecret: issued.totpSecret };
}

/**
 * A synthetic picture (gradient, shapes, a caption) that nothing else resembles: `seed` varies the colours, the
 * shapes' places and the caption. Benign by construction.
 */
export async function syntheticPicture(seed: number, width = 640, height = 480): Promise<Buffer> {
  const hue = (seed * 67) % 360;
  const x = 80 + ((seed * 97) % (width - 200));
  const y = 60 + ((seed * 53) % (height - 180));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="${seed % 2}" y2="1">
      <stop offset="0" stop-color="hsl(${hue},70%,55%)"/><stop offset="1" stop-color="hsl(${(hue + 140) % 360},60%,25%)"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>
    <circle cx="${x}" cy="${y}" r="${40 + (seed % 5) * 12}" fill="hsl(${(hue + 60) % 360},80%,70%)"/>
    <rect x="${width - x - 60}" y="${height - y - 60}" width="${90 + (seed % 7) * 10}" height="${70 + (seed % 3) * 25}" fill="hsl(${(hue + 200) % 360},50%,40%)" transform="rotate(${seed * 13} ${width / 2} ${height / 2})"/>
    <polygon points="${x},${height - 30} ${x + 120},${height - 150} ${x + 240},${height - 30}" fill="hsl(${(hue + 300) % 360},65%,50%)"/>
    <text x="24" y="48" font-family="sans-serif" font-size="36" fill="white">Sample ${seed}</text>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 88 }).toBuffer();
}

export function writeFiles(dir: string, files: Record<string, Buffer>): void {
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), data);
  }
}

/**
 * First sign-in of a user handed a one-time password and an authenticator secret: password + TOTP code, the
 * recovery codes shown once, then the user's own password. Leaves the page on the home page.
 */
export async function firstSignIn(page: Page, baseUrl: string, user: IssuedUser, newPassword: string, shot?: (name: string) => Promise<void>): Promise<void> {
  await page.goto(baseUrl);
  await page.locator('input[name=username]').fill(user.username);
  await page.locator('input[name=password]').fill(user.oneTimePassword);
  await page.locator('input[name=code]').fill(await totpCode(user.totpSecret));
  await shot?.('sign-in');
  await page.locator('form button[type=submit]').click();
  await page.locator('.recovery-codes li').first().waitFor();
  await shot?.('recovery-codes');
  await page.locator('main button').click();
  await page.locator('input[name=new-password]').fill(newPassword);
  await page.locator('input[name=repeat-password]').fill(newPassword);
  await shot?.('choose-password');
  await page.locator('form button[type=submit]').click();
  await page.locator('nav.sidenav').waitFor();
}

/** Retries a check (assertions inside) until it passes or the time is up, then fails with its last error. */
export async function eventually(check: () => Promise<void>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Waits until the (first) element's text matches: a string must be contained, a RegExp must match. */
export async function hasText(locator: Locator, expected: string | RegExp, timeoutMs = 20_000): Promise<void> {
  await eventually(async () => {
    const text = await locator.first().innerText({ timeout: 1_000 });
    if (typeof expected === 'string' ? !text.includes(expected) : !expected.test(text)) throw new Error(`text ${JSON.stringify(text)} does not match ${String(expected)}`);
  }, timeoutMs);
}

/** Waits until the locator matches exactly `n` elements. */
export async function hasCount(locator: Locator, n: number, timeoutMs = 20_000): Promise<void> {
  await eventually(async () => {
    const count = await locator.count();
    if (count !== n) throw new Error(`expected ${n} elements, found ${count}`);
  }, timeoutMs);
}

/** A tar archive of the given files (what a seized phone backup might be), built in memory. */
export async function tarOf(files: Record<string, Buffer>): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (chunk) => {
    chunks.push(chunk as Buffer);
  });
  const ended = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const [name, data] of Object.entries(files)) {
    await new Promise<void>((resolve, reject) => p.entry({ name, mtime: new Date('2025-06-01T10:00:00Z') }, data, (error) => (error ? reject(error) : resolve())));
  }
  p.finalize();
  await ended;
  return Buffer.concat(chunks);
}
