/**
 * Survey through a Telegram bot (`POST /bot<token>/sendMessage`, JSON). n8n-free. The bot token is
 * part of the URL path, not a header, so the adapter gets it in its settings and scrubs it from every
 * reason and code it returns (transport errors may quote the URL).
 *
 * Score buttons: one inline button per score; a tap comes back to the bot as
 * `callback_query.data` = `nps:<score>:<idempotencyKey, cut so the whole is at most 64 bytes>`
 * (see `telegramCallbackData` / `parseTelegramCallbackData`, which the NPS Response Trigger uses).
 * The signed survey token is too long for Telegram's 64-byte limit, so the tap carries the
 * idempotency key (stable per survey) instead; the URL button opens the full survey link.
 */

import {
	field,
	retryAfterMs,
	transportOutcome,
	type ChannelAdapter,
	type ChannelOutcome,
	type HttpFunction,
	type HttpRequest,
	type HttpResponse,
	type Recipient,
	type SurveyMessage,
} from './types';

export const TELEGRAM_BASE_URL = 'https://api.telegram.org';

export interface TelegramSettings {
	/** Defaults to https://api.telegram.org; a sandbox or a local Bot API server may go here. */
	baseUrl?: string;
	/** From @BotFather: `123456789:AA…`. */
	botToken: string;
	/** Score buttons and an "Open survey" button under the text (default true). */
	keyboard?: boolean;
	/** The URL button's label (default 'Open survey'). */
	linkButtonText?: string;
	/** Per request; default 30000. */
	timeoutMs?: number;
}

export interface TelegramButton {
	text: string;
	callback_data?: string;
	url?: string;
}

export interface TelegramInlineKeyboard {
	inline_keyboard: TelegramButton[][];
}

/** Telegram's limit for `callback_data`. */
export const CALLBACK_DATA_MAX_BYTES = 64;

const CALLBACK_PREFIX = 'nps';

/** Telegram shows at most 8 buttons in a row. */
const MAX_BUTTONS_PER_ROW = 8;

const DEFAULT_RETRY_MS = 1000;

/** `nps:<score>:<key>`, the key cut (by whole characters) so the whole is at most 64 UTF-8 bytes. */
export function telegramCallbackData(score: number, idempotencyKey: string): string {
	const head = `${CALLBACK_PREFIX}:${score}:`;
	let budget = CALLBACK_DATA_MAX_BYTES - utf8Length(head);
	let key = '';
	for (const char of idempotencyKey) {
		budget -= utf8Length(char);
		if (budget < 0) break;
		key += char;
	}
	return head + key;
}

/**
 * Reads a tap's `callback_query.data`; undefined when it is not ours. `keyPrefix` is the start of
 * the survey's idempotency key (all of it when the key is short): match it with `startsWith`.
 */
export function parseTelegramCallbackData(data: string): { score: number; keyPrefix: string } | undefined {
	const match = /^nps:(-?\d{1,3}):(.*)$/s.exec(data);
	if (!match) return undefined;
	return { score: Number(match[1]), keyPrefix: match[2] };
}

/**
 * The `answerCallbackQuery` call that ends a tapped button's progress indicator; `text` (at most
 * 200 characters) shows as a short notice. The bot token is in the URL path: never log the request.
 */
export function answerCallbackRequest(settings: { baseUrl?: string; botToken: string }, callbackQueryId: string, text?: string): HttpRequest {
	const baseUrl = (settings.baseUrl || TELEGRAM_BASE_URL).replace(/\/+$/, '');
	const json: Record<string, unknown> = { callback_query_id: callbackQueryId };
	if (text) json.text = Array.from(text).slice(0, 200).join('');
	return { method: 'POST', url: `${baseUrl}/bot${settings.botToken}/answerCallbackQuery`, json, timeoutMs: 10_000 };
}

/** Score rows (0..10 → 6 + 5) and, when there is a link, a last row with the URL button. */
export function surveyKeyboard(message: SurveyMessage, linkButtonText = 'Open survey'): TelegramInlineKeyboard | undefined {
	const rows: TelegramButton[][] = [];
	if (message.scale && message.scale.max >= message.scale.min) {
		const scores: number[] = [];
		for (let score = message.scale.min; score <= message.scale.max; score++) scores.push(score);
		const rowCount = scores.length <= 6 ? 1 : Math.max(2, Math.ceil(scores.length / MAX_BUTTONS_PER_ROW));
		const perRow = Math.ceil(scores.length / rowCount);
		for (let i = 0; i < scores.length; i += perRow) {
			rows.push(
				scores.slice(i, i + perRow).map((score) => ({
					text: String(score),
					callback_data: telegramCallbackData(score, message.idempotencyKey),
				})),
			);
		}
	}
	if (message.link) rows.push([{ text: linkButtonText, url: message.link }]);
	return rows.length ? { inline_keyboard: rows } : undefined;
}

export function createTelegramAdapter(http: HttpFunction, settings: TelegramSettings): ChannelAdapter {
	const baseUrl = (settings.baseUrl || TELEGRAM_BASE_URL).replace(/\/+$/, '');
	const timeoutMs = settings.timeoutMs ?? 30_000;
	const scrub = scrubber(settings.botToken);

	return {
		channel: 'telegram',
		label: 'Telegram bot',
		// Telegram's bot FAQ: about 30 messages a second in bulk (and about 1 a second per chat, which
		// a survey, one message per customer, does not approach).
		rateLimit: { requests: 30, windowMs: 1000 },

		cannotReach(recipient: Recipient): string | undefined {
			if (!recipient.telegramChatId) return 'no Telegram chat id: the customer has not started the bot';
			return undefined;
		},

		async send(recipient: Recipient, message: SurveyMessage): Promise<ChannelOutcome> {
			const chatId = recipient.telegramChatId;
			if (!chatId) {
				return { status: 'unreachable', code: 'NO_CHAT_ID', reason: 'no Telegram chat id: the customer has not started the bot' };
			}
			if (!settings.botToken) return { status: 'refused', code: 'NO_TOKEN', reason: 'the Telegram bot token is not set' };
			const json: Record<string, unknown> = { chat_id: chatId, text: message.text };
			if (settings.keyboard !== false) {
				const keyboard = surveyKeyboard(message, settings.linkButtonText || undefined);
				if (keyboard) json.reply_markup = keyboard;
			}

			let response: HttpResponse;
			try {
				response = await http({ method: 'POST', url: `${baseUrl}/bot${settings.botToken}/sendMessage`, json, timeoutMs });
			} catch (error) {
				return scrubOutcome(transportOutcome(error), scrub);
			}
			return scrubOutcome(readAnswer(response, chatId, scrub), scrub);
		},
	};
}

function readAnswer(response: HttpResponse, chatId: string, scrub: (text: string) => string): ChannelOutcome {
	const { status } = response;
	const body = parseBody(response.body);
	const messageId = field(body, 'result', 'message_id');
	if (status >= 200 && status < 300 && field(body, 'ok') === true) {
		if (typeof messageId === 'number' || typeof messageId === 'string') return { status: 'sent', messageId: `${chatId}:${messageId}` };
		return {
			status: 'unknown',
			code: 'NO_MESSAGE_ID',
			reason: 'Telegram answered ok without a message id; the message may have been sent, so it is not sent again',
		};
	}
	const errorCode = Number(field(body, 'error_code')) || status;
	const rawDescription = field(body, 'description');
	const description = typeof rawDescription === 'string' ? scrub(rawDescription).slice(0, 200) : '';
	const said = description ? ` (Telegram said "${description}")` : '';
	const lower = description.toLowerCase();

	if (errorCode === 429) {
		const retryAfter = Number(field(body, 'parameters', 'retry_after'));
		return {
			status: 'throttled',
			code: 'TOO_MANY_REQUESTS',
			reason: `Telegram's flood limit${said}`,
			retryAfterMs: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : retryAfterMs(response.headers, DEFAULT_RETRY_MS),
		};
	}
	if (status >= 500 || errorCode >= 500) {
		return {
			status: 'unknown',
			code: `HTTP_${status}`,
			reason: `Telegram answered HTTP ${status}; the message may have been sent, so it is not sent again`,
		};
	}
	if (errorCode === 403) {
		if (lower.includes('blocked')) {
			return { status: 'unreachable', code: 'BLOCKED_BY_USER', reason: `the customer blocked the bot (opted out)${said}` };
		}
		if (lower.includes('deactivated')) {
			return { status: 'unreachable', code: 'USER_DEACTIVATED', reason: `the customer's Telegram account is deleted${said}` };
		}
		return { status: 'unreachable', code: 'FORBIDDEN', reason: `the bot may not write to this chat${said}` };
	}
	if (errorCode === 400 && lower.includes('chat not found')) {
		return { status: 'unreachable', code: 'CHAT_NOT_FOUND', reason: `Telegram does not know this chat id for the bot${said}` };
	}
	if (errorCode === 401) {
		return { status: 'refused', code: 'UNAUTHORIZED', reason: 'Telegram refused the bot token (401 Unauthorized); check the credential' };
	}
	if (errorCode === 404) {
		return {
			status: 'refused',
			code: 'NOT_FOUND',
			reason: 'Telegram answered 404: the bot token is malformed or the base URL is wrong; check the credential',
		};
	}
	if (errorCode === 400) return { status: 'refused', code: 'BAD_REQUEST', reason: `Telegram refused the message${said}` };
	return { status: 'refused', code: `HTTP_${status}`, reason: `Telegram answered HTTP ${status}${said}` };
}

function scrubOutcome(outcome: ChannelOutcome, scrub: (text: string) => string): ChannelOutcome {
	if (outcome.status === 'sent') return outcome;
	return { ...outcome, code: scrub(outcome.code), reason: scrub(outcome.reason) };
}

/** Replaces the token, and anything shaped like a bot token, with `<token>`. */
function scrubber(token: string): (text: string) => string {
	return (text) => {
		let out = token ? text.split(token).join('<token>') : text;
		out = out.replace(/\d{5,}:[A-Za-z0-9_-]{20,}/g, '<token>');
		return out;
	};
}

/** A JSON body sent as text still counts. */
function parseBody(body: unknown): unknown {
	if (typeof body !== 'string') return body;
	const text = body.trim();
	if (!text.startsWith('{')) return body;
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return body;
	}
}

function utf8Length(text: string): number {
	let bytes = 0;
	for (const char of text) {
		const code = char.codePointAt(0) ?? 0;
		bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
	}
	return bytes;
}
