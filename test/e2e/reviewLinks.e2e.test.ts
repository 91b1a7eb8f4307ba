/**
 * Review links in a real n8n: the Review Link Tracker Trigger answers 302 before the workflow's own
 * nodes run (a 3-second Wait after the trigger does not delay the customer), the click reaches the
 * workflow, and a bad link gets a small page and starts nothing.
 */

import { sleep } from 'n8n-workflow';

import { rawRequest } from '../support/rawHttp';
import { RunningN8n, startN8n } from '../support/n8n';
import { signingKeysFrom } from '../../nodes/shared/survey/token';
import { signReviewToken } from '../../nodes/shared/survey/reviewLinks';

jest.setTimeout(10 * 60_000);

const WEBHOOK_ID = 'e2e-review-links';
const SIGNING = { keyId: 'k1', secret: ['e2e', 'review', 'signing', 'secret', 'long'].join('-'), previousKeys: '', linkLifetimeDays: 30 };
const YANDEX = 'https://yandex.ru/maps/org/shop/1234567/reviews/?add-review=true';

describe('Review Link Tracker Trigger in a real n8n', () => {
	let n8n: RunningN8n;
	let workflowId: string;

	beforeAll(async () => {
		n8n = await startN8n();
		const signing = await n8n.api<{ id: string }>('POST', '/credentials', { name: 'Links', type: 'npsLinkSigningApi', data: SIGNING });
		if (signing.status !== 200) throw new Error(`credential: HTTP ${signing.status} ${JSON.stringify(signing.body)}`);
		workflowId = await n8n.publish(
			{
				name: 'E2E: review link click',
				nodes: [
					{
						id: 'clicks',
						name: 'Review link clicked',
						type: 'n8n-nodes-bitrix24-nps.reviewLinkTrackerTrigger',
						typeVersion: 1,
						position: [0, 0],
						webhookId: WEBHOOK_ID,
						parameters: { branches: { branch: [{ id: '3153', name: 'Казань', yandex: YANDEX }] }, language: 'ru' },
						credentials: { npsLinkSigningApi: { id: signing.body.id, name: 'Links' } },
					},
					{ id: 'wait', name: 'Slow work', type: 'n8n-nodes-base.wait', typeVersion: 1.1, position: [200, 0], parameters: { resume: 'timeInterval', amount: 3, unit: 'seconds' } },
				],
				connections: { 'Review link clicked': { main: [[{ node: 'Slow work', type: 'main', index: 0 }]] } },
				settings: { executionOrder: 'v1' },
			},
			[`${WEBHOOK_ID}/r`],
		);
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	const executions = async () => (await n8n.api<{ data: Array<{ id: string; status: string; startedAt: string; stoppedAt?: string }> }>('GET', `/executions?workflowId=${workflowId}&limit=50`)).body.data;

	it('redirects at once, before the workflow\'s 3-second Wait, and the click reaches the workflow', async () => {
		const now = Math.floor(Date.now() / 1000);
		const token = signReviewToken({ dealId: 777, branch: '3153', platform: 'yandex', issuedAt: now, expiresAt: now + 3600 }, signingKeysFrom(SIGNING).current);
		expect(token.length).toBeLessThanOrEqual(48);
		const started = Date.now();
		const answer = await rawRequest(`${n8n.baseUrl}/webhook/${WEBHOOK_ID}/r/${token}`, { method: 'GET', headers: { 'User-Agent': 'Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36' } });
		const answeredMs = Date.now() - started;
		expect(answer.status).toBe(302);
		expect(answer.headers.location).toBe(YANDEX);
		expect(answeredMs).toBeLessThan(2500);
		// The customer had the page long before the workflow got past its 3-second Wait.
		let finished: { id: string; status: string; stoppedAt?: string } | undefined;
		for (const deadline = Date.now() + 30_000; Date.now() < deadline && finished?.status !== 'success'; ) {
			await sleep(250);
			finished = (await executions())[0];
		}
		if (!finished) throw new Error('no execution');
		expect(finished.status).toBe('success');
		expect(Date.parse(finished.stoppedAt!) - started).toBeGreaterThanOrEqual(3000);
		expect(answeredMs).toBeLessThan(Date.parse(finished.stoppedAt!) - started - 2000);
		const details = await n8n.api<{ data: { resultData: { runData: Record<string, Array<{ data: { main: Array<Array<{ json: Record<string, unknown> }>> } }>> } } }>('GET', `/executions/${finished.id}?includeData=true`);
		expect(details.body.data.resultData.runData['Review link clicked'][0].data.main[0][0].json).toMatchObject({ dealId: 777, branch: '3153', platform: 'yandex', destination: YANDEX });
	});

	it('also takes the ?t= form, and answers a tampered link with a small page and no execution', async () => {
		const before = (await executions()).length;
		const now = Math.floor(Date.now() / 1000);
		const token = signReviewToken({ dealId: 778, branch: '3153', platform: 'yandex', issuedAt: now, expiresAt: now + 3600 }, signingKeysFrom(SIGNING).current);
		const viaQuery = await rawRequest(`${n8n.baseUrl}/webhook/${WEBHOOK_ID}/r?t=${token}`, { method: 'GET', headers: { 'User-Agent': 'WhatsApp/2.23.20.0' } });
		expect(viaQuery.status).toBe(302);
		expect(viaQuery.headers.location).toBe(YANDEX);
		const tampered = await rawRequest(`${n8n.baseUrl}/webhook/${WEBHOOK_ID}/r/${token.slice(0, -3)}xyz`, { method: 'GET' });
		expect(tampered.status).toBe(404);
		expect(tampered.headers.location).toBeUndefined();
		await sleep(1000);
		// The WhatsApp preview was redirected but is no click; the tampered link started nothing.
		expect((await executions()).length).toBe(before);
	});
});
