/**
 * The Telegram adapter against the Telegram sandbox over real HTTP: the score keyboard, what each
 * Bot API answer becomes, and that the bot token never appears in an outcome.
 */

import {
	createTelegramAdapter,
	parseTelegramCallbackData,
	telegramCallbackData,
	type TelegramSettings,
} from '../../../nodes/shared/channels/telegram';
import { TransportFailure, type SurveyMessage } from '../../../nodes/shared/channels/types';
import { startTelegramSandbox, type TelegramSandbox } from '../../sandbox/channels/telegram';
import { plainHttp } from '../../support/channelHttp';

const TOKEN = 'example-signed-survey-token';
const LINK = `https://nps.example/s/${TOKEN}`;

let sandbox: TelegramSandbox;
let nextId = 1;
let nextChat = 100200300;

beforeAll(async () => {
	sandbox = await startTelegramSandbox({ undeliverable: ['555000404'], blockedChats: ['555000403'] });
});

afterAll(async () => {
	await sandbox.stop();
});

function adapter(settings: Partial<TelegramSettings> = {}, target: Pick<TelegramSandbox, 'url' | 'botToken'> = sandbox) {
	// No credential step: the token is in the URL path.
	return createTelegramAdapter(plainHttp(), { baseUrl: target.url, botToken: target.botToken, ...settings });
}

function message(overrides: Partial<SurveyMessage> = {}): SurveyMessage {
	const numericId = nextId++;
	return {
		text: 'Оцените, пожалуйста, от 0 до 10',
		link: LINK,
		token: TOKEN,
		variables: {},
		idempotencyKey: `deal-${numericId}-telegram`,
		numericId,
		scale: { min: 0, max: 10 },
		...overrides,
	};
}

/** A fresh chat per test: the sandbox allows one message a second per chat. */
function chat(): string {
	return String(nextChat++);
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

test('sends the text with 11 score buttons (6 + 5) and an "Open survey" URL button', async () => {
	const chatId = chat();
	const survey = message();
	const outcome = await adapter().send({ telegramChatId: chatId }, survey);
	expect(outcome).toEqual({ status: 'sent', messageId: `${chatId}:1` });
	const [delivery] = sandbox.deliveries.filter((d) => d.to === chatId);
	expect(delivery).toMatchObject({ messageId: `${chatId}:1`, text: survey.text });
	const rows = delivery.keyboard!.inline_keyboard;
	expect(rows.map((row) => row.length)).toEqual([6, 5, 1]);
	const scores = rows.slice(0, 2).flat();
	expect(scores.map((b) => b.text)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
	for (const [score, button] of scores.entries()) {
		expect(button.callback_data).toBe(`nps:${score}:${survey.idempotencyKey}`);
		expect(bytes(button.callback_data!)).toBeLessThanOrEqual(64);
		expect(parseTelegramCallbackData(button.callback_data!)).toEqual({ score, keyPrefix: survey.idempotencyKey });
	}
	expect(rows[2]).toEqual([{ text: 'Open survey', url: LINK }]);
});

test('a 1..10 scale is two rows of 5; the URL button label can be set', async () => {
	const chatId = chat();
	await adapter({ linkButtonText: 'Открыть опрос' }).send({ telegramChatId: chatId }, message({ scale: { min: 1, max: 10 } }));
	const rows = sandbox.deliveries.find((d) => d.to === chatId)!.keyboard!.inline_keyboard;
	expect(rows.map((row) => row.length)).toEqual([5, 5, 1]);
	expect(rows[0][0].text).toBe('1');
	expect(rows[2][0]).toEqual({ text: 'Открыть опрос', url: LINK });
});

test('a long (or non-ASCII) idempotency key is cut so callback_data stays within 64 bytes', async () => {
	const long = `${'k'.repeat(40)}-${'ключ'.repeat(20)}`;
	for (const score of [0, 10]) {
		const data = telegramCallbackData(score, long);
		expect(bytes(data)).toBeLessThanOrEqual(64);
		expect(data.startsWith(`nps:${score}:${'k'.repeat(40)}-`)).toBe(true);
		expect(long.startsWith(parseTelegramCallbackData(data)!.keyPrefix)).toBe(true);
	}
	const chatId = chat();
	expect(await adapter().send({ telegramChatId: chatId }, message({ idempotencyKey: long }))).toMatchObject({ status: 'sent' });
});

test('keyboard off: the text only', async () => {
	const chatId = chat();
	await adapter({ keyboard: false }).send({ telegramChatId: chatId }, message());
	expect(sandbox.deliveries.find((d) => d.to === chatId)).not.toHaveProperty('keyboard');
});

test('no chat id: cannotReach says why, send is unreachable without a request', async () => {
	const channel = adapter();
	expect(channel.cannotReach({ phone: '+79121234567' })).toBe('no Telegram chat id: the customer has not started the bot');
	expect(channel.cannotReach({ telegramChatId: '1' })).toBeUndefined();
	const before = sandbox.server.log.length;
	expect(await channel.send({ phone: '+79121234567' }, message())).toMatchObject({ status: 'unreachable', code: 'NO_CHAT_ID' });
	expect(sandbox.server.log.length).toBe(before);
});

test('a user who blocked the bot (403) is unreachable: BLOCKED_BY_USER', async () => {
	const outcome = await adapter().send({ telegramChatId: '555000403' }, message());
	expect(outcome).toMatchObject({ status: 'unreachable', code: 'BLOCKED_BY_USER' });
	expect(outcome.status !== 'sent' && outcome.reason).toMatch(/blocked the bot/);
});

test('an unknown chat (400 chat not found) is unreachable', async () => {
	expect(await adapter().send({ telegramChatId: '555000404' }, message())).toMatchObject({ status: 'unreachable', code: 'CHAT_NOT_FOUND' });
});

test('a wrong token (401) is refused, and the reason does not contain it', async () => {
	const wrong = '7000000001:AAwrongwrongwrongwrongwrongwrongwron';
	const outcome = await adapter({ botToken: wrong }).send({ telegramChatId: chat() }, message());
	expect(outcome).toMatchObject({ status: 'refused', code: 'UNAUTHORIZED' });
	const text = JSON.stringify(outcome);
	expect(text).not.toContain(wrong);
	expect(text).not.toContain(sandbox.botToken);
});

test('a second message to the same chat within a second is throttled with retry_after', async () => {
	const chatId = chat();
	const channel = adapter();
	expect(await channel.send({ telegramChatId: chatId }, message())).toMatchObject({ status: 'sent' });
	const outcome = await channel.send({ telegramChatId: chatId }, message());
	expect(outcome).toMatchObject({ status: 'throttled', code: 'TOO_MANY_REQUESTS', retryAfterMs: 1000 });
	expect(sandbox.deliveries.filter((d) => d.to === chatId)).toHaveLength(1);
});

test('a timeout after Telegram sent the message is unknown, and names no token', async () => {
	sandbox.server.addFault({ kind: 'timeout', when: 'after', path: '/sendMessage' });
	const chatId = chat();
	const outcome = await adapter({ timeoutMs: 300 }).send({ telegramChatId: chatId }, message());
	expect(outcome).toMatchObject({ status: 'unknown', code: 'TIMEOUT' });
	expect(JSON.stringify(outcome)).not.toContain(sandbox.botToken);
	expect(sandbox.deliveries.filter((d) => d.to === chatId)).toHaveLength(1);
});

test('a reset after Telegram sent the message is unknown', async () => {
	sandbox.server.addFault({ kind: 'reset', when: 'after', path: '/sendMessage' });
	const chatId = chat();
	expect((await adapter().send({ telegramChatId: chatId }, message())).status).toBe('unknown');
	expect(sandbox.deliveries.filter((d) => d.to === chatId)).toHaveLength(1);
});

test('a 502 is unknown', async () => {
	sandbox.server.addFault({ kind: 'serverError', path: '/sendMessage' });
	expect(await adapter().send({ telegramChatId: chat() }, message())).toMatchObject({ status: 'unknown', code: 'HTTP_502' });
});

test('a transport error that quotes the URL is scrubbed of the token', async () => {
	const token = '123456789:AAHsecretsecretsecretsecretsecret12';
	const channel = createTelegramAdapter(
		async (request) => {
			throw new TransportFailure(`socket hang up calling ${request.url}`, true, 'RESET');
		},
		{ botToken: token },
	);
	const outcome = await channel.send({ telegramChatId: '1' }, message());
	expect(outcome).toMatchObject({ status: 'unknown', code: 'RESET' });
	expect(JSON.stringify(outcome)).not.toContain(token);
	expect(JSON.stringify(outcome)).not.toContain('AAHsecret');
	// The reason says what happened in words; it no longer quotes the transport's message (and its URL) at all.
	expect(outcome.status !== 'sent' && outcome.reason).toContain('(reset)');
});

test('a stopped server is refused (the connection was never made)', async () => {
	const gone = await startTelegramSandbox();
	await gone.stop();
	const outcome = await adapter({}, gone).send({ telegramChatId: chat() }, message());
	expect(outcome).toMatchObject({ status: 'refused', code: 'CONNECTION_REFUSED' });
	expect(JSON.stringify(outcome)).not.toContain(gone.botToken);
});

test('getMe (the credential test) and answerCallbackQuery', async () => {
	const http = plainHttp();
	const me = await http({ method: 'GET', url: `${sandbox.url}/bot${sandbox.botToken}/getMe` });
	expect(me).toMatchObject({ status: 200, body: { ok: true, result: { is_bot: true } } });
	const bad = await http({ method: 'GET', url: `${sandbox.url}/bot123:wrong/getMe` });
	expect(bad).toMatchObject({ status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } });
	const answer = await http({
		method: 'POST',
		url: `${sandbox.url}/bot${sandbox.botToken}/answerCallbackQuery`,
		json: { callback_query_id: 'q1', text: 'Спасибо!' },
	});
	expect(answer.body).toEqual({ ok: true, result: true });
	expect(sandbox.callbackAnswers).toEqual([{ callbackQueryId: 'q1', text: 'Спасибо!', at: expect.any(Number) }]);
});
