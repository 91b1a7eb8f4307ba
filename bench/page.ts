/* eslint-disable no-console, @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals -- a command-line benchmark: serves pages on 127.0.0.1, prints its figures */
/**
 * `npm run bench -- page`: what the survey page costs a customer on a weak connection, and what it
 * costs the server.
 *
 * 1. Real Chromium loads each state of the page (question, promoter thank-you, comment box, thanks
 *    for the comment), served on 127.0.0.1 by the NPS Response Trigger's webhook handler, and
 *    counts the bytes transferred (headers and body) and the requests to anywhere else.
 * 2. 1,000 page requests through the node's webhook handler (n8n's WebhookContext, in process),
 *    beside the same number through n8n's own Webhook node handler (the peer: the least any n8n
 *    webhook costs before it does anything).
 */

import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INode } from 'n8n-workflow';
import { chromium } from 'playwright-core';

import { callWebhook, PACKAGE } from '../test/support/engine';
import { signingKeysFrom, signToken } from '../nodes/shared/survey/token';

const SIGNING = { keyId: 'k1', secret: ['bench', 'page', 'signing', 'secret', 'long'].join('-'), previousKeys: '', linkLifetimeDays: 30 };
const credentials = { npsLinkSigningApi: SIGNING };
const REQUESTS = 1000;

const trigger: INode = {
	id: 'page',
	name: 'NPS Response Trigger',
	type: `${PACKAGE}.npsResponseTrigger`,
	typeVersion: 1,
	position: [0, 0],
	webhookId: 'bench-page',
	parameters: {
		source: 'page',
		branches: {
			branch: [
				{
					id: '3153',
					name: 'Казань, Победы',
					yandex: 'https://yandex.ru/maps/org/shop/1234567/reviews/?add-review=true',
					google: 'https://search.google.com/local/writereview?placeid=ChIJ123',
					twoGis: 'https://2gis.ru/kazan/firm/70000001/tab/reviews/addreview',
				},
			],
		},
	},
	credentials: { npsLinkSigningApi: { id: 's', name: 'Signing' } },
};

const peer: INode = {
	id: 'peer',
	name: 'Webhook',
	type: 'n8n-nodes-base.webhook',
	typeVersion: 2,
	position: [0, 0],
	webhookId: 'bench-peer',
	parameters: { httpMethod: 'GET', path: 'peer', responseMode: 'onReceived', options: {} },
};

function surveyToken(dealId: number): string {
	const now = Math.floor(Date.now() / 1000);
	return signToken({ kind: 's', dealId, contactId: 7, branch: '3153', channel: 'wazzup', extra: { l: 'ru' }, issuedAt: now, expiresAt: now + 3600 }, signingKeysFrom(SIGNING).current);
}

/** The node's webhook handler behind a plain HTTP server, as n8n would put it. */
async function serve(): Promise<{ url: string; close: () => Promise<void> }> {
	const server = http.createServer(async (req, res) => {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const outcome = await callWebhook(
			trigger,
			{
				method: req.method === 'POST' ? 'POST' : 'GET',
				webhookName: req.method === 'POST' ? 'default' : 'setup',
				rawBody: Buffer.concat(chunks).toString('utf8'),
				contentType: String(req.headers['content-type'] ?? 'application/x-www-form-urlencoded'),
				query: Object.fromEntries(url.searchParams.entries()),
				headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
			},
			{ credentials },
		);
		res.writeHead(outcome.status, outcome.headers);
		res.end(typeof outcome.body === 'string' ? outcome.body : JSON.stringify(outcome.body ?? ''));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/bench-page/s`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function inChromium(baseUrl: string): Promise<Array<{ state: string; bytes: number; requests: number; external: number }>> {
	const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
	const results: Array<{ state: string; bytes: number; requests: number; external: number }> = [];
	try {
		const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
		const page = await context.newPage();
		let bytes = 0;
		let requests = 0;
		let external = 0;
		page.on('requestfinished', async (request) => {
			requests++;
			if (!request.url().startsWith('http://127.0.0.1')) external++;
			const sizes = await request.sizes();
			bytes += sizes.responseBodySize + sizes.responseHeadersSize;
		});
		page.on('requestfailed', (request) => {
			requests++;
			if (!request.url().startsWith('http://127.0.0.1')) external++;
		});
		const measure = async (state: string, action: () => Promise<unknown>) => {
			bytes = 0;
			requests = 0;
			external = 0;
			await action();
			await page.waitForLoadState('networkidle');
			results.push({ state, bytes, requests, external });
		};
		await measure('question', () => page.goto(`${baseUrl}?t=${surveyToken(1)}`));
		await measure('promoter thank-you (10)', () => page.locator('button[name="score"][value="10"]').click());
		await measure('question again', () => page.goto(`${baseUrl}?t=${surveyToken(2)}`));
		await measure('comment box (3)', () => page.locator('button[name="score"][value="3"]').click());
		await page.locator('textarea[name="comment"]').fill('Долго ждали на кассе, а в остальном всё хорошо.');
		await measure('thanks for the comment', () => page.locator('form:has(textarea) button').first().click());
	} finally {
		await browser.close();
	}
	return results;
}

async function timeHandler(node: INode, call: Parameters<typeof callWebhook>[1]): Promise<{ totalMs: number; p50: number; p99: number }> {
	const times: number[] = [];
	for (let i = 0; i < 50; i++) await callWebhook(node, call, { credentials }); // warm-up
	const started = process.hrtime.bigint();
	for (let i = 0; i < REQUESTS; i++) {
		const t0 = process.hrtime.bigint();
		await callWebhook(node, call, { credentials });
		times.push(Number(process.hrtime.bigint() - t0) / 1e6);
	}
	const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
	times.sort((a, b) => a - b);
	return { totalMs, p50: times[Math.floor(times.length * 0.5)], p99: times[Math.floor(times.length * 0.99)] };
}

export async function main(): Promise<void> {
	const server = await serve();
	let pages;
	try {
		pages = await inChromium(server.url);
	} finally {
		await server.close();
	}
	console.log('page: the survey page in Chromium (360×740), served by the NPS Response Trigger webhook handler');
	for (const p of pages) console.log(`  ${p.state.padEnd(26)} ${String(p.bytes).padStart(6)} bytes transferred  ${p.requests} request(s)  ${p.external} external`);
	const token = surveyToken(3);
	const ours = await timeHandler(trigger, { method: 'GET', webhookName: 'setup', rawBody: '', query: { t: token } });
	const bare = await timeHandler(peer, { method: 'GET', webhookName: 'default', rawBody: '', query: {} });
	console.log(`  ${REQUESTS} page requests through the webhook handler (in process, one at a time):`);
	console.log(`    NPS Response Trigger (verify link, render page)  total ${ours.totalMs.toFixed(0)} ms  p50 ${ours.p50.toFixed(3)} ms  p99 ${ours.p99.toFixed(3)} ms`);
	console.log(`    peer: n8n Webhook node handler (no page)         total ${bare.totalMs.toFixed(0)} ms  p50 ${bare.p50.toFixed(3)} ms  p99 ${bare.p99.toFixed(3)} ms`);
	const external = pages.reduce((sum, p) => sum + p.external, 0);
	if (external > 0) {
		console.log(`  FAILED: ${external} external request(s)`);
		process.exitCode = 1;
	}
	console.log(`survey_page_bytes=${Math.max(...pages.map((p) => p.bytes))}`);
}
