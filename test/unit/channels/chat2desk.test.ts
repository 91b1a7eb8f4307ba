/**
 * The Chat2Desk adapter against the Chat2Desk sandbox over HTTP: find-or-create the client, send,
 * and how each answer (sandbox-defined where Chat2Desk documents none) maps to an outcome.
 */

import { CHAT2DESK_LABEL, chat2deskErrorOutcome, createChat2DeskAdapter, type Chat2DeskSettings } from '../../../nodes/shared/channels/chat2desk';
import type { HttpRequest, SurveyMessage } from '../../../nodes/shared/channels/types';
import { startChat2DeskSandbox, type Chat2DeskSandbox } from '../../sandbox/channels/chat2desk';
import { plainHttp } from '../../support/channelHttp';

jest.setTimeout(15_000);

/** What the credential adds: the bare token. */
const bare = (token: string) => (request: HttpRequest): HttpRequest => ({
	...request,
	headers: { ...request.headers, Authorization: token },
});

let counter = 0;
function survey(overrides: Partial<SurveyMessage> = {}): SurveyMessage {
	counter++;
	return {
		text: `Anna, how likely are you to recommend us? https://survey.example/s/tok${counter}`,
		link: `https://survey.example/s/tok${counter}`,
		token: `tok${counter}`,
		variables: { firstName: 'Anna' },
		idempotencyKey: `deal-${counter}-survey-chat2desk`,
		numericId: counter,
		...overrides,
	};
}

function adapterFor(sandbox: Chat2DeskSandbox, auth = bare(sandbox.token), settings: Partial<Chat2DeskSettings> = {}) {
	return createChat2DeskAdapter(plainHttp(auth), { baseUrl: sandbox.url, timeoutMs: 300, ...settings });
}

describe('Chat2Desk adapter', () => {
	let sandbox: Chat2DeskSandbox;
	beforeAll(async () => {
		sandbox = await startChat2DeskSandbox({ notOnWhatsApp: ['+79990000000'] });
	});
	afterAll(() => sandbox.stop());
	afterEach(() => sandbox.server.clearFaults());

	const requestsSince = (from: number) => sandbox.server.log.slice(from).map((l) => `${l.method} ${l.path}`);

	it('creates the missing client, sends the text, and reuses the client next time', async () => {
		const adapter = adapterFor(sandbox, undefined, { channelId: sandbox.channelId });
		expect(adapter.label).toBe(CHAT2DESK_LABEL);
		expect(adapter.channel).toBe('chat2desk');
		expect(adapter.rateLimit).toEqual({ requests: 300, windowMs: 60_000 });
		const message = survey();
		let from = sandbox.server.log.length;
		const outcome = await adapter.send({ phone: '+79121234567' }, message);
		const delivery = sandbox.deliveries.at(-1)!;
		expect(outcome).toEqual({ status: 'sent', messageId: delivery.messageId });
		expect(delivery).toMatchObject({ to: '79121234567', text: message.text, transport: 'whatsapp', channelId: sandbox.channelId, type: 'to_client' });
		expect(requestsSince(from)).toEqual(['GET /v1/clients', 'POST /v1/clients', 'POST /v1/messages']);
		expect(sandbox.clients.filter((c) => c.phone === '79121234567')).toHaveLength(1);

		from = sandbox.server.log.length;
		expect((await adapter.send({ phone: '+79121234567' }, survey())).status).toBe('sent');
		expect(requestsSince(from)).toEqual(['GET /v1/clients', 'POST /v1/messages']);
		expect(sandbox.clients.filter((c) => c.phone === '79121234567')).toHaveLength(1);
		expect(sandbox.deliveries.at(-1)!.clientId).toBe(delivery.clientId);
	});

	it('says why before any request when there is no phone', async () => {
		const adapter = adapterFor(sandbox);
		expect(adapter.cannotReach({ telegramChatId: '1' })).toBe('no phone number');
		const from = sandbox.server.log.length;
		expect(await adapter.send({}, survey())).toMatchObject({ status: 'unreachable', code: 'NO_PHONE' });
		expect(sandbox.server.log.length).toBe(from);
	});

	it('reports a number WhatsApp cannot reach as unreachable', async () => {
		const delivered = sandbox.deliveries.length;
		const outcome = await adapterFor(sandbox).send({ phone: '+79990000000' }, survey());
		expect(outcome).toMatchObject({ status: 'unreachable', code: 'NOT_REACHABLE' });
		expect(sandbox.deliveries.length).toBe(delivered);
	});

	it('refuses a wrong token, and a "Bearer" token, without repeating it', async () => {
		const wrong = 'c2d-wrong-secret-0123456789';
		const outcome = await adapterFor(sandbox, bare(wrong)).send({ phone: '+79121234567' }, survey());
		expect(outcome).toMatchObject({ status: 'refused', code: 'UNAUTHORIZED' });
		expect(JSON.stringify(outcome)).not.toContain(wrong);
		const bearer = await adapterFor(sandbox, bare(`Bearer ${sandbox.token}`)).send({ phone: '+79121234567' }, survey());
		expect(bearer).toMatchObject({ status: 'refused', code: 'UNAUTHORIZED' });
		expect(JSON.stringify(bearer)).not.toContain(sandbox.token);
	});

	it('refuses a channel the account does not have', async () => {
		const outcome = await adapterFor(sandbox, undefined, { channelId: 1 }).send({ phone: '+79121239999' }, survey());
		expect(outcome).toMatchObject({ status: 'refused', reason: expect.stringContaining('Channel not found') });
	});

	it('reports a timeout after the message went out as unknown', async () => {
		sandbox.server.addFault({ kind: 'timeout', when: 'after', path: '/v1/messages' });
		const delivered = sandbox.deliveries.length;
		expect(await adapterFor(sandbox).send({ phone: '+79121234567' }, survey())).toMatchObject({ status: 'unknown', code: 'TIMEOUT' });
		expect(sandbox.deliveries.length).toBe(delivered + 1);
	});

	it('reports a reset after the message went out as unknown', async () => {
		sandbox.server.addFault({ kind: 'reset', when: 'after', path: '/v1/messages' });
		const delivered = sandbox.deliveries.length;
		expect(await adapterFor(sandbox).send({ phone: '+79121234567' }, survey())).toMatchObject({ status: 'unknown', code: 'RESET' });
		expect(sandbox.deliveries.length).toBe(delivered + 1);
	});

	it('reports a reset before the message step as unknown too: the client cannot tell', async () => {
		sandbox.server.addFault({ kind: 'reset', when: 'before', path: '/v1/messages' });
		const delivered = sandbox.deliveries.length;
		expect(await adapterFor(sandbox).send({ phone: '+79121234567' }, survey())).toMatchObject({ status: 'unknown' });
		expect(sandbox.deliveries.length).toBe(delivered);
	});

	it('reports a failed client lookup as refused: no message can have gone out', async () => {
		sandbox.server.addFault({ kind: 'timeout', when: 'before', path: '/v1/clients' });
		const outcome = await adapterFor(sandbox).send({ phone: '+79121234567' }, survey());
		expect(outcome).toMatchObject({ status: 'refused', code: 'TIMEOUT', reason: expect.stringContaining('nothing was sent') });
		sandbox.server.addFault({ kind: 'serverError', when: 'before', path: '/v1/clients' });
		expect(await adapterFor(sandbox).send({ phone: '+79121234567' }, survey())).toMatchObject({ status: 'refused', code: 'HTTP_502' });
	});

	it('reports a 5xx on the message step as unknown', async () => {
		sandbox.server.addFault({ kind: 'serverError', when: 'after', path: '/v1/messages' });
		expect(await adapterFor(sandbox).send({ phone: '+79121234567' }, survey())).toMatchObject({ status: 'unknown', code: 'HTTP_502' });
	});

	it('answers the credential test route', async () => {
		const response = await plainHttp(bare(sandbox.token))({ method: 'GET', url: `${sandbox.url}/v1/companies/api_info` });
		expect(response.status).toBe(200);
		expect(response.body).toMatchObject({ status: 'success', data: expect.any(Object) });
		expect((await plainHttp()({ method: 'GET', url: `${sandbox.url}/v1/companies/api_info` })).status).toBe(401);
	});
});

describe('Chat2Desk limits', () => {
	it('refuses requests over 300 per window with 429, reported as throttled', async () => {
		// timeScale < 1 stretches the window; the burst must fit in one.
		const sandbox = await startChat2DeskSandbox({ timeScale: 0.5 });
		try {
			const adapter = adapterFor(sandbox, undefined, { timeoutMs: 5000 });
			// Each new client costs three requests: 120 surveys want 360, 300 are allowed.
			const outcomes = await Promise.all(Array.from({ length: 120 }, (_, i) => adapter.send({ phone: `+7913${String(i).padStart(7, '0')}` }, survey())));
			const sent = outcomes.filter((o) => o.status === 'sent');
			const throttled = outcomes.filter((o) => o.status === 'throttled');
			expect(sent.length + throttled.length).toBe(120);
			expect(throttled.length).toBeGreaterThan(0);
			expect(sandbox.server.log.filter((l) => l.status !== 429)).toHaveLength(300);
			expect(sandbox.deliveries).toHaveLength(sent.length);
			for (const outcome of throttled) {
				expect(outcome).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
				const wait = (outcome as { retryAfterMs: number }).retryAfterMs;
				expect(wait).toBeGreaterThan(0);
				expect(wait).toBeLessThanOrEqual(120_000);
			}
		} finally {
			await sandbox.stop();
		}
	});

	it('reports a refused connection as refused', async () => {
		const sandbox = await startChat2DeskSandbox();
		const adapter = adapterFor(sandbox);
		await sandbox.stop();
		expect(await adapter.send({ phone: '+79121234567' }, survey())).toMatchObject({ status: 'refused', code: 'CONNECTION_REFUSED' });
	});
});

describe('chat2deskErrorOutcome', () => {
	it('reads an error body with HTTP 200 and lists of errors', () => {
		expect(chat2deskErrorOutcome({ status: 200, headers: {}, body: { status: 'error', errors: { text: ['The text is required'] } } })).toMatchObject({
			status: 'refused',
			reason: expect.stringContaining('text: The text is required'),
		});
		expect(chat2deskErrorOutcome({ status: 503, headers: {}, body: '' }, 'create')).toMatchObject({ status: 'refused', code: 'HTTP_503' });
	});
});
