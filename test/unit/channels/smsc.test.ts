/**
 * The SMSC.ru adapter against the SMSC sandbox over real HTTP: what each SMSC answer becomes, and
 * what the sandbox delivered.
 */

import { createSmscAdapter, type SmscSettings } from '../../../nodes/shared/channels/smsc';
import type { HttpRequest, SurveyMessage } from '../../../nodes/shared/channels/types';
import { startSmscSandbox, type SmscSandbox } from '../../sandbox/channels/smsc';
import { plainHttp } from '../../support/channelHttp';

let sandbox: SmscSandbox;
let nextId = 1000;

beforeAll(async () => {
	sandbox = await startSmscSandbox({ undeliverable: ['+79990000008'] });
});

afterAll(async () => {
	await sandbox.stop();
});

/** What the n8n credential adds: `login` and `psw` in the query. */
function credential(login: string, psw: string) {
	return (request: HttpRequest): HttpRequest => ({ ...request, qs: { ...(request.qs ?? {}), login, psw } });
}

function adapter(settings: SmscSettings = {}, login = sandbox.login, psw = sandbox.password) {
	return createSmscAdapter(plainHttp(credential(login, psw)), { baseUrl: sandbox.url, ...settings });
}

function message(text = 'Оцените нас от 0 до 10: https://nps.example/s/abc'): SurveyMessage {
	const numericId = nextId++;
	return {
		text,
		link: 'https://nps.example/s/abc',
		token: 'abc',
		variables: {},
		idempotencyKey: `deal-${numericId}-smsc`,
		numericId,
	};
}

test('sends: digits without +, the text in UTF-8, the id and the sender', async () => {
	const survey = message();
	const outcome = await adapter({ sender: 'SHOP' }).send({ phone: '+79121234567' }, survey);
	expect(outcome).toEqual({ status: 'sent', messageId: String(survey.numericId) });
	const delivered = sandbox.deliveries.filter((d) => d.messageId === String(survey.numericId));
	expect(delivered).toEqual([
		{ messageId: String(survey.numericId), to: '79121234567', text: survey.text, at: expect.any(Number), sender: 'SHOP' },
	]);
});

test('the API-key form (empty login, key as psw) works too', async () => {
	const outcome = await adapter({}, '', sandbox.apiKey).send({ phone: '+79121234568' }, message());
	expect(outcome.status).toBe('sent');
});

test('a wrong phone format is error 7: unreachable, nothing delivered', async () => {
	const before = sandbox.deliveries.length;
	const outcome = await adapter().send({ phone: '+7912' }, message());
	expect(outcome).toMatchObject({ status: 'unreachable', code: 'SMSC_7' });
	expect(sandbox.deliveries.length).toBe(before);
});

test('a number SMSC cannot deliver to is error 8: unreachable', async () => {
	const outcome = await adapter().send({ phone: '+79990000008' }, message());
	expect(outcome).toMatchObject({ status: 'unreachable', code: 'SMSC_8' });
	expect(outcome.status !== 'sent' && outcome.reason).toMatch(/cannot deliver/);
});

test('a wrong password is error 2: refused, and the reason names no secret', async () => {
	const wrong = 'not-the-password-51f7';
	const outcome = await adapter({}, sandbox.login, wrong).send({ phone: '+79121234569' }, message());
	expect(outcome).toMatchObject({ status: 'refused', code: 'SMSC_2' });
	const text = JSON.stringify(outcome);
	expect(text).not.toContain(wrong);
	expect(text).not.toContain(sandbox.password);
	expect(text).toMatch(/error 2/);
});

test('no money is error 3: refused', async () => {
	sandbox.setBalance(0);
	try {
		const outcome = await adapter().send({ phone: '+79121234570' }, message());
		expect(outcome).toMatchObject({ status: 'refused', code: 'SMSC_3' });
	} finally {
		sandbox.setBalance(1000);
	}
});

test('an IP blocked after frequent errors is error 4: throttled for a minute', async () => {
	sandbox.blockIp(60_000);
	try {
		const outcome = await adapter().send({ phone: '+79121234571' }, message());
		expect(outcome).toMatchObject({ status: 'throttled', code: 'SMSC_4', retryAfterMs: 60_000 });
	} finally {
		sandbox.blockIp(0);
	}
});

test('the same id again within a minute is error 9: sent (SMSC_DUPLICATE), delivered once', async () => {
	const survey = message();
	const channel = adapter();
	expect(await channel.send({ phone: '+79121234572' }, survey)).toMatchObject({ status: 'sent' });
	const again = await channel.send({ phone: '+79121234572' }, survey);
	expect(again).toMatchObject({ status: 'sent', messageId: String(survey.numericId), code: 'SMSC_DUPLICATE' });
	expect(again.status === 'sent' && again.reason).toMatch(/already accepted/);
	expect(sandbox.deliveries.filter((d) => d.messageId === String(survey.numericId))).toHaveLength(1);
});

test('a timeout after SMSC took the message is unknown; a repeat is caught as a duplicate', async () => {
	sandbox.server.addFault({ kind: 'timeout', when: 'after', path: '/sys/send.php' });
	const survey = message();
	const outcome = await adapter({ timeoutMs: 300 }).send({ phone: '+79121234573' }, survey);
	expect(outcome).toMatchObject({ status: 'unknown', code: 'TIMEOUT' });
	expect(sandbox.deliveries.filter((d) => d.messageId === String(survey.numericId))).toHaveLength(1);
	const repeat = await adapter().send({ phone: '+79121234573' }, survey);
	expect(repeat).toMatchObject({ status: 'sent', code: 'SMSC_DUPLICATE' });
	expect(sandbox.deliveries.filter((d) => d.messageId === String(survey.numericId))).toHaveLength(1);
});

test('a reset after SMSC took the message is unknown', async () => {
	sandbox.server.addFault({ kind: 'reset', when: 'after', path: '/sys/send.php' });
	const survey = message();
	const outcome = await adapter().send({ phone: '+79121234574' }, survey);
	expect(outcome.status).toBe('unknown');
	expect(sandbox.deliveries.filter((d) => d.messageId === String(survey.numericId))).toHaveLength(1);
});

test('a 502 is unknown', async () => {
	sandbox.server.addFault({ kind: 'serverError', path: '/sys/send.php' });
	const outcome = await adapter().send({ phone: '+79121234575' }, message());
	expect(outcome).toMatchObject({ status: 'unknown', code: 'HTTP_502' });
});

test('a stopped server is refused (the connection was never made)', async () => {
	const gone = await startSmscSandbox();
	await gone.stop();
	const channel = createSmscAdapter(plainHttp(credential(gone.login, gone.password)), { baseUrl: gone.url });
	const outcome = await channel.send({ phone: '+79121234576' }, message());
	expect(outcome).toMatchObject({ status: 'refused', code: 'CONNECTION_REFUSED' });
	expect(JSON.stringify(outcome)).not.toContain(gone.password);
});

test('cannotReach: no phone', () => {
	expect(adapter().cannotReach({ email: 'a@b.c' })).toBe('no phone number');
	expect(adapter().cannotReach({ phone: '+79121234567' })).toBeUndefined();
});

test('the balance endpoint the credential test calls answers fmt=3 JSON', async () => {
	const http = plainHttp(credential(sandbox.login, sandbox.password));
	const ok = await http({ method: 'GET', url: `${sandbox.url}/sys/balance.php`, qs: { fmt: 3 } });
	expect(ok.body).toEqual({ balance: expect.stringMatching(/^\d+\.\d\d$/) });
	const bad = await plainHttp(credential(sandbox.login, 'wrong'))({ method: 'GET', url: `${sandbox.url}/sys/balance.php`, qs: { fmt: 3 } });
	expect(bad.body).toEqual({ error: 'authorise error', error_code: 2 });
});
