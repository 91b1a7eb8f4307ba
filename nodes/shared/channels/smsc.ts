/**
 * SMS through SMSC.ru (`/sys/send.php`, JSON answers with `fmt=3`). n8n-free: the HttpFunction adds
 * the credential (`login` and `psw` as query parameters; an API key goes in `psw` with an empty login).
 *
 * SMSC answers HTTP 200 for its own errors, with `{error, error_code}` in the body.
 */

import {
	field,
	transportOutcome,
	type ChannelAdapter,
	type ChannelOutcome,
	type HttpFunction,
	type HttpResponse,
	type Recipient,
	type SurveyMessage,
} from './types';

export const SMSC_BASE_URL = 'https://smsc.ru';

export interface SmscSettings {
	/** Defaults to https://smsc.ru; a sandbox or the backup host https://www2.smsc.ru may go here. */
	baseUrl?: string;
	/** Sender ID registered in SMSC; unset = the account's default sender. */
	sender?: string;
	/** Per request; default 30000. */
	timeoutMs?: number;
}

/** What SMSC's error codes (fmt=3 `error_code`) mean, in words for people. */
const ERROR_TEXT: Record<number, string> = {
	1: 'error in the request parameters',
	2: 'wrong login or password (or API key), or this IP address is not in the account allow-list',
	3: 'not enough money on the SMSC account',
	4: 'this IP address is temporarily blocked by SMSC after frequent errors',
	5: 'wrong date format',
	6: 'message forbidden by its text or sender name (or a bulk send without a contract)',
	7: 'wrong phone number format',
	8: 'SMSC cannot deliver a message to this number',
	9: 'duplicate request within a minute',
};

/** SMSC unblocks an IP after "a while"; a minute is what its docs suggest for error 4 and 9. */
const IP_BLOCK_RETRY_MS = 60_000;

export function createSmscAdapter(http: HttpFunction, settings: SmscSettings = {}): ChannelAdapter {
	const baseUrl = (settings.baseUrl || SMSC_BASE_URL).replace(/\/+$/, '');
	const timeoutMs = settings.timeoutMs ?? 30_000;

	return {
		channel: 'smsc',
		label: 'SMS (SMSC.ru)',
		// SMSC answers error 9 to 15 or more concurrent requests under one login, and error 9 also
		// means "duplicate" (read as sent below). 5 requests a second keeps us far below 15 in flight
		// unless SMSC takes over 3 s to answer; survey volumes need far less.
		rateLimit: { requests: 5, windowMs: 1000 },

		cannotReach(recipient: Recipient): string | undefined {
			if (!recipient.phone) return 'no phone number';
			if (!phoneDigits(recipient.phone)) return 'the phone number has no digits';
			return undefined;
		},

		async send(recipient: Recipient, message: SurveyMessage): Promise<ChannelOutcome> {
			const phones = phoneDigits(recipient.phone ?? '');
			if (!phones) return { status: 'unreachable', code: 'NO_PHONE', reason: 'no phone number' };
			const form: Record<string, string> = {
				phones,
				mes: message.text,
				fmt: '3',
				charset: 'utf-8',
				// SMSC refuses a second identical request within a minute (error 9): a repeat cannot send twice.
				id: String(message.numericId),
			};
			if (settings.sender) form.sender = settings.sender;

			let response: HttpResponse;
			try {
				response = await http({ method: 'POST', url: `${baseUrl}/sys/send.php`, form, timeoutMs });
			} catch (error) {
				return transportOutcome(error);
			}
			return readAnswer(response, message);
		},
	};
}

function phoneDigits(phone: string): string {
	return phone.replace(/\D/g, '');
}

function readAnswer(response: HttpResponse, message: SurveyMessage): ChannelOutcome {
	if (response.status >= 500) {
		return {
			status: 'unknown',
			code: `HTTP_${response.status}`,
			reason: `SMSC answered HTTP ${response.status}; the message may have been sent, so it is not sent again`,
		};
	}
	if (response.status < 200 || response.status >= 300) {
		return { status: 'refused', code: `HTTP_${response.status}`, reason: `SMSC answered HTTP ${response.status}` };
	}
	const body = parseBody(response.body);
	const errorCode = Number(field(body, 'error_code'));
	if (Number.isInteger(errorCode) && errorCode > 0) return errorOutcome(errorCode, field(body, 'error'), field(body, 'id'), message);
	const id = field(body, 'id');
	if (typeof id === 'number' || (typeof id === 'string' && id !== '')) {
		return { status: 'sent', messageId: String(id) };
	}
	// HTTP 200 without an id or an error: SMSC may have taken it.
	return {
		status: 'unknown',
		code: 'UNREADABLE_ANSWER',
		reason: 'SMSC answered without a message id or an error code; the message may have been sent, so it is not sent again',
	};
}

function errorOutcome(code: number, providerText: unknown, id: unknown, message: SurveyMessage): ChannelOutcome {
	const said = typeof providerText === 'string' && providerText ? ` (SMSC said "${providerText.slice(0, 200)}")` : '';
	const reason = `SMSC error ${code}: ${ERROR_TEXT[code] ?? 'unknown error code'}${said}`;
	switch (code) {
		case 7:
		case 8:
			return { status: 'unreachable', code: `SMSC_${code}`, reason };
		case 9:
			// Our id is stable per survey, so a duplicate means SMSC already accepted this very message
			// (an earlier attempt whose answer was lost): nothing new goes out and it is not a failure.
			return {
				status: 'sent',
				messageId: String(typeof id === 'number' || typeof id === 'string' ? id : message.numericId),
				code: 'SMSC_DUPLICATE',
				reason: `SMSC already accepted a message with id ${message.numericId} within the last minute (error 9, duplicate request); nothing new was sent`,
			};
		case 4:
			return { status: 'throttled', code: 'SMSC_4', reason, retryAfterMs: IP_BLOCK_RETRY_MS };
		default:
			return { status: 'refused', code: `SMSC_${code}`, reason };
	}
}

/** A JSON body sent as text/html or text/plain still counts. */
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
