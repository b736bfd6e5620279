// The picker's phone page end to end, in headless Chromium (Debian's, installed by
// deploy/browser.sh; playwright-core drives it and downloads nothing): sign in with a token,
// claim waves, confirm scans, report a short pick, stage and hand over, against the real API,
// worker and database. A screenshot of the task screen is checked and kept in a temp dir.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import type { Db } from '../../db/pool';
import { requireDb, requireTemporal } from '../support/stack';
import { startOrderStack } from '../support/orders';
import type { OrderStack } from '../support/orders';
import { placeOrder, seedPickerWorld, waitForRow } from './picker-support';

// Functions passed to page.evaluate run in the browser; the project compiles without the DOM lib.
declare const document: {
  getElementById(id: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
  activeElement: { id: string } | null;
};

const BROWSER = process.env.BROWSER_EXECUTABLE ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('Picker phone page (browser, integration)', function () {
  this.timeout(90_000);
  let db: Db;
  let stack: OrderStack;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const shots = mkdtempSync(join(tmpdir(), 'freshchain-picker-shots-'));

  before(async () => {
    if (!existsSync(BROWSER))
      throw new Error(
        `no browser at ${BROWSER}: run \`npm run setup\` (deploy/browser.sh installs Debian's chromium) or set BROWSER_EXECUTABLE`,
      );
    await requireTemporal();
    db = await requireDb();
    stack = await startOrderStack(db);
    profile = mkdtempSync(join(tmpdir(), 'freshchain-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: BROWSER,
      args: ARGS,
      headless: true,
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
  });
  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await stack?.stop();
    await db?.close();
  });

  const toast = async (pattern: RegExp) => {
    await page.waitForFunction(
      (src) => new RegExp(src).test(document.getElementById('toast')?.textContent ?? ''),
      pattern.source,
    );
    return page.textContent('#toast');
  };

  it('serves the API description and a docs page listing its operations, without a token', async () => {
    const doc = (await (await fetch(`${stack.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).to.equal('3.1.0');
    expect(Object.keys(doc.paths)).to.include.members([
      '/picker/v1/nodes/{nodeId}/waves',
      '/v1/orders',
      '/v1/alerts',
      '/v1/webhooks/subscriptions',
      '/v1/stock/adjustments',
    ]);
    await page.goto(`${stack.url}/docs`);
    await page.waitForSelector('details.op');
    expect(await page.locator('details.op').count()).to.equal(
      Object.values(doc.paths).reduce((n: number, item) => n + Object.keys(item as object).length, 0),
    );
    await page.fill('#filter', 'claim');
    expect(await page.locator('details.op:not([hidden])').count()).to.equal(1);
  });

  it('refuses a bad token and stays on the sign-in screen', async () => {
    await page.goto(`${stack.url}/picker/`);
    await page.fill('#token', 'not-a-token');
    await page.click('#login-form button[type=submit]');
    await toast(/token was refused/);
    expect(await page.isVisible('#work')).to.equal(false);
    expect(await page.isVisible('#login')).to.equal(true);
  });

  it('takes an order from claim to hand-over on a phone, with a short pick on the way', async () => {
    const w = await seedPickerWorld(db);
    const integrator = await stack.token('integrator');
    const { orderId, fulfilmentId } = await placeOrder(stack, db, integrator, w, [
      { lineId: 'l1', sku: 'RICE', qty: 1 },
      { lineId: 'l2', sku: 'MILK', qty: 2 },
    ]);
    const token = await stack.token('picker', w.n0);

    await page.goto(`${stack.url}/picker/`);
    await page.fill('#token', token);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#work:not([hidden])');
    expect(await page.textContent('#who')).to.contain(w.n0);

    // Claim both waves (ambient, then chilled).
    for (let i = 0; i < 2; i++) {
      await page.click('button[data-tab=waves]');
      await page.waitForSelector('.wave .claim');
      expect(await page.locator('.wave').count()).to.equal(2 - i);
      await page.locator('.wave .claim').first().click();
      await toast(/Claim: claimed 1 order/);
    }
    await page.click('button[data-tab=picks]');

    // The task screen: first stop of the pick path (ambient before chilled).
    await page.waitForSelector('#step');
    expect(await page.textContent('#step-bin')).to.equal('A-05-1');
    await page.click('#start');
    await page.waitForSelector('#confirm-form');
    const shot = join(shots, 'task-screen.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString('latin1')).to.equal('PNG');
    expect(png.length, 'a real screen, not a blank page').to.be.greaterThan(20_000);
    const text = await page.textContent('body');
    for (const expected of [
      'A-05-1',
      'Jasmine rice 5 kg',
      w.lot('RICE-A'),
      `${orderId}-f1-A`,
      'L**',
      '5678',
      `Order ${orderId}`,
    ])
      expect(text, expected).to.contain(expected);
    expect(text).not.to.match(/Li Wei|Test Road|138/);

    // Scan rice, confirm.
    await page.fill('#scan-sku', w.sku('RICE'));
    await page.press('#scan-sku', 'Enter'); // a scanner's Enter moves on to the lot field
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('scan-lot');
    await page.fill('#scan-lot', w.lot('RICE-A'));
    await page.click('#confirm');
    await toast(/Confirm: picked 1 of 1/);

    // Milk: a wrong lot is refused with the workflow's message; then one found, one short.
    await page.waitForFunction(() => document.getElementById('step-bin')?.textContent === 'C-03-1');
    await page.click('#start');
    await page.waitForSelector('#confirm-form');
    await page.fill('#scan-sku', w.sku('MILK'));
    await page.fill('#scan-lot', w.lot('MILK-B'));
    await page.click('#confirm');
    await toast(/Confirm refused: lot .*MILK-B is not on this pick/);
    await page.fill('#scan-sku', w.sku('MILK'));
    await page.fill('#scan-lot', w.lot('MILK-A'));
    await page.fill('#scan-qty', '1');
    await page.click('#confirm');
    await toast(/Confirm: picked 1 of 2/);
    await page.click('#trouble summary');
    await page.selectOption('#short-reason', 'not_found');
    await page.click('#short');
    await toast(/Short pick: short 1 of 2: re-allocating as line l2-r1/);

    // Stage: scan both totes and the bay; then hand over.
    await page.waitForSelector('.stage-form');
    for (const input of await page.locator('.stage-form .stage-tote').all())
      await input.fill((await input.getAttribute('data-expected'))!);
    await page.fill('.stage-form .stage-location', 'S-04');
    await page.click('.stage-form button[type=submit]');
    await toast(/Stage: staged 2 tote\(s\) at S-04/);
    await page.waitForSelector('.handover-form');
    await page.fill('.handover-form .courier', 'courier-1');
    await page.click('.handover-form button[type=submit]');
    await toast(/Hand over: handed over to courier courier-1/);
    await page.waitForFunction(() => document.querySelectorAll('.task').length === 0);

    const row = await waitForRow(db, fulfilmentId, (r) => r.state === 'dispatched');
    expect(row.view.courierId).to.equal('courier-1');
    expect(row.view.lines.map((l) => `${l.lineId}:${l.picked}/${l.qty}:${l.status}`).sort()).to.deep.equal([
      'l1:1/1:picked',
      'l2:1/2:short',
    ]);
  });
});
