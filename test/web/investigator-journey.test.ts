import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../support/requirements.js';
import { spawnNode, type Spawned } from '../support/processes.js';
import { addUser, CHROMIUM, CHROMIUM_ARGS, eventually, firstSignIn, hasCount, hasText, SCREENSHOTS, syntheticPicture, tarOf, writeFiles, type IssuedUser } from './support.js';

const noChromium = missing('chromium', existsSync(CHROMIUM));
const noFfmpeg = missing('ffmpeg', existsSync('/usr/bin/ffmpeg'));

/**
 * The investigators' web application in a real browser against the real `ariadne serve`: a French investigator
 * signs in with TOTP, uploads a folder, watches the triage report fill in, compares a match, categorises,
 * comments and consults a German colleague, who answers in a second browser; a Spanish investigator sees none of it.
 */
describe.skipIf(noChromium)('the web application, end to end in Chromium', () => {
  let dir: string;
  let env: Record<string, string>;
  let server: Spawned;
  let url: string;
  let browser: Browser;
  let ana: IssuedUser;
  let ben: IssuedUser;
  let carl: IssuedUser;
  let frAdmin: IssuedUser;
  const contexts: BrowserContext[] = [];

  async function open(locale = 'en-GB'): Promise<Page> {
    const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    // Any script error or CSP refusal in the page fails the test.
    page.on('pageerror', (e) => errors.push(`${e.message}`));
    page.on('console', (m) => m.type() === 'error' && !/status of 40[134]/.test(m.text()) && errors.push(m.text()));
    return page;
  }
  const errors: string[] = [];
  const shooter = (page: Page, who: string) => async (name: string) => {
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await page.screenshot({ path: join(SCREENSHOTS, `${who}-${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-web-e2e-'));
    mkdirSync(SCREENSHOTS, { recursive: true });
    env = { ARIADNE_DATA_DIR: join(dir, 'data'), ARIADNE_PORT: '0', ARIADNE_LOG_LEVEL: 'info', ARIADNE_JOB_POLL_MS: '50' };
    // One after the other: the first command creates the database.
    ana = await addUser(env, { username: 'ana.martin', country: 'FR', agency: 'OCRVP', role: 'investigator', certifyDays: 30 });
    ben = await addUser(env, { username: 'ben.keller', country: 'DE', agency: 'BKA', role: 'investigator', certifyDays: 30 });
    carl = await addUser(env, { username: 'carla.ruiz', country: 'ES', agency: 'Policia Nacional', role: 'investigator', certifyDays: 30 });
    frAdmin = await addUser(env, { username: 'fr.admin', country: 'FR', agency: 'OCRVP', role: 'country_admin', certifyDays: 30 });

    // Material already in the shared database: the German unit's series, categorised on import.
    const pictures = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((s) => syntheticPicture(s)));
    writeFiles(join(dir, 'stored'), { 'garden/1.jpg': pictures[0], 'garden/2.jpg': pictures[1] });
    const ingest = spawnNode('dist/src/cli/main.js', ['ingest', join(dir, 'stored'), '--reference', 'DE-2026-17', '--series', 'Garden series', '--category', '1', '--agency', 'BKA', '--country', 'DE'], env);
    expect((await ingest.exited).code, ingest.output()).toBe(0);

    // The seizure ana uploads: one exact copy and one re-encoded smaller copy of stored items, new pictures, and a
    // file twice in two folders.
    writeFiles(join(dir, 'seizure'), {
      'DCIM/100APPLE/IMG_0001.jpg': pictures[0],
      'DCIM/100APPLE/IMG_0002.jpg': await sharp(pictures[1]).resize(480, 360).jpeg({ quality: 70 }).toBuffer(),
      'DCIM/100APPLE/IMG_0003.jpg': pictures[2],
      'DCIM/100APPLE/IMG_0004.jpg': pictures[3],
      'DCIM/101APPLE/IMG_0105.jpg': pictures[4],
      'DCIM/101APPLE/IMG_0106.jpg': pictures[5],
      'Downloads/copy.jpg': pictures[2],
    });

    server = spawnNode('dist/src/cli/main.js', ['serve'], env);
    [, url] = await server.waitFor(/listening on (http:\/\/\S+) /, 30_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    console.log(`screenshots: ${SCREENSHOTS}`);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    if (server) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  let submissionPath = '';
  let investigationPath = '';
  let noticePath = '';
  let anaPage: Page;

  it('signs in with a one-time password and TOTP, shows recovery codes once, and makes the user choose a password', async () => {
    anaPage = await open();
    const shot = shooter(anaPage, '01-ana');
    await firstSignIn(anaPage, url, ana, 'a long passphrase for ana', shot);
    await hasText(anaPage.locator('h1'), /Welcome, ana\.martin/);
    await shot('home');
    // The page runs under the server's strict CSP (no inline script needed).
    const csp = (await anaPage.request.get(url)).headers()['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
  });

  it('uploads a folder resumably and watches the triage report fill in: new before known', async () => {
    const page = anaPage;
    const shot = shooter(page, '02-ana');
    await page.getByRole('link', { name: 'Upload' }).click();
    await page.locator('input[name=reference]').fill('FR-2026-0042');
    await page.locator('input[name=device]').fill('iPhone of the suspect');
    await page.getByRole('button', { name: 'Start the submission' }).click();
    await page.getByTestId('folder-input').setInputFiles(join(dir, 'seizure'));
    await hasCount(page.locator('tr[data-state=done]'), 7, 30_000);
    await hasText(page.locator('td.path').first(), /^seizure\/|^DCIM\/|^Downloads\//);
    await shot('upload');
    await page.getByRole('link', { name: 'Open the live triage report' }).click();
    submissionPath = new URL(page.url()).pathname;
    const totals = page.getByTestId('triage-totals');
    await page.getByText(/^Complete since/).waitFor({ timeout: 60_000 });
    await hasText(totals, /\b7\s+Files\b/);
    await hasText(totals, /\b4\s+New\b/);
    await hasText(totals, /\b2\s+Known\b/);
    await hasText(totals, /\b1\s+Duplicates\b/);
    const statuses = await page.locator('.triage-item').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
    expect(statuses).toEqual(['new', 'new', 'new', 'new', 'known', 'known']);
    // Viewer protection: redacted, blurred, grey thumbnails until one is revealed on purpose.
    expect(await page.getByTestId('redacted-thumbnail').first().getAttribute('style')).toMatch(/filter: blur\(12px\) grayscale\(1\)/);
    await shot('triage');
  });

  it('moves and reveals by keyboard, one item at a time, and categorises', async () => {
    const page = anaPage;
    await page.locator('#page-title').focus();
    await page.keyboard.press('j');
    await hasCount(page.locator('.triage-item.selected'), 1);
    const selected = page.locator('.triage-item.selected');
    await page.keyboard.press('r');
    await selected.getByTestId('revealed-image').waitFor();
    await hasCount(page.getByTestId('revealed-image'), 1);
    await page.getByText('This view is recorded in the audit trail.').waitFor();
    await page.keyboard.press('k');
    await page.keyboard.press('r');
    await hasCount(page.getByTestId('revealed-image'), 1);
    await page.keyboard.press('r');
    await hasCount(page.getByTestId('revealed-image'), 0);
    await page.keyboard.press('2');
    await hasText(page.locator('.triage-item.selected [role=status]'), 'Vote recorded');
    await shooter(page, '03-ana')('triage-keyboard');
  });

  it('opens a match side by side with the distance and the signal that matched', async () => {
    const page = anaPage;
    const known = page.locator('.triage-item[data-status=known]').filter({ hasText: 'IMG_0002.jpg' });
    await known.getByRole('link', { name: 'Compare' }).click();
    await hasText(page.getByTestId('match-verdict'), /Perceptual hash \(PDQ\) distance \d+ of 256, threshold 31/);
    await hasText(page.locator('table tr.highlight th'), 'PDQ');
    await hasCount(page.getByTestId('redacted-thumbnail'), 2);
    await page.locator('select[name=category]').selectOption('1');
    await page.getByRole('button', { name: 'Vote' }).click();
    await hasText(page.getByTestId('category-state'), /Not settled yet|Settled/);
    await shooter(page, '04-ana')('compare');
    await page.goBack();
  });

  it('opens an investigation, comments and consults a colleague in another country', async () => {
    const page = anaPage;
    await page.goto(`${url}${submissionPath}`);
    await page.getByText('Open an investigation from this submission').click();
    await page.locator('input[name=investigation-title]').fill('Operation Lighthouse');
    await page.getByRole('button', { name: 'Open investigation' }).click();
    await hasText(page.locator('h1'), 'Operation Lighthouse');
    investigationPath = new URL(page.url()).pathname;
    await page.locator('textarea[name=comment]').fill('Two items match the German Garden series; @ana.martin to follow up.');
    await page.getByRole('button', { name: 'Post' }).click();
    await hasText(page.getByTestId('comment'), 'Garden series');
    await page.locator('input[name=consult-to]').fill('DE');
    await page.locator('textarea[name=consult-question]').fill('Do you know where the Garden series was produced?');
    await page.getByRole('button', { name: 'Send the question' }).click();
    await hasText(page.getByTestId('consultation'), 'Garden series was produced');
    await shooter(page, '05-ana')('investigation');
  });

  it('lets the consulted colleague answer in a second browser, and the asker sees the answer', async () => {
    const page = await open();
    const shot = shooter(page, '06-ben');
    await firstSignIn(page, url, ben, 'a long passphrase for ben');
    await page.getByText('Do you know where the Garden series was produced?').first().waitFor();
    await shot('home');
    await page.getByRole('link', { name: 'Consultations' }).click();
    await page.locator('textarea[name=answer]').fill('Yes: a flat in Leipzig, identified in 2025. Contact our unit.');
    await page.getByRole('button', { name: 'Send the answer' }).click();
    await hasText(page.getByTestId('consultation'), 'answered');
    await shot('consultations');
    // The consulted party sees the investigation it was asked about.
    await page.goto(`${url}${investigationPath}`);
    await hasText(page.locator('h1'), 'Operation Lighthouse');

    await anaPage.reload();
    await hasText(anaPage.getByTestId('consultation'), 'a flat in Leipzig');
    await shooter(anaPage, '07-ana')('answer');
  });

  it('drafts a Yellow Notice for a missing child and asks for its publication', async () => {
    const page = anaPage;
    await page.getByRole('link', { name: 'Notices and operations' }).click();
    await page.getByText('Draft a notice').click();
    await page.locator('select[name=notice-kind]').selectOption('yellow');
    await page.locator('input[name=family]').fill('Durand');
    await page.locator('input[name=given]').fill('Léa');
    await page.locator('select[name=sex]').selectOption('female');
    await page.locator('input[name=birth-date]').fill('2014-03-02');
    await page.locator('textarea[name=marks]').fill('Small scar above the left eyebrow');
    await page.locator('input[name=disappearance-date]').fill('2026-11-20');
    await page.locator('input[name=disappearance-place]').fill('Lyon, Part-Dieu station');
    await page.locator('input[name=disappearance-country]').fill('FR');
    await page.locator('textarea[name=circumstances]').fill('Left school at 16:30 and did not arrive home.');
    await page.getByRole('button', { name: 'Save the draft' }).click();
    await hasText(page.locator('h1'), /^Yellow Notice/);
    await hasText(page.locator('#h-subject'), 'DURAND, Léa');
    await page.getByRole('button', { name: 'Ask for publication' }).click();
    await hasText(page.locator('.page-actions'), 'awaiting publication');
    noticePath = new URL(page.url()).pathname;
    await shooter(page, '07-ana')('yellow-notice');
    await page.getByRole('link', { name: 'Notices and operations' }).click();
    await hasCount(page.locator('[data-testid=notices] tbody tr'), 1);
  });

  it('starts a joint operation and shares the investigation into it', async () => {
    const page = anaPage;
    await page.locator('input[name=operation-name]').fill('Operation Nightingale');
    await page.getByRole('button', { name: 'Start an operation' }).click();
    await hasText(page.locator('h1'), 'Operation Nightingale');
    await hasText(page.locator('main'), /FR · coordinator · ana\.martin/);
    await page.locator('input[name=item-id]').fill(investigationPath.split('/').pop()!);
    await page.getByRole('button', { name: 'Share' }).click();
    await hasText(page.getByTestId('operation-items'), 'Operation Lighthouse');
    await shooter(page, '07-ana')('operation');
  });

  it('shows a user from a third country none of it, in Spanish', async () => {
    const page = await open('es-ES');
    const shot = shooter(page, '08-carla');
    await firstSignIn(page, url, carl, 'una frase larga para carla');
    await hasText(page.locator('h1'), /Bienvenid|Welcome/);
    await page.goto(`${url}/investigations`);
    await hasCount(page.locator('table tbody tr'), 0);
    await shot('investigations');
    await page.goto(`${url}${investigationPath}`);
    await page.getByRole('alert').waitFor();
    await hasCount(page.locator('h1'), 0);
    await page.goto(`${url}/consultations`);
    await hasCount(page.getByTestId('consultation'), 0);
    await page.goto(`${url}/notices`);
    await page.locator('[data-testid=notices]').waitFor();
    await hasCount(page.locator('[data-testid=notices] tbody tr'), 0);
    await page.locator('section[aria-labelledby=h-operations] p.empty').waitFor();
    await hasCount(page.getByTestId('operations').locator('li'), 0);
    await page.goto(`${url}${noticePath}`);
    await page.getByRole('alert').waitFor();
    await page.goto(`${url}${submissionPath}`);
    await page.getByRole('alert').waitFor();
    await shot('submission-refused');
  });

  it('pauses a large transfer and, after a reload, resumes it where the server left it', async () => {
    const page = anaPage;
    await page.goto(`${url}/upload`);
    await page.locator('input[name=reference]').fill('FR-2026-0043');
    await page.getByRole('button', { name: 'Start the submission' }).click();
    // A slow line (about 3 MB/s up) so the transfer can be paused half-way.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 5, downloadThroughput: -1, uploadThroughput: 3_000_000 });
    const large = join(dir, 'disk-image.bin');
    writeFileSync(large, randomBytes(10 * 1024 * 1024));
    await page.getByTestId('file-input').setInputFiles(large);
    const row = page.locator('tbody tr').first();
    await eventually(async () => expect(Number(await row.locator('progress').getAttribute('value'))).toBeGreaterThanOrEqual(45), 30_000);
    await row.getByRole('button', { name: 'Pause' }).click();
    await hasText(row, 'paused');
    const pausedAt = Number(await row.locator('progress').getAttribute('value'));
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    // The page is reloaded (the browser closed, the laptop moved): the same file dropped again resumes.
    expect(new URL(page.url()).searchParams.get('submission')).toMatch(/^\d+$/);
    await page.reload();
    await page.getByTestId('file-input').setInputFiles(large);
    const again = page.locator('tbody tr').first();
    await hasText(again, /done 100%/, 30_000);
    await hasText(again, /resumed after \d/);
    expect(pausedAt).toBeLessThan(100);
    await shooter(page, '09-ana')('upload-resumed');
  });

  it('takes an archive dropped on the page and reports its members', async () => {
    const page = anaPage;
    const archive = await tarOf({ 'Camera/IMG_2001.jpg': await syntheticPicture(21), 'Camera/IMG_2002.jpg': await syntheticPicture(22) });
    await page.goto(`${url}/upload`);
    await page.locator('input[name=reference]').fill('FR-2026-0045');
    await page.getByRole('button', { name: 'Start the submission' }).click();
    await page.getByTestId('dropzone').waitFor();
    // What a drag from the file manager delivers: a drop event whose DataTransfer holds the file.
    await page.evaluate(`(() => {
      const bytes = Uint8Array.from(atob(${JSON.stringify(archive.toString('base64'))}), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'phone-backup.tar', { type: 'application/x-tar' }));
      document.querySelector('[data-testid=dropzone]').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    })()`);
    await hasText(page.locator('tbody tr').first(), /phone-backup\.tar[\s\S]*done 100%/, 30_000);
    await page.getByRole('link', { name: 'Open the live triage report' }).click();
    await page.getByText(/^Complete since/).waitFor({ timeout: 30_000 });
    await hasCount(page.locator('.triage-item'), 2);
    await hasText(page.locator('.triage-item').first(), 'phone-backup.tar!/Camera/IMG_2001.jpg');
    await hasText(page.getByTestId('triage-totals'), /\b2\s+New\b/);
    await shooter(page, '09-ana')('archive');
  });

  it.skipIf(noFfmpeg)('shows a video redacted, and plays it muted with controls only when revealed', async () => {
    const page = anaPage;
    const video = join(dir, 'clip.mp4');
    execFileSync('/usr/bin/ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=1:size=320x240:rate=10', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-shortest', '-pix_fmt', 'yuv420p', '-y', video]);
    await page.goto(`${url}/upload`);
    await page.locator('input[name=reference]').fill('FR-2026-0044');
    await page.getByRole('button', { name: 'Start the submission' }).click();
    await page.getByTestId('file-input').setInputFiles(video);
    await hasText(page.locator('tbody tr').first(), /done 100%/, 30_000);
    await page.getByRole('link', { name: 'Open the live triage report' }).click();
    const item = page.locator('.triage-item').first();
    await hasText(item, 'clip.mp4', 30_000);
    await page.getByText(/^Complete since/).waitFor({ timeout: 30_000 });
    await hasCount(item.getByTestId('revealed-video'), 0);
    await item.getByRole('button', { name: 'Reveal' }).click();
    const player = item.getByTestId('revealed-video');
    await player.waitFor();
    expect(await player.evaluate((v) => [(v as unknown as { muted: boolean }).muted, v.hasAttribute('controls')])).toEqual([true, true]);
    await shooter(page, '09-ana')('video');
  });

  it('renders every other page of the investigator without an error, and the series seen in the match', async () => {
    const page = anaPage;
    const shot = shooter(page, '11-ana');
    for (const [path, name, heading] of [
      ['/submissions', 'submissions', 'Submissions'],
      ['/series', 'series', 'Series'],
      ['/people', 'people', 'Victims and offenders'],
      ['/consultations', 'consultations', 'Consultations'],
      ['/investigations', 'investigations', 'Investigations'],
      ['/settings', 'settings', 'Settings'],
    ] as const) {
      await page.goto(`${url}${path}`);
      await hasText(page.locator('h1'), heading);
      await shot(name);
    }
    await page.goto(`${url}/series`);
    await page.getByRole('link', { name: 'Garden series' }).click();
    await hasText(page.locator('h1'), 'Garden series');
    await hasText(page.locator('main'), /Owned by DE · seen in .*FR/);
    await shot('series-detail');
    await page.goto(`${url}${submissionPath}`);
    await page.locator('.triage-item a.path').first().click();
    await hasText(page.locator('h1'), /^Item #\d+/);
    await page.getByTestId('redacted-thumbnail').waitFor();
    await shot('item');
  });

  it('gives the country admin user administration with an enrolment QR code, the audit trail and statistics', async () => {
    const page = await open();
    const shot = shooter(page, '10-admin');
    await firstSignIn(page, url, frAdmin, 'a long passphrase for the admin');
    await page.getByRole('link', { name: 'Users' }).click();
    await page.locator('input[name=new-username]').fill('new.colleague');
    await page.locator('select[name=agency]').selectOption({ label: 'OCRVP (FR)' });
    await page.getByRole('button', { name: 'Create the account' }).click();
    await page.getByTestId('enrolment').locator('img').waitFor();
    await hasText(page.getByTestId('totp-secret'), /^[A-Z2-7]{16,}$/);
    await shot('users');
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await page.locator('input[name=action]').fill('media.view');
    await page.getByRole('button', { name: 'Filter' }).click();
    await hasText(page.locator('table.audit tbody tr').first(), 'ana.martin');
    await shot('audit');
    await page.getByRole('link', { name: 'Statistics' }).click();
    await page.locator('figure.chart svg').first().waitFor();
    // The work per country and month: ana's submissions count for France.
    await hasText(page.locator('#h-work'), /^Work from \d{4}-\d{2} to \d{4}-\d{2}/);
    await hasText(page.locator('section[aria-labelledby=h-work] .stats'), /\b4\s+Submissions\b/);
    await shot('statistics');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=blur]').fill('20');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.', { exact: true }).waitFor();
    await shot('settings');
    expect(errors).toEqual([]);
  });
});
