/* eslint-disable @n8n/community-nodes/no-restricted-globals -- test tooling: runs in Node test processes, never inside n8n */
/**
 * A sandbox that behaves like the Telegram Bot API for what the survey uses: `/bot<token>/sendMessage`
 * (with an inline keyboard), `getMe` (the credential test) and `answerCallbackQuery`. Answers are
 * `{ok:true,result}` or `{ok:false,error_code,description[,parameters]}` with the same HTTP status.
 */

import { randomBytes } from 'node:crypto';

import { ChannelServer, FixedWindowLimit, type SandboxAnswer, type SandboxRequest } from './server';

export interface TelegramSandboxOptions {
	/** Divides the flood-limit windows. */
	timeScale?: number;
	/** Chat ids the bot does not know: 400 "Bad Request: chat not found". */
	undeliverable?: string[];
	/** Chats whose user blocked the bot: 403 "Forbidden: bot was blocked by the user". */
	blockedChats?: string[];
	/** Delay before each answer. */
	latencyMs?: number;
	botToken?: string;
	/** Messages a second over all chats (default 30). */
	globalPerSecond?: number;
	/** Messages a second to one chat (default 1). */
	perChatPerSecond?: number;
}

export interface TelegramButtonRecord {
	text: string;
	callback_data?: string;
	url?: string;
}

export interface TelegramDelivery {
	/** `${chat_id}:${message_id}`, as the adapter reports it. */
	messageId: string;
	/** The chat id. */
	to: string;
	text: string;
	at: number;
	/** The reply_markup as sent. */
	keyboard?: { inline_keyboard: TelegramButtonRecord[][] };
}

export interface TelegramCallbackAnswer {
	callbackQueryId: string;
	text?: string;
	showAlert?: boolean;
	at: number;
}

export interface TelegramSandbox {
	url: string;
	botToken: string;
	deliveries: TelegramDelivery[];
	callbackAnswers: TelegramCallbackAnswer[];
	/** What setWebhook registered (url and secret_token), or undefined after deleteWebhook. */
	webhook(): { url: string; secretToken?: string } | undefined;
	server: ChannelServer;
	stop(): Promise<void>;
}

const BOT = { id: 7000000001, is_bot: true, first_name: 'NPS Sandbox Bot', username: 'nps_sandbox_bot' };

export async function startTelegramSandbox(options: TelegramSandboxOptions = {}): Promise<TelegramSandbox> {
	const timeScale = options.timeScale ?? 1;
	const botToken = options.botToken ?? `${BOT.id}:AA${randomBytes(24).toString('base64url').slice(0, 33)}`;
	const undeliverable = new Set(options.undeliverable ?? []);
	const blocked = new Set(options.blockedChats ?? []);
	const global = new FixedWindowLimit(options.globalPerSecond ?? 30, 1000, timeScale);
	const perChat = new Map<string, FixedWindowLimit>();
	const nextMessageId = new Map<string, number>();
	const deliveries: TelegramDelivery[] = [];
	const callbackAnswers: TelegramCallbackAnswer[] = [];
	let webhook: { url: string; secretToken?: string } | undefined;

	const handler = async (request: SandboxRequest): Promise<SandboxAnswer> => {
		if (options.latencyMs) await sleep(options.latencyMs);
		const route = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(request.path);
		if (!route) return fail(404, 'Not Found');
		if (route[1] !== botToken) return fail(401, 'Unauthorized');
		const params: Record<string, unknown> = { ...request.query, ...(isRecord(request.body) ? request.body : {}) };

		switch (route[2].toLowerCase()) {
			case 'getme':
				return ok({ ...BOT, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });
			case 'answercallbackquery': {
				if (!params.callback_query_id) return fail(400, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
				callbackAnswers.push({
					callbackQueryId: String(params.callback_query_id),
					...(params.text !== undefined ? { text: String(params.text) } : {}),
					...(params.show_alert !== undefined ? { showAlert: params.show_alert === true || params.show_alert === 'true' } : {}),
					at: Date.now(),
				});
				return ok(true);
			}
			case 'sendmessage':
				return sendMessage(params);
			case 'setwebhook': {
				const url = String(params.url ?? '');
				if (!/^https?:\/\//.test(url)) return fail(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
				const secret = params.secret_token === undefined ? undefined : String(params.secret_token);
				if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) return fail(400, 'Bad Request: secret token contains unallowed characters');
				webhook = { url, secretToken: secret };
				return ok(true);
			}
			case 'deletewebhook':
				webhook = undefined;
				return ok(true);
			case 'getwebhookinfo':
				return ok({ url: webhook?.url ?? '', has_custom_certificate: false, pending_update_count: 0 });
			default:
				return fail(404, 'Not Found: method not found');
		}
	};

	const sendMessage = (params: Record<string, unknown>): SandboxAnswer => {
		const chatId = params.chat_id === undefined || params.chat_id === '' ? '' : String(params.chat_id);
		const text = typeof params.text === 'string' ? params.text : '';
		if (!chatId) return fail(400, 'Bad Request: chat_id is empty');
		if (!text.trim()) return fail(400, 'Bad Request: message text is empty');
		if ([...text].length > 4096) return fail(400, 'Bad Request: message is too long');
		let markup: unknown = params.reply_markup;
		if (typeof markup === 'string') {
			try {
				markup = JSON.parse(markup);
			} catch {
				return fail(400, "Bad Request: can't parse reply keyboard markup JSON object");
			}
		}
		if (markup !== undefined) {
			const problem = checkKeyboard(markup);
			if (problem) return fail(400, `Bad Request: ${problem}`);
		}
		if (undeliverable.has(chatId)) return fail(400, 'Bad Request: chat not found');
		if (blocked.has(chatId)) return fail(403, 'Forbidden: bot was blocked by the user');

		if (!global.take()) return tooMany(global.resetInMs());
		let chatLimit = perChat.get(chatId);
		if (!chatLimit) perChat.set(chatId, (chatLimit = new FixedWindowLimit(options.perChatPerSecond ?? 1, 1000, timeScale)));
		if (!chatLimit.take()) return tooMany(chatLimit.resetInMs());

		const messageId = (nextMessageId.get(chatId) ?? 0) + 1;
		nextMessageId.set(chatId, messageId);
		const at = Date.now();
		deliveries.push({
			messageId: `${chatId}:${messageId}`,
			to: chatId,
			text,
			at,
			...(markup !== undefined ? { keyboard: markup as TelegramDelivery['keyboard'] } : {}),
		});
		const numeric = /^-?\d+$/.test(chatId) ? Number(chatId) : chatId;
		return ok({
			message_id: messageId,
			from: BOT,
			chat: { id: numeric, type: 'private' },
			date: Math.floor(at / 1000),
			text,
			...(markup !== undefined ? { reply_markup: markup } : {}),
		});
	};

	const server = await new ChannelServer(handler).start();
	return { url: server.url, botToken, deliveries, callbackAnswers, webhook: () => webhook, server, stop: () => server.stop() };
}

/** Telegram's own checks on an InlineKeyboardMarkup; the problem text, or undefined. */
function checkKeyboard(markup: unknown): string | undefined {
	const rows = isRecord(markup) ? markup.inline_keyboard : undefined;
	if (!Array.isArray(rows)) return 'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array';
	for (const row of rows) {
		if (!Array.isArray(row)) return 'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays';
		for (const button of row) {
			if (!isRecord(button) || typeof button.text !== 'string' || !button.text) return 'text buttons are unallowed in the inline keyboard';
			const kinds = ['callback_data', 'url'].filter((key) => button[key] !== undefined);
			if (kinds.length !== 1) return 'inline keyboard button must have exactly one optional field';
			if (button.callback_data !== undefined) {
				const data = String(button.callback_data);
				const bytes = Buffer.byteLength(data, 'utf8');
				if (bytes < 1 || bytes > 64) return 'BUTTON_DATA_INVALID';
			}
			if (button.url !== undefined && !/^(https?|tg):\/\//i.test(String(button.url))) return 'BUTTON_URL_INVALID';
		}
	}
	return undefined;
}

function ok(result: unknown): SandboxAnswer {
	return { status: 200, body: { ok: true, result } };
}

function fail(status: number, description: string): SandboxAnswer {
	return { status, body: { ok: false, error_code: status, description } };
}

function tooMany(resetInMs: number): SandboxAnswer {
	const retryAfter = Math.max(1, Math.ceil(resetInMs / 1000));
	return {
		status: 429,
		body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } },
	};
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}
