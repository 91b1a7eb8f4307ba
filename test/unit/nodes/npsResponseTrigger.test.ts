/**
 * The NPS Response Trigger's webhook as n8n calls it (n8n's own WebhookContext): the survey page
 * (GET, score POST, comment POST, bad links), and chat replies from every source with their
 * signatures, probes and handshakes. What it answers, and what it hands the workflow.
 */

import type { ICredentialDataDecryptedObject, IDataObject, INode } from 'n8n-workflow';
import { createHmac } from 'node:crypto';

import { startTelegramSandbox, type TelegramSandbox } from '../../sandbox/channels/telegram';
import { callHook, callWebhook, PACKAGE, type WebhookCall } from '../../support/engine';
import { metaSignature, twilioSignature } from '../../../nodes/shared/channels/replies';
import { signingKeysFrom, signToken } from '../../../nodes/shared/survey/token';

const SIGNING = { keyId: 'k1', secret: ['response', 'trigger', 'signing', 'secret', 'x'].join('-'), previousKeys: '', linkLifetimeDays: 30 };
const BRANCH = { id: '3153', name: 'Казань, Победы', yandex: 'https://yandex.ru/maps/org/shop/1234567/reviews/?add-review=true', google: 'https://search.google.com/local/writereview?placeid=ChIJ123', twoGis: '' };

function token(overrides: Partial<Parameters<typeof signToken>[0]> = {}): string {
	const now = Math.floor(Date.now() / 1000);
	return signToken({ kind: 's', dealId: 501, contactId: 77, branch: '3153', channel: 'wazzup', extra: { l: 'ru' }, issuedAt: now, expiresAt: now + 86_400, ...overrides }, signingKeysFrom(SIGNING).current);
}

function trigger(parameters: Record<string, unknown> = {}): INode {
	return {
		id: 'trigger',
		name: 'NPS Response Trigger',
		type: `${PACKAGE}.npsResponseTrigger`,
		typeVersion: 1,
		position: [0, 0],
		webhookId: 'nps-responses',
		parameters: { source: 'page', branches: { branch: [BRANCH] }, ...parameters },
		credentials: { npsLinkSigningApi: { id: 's', name: 'Signing' } },
	};
}

const credentials: Record<string, ICredentialDataDecryptedObject> = { npsLinkSigningApi: SIGNING };

async function page(call: Partial<WebhookCall> & { method: 'GET' | 'POST' }, parameters: Record<string, unknown> = {}) {
	const outcome = await callWebhook(
		trigger(parameters),
		{ rawBody: '', webhookName: call.method === 'GET' ? 'setup' : 'default', ...call },
		{ credentials },
	);
	const items = (outcome.result.workflowData?.[0] ?? []).map((i) => i.json as IDataObject);
	return { ...outcome, html: String(outcome.body ?? ''), items };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('NPS Response Trigger: the survey page', () => {
	it('shows the question for the branch in the customer\'s language, and starts nothing', async () => {
		const t = token();
		const { status, html, items, headers } = await page({ method: 'GET', query: { t } });
		expect(status).toBe(200);
		expect(headers['content-type']).toMatch(/text\/html/);
		expect(headers['cache-control']).toBe('no-store');
		expect(html).toContain('lang="ru"');
		expect(html).toContain('Казань, Победы');
		expect(html.match(/name="score"/g)?.length).toBe(11);
		expect(items).toHaveLength(0);
	});

	it('answers a tampered, a foreign-key or an expired link with a friendly page and starts nothing', async () => {
		const good = token();
		const tampered = good.slice(0, -3) + (good.endsWith('A') ? 'BBB' : 'AAA');
		const foreign = signToken({ kind: 's', dealId: 501, issuedAt: 1, expiresAt: 4_000_000_000 }, { id: 'k1', secret: ['another', 'secret', 'entirely', '123'].join('-') });
		const expired = token({ issuedAt: 1_000, expiresAt: 2_000 });
		for (const [t, status] of [
			[tampered, 404],
			[foreign, 404],
			['', 404],
			[expired, 410],
		] as const) {
			const { status: got, html, items } = await page({ method: 'GET', query: { t } });
			expect(got).toBe(status);
			expect(html).toContain('<h1');
			expect(items).toHaveLength(0);
		}
	});

	it('takes a 10: review buttons of the branch, and one item for the workflow', async () => {
		const t = token();
		const { status, html, items } = await page({ method: 'POST', query: { t }, rawBody: form({ t, step: 'score', score: '10' }) });
		expect(status).toBe(200);
		expect(html).toContain(BRANCH.yandex.replace(/&/g, '&amp;'));
		expect(html).toContain('writereview?placeid=ChIJ123');
		expect(items).toEqual([
			expect.objectContaining({ source: 'page', step: 'score', dealId: 501, contactId: 77, score: 10, scores: [10], channel: 'wazzup', branch: { id: '3153', name: 'Казань, Победы' }, reviewButtons: ['yandex', 'google'] }),
		]);
	});

	it('leaves the thank-you page to n8n, which sends it only once the answer\'s execution is stored', async () => {
		const t = token({ dealId: 509 });
		const score = await page({ method: 'POST', query: { t }, rawBody: form({ t, step: 'score', score: '4' }) });
		// Not written by the node: handed to n8n with the item ("onReceived", sent after the execution is created).
		expect(score.result.noWebhookResponse).toBeFalsy();
		expect(score.result.webhookResponse).toBe(score.html);
		expect(score.html).toContain('name="comment"');
		expect(score.headers['content-type']).toBe('text/html; charset=utf-8');
		expect(score.headers['cache-control']).toBe('no-store');
		const comment = await page({ method: 'POST', query: { t }, rawBody: form({ t, step: 'comment', score: '4', comment: 'Холодно в зале' }) });
		expect(comment.result.noWebhookResponse).toBeFalsy();
		expect(comment.items).toHaveLength(1);
		// Pages that start nothing are still sent by the node at once.
		const empty = await page({ method: 'POST', query: { t }, rawBody: form({ t, step: 'comment', score: '4', comment: '  ' }) });
		expect([empty.result.noWebhookResponse, empty.items.length, empty.status]).toEqual([true, 0, 200]);
		const shown = await page({ method: 'GET', query: { t } });
		expect(shown.result.noWebhookResponse).toBe(true);
	});

	it('takes a 3: a comment box, no review buttons; the comment arrives as a second item', async () => {
		const t = token({ dealId: 502 });
		const score = await page({ method: 'POST', query: { t }, rawBody: form({ t, step: 'score', score: '3' }) });
		expect(score.html).toContain('name="comment"');
		expect(score.html).not.toContain('yandex.ru');
		expect(score.items[0]).toMatchObject({ dealId: 502, score: 3, reviewButtons: [] });
		const comment = await page({ method: 'POST', query: { t }, rawBody: form({ t, step: 'comment', score: '3', comment: 'Долго ждали <script>alert(1)</script>' }) });
		expect(comment.status).toBe(200);
		expect(comment.items).toEqual([expect.objectContaining({ dealId: 502, step: 'comment', score: 3, comment: 'Долго ждали <script>alert(1)</script>' })]);
	});

	it('makes the review buttons tracked links when the Review Link Tracker URL is set', async () => {
		const t = token({ dealId: 506 });
		const tracker = 'https://n8n.example.com/webhook/reviews/r';
		const { html } = await page({ method: 'POST', query: { t }, rawBody: form({ t, step: 'score', score: '10' }) }, { trackerUrl: tracker });
		const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]).filter((href) => href.startsWith('https://'));
		expect(hrefs).toHaveLength(2);
		for (const href of hrefs) expect(href).toMatch(/^https:\/\/n8n\.example\.com\/webhook\/reviews\/r\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}$/);
		expect(html).not.toContain('yandex.ru');
	});

	it('shows review buttons to everyone when the policy says so', async () => {
		const t = token({ dealId: 503 });
		const { html } = await page({ method: 'POST', query: { t }, rawBody: form({ t, step: 'score', score: '3' }) }, { reviewPolicy: 'everyone' });
		expect(html).toContain('yandex.ru');
	});

	it('asks again for a score outside the scale, starting nothing', async () => {
		const t = token({ dealId: 504 });
		for (const score of ['11', '-1', 'abc', '']) {
			const { status, html, items } = await page({ method: 'POST', query: { t }, rawBody: form({ t, step: 'score', score }) });
			expect(status).toBe(422);
			expect(html).toContain('от 0 до 10.');
			expect(items).toHaveLength(0);
		}
		const oneToTen = await page({ method: 'POST', query: { t }, rawBody: form({ t, step: 'score', score: '0' }) }, { scale: 1 });
		expect(oneToTen.status).toBe(422);
	});

	it('flags a second answer for the same link as replacing the first', async () => {
		const t = token({ dealId: 505 });
		const first = await page({ method: 'POST', query: { t }, rawBody: form({ t, step: 'score', score: '6' }) });
		const second = await page({ method: 'POST', query: { t }, rawBody: form({ t, step: 'score', score: '9' }) });
		expect(first.items[0]).toMatchObject({ replaces: false, score: 6 });
		expect(second.items[0]).toMatchObject({ replaces: true, score: 9 });
	});
});

describe('NPS Response Trigger: chat replies', () => {
	const secret = ['url', 'secret', 'for', 'tests', '42'].join('-');

	async function chat(source: string, call: Partial<WebhookCall>, extraCredentials: Record<string, ICredentialDataDecryptedObject> = {}, parameters: Record<string, unknown> = {}) {
		const node = { ...trigger({ source, urlSecret: secret, ...parameters }), credentials: { whatsAppCloudApi: { id: 'm', name: 'Meta' }, npsTelegramBotApi: { id: 't', name: 'Bot' }, npsTwilioApi: { id: 'tw', name: 'Twilio' } } };
		const outcome = await callWebhook(node, { rawBody: '', contentType: 'application/json', ...call }, { credentials: { ...credentials, ...extraCredentials } });
		return { ...outcome, items: (outcome.result.workflowData?.[0] ?? []).map((i) => i.json as IDataObject) };
	}

	it('Wazzup: answers the probe with the secret, refuses without it, and turns a reply into an item', async () => {
		expect((await chat('wazzup', { rawBody: '{"test":true}', query: { token: secret } })).status).toBe(200);
		const refused = await chat('wazzup', { rawBody: '{"test":true}', query: {} });
		expect(refused.status).toBe(401);
		const body = JSON.stringify({
			messages: [
				{ messageId: 'in-1', channelId: 'c', chatType: 'whatsapp', chatId: '79125550101', dateTime: '2026-11-22T10:00:00.000', type: 'text', isEcho: false, status: 'inbound', text: 'Ставлю 9 из 10', contact: { name: 'Елена' } },
				{ messageId: 'out-1', channelId: 'c', chatType: 'whatsapp', chatId: '79125550101', dateTime: '2026-11-22T10:00:01.000', type: 'text', isEcho: true, status: 'sent', text: 'Оцените нас' },
			],
		});
		const { status, items } = await chat('wazzup', { rawBody: body, query: { token: secret } });
		expect(status).toBe(200);
		expect(items).toEqual([expect.objectContaining({ source: 'chat', channel: 'wazzup', phone: '+79125550101', score: 9, text: 'Ставлю 9 из 10' })]);
		const wrong = await chat('wazzup', { rawBody: body, query: { token: 'nope' } });
		expect(wrong.status).toBe(401);
		expect(wrong.items).toHaveLength(0);
	});

	it('WhatsApp Cloud: echoes the verification challenge, checks X-Hub-Signature-256 over the raw body', async () => {
		const appSecret = ['meta', 'app', 'secret', 'value'].join('-');
		const meta = { whatsAppCloudApi: { accessToken: 'x', phoneNumberId: '1', appSecret, verifyToken: 'verify-me' } };
		const challenge = await chat('whatsappCloud', { method: 'GET', webhookName: 'setup', query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'verify-me', 'hub.challenge': '12345' } }, meta);
		expect(challenge.status).toBe(200);
		expect(String(challenge.body)).toBe('12345');
		const wrongToken = await chat('whatsappCloud', { method: 'GET', webhookName: 'setup', query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '12345' } }, meta);
		expect(wrongToken.status).toBe(403);
		const body = JSON.stringify({
			object: 'whatsapp_business_account',
			entry: [{ id: 'w', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: '1' }, contacts: [{ wa_id: '79125550202', profile: { name: 'Олег' } }], messages: [{ from: '79125550202', id: 'wamid.1', timestamp: '1763805600', type: 'text', text: { body: 'десять' } }] } }] }],
		});
		const signed = await chat('whatsappCloud', { rawBody: body, headers: { 'X-Hub-Signature-256': metaSignature(body, appSecret) } }, meta);
		expect(signed.items).toEqual([expect.objectContaining({ channel: 'whatsappCloud', phone: '+79125550202', score: 10 })]);
		const forged = await chat('whatsappCloud', { rawBody: body, headers: { 'X-Hub-Signature-256': metaSignature(body, 'not-the-secret') } }, meta);
		expect(forged.status).toBe(401);
		expect(forged.items).toHaveLength(0);
		expect((await chat('whatsappCloud', { rawBody: body }, meta)).status).toBe(401);
	});

	it('Twilio: checks X-Twilio-Signature and answers empty TwiML', async () => {
		const authToken = ['twilio', 'auth', 'token', 'value'].join('-');
		const twilio = { npsTwilioApi: { accountSid: 'AC1', authToken } };
		const params = { From: '+79125550303', Body: '8', MessageSid: 'SM1', To: '+15550000000' };
		// The node checks the signature against its own production URL (in the engine: 127.0.0.1:5678).
		const own = 'http://127.0.0.1:5678/webhook/nps-responses/twilio';
		const ok = await chat('twilio', { rawBody: form(params), contentType: 'application/x-www-form-urlencoded', headers: { 'X-Twilio-Signature': twilioSignature(own, params, authToken) } }, twilio);
		expect(ok.status).toBe(200);
		expect(String(ok.body)).toContain('<Response');
		expect(ok.items).toEqual([expect.objectContaining({ channel: 'twilio', phone: '+79125550303', score: 8 })]);
		// A webhook URL with a query: Twilio signs it whole.
		const withQuery = await chat(
			'twilio',
			{ rawBody: form(params), contentType: 'application/x-www-form-urlencoded', query: { city: 'kazan' }, headers: { 'X-Twilio-Signature': twilioSignature(`${own}?city=kazan`, params, authToken) } },
			twilio,
		);
		expect(withQuery.status).toBe(200);
		const forged = await chat('twilio', { rawBody: form({ ...params, Body: '10' }), contentType: 'application/x-www-form-urlencoded', headers: { 'X-Twilio-Signature': twilioSignature(own, params, authToken) } }, twilio);
		expect(forged.status).toBe(401);
		expect((await chat('twilio', { rawBody: form(params), contentType: 'application/x-www-form-urlencoded' }, twilio)).status).toBe(401);
	});

	describe('Telegram', () => {
		let telegram: TelegramSandbox;
		beforeAll(async () => {
			telegram = await startTelegramSandbox();
		});
		afterAll(() => telegram.stop());

		it('takes a tap on a score button with the derived secret, finds the deal in the button, and answers the tap', async () => {
			const bot = { npsTelegramBotApi: { botToken: telegram.botToken, baseUrl: telegram.url } };
			const url = 'http://127.0.0.1:5678/webhook/nps-responses/telegram';
			const secretToken = createHmac('sha256', telegram.botToken).update(`nps-webhook:${url}`).digest('hex').slice(0, 48);
			const update = JSON.stringify({ update_id: 1, callback_query: { id: 'cb-1', data: 'nps:9:nps-601-nps-telegram', from: { id: 42, first_name: 'Пётр' }, message: { message_id: 5, chat: { id: 42 } } } });
			const tap = await chat('telegram', { rawBody: update, headers: { 'X-Telegram-Bot-Api-Secret-Token': secretToken } }, bot);
			expect(tap.status).toBe(200);
			expect(tap.items).toEqual([expect.objectContaining({ channel: 'telegram', dealId: 601, chatId: '42', score: 9 })]);
			expect(telegram.callbackAnswers).toEqual([expect.objectContaining({ callbackQueryId: 'cb-1' })]);
			const forged = await chat('telegram', { rawBody: update, headers: { 'X-Telegram-Bot-Api-Secret-Token': 'guess' } }, bot);
			expect(forged.status).toBe(401);
			expect(forged.items).toHaveLength(0);
		});

		it('registers its webhook with the bot on activation (with the same derived secret) and removes it on deactivation', async () => {
			const bot = { npsTelegramBotApi: { botToken: telegram.botToken, baseUrl: telegram.url } };
			const node = { ...trigger({ source: 'telegram' }), credentials: { npsTelegramBotApi: { id: 't', name: 'Bot' } } };
			expect(await callHook(node, 'checkExists', { credentials: bot })).toBe(false);
			expect(await callHook(node, 'create', { credentials: bot })).toBe(true);
			const url = 'http://127.0.0.1:5678/webhook/nps-responses/telegram';
			expect(telegram.webhook()).toEqual({ url, secretToken: createHmac('sha256', telegram.botToken).update(`nps-webhook:${url}`).digest('hex').slice(0, 48) });
			expect(await callHook(node, 'checkExists', { credentials: bot })).toBe(true);
			expect(await callHook(node, 'delete', { credentials: bot })).toBe(true);
			expect(telegram.webhook()).toBeUndefined();
		});
	});
});
