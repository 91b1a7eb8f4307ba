/* eslint-disable @n8n/community-nodes/no-restricted-globals -- test code: runs in Node test processes, never inside n8n */
/**
 * The Wazzup adapter against the Wazzup sandbox over HTTP: what was delivered, how each provider
 * answer maps to an outcome, and that crmMessageId makes a quick resend harmless.
 */

import type { HttpRequest, SurveyMessage } from '../../../nodes/shared/channels/types';
import { createWazzupAdapter, wazzupOutcome, WAZZUP_LABEL, type WazzupSettings } from '../../../nodes/shared/channels/wazzup';
import { startWazzupSandbox, type WazzupSandbox } from '../../sandbox/channels/wazzup';
import { plainHttp } from '../../support/channelHttp';

jest.setTimeout(15_000);

const bearer = (key: string) => (request: HttpRequest): HttpRequest => ({
	...request,
	headers: { ...request.headers, Authorization: `Bearer ${key}` },
});

let counter = 0;
function survey(overrides: Partial<SurveyMessage> = {}): SurveyMessage {
	counter++;
	return {
		text: `Anna, how likely are you to recommend us? https://survey.example/s/tok${counter}`,
		link: `https://survey.example/s/tok${counter}`,
		token: `tok${counter}`,
		variables: { firstName: 'Anna', branch: 'Center' },
		idempotencyKey: `deal-${counter}-survey-wazzup`,
		numericId: counter,
		...overrides,
	};
}

function adapterFor(sandbox: WazzupSandbox, key = sandbox.apiKey, settings: Partial<WazzupSettings> = {}) {
	return createWazzupAdapter(plainHttp(bearer(key)), {
		baseUrl: sandbox.url,
		channelId: sandbox.channelId,
		timeoutMs: 300,
		...settings,
	});
}

describe('Wazzup adapter', () => {
	let sandbox: WazzupSandbox;
	beforeAll(async () => {
		sandbox = await startWazzupSandbox({ notOnWhatsApp: ['+79990000000'] });
	});
	afterAll(() => sandbox.stop());
	afterEach(() => sandbox.server.clearFaults());

	it('sends the text to the phone digits with crmMessageId and reports the message id', async () => {
		const adapter = adapterFor(sandbox);
		expect(adapter.label).toBe(WAZZUP_LABEL);
		expect(adapter.channel).toBe('wazzup');
		expect(adapter.rateLimit).toEqual({ requests: 500, windowMs: 5000 });
		const message = survey();
		const outcome = await adapter.send({ phone: '+79121234567' }, message);
		expect(outcome.status).toBe('sent');
		const delivery = sandbox.deliveries.at(-1)!;
		expect(outcome).toEqual({ status: 'sent', messageId: delivery.messageId });
		expect(delivery).toMatchObject({ to: '79121234567', text: message.text, crmMessageId: message.idempotencyKey, chatType: 'whatsapp' });
	});

	it('says why before any request when there is no usable phone', async () => {
		const adapter = adapterFor(sandbox);
		expect(adapter.cannotReach({})).toBe('no phone number');
		expect(adapter.cannotReach({ phone: '+7912' })).toMatch(/international/);
		expect(adapter.cannotReach({ phone: '+79121234567' })).toBeUndefined();
		const before = sandbox.server.log.length;
		expect(await adapter.send({ email: 'a@b.c' }, survey())).toMatchObject({ status: 'unreachable', code: 'NO_PHONE' });
		expect(sandbox.server.log.length).toBe(before);
	});

	it('reports a number not on WhatsApp as unreachable', async () => {
		const delivered = sandbox.deliveries.length;
		const outcome = await adapterFor(sandbox).send({ phone: '+79990000000' }, survey());
		expect(outcome).toMatchObject({ status: 'unreachable', code: 'BAD_CONTACT' });
		expect(sandbox.deliveries.length).toBe(delivered);
	});

	it('refuses a wrong key without repeating it', async () => {
		const wrongKey = ['wz', 'wrong', 'key', '0123456789'].join('-');
		const outcome = await adapterFor(sandbox, wrongKey).send({ phone: '+79121234567' }, survey());
		expect(outcome).toMatchObject({ status: 'refused', code: 'UNAUTHORIZED' });
		expect(JSON.stringify(outcome)).not.toContain(wrongKey);
		expect(JSON.stringify(outcome)).not.toContain(sandbox.apiKey);
	});

	it('treats a repeated crmMessageId as already sent and delivers once', async () => {
		const adapter = adapterFor(sandbox);
		const message = survey();
		const first = await adapter.send({ phone: '+79121234568' }, message);
		const second = await adapter.send({ phone: '+79121234568' }, message);
		expect(first.status).toBe('sent');
		expect(second).toEqual({
			status: 'sent',
			messageId: '',
			code: 'REPEATED_CRM_MESSAGE_ID',
			reason: 'Wazzup already accepted this message (same crmMessageId)',
		});
		expect(sandbox.deliveries.filter((d) => d.crmMessageId === message.idempotencyKey)).toHaveLength(1);
	});

	it('refuses an unknown channel, a switched-off channel, a wrong chat type and a text over 10 000 characters', async () => {
		expect(await adapterFor(sandbox, undefined, { channelId: '00000000-0000-4000-8000-000000000000' }).send({ phone: '+79121234567' }, survey())).toMatchObject({
			status: 'refused',
			code: 'CHANNEL_NOT_FOUND',
		});
		expect(await adapterFor(sandbox, undefined, { chatType: 'viber' }).send({ phone: '+79121234567' }, survey())).toMatchObject({
			status: 'refused',
			code: 'WRONG_TRANSPORT',
		});
		expect(await adapterFor(sandbox).send({ phone: '+79121234567' }, survey({ text: 'x'.repeat(10_001) }))).toMatchObject({
			status: 'refused',
			code: 'MESSAGE_TEXT_TOO_LONG',
		});
		sandbox.setChannelState('disabled');
		try {
			expect(await adapterFor(sandbox).send({ phone: '+79121234567' }, survey())).toMatchObject({ status: 'refused', code: 'CHANNEL_BLOCKED' });
		} finally {
			sandbox.setChannelState('active');
		}
	});

	it('reports a timeout after Wazzup sent the message as unknown (a resend would duplicate)', async () => {
		sandbox.server.addFault({ kind: 'timeout', when: 'after', path: '/v3/message' });
		const delivered = sandbox.deliveries.length;
		const outcome = await adapterFor(sandbox).send({ phone: '+79121234567' }, survey());
		expect(outcome).toMatchObject({ status: 'unknown', code: 'TIMEOUT' });
		expect(sandbox.deliveries.length).toBe(delivered + 1);
	});

	it('reports a reset after sending as unknown', async () => {
		sandbox.server.addFault({ kind: 'reset', when: 'after', path: '/v3/message' });
		const delivered = sandbox.deliveries.length;
		const outcome = await adapterFor(sandbox).send({ phone: '+79121234567' }, survey());
		expect(outcome).toMatchObject({ status: 'unknown', code: 'RESET' });
		expect(sandbox.deliveries.length).toBe(delivered + 1);
	});

	it('reports a reset before sending as unknown too: the client cannot tell', async () => {
		sandbox.server.addFault({ kind: 'reset', when: 'before', path: '/v3/message' });
		const delivered = sandbox.deliveries.length;
		expect(await adapterFor(sandbox).send({ phone: '+79121234567' }, survey())).toMatchObject({ status: 'unknown' });
		expect(sandbox.deliveries.length).toBe(delivered);
	});

	it('reports a 5xx as unknown', async () => {
		sandbox.server.addFault({ kind: 'serverError', when: 'after', path: '/v3/message' });
		expect(await adapterFor(sandbox).send({ phone: '+79121234567' }, survey())).toMatchObject({ status: 'unknown', code: 'HTTP_502' });
	});

	describe('repeating an unknown outcome with the same crmMessageId', () => {
		const pauses: number[] = [];
		const repeating = () => adapterFor(sandbox, sandbox.apiKey, { sleep: async (ms) => void pauses.push(ms), repeatAfterMs: [5, 10] });
		beforeEach(() => (pauses.length = 0));

		it('a 5xx before Wazzup sent: the repeat sends it, once', async () => {
			sandbox.server.addFault({ kind: 'serverError', when: 'before', path: '/v3/message' });
			const before = sandbox.deliveries.length;
			const outcome = await repeating().send({ phone: '+79121234567' }, survey());
			expect(outcome).toMatchObject({ status: 'sent' });
			expect(sandbox.deliveries.length - before).toBe(1);
			expect(pauses).toEqual([5]);
		});

		it('a reset after Wazzup sent: the repeat comes back REPEATED_CRM_MESSAGE_ID, so sent, and nothing goes twice', async () => {
			sandbox.server.addFault({ kind: 'reset', when: 'after', path: '/v3/message' });
			const before = sandbox.deliveries.length;
			const outcome = await repeating().send({ phone: '+79121234567' }, survey());
			expect(outcome).toMatchObject({ status: 'sent', code: 'REPEATED_CRM_MESSAGE_ID' });
			expect(sandbox.deliveries.length - before).toBe(1);
		});

		it('still down after every repeat: unknown, so no other channel is tried on top', async () => {
			sandbox.server.addFault({ kind: 'serverError', when: 'before', path: '/v3/message', times: 3 });
			const outcome = await repeating().send({ phone: '+79121234567' }, survey());
			expect(outcome).toMatchObject({ status: 'unknown', code: 'HTTP_502' });
			expect(pauses).toEqual([5, 10]);
		});

		it('a refusal of the repeat proves nothing about the first request: still unknown', async () => {
			sandbox.server.addFault({ kind: 'serverError', when: 'after', path: '/v3/message' });
			sandbox.setChannelState('disabled');
			try {
				const outcome = await repeating().send({ phone: '+79121234567' }, survey());
				expect(outcome).toMatchObject({ status: 'unknown' });
			} finally {
				sandbox.setChannelState('active');
			}
		});
	});

	it('lists the channel for the credential test', async () => {
		const response = await plainHttp(bearer(sandbox.apiKey))({ method: 'GET', url: `${sandbox.url}/v3/channels` });
		expect(response.status).toBe(200);
		expect(response.body).toEqual([{ channelId: sandbox.channelId, transport: 'whatsapp', plainId: '79000000000', state: 'active' }]);
		const refused = await plainHttp()({ method: 'GET', url: `${sandbox.url}/v3/channels` });
		expect(refused.status).toBe(401);
	});
});

describe('Wazzup limits and memory', () => {
	it('refuses requests over 500 per window with 429, reported as throttled', async () => {
		// timeScale < 1 stretches the 5-s window so a slow machine still fits the burst in one window.
		const sandbox = await startWazzupSandbox({ timeScale: 0.5 });
		try {
			const adapter = adapterFor(sandbox, undefined, { timeoutMs: 5000 });
			const outcomes = await Promise.all(Array.from({ length: 510 }, (_, i) => adapter.send({ phone: `+7912${String(i).padStart(7, '0')}` }, survey())));
			const sent = outcomes.filter((o) => o.status === 'sent');
			const throttled = outcomes.filter((o) => o.status === 'throttled');
			expect(sent).toHaveLength(500);
			expect(throttled).toHaveLength(10);
			expect(sandbox.deliveries).toHaveLength(500);
			expect(sandbox.server.log.filter((l) => l.status === 429)).toHaveLength(10);
			// No Retry-After from Wazzup: the 5-s counter period.
			expect(throttled[0]).toMatchObject({ code: 'TOO_MANY_REQUESTS', retryAfterMs: 5000 });
		} finally {
			await sandbox.stop();
		}
	});

	it('uses Retry-After when there is one', async () => {
		const sandbox = await startWazzupSandbox({ limit: 1, retryAfterHeader: true });
		try {
			const adapter = adapterFor(sandbox);
			expect((await adapter.send({ phone: '+79121234567' }, survey())).status).toBe('sent');
			const outcome = await adapter.send({ phone: '+79121234567' }, survey());
			expect(outcome).toMatchObject({ status: 'throttled', retryAfterMs: expect.any(Number) });
			const wait = (outcome as { retryAfterMs: number }).retryAfterMs;
			expect(wait).toBeGreaterThan(0);
			expect(wait).toBeLessThanOrEqual(5000);
		} finally {
			await sandbox.stop();
		}
	});

	it('forgets a crmMessageId after 60 s (scaled): a later resend goes out again', async () => {
		const sandbox = await startWazzupSandbox({ timeScale: 600 });
		try {
			const adapter = adapterFor(sandbox);
			const message = survey();
			expect((await adapter.send({ phone: '+79121234567' }, message)).status).toBe('sent');
			expect(await adapter.send({ phone: '+79121234567' }, message)).toMatchObject({ code: 'REPEATED_CRM_MESSAGE_ID' });
			await new Promise((resolve) => setTimeout(resolve, 150));
			const again = await adapter.send({ phone: '+79121234567' }, message);
			expect(again.status).toBe('sent');
			expect(again).not.toHaveProperty('code');
			expect(sandbox.deliveries).toHaveLength(2);
		} finally {
			await sandbox.stop();
		}
	});

	it('reports a refused connection as refused: nothing can have arrived', async () => {
		const sandbox = await startWazzupSandbox();
		const adapter = adapterFor(sandbox);
		await sandbox.stop();
		const outcome = await adapter.send({ phone: '+79121234567' }, survey());
		expect(outcome).toMatchObject({ status: 'refused', code: 'CONNECTION_REFUSED' });
	});
});

describe('wazzupOutcome', () => {
	const answer = (status: number, body: unknown = '', headers: Record<string, string> = {}) => wazzupOutcome({ status, headers, body });

	it('accepts the older spelling of the repeated-id code', () => {
		expect(answer(400, { error: 'repeatedCrmMessageId' })).toMatchObject({ status: 'sent', code: 'REPEATED_CRM_MESSAGE_ID' });
	});

	it('maps the documented codes', () => {
		expect(answer(400, { error: 'MESSAGE_CHANNEL_UNAVAILABLE' })).toMatchObject({ status: 'unreachable' });
		expect(answer(400, { error: 'CHANNEL_NO_MONEY' })).toMatchObject({ status: 'refused', code: 'CHANNEL_NO_MONEY', reason: 'the Wazzup channel is not paid' });
		expect(answer(400, { error: 'INVALID_MESSAGE_DATA', data: { fields: ['chatId'] } })).toMatchObject({ reason: expect.stringContaining('chatId') });
		expect(answer(400, { error: 'SOMETHING_NEW', description: 'New rule' })).toMatchObject({ status: 'refused', code: 'SOMETHING_NEW', reason: expect.stringContaining('New rule') });
		expect(answer(400)).toMatchObject({ status: 'refused', code: 'HTTP_400' });
		expect(answer(403, { error: 'FORBIDDEN' })).toMatchObject({ status: 'refused', code: 'FORBIDDEN' });
		expect(answer(503)).toMatchObject({ status: 'unknown', code: 'HTTP_503' });
		expect(answer(429, '', { 'retry-after': '2' })).toMatchObject({ status: 'throttled', retryAfterMs: 2000 });
	});
});
