/**
 * Wazzup (wazzup24) API v3 as a survey channel: one `POST /v3/message` per survey. The API key is
 * added by the injected HttpFunction (the credential's `authenticate` block), never here.
 */

import {
	field,
	retryAfterMs,
	transportOutcome,
	type ChannelAdapter,
	type ChannelOutcome,
	type HttpFunction,
	type HttpResponse,
	type Recipient,
	type SurveyMessage,
} from './types';

export const WAZZUP_LABEL = 'WhatsApp (Wazzup)';
export const WAZZUP_BASE_URL = 'https://api.wazzup24.com';

export type WazzupChatType =
	| 'whatsapp'
	| 'whatsgroup'
	| 'viber'
	| 'instagram'
	| 'telegram'
	| 'telegroup'
	| 'vk'
	| 'avito'
	| 'max'
	| 'maxgroup';

export interface WazzupSettings {
	/** Default https://api.wazzup24.com; a test server otherwise. */
	baseUrl?: string;
	/** The Wazzup channel (uuid) that sends. */
	channelId: string;
	/** Default 'whatsapp'. */
	chatType?: WazzupChatType;
	/** Client timeout per request, default 30000. */
	timeoutMs?: number;
	/**
	 * Pauses before each repeat of a request whose outcome is unknown (5xx, reset, timeout), sent with
	 * the same crmMessageId; default [2000, 10000]. Empty: no repeats.
	 */
	repeatAfterMs?: number[];
	/** How to wait (n8n's `sleep` in nodes, a fake clock in tests); without it, no repeats. */
	sleep?: (ms: number) => Promise<void>;
}

/** Wazzup's published limit: 500 requests per 5 s per key, counter reset every 5 s. */
export const WAZZUP_RATE_LIMIT = { requests: 500, windowMs: 5000 };

/** Used when a 429 carries no Retry-After: the counter resets every 5 s. */
const THROTTLE_FALLBACK_MS = 5000;

const CHAT_TYPE_NAMES: Partial<Record<WazzupChatType, string>> = {
	whatsapp: 'WhatsApp',
	viber: 'Viber',
	telegram: 'Telegram',
	max: 'MAX',
};

/** Codes where this customer cannot be reached here, but another channel may work. */
const UNREACHABLE: Record<string, string> = {
	BAD_CONTACT: 'Wazzup says this number may not exist in the messenger',
	MESSAGE_CHANNEL_UNAVAILABLE: 'Wazzup says the phone is unavailable in this channel',
};

/** Refusals with a plain-English reason (the code table of the sending-messages docs). */
const REFUSED: Record<string, string> = {
	INVALID_MESSAGE_DATA: 'Wazzup rejected the message data',
	WRONG_TRANSPORT: 'the chat type does not match the Wazzup channel',
	BALANCE_IS_EMPTY: 'the WhatsApp Business (WABA) balance in Wazzup is empty',
	CHANNEL_NOT_FOUND: 'the Wazzup channel is not in this integration (check the channel ID)',
	CHANNEL_BLOCKED: 'the Wazzup channel is switched off',
	CHANNEL_NO_MONEY: 'the Wazzup channel is not paid',
	MESSAGES_NOT_TEXT_FIRST: 'on this Wazzup tariff you cannot write to a customer first',
	MESSAGES_IS_SPAM: 'Wazzup rated the message as spam',
	CHANNEL_LIMIT_EXCEEDED: 'the Wazzup channel reached its limit of active dialogues',
	TEMPLATE_REJECTED: 'Meta restricted the WhatsApp template',
	MESSAGE_TEXT_TOO_LONG: 'the text is longer than this messenger allows',
	MESSAGES_TOO_LONG_WABA: 'the text is longer than WhatsApp Business (WABA) allows',
	'24_HOURS_EXCEEDED': 'the 24-hour WhatsApp Business window is closed: an approved template is required',
	'7_DAYS_EXCEEDED': 'the 7-day Instagram window is closed',
	FORBIDDEN: 'this Wazzup key may not use this route (a sidecar key?)',
};

function digitsOf(phone: string): string {
	return phone.replace(/\D+/g, '');
}

function text(value: unknown, max = 200): string {
	if (typeof value !== 'string') return '';
	return value.length > max ? `${value.slice(0, max)}…` : value;
}

/** Field names from `data.fields` (strings or objects with a name), for INVALID_MESSAGE_DATA. */
function badFields(body: unknown): string {
	const fields = field(body, 'data', 'fields');
	if (!Array.isArray(fields)) return '';
	const names = fields
		.map((f) => (typeof f === 'string' ? f : text(field(f, 'field') ?? field(f, 'name'), 50)))
		.filter((name) => name);
	return names.length ? ` (fields: ${names.join(', ')})` : '';
}

/** Maps one HTTP answer of `POST /v3/message`. Exported for the node's own tests. */
export function wazzupOutcome(response: HttpResponse): ChannelOutcome {
	const { status, body } = response;
	if (status >= 200 && status < 300) {
		const messageId = field(body, 'messageId');
		return { status: 'sent', messageId: typeof messageId === 'string' ? messageId : '' };
	}
	if (status === 429) {
		return {
			status: 'throttled',
			code: 'TOO_MANY_REQUESTS',
			reason: 'over the Wazzup limit of 500 requests per 5 seconds',
			retryAfterMs: retryAfterMs(response.headers, THROTTLE_FALLBACK_MS),
		};
	}
	if (status >= 500 || status < 400) {
		// The request arrived; whether Wazzup sent the message before failing is unknown.
		return {
			status: 'unknown',
			code: `HTTP_${status}`,
			reason: `Wazzup answered HTTP ${status}; the message may have been sent, so it is not sent again`,
		};
	}
	if (status === 401) {
		return { status: 'refused', code: 'UNAUTHORIZED', reason: 'Wazzup refused the API key: it is missing or wrong' };
	}
	const raw = field(body, 'error');
	const code = typeof raw === 'string' && raw ? raw : '';
	if (code === 'REPEATED_CRM_MESSAGE_ID' || code === 'repeatedCrmMessageId') {
		// Wazzup accepted this crmMessageId within the last 60 s: the earlier request went out.
		return {
			status: 'sent',
			messageId: '',
			code: 'REPEATED_CRM_MESSAGE_ID',
			reason: 'Wazzup already accepted this message (same crmMessageId)',
		};
	}
	if (UNREACHABLE[code]) return { status: 'unreachable', code, reason: UNREACHABLE[code] };
	if (REFUSED[code]) {
		const extra = code === 'INVALID_MESSAGE_DATA' ? badFields(body) : '';
		return { status: 'refused', code, reason: REFUSED[code] + extra };
	}
	if (status === 403) return { status: 'refused', code: code || 'FORBIDDEN', reason: REFUSED.FORBIDDEN };
	const description = text(field(body, 'description'));
	return {
		status: 'refused',
		code: code || `HTTP_${status}`,
		reason: `Wazzup refused the message (HTTP ${status}${code ? ` ${code}` : ''})${description ? `: ${description}` : ''}`,
	};
}

export function createWazzupAdapter(http: HttpFunction, settings: WazzupSettings): ChannelAdapter {
	if (!settings.channelId) throw new Error('Wazzup: the channel ID is required');
	const baseUrl = (settings.baseUrl || WAZZUP_BASE_URL).replace(/\/+$/, '');
	const chatType: WazzupChatType = settings.chatType ?? 'whatsapp';
	const timeoutMs = settings.timeoutMs ?? 30_000;
	const repeatAfterMs = (settings.repeatAfterMs ?? [2000, 10_000]).filter((ms) => ms >= 0);
	// Telegram and MAX chats are addressed by `phone`; chatId there is Wazzup's own id.
	const byPhoneField = chatType === 'telegram' || chatType === 'max';
	const name = CHAT_TYPE_NAMES[chatType];
	const label = chatType === 'whatsapp' ? WAZZUP_LABEL : `${name ?? chatType} (Wazzup)`;

	const cannotReach = (recipient: Recipient): string | undefined => {
		if (!recipient.phone) return 'no phone number';
		const digits = digitsOf(recipient.phone);
		if (digits.length < 8 || digits.length > 15) return 'the phone number is not a full international number';
		return undefined;
	};

	return {
		channel: 'wazzup',
		label,
		rateLimit: WAZZUP_RATE_LIMIT,
		cannotReach,
		async send(recipient: Recipient, message: SurveyMessage): Promise<ChannelOutcome> {
			const why = cannotReach(recipient);
			if (why) return { status: 'unreachable', code: recipient.phone ? 'BAD_PHONE' : 'NO_PHONE', reason: why };
			const digits = digitsOf(recipient.phone!);
			const body: Record<string, unknown> = {
				channelId: settings.channelId,
				chatType,
				...(byPhoneField ? { phone: digits } : { chatId: digits }),
				text: message.text,
				// Wazzup refuses a repeated crmMessageId for 60 s, which makes a quick resend harmless.
				crmMessageId: message.idempotencyKey,
			};
			const attempt = async (): Promise<ChannelOutcome> => {
				try {
					return wazzupOutcome(await http({ method: 'POST', url: `${baseUrl}/v3/message`, json: body, timeoutMs }));
				} catch (error) {
					return transportOutcome(error);
				}
			};
			const outcome = await attempt();
			if (outcome.status !== 'unknown' || !settings.sleep) return outcome;
			// Unknown (5xx, reset, timeout): Wazzup may have sent it. The same request again tells: a
			// message it sent within 60 s comes back REPEATED_CRM_MESSAGE_ID (sent), one it did not is
			// sent now. A refusal of the repeat proves nothing about the first request: still unknown.
			for (const pause of repeatAfterMs) {
				await settings.sleep(pause);
				const repeated = await attempt();
				if (repeated.status === 'sent') return repeated;
				if (repeated.status !== 'unknown' && repeated.status !== 'throttled') break;
			}
			return outcome;
		},
	};
}
