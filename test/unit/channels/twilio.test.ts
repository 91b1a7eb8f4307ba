/**
 * The Twilio adapter against the Twilio sandbox over real HTTP: what each Twilio answer becomes,
 * and what the sandbox delivered.
 */

import { createTwilioAdapter, type TwilioSettings } from '../../../nodes/shared/channels/twilio';
import type { HttpRequest, SurveyMessage } from '../../../nodes/shared/channels/types';
import { startTwilioSandbox, type TwilioSandbox } from '../../sandbox/channels/twilio';
import { plainHttp } from '../../support/channelHttp';

const FROM = '+15005550006';
const SERVICE = `MG${'0'.repeat(32)}`;

let sandbox: TwilioSandbox;
let nextId = 1;

beforeAll(async () => {
	sandbox = await startTwilioSandbox({
		undeliverable: ['+79990000001'],
		optedOut: ['+79990000002'],
		notMobile: ['+74950000003'],
		disabledRegions: ['+86'],
	});
});

afterAll(async () => {
	await sandbox.stop();
});

/** What the n8n credential adds: HTTP Basic AccountSid:AuthToken. */
function credential(username: string, password: string) {
	const header = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
	return (request: HttpRequest): HttpRequest => ({ ...request, headers: { ...(request.headers ?? {}), authorization: header } });
}

function adapter(settings: Partial<TwilioSettings> = {}, target: Pick<TwilioSandbox, 'url' | 'accountSid' | 'authToken'> = sandbox, authToken = target.authToken) {
	return createTwilioAdapter(plainHttp(credential(target.accountSid, authToken)), {
		baseUrl: target.url,
		accountSid: target.accountSid,
		from: FROM,
		...settings,
	});
}

function message(text = 'How likely are you to recommend us? https://nps.example/s/abc'): SurveyMessage {
	const numericId = nextId++;
	return { text, link: 'https://nps.example/s/abc', token: 'abc', variables: {}, idempotencyKey: `deal-${numericId}-twilio`, numericId };
}

function deliveredAs(sid: string) {
	return sandbox.deliveries.filter((d) => d.messageId === sid);
}

test('sends: To in E.164 with +, Body, From and the status callback; the SID comes back', async () => {
	const survey = message();
	const outcome = await adapter({ statusCallback: 'https://n8n.example/webhook/twilio-status' }).send({ phone: '+79121234567' }, survey);
	expect(outcome).toEqual({ status: 'sent', messageId: expect.stringMatching(/^SM[0-9a-f]{32}$/) });
	const sid = outcome.status === 'sent' ? outcome.messageId : '';
	expect(deliveredAs(sid)).toEqual([
		{ messageId: sid, to: '+79121234567', text: survey.text, at: expect.any(Number), from: FROM, statusCallback: 'https://n8n.example/webhook/twilio-status' },
	]);
});

test('a phone without + is sent with one', async () => {
	const outcome = await adapter().send({ phone: '79121234568' }, message());
	const sid = outcome.status === 'sent' ? outcome.messageId : '';
	expect(deliveredAs(sid)[0]?.to).toBe('+79121234568');
});

test('a Messaging Service SID is sent instead of From', async () => {
	const outcome = await adapter({ messagingServiceSid: SERVICE }).send({ phone: '+79121234569' }, message());
	const sid = outcome.status === 'sent' ? outcome.messageId : '';
	expect(deliveredAs(sid)).toEqual([expect.objectContaining({ messagingServiceSid: SERVICE })]);
	expect(deliveredAs(sid)[0]).not.toHaveProperty('from');
});

test('no sender configured: refused before any request', async () => {
	const before = sandbox.server.log.length;
	const outcome = await adapter({ from: undefined }).send({ phone: '+79121234570' }, message());
	expect(outcome).toMatchObject({ status: 'refused', code: 'NO_SENDER' });
	expect(sandbox.server.log.length).toBe(before);
});

test('21211 (not a valid phone number) is unreachable', async () => {
	expect(await adapter().send({ phone: '+79990000001' }, message())).toMatchObject({ status: 'unreachable', code: 'TWILIO_21211' });
	expect(await adapter().send({ phone: '+123' }, message())).toMatchObject({ status: 'unreachable', code: 'TWILIO_21211' });
});

test('21610 (replied STOP) is unreachable with OPTED_OUT', async () => {
	const before = sandbox.deliveries.length;
	const outcome = await adapter().send({ phone: '+79990000002' }, message());
	expect(outcome).toMatchObject({ status: 'unreachable', code: 'OPTED_OUT' });
	expect(outcome.status !== 'sent' && outcome.reason).toMatch(/opted out/);
	expect(sandbox.deliveries.length).toBe(before);
});

test('21614 (not a mobile number) is unreachable', async () => {
	expect(await adapter().send({ phone: '+74950000003' }, message())).toMatchObject({ status: 'unreachable', code: 'TWILIO_21614' });
});

test('21408 (region not enabled) is refused', async () => {
	expect(await adapter().send({ phone: '+8613800000000' }, message())).toMatchObject({ status: 'refused', code: 'TWILIO_21408' });
});

test('a wrong Auth Token is 20003: refused, and the reason names no secret', async () => {
	const wrong = 'f'.repeat(32);
	const outcome = await adapter({}, sandbox, wrong).send({ phone: '+79121234571' }, message());
	expect(outcome).toMatchObject({ status: 'refused', code: 'TWILIO_20003' });
	const text = JSON.stringify(outcome);
	expect(text).not.toContain(wrong);
	expect(text).not.toContain(sandbox.authToken);
});

test('another account in the path is refused (404)', async () => {
	const outcome = await adapter({ accountSid: `AC${'1'.repeat(32)}` }).send({ phone: '+79121234572' }, message());
	expect(outcome).toMatchObject({ status: 'refused', code: 'TWILIO_20404' });
});

test('over the API rate limit: 429 / 20429 is throttled with a retry delay', async () => {
	const limited = await startTwilioSandbox({ requestsPerSecond: 2 });
	try {
		const channel = adapter({}, limited);
		const outcomes = [];
		for (let i = 0; i < 3; i++) outcomes.push(await channel.send({ phone: `+7912123460${i}` }, message()));
		expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent', 'throttled']);
		expect(outcomes[2]).toMatchObject({ code: 'TWILIO_20429', retryAfterMs: 1000 });
		expect(limited.deliveries).toHaveLength(2);
	} finally {
		await limited.stop();
	}
});

test('a timeout after Twilio created the message is unknown (not to be resent)', async () => {
	sandbox.server.addFault({ kind: 'timeout', when: 'after', path: '/Messages.json' });
	const survey = message('timeout-after');
	const outcome = await adapter({ timeoutMs: 300 }).send({ phone: '+79121234573' }, survey);
	expect(outcome).toMatchObject({ status: 'unknown', code: 'TIMEOUT' });
	expect(sandbox.deliveries.filter((d) => d.text === 'timeout-after')).toHaveLength(1);
});

test('a reset after Twilio created the message is unknown', async () => {
	sandbox.server.addFault({ kind: 'reset', when: 'after', path: '/Messages.json' });
	const outcome = await adapter().send({ phone: '+79121234574' }, message('reset-after'));
	expect(outcome.status).toBe('unknown');
	expect(sandbox.deliveries.filter((d) => d.text === 'reset-after')).toHaveLength(1);
});

test('a 502 is unknown', async () => {
	sandbox.server.addFault({ kind: 'serverError', path: '/Messages.json' });
	expect(await adapter().send({ phone: '+79121234575' }, message())).toMatchObject({ status: 'unknown', code: 'HTTP_502' });
});

test('a stopped server is refused (the connection was never made)', async () => {
	const gone = await startTwilioSandbox();
	await gone.stop();
	const outcome = await adapter({}, gone).send({ phone: '+79121234576' }, message());
	expect(outcome).toMatchObject({ status: 'refused', code: 'CONNECTION_REFUSED' });
	expect(JSON.stringify(outcome)).not.toContain(gone.authToken);
});

test('cannotReach: no phone', () => {
	expect(adapter().cannotReach({ telegramChatId: '1' })).toBe('no phone number');
	expect(adapter().cannotReach({ phone: '+79121234567' })).toBeUndefined();
});

test('the account endpoint the credential test calls', async () => {
	const ok = await plainHttp(credential(sandbox.accountSid, sandbox.authToken))({
		method: 'GET',
		url: `${sandbox.url}/2010-04-01/Accounts/${sandbox.accountSid}.json`,
	});
	expect(ok).toMatchObject({ status: 200, body: { sid: sandbox.accountSid, status: 'active' } });
	const bad = await plainHttp(credential(sandbox.accountSid, 'wrong'))({
		method: 'GET',
		url: `${sandbox.url}/2010-04-01/Accounts/${sandbox.accountSid}.json`,
	});
	expect(bad).toMatchObject({ status: 401, body: { code: 20003 } });
});
