/**
 * Review Link Tracker and its Trigger in n8n's engine: the links a customer gets for their branch,
 * and what a click does (302 to the configured page, the click for the workflow), including bad links,
 * link-preview bots, and links that try to go anywhere else.
 */

import type { ICredentialDataDecryptedObject, IConnections, IDataObject, INode } from 'n8n-workflow';

import { callWebhook, PACKAGE, runWorkflow } from '../../support/engine';
import { signingKeysFrom } from '../../../nodes/shared/survey/token';
import { signReviewToken } from '../../../nodes/shared/survey/reviewLinks';

const SIGNING = { keyId: 'k1', secret: ['review', 'links', 'signing', 'secret', 'x'].join('-'), previousKeys: '', linkLifetimeDays: 30 };
const credentials: Record<string, ICredentialDataDecryptedObject> = { npsLinkSigningApi: SIGNING };
const BRANCHES = {
	branch: [
		{
			id: '3153',
			name: 'Казань, Победы',
			yandex: 'https://yandex.ru/maps/org/shop/1234567/reviews/?add-review=true',
			google: 'https://search.google.com/local/writereview?placeid=ChIJ123',
			twoGis: 'https://2gis.ru/kazan/firm/70000001/tab/reviews/addreview',
			customUrl: 'https://reviews.example.com/kazan',
			customLabel: 'Example reviews',
		},
		{ id: '3154', name: 'Самара', yandex: 'https://yandex.ru/maps/org/shop2/7654321/reviews/?add-review=true', customUrl: 'https://evil.example.net/phish' },
	],
};
const TRACKER = 'https://n8n.example.com/webhook/reviews/r';

describe('Review Link Tracker', () => {
	const START = 'Answers';
	const start: INode = { id: 'start', name: START, type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [0, 0], parameters: {} };
	const node: INode = {
		id: 'links',
		name: 'Links',
		type: `${PACKAGE}.reviewLinkTracker`,
		typeVersion: 1,
		position: [200, 0],
		parameters: { trackerUrl: TRACKER, branches: BRANCHES, allowedHosts: 'reviews.example.com', dealId: '={{ $json.dealId }}', branchId: '={{ $json.branch.id }}', language: 'ru' },
		credentials: { npsLinkSigningApi: { id: 's', name: 'Signing' } },
	};
	const connections: IConnections = { [START]: { main: [[{ node: 'Links', type: 'main', index: 0 }]] } };

	it('makes one tracked link per configured platform of the branch, each token at most 48 characters', async () => {
		const engine = await runWorkflow({ nodes: [start, node], connections }, { credentials, input: [{ dealId: 123456, branch: { id: '3153' } }], startNode: START });
		const [item] = engine.output('Links');
		const links = item.reviewLinks as Array<{ platform: string; url: string; destination: string; label: string }>;
		expect(links.map((l) => l.platform)).toEqual(['yandex', 'google', 'twoGis', 'other']);
		for (const link of links) {
			expect(link.url.startsWith(`${TRACKER}/`)).toBe(true);
			expect(link.url.slice(TRACKER.length + 1).length).toBeLessThanOrEqual(48);
		}
		expect(links[0]).toMatchObject({ label: expect.stringContaining('Яндекс'), destination: BRANCHES.branch[0].yandex });
		expect((item.reviewLinksByPlatform as IDataObject).google).toBe(links[1].url);
	});

	it('leaves out a page whose host is not allowed, and names the deal when the branch is unknown', async () => {
		const engine = await runWorkflow({ nodes: [start, node], connections }, { credentials, input: [{ dealId: 7, branch: { id: '3154' } }], startNode: START });
		expect((engine.output('Links')[0].reviewLinks as Array<{ platform: string }>).map((l) => l.platform)).toEqual(['yandex']);
		const unknown = await runWorkflow({ nodes: [start, node], connections }, { credentials, input: [{ dealId: 8, branch: { id: '9999' } }], startNode: START });
		expect(unknown.error('Links')?.message).toMatch(/^Deal 8: Branch "9999" is not among the branches/);
	});
});

describe('Review Link Tracker Trigger', () => {
	const trigger: INode = {
		id: 'clicks',
		name: 'Clicks',
		type: `${PACKAGE}.reviewLinkTrackerTrigger`,
		typeVersion: 1,
		position: [0, 0],
		webhookId: 'reviews',
		parameters: { branches: BRANCHES, allowedHosts: 'reviews.example.com', language: 'ru' },
		credentials: { npsLinkSigningApi: { id: 's', name: 'Signing' } },
	};
	const now = () => Math.floor(Date.now() / 1000);
	const token = (platform: string, branch = '3153', overrides: Partial<{ issuedAt: number; expiresAt: number }> = {}) =>
		signReviewToken({ dealId: 4242, branch, platform, issuedAt: now(), expiresAt: now() + 86_400, ...overrides }, signingKeysFrom(SIGNING).current);
	const click = async (t: string, userAgent = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1') => {
		const outcome = await callWebhook(trigger, { method: 'GET', rawBody: '', params: { token: t }, headers: { 'user-agent': userAgent } }, { credentials });
		return { ...outcome, items: (outcome.result.workflowData?.[0] ?? []).map((i) => i.json as IDataObject) };
	};

	it.each([
		['yandex', BRANCHES.branch[0].yandex],
		['google', BRANCHES.branch[0].google],
		['twoGis', BRANCHES.branch[0].twoGis],
		['other', BRANCHES.branch[0].customUrl],
	])('redirects a %s link to the branch page at once and hands the click to the workflow', async (platform, destination) => {
		const { status, headers, items } = await click(token(platform));
		expect(status).toBe(302);
		expect(headers.location).toBe(destination);
		expect(items).toEqual([expect.objectContaining({ dealId: 4242, branch: '3153', platform, destination, clickKey: `4242|${platform}` })]);
	});

	it('flags the first click of a deal and platform in this process', async () => {
		const t = token('yandex', '3153');
		const first = await click(signReviewToken({ dealId: 5151, branch: '3153', platform: 'google', issuedAt: now(), expiresAt: now() + 60 }, signingKeysFrom(SIGNING).current));
		const second = await click(signReviewToken({ dealId: 5151, branch: '3153', platform: 'google', issuedAt: now(), expiresAt: now() + 60 }, signingKeysFrom(SIGNING).current));
		expect(first.items[0].firstClick).toBe(true);
		expect(second.items[0].firstClick).toBe(false);
		expect(t.length).toBeLessThanOrEqual(48);
	});

	it('redirects link-preview bots without counting them', async () => {
		for (const bot of ['WhatsApp/2.23.20.0', 'TelegramBot (like TwitterBot)', 'facebookexternalhit/1.1', '']) {
			const { status, items } = await click(token('yandex'), bot);
			expect(status).toBe(302);
			expect(items).toHaveLength(0);
		}
	});

	it('answers a tampered, foreign, expired link, or one to a host nobody allowed, with a small page and no redirect', async () => {
		const good = token('yandex');
		const foreign = signReviewToken({ dealId: 1, branch: '3153', platform: 'yandex', issuedAt: now(), expiresAt: now() + 60 }, { id: 'k1', secret: ['someone', 'else', 'secret', 'key'].join('-') });
		for (const [t, status] of [
			[`${good.slice(0, -2)}${good.endsWith('AA') ? 'BB' : 'AA'}`, 404],
			[foreign, 404],
			['', 404],
			[token('yandex', '3153', { issuedAt: now() - 100, expiresAt: now() - 10 }), 410],
			// Branch 3154's other page is on a host that is not allowed: never a redirect there.
			[token('other', '3154'), 404],
			[token('google', '3154'), 404],
		] as const) {
			const { status: got, headers, items, body } = await click(t);
			expect(got).toBe(status);
			expect(headers.location).toBeUndefined();
			expect(String(body)).toContain('<h1');
			expect(items).toHaveLength(0);
		}
	});
});
