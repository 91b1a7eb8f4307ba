/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals -- test tooling: runs in Node test processes, never inside n8n */
/**
 * The survey page in real Chromium, served by the NPS Response Trigger in a real n8n: the
 * question in ru/uk/en, 10 → review buttons, 3 → comment box → the comment reaches the workflow,
 * the same with JavaScript off, hostile branch names and comments shown as text, and a screenshot of
 * every state under test/artifacts/.
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from 'n8n-workflow';
import { chromium, type Browser, type Page } from 'playwright-core';

import { RunningN8n, startN8n } from '../support/n8n';
import { signingKeysFrom, signToken } from '../../nodes/shared/survey/token';

jest.setTimeout(10 * 60_000);

const WEBHOOK_ID = 'e2e-survey-page';
const ARTIFACTS = join(__dirname, '..', 'artifacts');
const SIGNING = { keyId: 'k1', secret: ['e2e', 'page', 'signing', 'secret', 'long'].join('-'), previousKeys: '', linkLifetimeDays: 30 };
const HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(2)>';

describe('The survey page in Chromium, served by a real n8n', () => {
	let n8n: RunningN8n;
	let browser: Browser;
	let workflowId: string;
	let pageUrl: string;
	let dialogs = 0;

	beforeAll(async () => {
		mkdirSync(ARTIFACTS, { recursive: true });
		n8n = await startN8n();
		const signing = await n8n.api<{ id: string }>('POST', '/credentials', { name: 'Links', type: 'npsLinkSigningApi', data: SIGNING });
		if (signing.status !== 200) throw new Error(`credential: HTTP ${signing.status} ${JSON.stringify(signing.body)}`);
		workflowId = await n8n.publish(
			{
				name: 'E2E: survey page',
				nodes: [
					{
						id: 'answers',
						name: 'Answers',
						type: 'n8n-nodes-bitrix24-nps.npsResponseTrigger',
						typeVersion: 1,
						position: [0, 0],
						webhookId: WEBHOOK_ID,
						parameters: {
							source: 'page',
							reviewPolicy: 'promoters',
							branches: {
								branch: [
									{ id: '3153', name: 'Казань, Победы', yandex: 'https://yandex.ru/maps/org/shop/1234567/reviews/?add-review=true', google: 'https://search.google.com/local/writereview?placeid=ChIJ123', twoGis: 'https://2gis.ru/kazan/firm/70000001/tab/reviews/addreview' },
									{ id: '666', name: HOSTILE },
								],
							},
						},
						credentials: { npsLinkSigningApi: { id: signing.body.id, name: 'Links' } },
					},
					{ id: 'noop', name: 'Answer received', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [200, 0], parameters: {} },
				],
				connections: { Answers: { main: [[{ node: 'Answer received', type: 'main', index: 0 }]] } },
				settings: { executionOrder: 'v1' },
			},
			[`${WEBHOOK_ID}/s`],
		);
		pageUrl = `${n8n.baseUrl}/webhook/${WEBHOOK_ID}/s`;
		browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
	});

	afterAll(async () => {
		await browser?.close();
		await n8n?.stop();
	});

	function link(dealId: number, language: string, branch = '3153'): string {
		const now = Math.floor(Date.now() / 1000);
		return `${pageUrl}?t=${signToken({ kind: 's', dealId, contactId: 7, branch, channel: 'wazzup', extra: { l: language }, issuedAt: now, expiresAt: now + 3600 }, signingKeysFrom(SIGNING).current)}`;
	}

	async function open(javaScriptEnabled: boolean): Promise<{ page: Page; external: string[]; close: () => Promise<void> }> {
		const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 360, height: 740 } });
		const page = await context.newPage();
		const external: string[] = [];
		page.on('request', (request) => {
			if (!request.url().startsWith(n8n.baseUrl)) external.push(request.url());
		});
		page.on('dialog', async (dialog) => {
			dialogs++;
			await dialog.dismiss();
		});
		return { page, external, close: () => context.close() };
	}

	async function items(count: number): Promise<Array<Record<string, unknown>>> {
		for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
			const list = (await n8n.api<{ data: Array<{ id: string; status: string }> }>('GET', `/executions?workflowId=${workflowId}&limit=250`)).body.data;
			if (list.length >= count && list.every((e) => e.status === 'success')) {
				const out: Array<Record<string, unknown>> = [];
				for (const execution of list) {
					const details = await n8n.api<{ data: { resultData: { runData: Record<string, Array<{ data: { main: Array<Array<{ json: Record<string, unknown> }>> } }>> } } }>('GET', `/executions/${execution.id}?includeData=true`);
					out.push(details.body.data.resultData.runData.Answers[0].data.main[0][0].json);
				}
				return out;
			}
			await sleep(250);
		}
		throw new Error('executions did not finish');
	}

	it.each([
		['ru', 'Насколько вероятно'],
		['uk', 'Наскільки ймовірно'],
		['en', 'How likely'],
	])('renders the question in %s, with nothing fetched from elsewhere', async (language, question) => {
		const { page, external, close } = await open(true);
		const response = await page.goto(link(700, language));
		expect(response?.status()).toBe(200);
		expect(await page.locator('html').getAttribute('lang')).toBe(language);
		expect(await page.locator('h1').innerText()).toContain(question);
		expect(await page.locator('button[name="score"]').count()).toBe(11);
		expect(external).toEqual([]);
		await page.screenshot({ path: join(ARTIFACTS, `survey-question-${language}.png`), fullPage: true });
		await close();
	});

	it.each([true, false])('10 shows the branch review buttons; 3 shows the comment box and the comment arrives (JavaScript %s)', async (javaScriptEnabled) => {
		const before = (await n8n.api<{ data: unknown[] }>('GET', `/executions?workflowId=${workflowId}&limit=250`)).body.data.length;
		const suffix = javaScriptEnabled ? 'js' : 'nojs';
		const dealPromoter = javaScriptEnabled ? 710 : 720;
		const dealDetractor = dealPromoter + 1;
		const promoter = await open(javaScriptEnabled);
		await promoter.page.goto(link(dealPromoter, 'ru'));
		await promoter.page.locator('button[name="score"][value="10"]').click();
		await promoter.page.waitForLoadState();
		const reviewLinks = await promoter.page.locator('a[href^="https://"]').evaluateAll((links) => links.map((a) => (a as unknown as { href: string }).href));
		expect(reviewLinks).toEqual(expect.arrayContaining([expect.stringContaining('yandex.ru/maps/org/shop/1234567'), expect.stringContaining('writereview?placeid=ChIJ123'), expect.stringContaining('2gis.ru/kazan/firm/70000001')]));
		await promoter.page.screenshot({ path: join(ARTIFACTS, `survey-promoter-${suffix}.png`), fullPage: true });
		expect(promoter.external).toEqual([]);
		await promoter.close();

		const detractor = await open(javaScriptEnabled);
		await detractor.page.goto(link(dealDetractor, 'ru'));
		await detractor.page.locator('button[name="score"][value="3"]').click();
		await detractor.page.waitForLoadState();
		expect(await detractor.page.locator('a[href*="yandex"]').count()).toBe(0);
		const box = detractor.page.locator('textarea[name="comment"]');
		await expect(box.count()).resolves.toBe(1);
		await detractor.page.screenshot({ path: join(ARTIFACTS, `survey-comment-box-${suffix}.png`), fullPage: true });
		await box.fill(`Долго ждали. ${HOSTILE}`);
		await detractor.page.locator('form:has(textarea) button[type="submit"], form:has(textarea) button:not([name])').first().click();
		await detractor.page.waitForLoadState();
		// The comment comes back as text: markup in it is shown, never run or rendered.
		expect(await detractor.page.locator('blockquote').innerText()).toBe(`Долго ждали. ${HOSTILE}`);
		expect(await detractor.page.locator('img').count()).toBe(0);
		expect(await detractor.page.locator('script').count()).toBe(0);
		await detractor.page.screenshot({ path: join(ARTIFACTS, `survey-thanks-${suffix}.png`), fullPage: true });
		await detractor.close();

		const all = await items(before + 3);
		const mine = all.filter((item) => item.dealId === dealPromoter || item.dealId === dealDetractor);
		expect(mine).toEqual(
			expect.arrayContaining([
				expect.objectContaining({ dealId: dealPromoter, step: 'score', score: 10 }),
				expect.objectContaining({ dealId: dealDetractor, step: 'score', score: 3 }),
				expect.objectContaining({ dealId: dealDetractor, step: 'comment', comment: `Долго ждали. ${HOSTILE}` }),
			]),
		);
	});

	it('the thank-you page for an answer is sent by n8n after it created the execution: our page and headers, n8n\'s sandbox CSP, and the answer runs', async () => {
		const url = link(4242, 'ru');
		const t = new URL(url).searchParams.get('t')!;
		const executions = async () => (await n8n.api<{ data: Array<{ id: string }> }>('GET', `/executions?workflowId=${workflowId}&limit=250`)).body.data.length;
		const before = await executions();
		const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ t, step: 'score', score: '5' }).toString() });
		const html = await answer.text();
		// n8n created the execution before it sent this page (webhook-helpers: the onReceived answer waits for
		// WorkflowRunner.run). The public API lists it only once it ran, so the count is checked below.
		expect(answer.status).toBe(200);
		expect(html).toContain('name="comment"');
		expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
		expect(answer.headers.get('cache-control')).toBe('no-store');
		expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
		expect(answer.headers.get('content-security-policy')).toMatch(/^sandbox allow-downloads allow-forms /);
		await items(before + 1);
	});

	it('shows a hostile branch name as text, runs nothing of it', async () => {
		const { page, close } = await open(true);
		await page.goto(link(730, 'en', '666'));
		expect(await page.locator('body').innerText()).toContain('<script>alert(1)</script>');
		expect(await page.locator('img').count()).toBe(0);
		expect(await page.locator('script').count()).toBe(0);
		await page.screenshot({ path: join(ARTIFACTS, 'survey-hostile-branch.png'), fullPage: true });
		await close();
		expect(dialogs).toBe(0);
	});

	it('answers a tampered link with a friendly page in the default language, starting nothing', async () => {
		const before = (await n8n.api<{ data: unknown[] }>('GET', `/executions?workflowId=${workflowId}&limit=250`)).body.data.length;
		const { page, close } = await open(false);
		const good = link(740, 'ru');
		const response = await page.goto(`${good.slice(0, -4)}AAAA`);
		expect(response?.status()).toBe(404);
		expect(await page.locator('h1').count()).toBe(1);
		await page.screenshot({ path: join(ARTIFACTS, 'survey-bad-link.png'), fullPage: true });
		await close();
		await sleep(1000);
		expect((await n8n.api<{ data: unknown[] }>('GET', `/executions?workflowId=${workflowId}&limit=250`)).body.data.length).toBe(before);
	});
});
