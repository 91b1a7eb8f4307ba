/**
 * Chat2Desk as a survey channel. Messages are addressed to a client id, and the client must exist:
 * find it by phone (`GET /v1/clients?phone=`), create it when missing (`POST /v1/clients`), then
 * `POST /v1/messages`. The bare-token Authorization header is added by the injected HttpFunction.
 *
 * Error bodies are not documented. This adapter reads the shape the sandbox
 * (test/sandbox/channels/chat2desk.ts) defines: `{status:'error', message, errors?}` with a 4xx,
 * 401 for a bad token, 429 when over the limit, and for a phone the messenger cannot reach a
 * message that says it is not registered / not available. Check against a live account.
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

export const CHAT2DESK_LABEL = 'WhatsApp (Chat2Desk)';
export const CHAT2DESK_BASE_URL = 'https://api.chat2desk.com';

export interface Chat2DeskSettings {
	/** Default https://api.chat2desk.com (api.chat24.io is the other host); a test server otherwise. */
	baseUrl?: string;
	/** Default 'whatsapp'. Others: wa_cm, wa_infobip, viber, telegram, sms… (`GET /v1/transports`). */
	transport?: string;
	/** The Chat2Desk channel that sends; default: the channel of the client's last message. */
	channelId?: string | number;
	/** Client timeout per request, default 30000. */
	timeoutMs?: number;
}

/**
 * Not published by Chat2Desk: one public bot throttles itself to 300 requests a minute
 * (unverified). One survey costs 2–3 requests (lookup, maybe create, send).
 */
export const CHAT2DESK_RATE_LIMIT = { requests: 300, windowMs: 60_000 };

const THROTTLE_FALLBACK_MS = 10_000;

const TRANSPORT_NAMES: Record<string, string> = {
	whatsapp: 'WhatsApp',
	wa_cm: 'WhatsApp',
	wa_infobip: 'WhatsApp',
	wa_dialog: 'WhatsApp',
	viber: 'Viber',
	viber_public: 'Viber',
	viber_business: 'Viber',
	telegram: 'Telegram',
	sms: 'SMS',
};

/** Sandbox-defined wording for "this phone cannot be reached in this messenger". */
const UNREACHABLE_TEXT = /not registered|not available|not reachable|unreachable|not (?:a|on) whatsapp|no whatsapp/i;

function digitsOf(phone: string): string {
	return phone.replace(/\D+/g, '');
}

function clip(value: string, max = 200): string {
	return value.length > max ? `${value.slice(0, max)}…` : value;
}

/** The error text of a Chat2Desk body: `message`, or the `errors` lists joined. */
function errorText(body: unknown): string {
	const message = field(body, 'message');
	if (typeof message === 'string' && message) return clip(message);
	const errors = field(body, 'errors');
	if (typeof errors === 'string') return clip(errors);
	if (errors && typeof errors === 'object') {
		const parts: string[] = [];
		for (const [key, value] of Object.entries(errors as Record<string, unknown>)) {
			const list = Array.isArray(value) ? value.filter((v) => typeof v === 'string') : [value];
			parts.push(`${key}: ${list.map(String).join(', ')}`);
		}
		return clip(parts.join('; '));
	}
	return '';
}

function isError(response: HttpResponse): boolean {
	return response.status >= 300 || field(response.body, 'status') === 'error';
}

type Step = 'lookup' | 'create' | 'send';

const STEP_WORDS: Record<Step, string> = {
	lookup: 'looking up the client',
	create: 'creating the client',
	send: 'sending the message',
};

/**
 * Maps an error answer. Before the send step nothing can have gone out, so what would be
 * `unknown` for the send is `refused` (nothing was sent) for the lookup and create steps.
 */
export function chat2deskErrorOutcome(response: HttpResponse, step: Step = 'send'): ChannelOutcome {
	const { status, body } = response;
	const detail = errorText(body);
	if (status === 401) {
		return { status: 'refused', code: 'UNAUTHORIZED', reason: 'Chat2Desk refused the API token: it is missing or wrong' };
	}
	if (status === 429) {
		return {
			status: 'throttled',
			code: 'TOO_MANY_REQUESTS',
			reason: `over the Chat2Desk request limit while ${STEP_WORDS[step]}`,
			retryAfterMs: retryAfterMs(response.headers, THROTTLE_FALLBACK_MS),
		};
	}
	if (status >= 500 || (status < 400 && status >= 300)) {
		if (step === 'send') {
			return {
				status: 'unknown',
				code: `HTTP_${status}`,
				reason: `Chat2Desk answered HTTP ${status}; the message may have been sent, so it is not sent again`,
			};
		}
		return {
			status: 'refused',
			code: `HTTP_${status}`,
			reason: `Chat2Desk answered HTTP ${status} while ${STEP_WORDS[step]}; nothing was sent`,
		};
	}
	if (detail && UNREACHABLE_TEXT.test(detail)) {
		return { status: 'unreachable', code: 'NOT_REACHABLE', reason: `Chat2Desk cannot reach this phone: ${detail}` };
	}
	if (status === 403) {
		return {
			status: 'refused',
			code: 'FORBIDDEN',
			reason: `Chat2Desk denied access while ${STEP_WORDS[step]}${detail ? `: ${detail}` : ''}`,
		};
	}
	return {
		status: 'refused',
		code: status >= 400 ? `HTTP_${status}` : 'ERROR',
		reason: `Chat2Desk refused ${STEP_WORDS[step]}${detail ? `: ${detail}` : ` (HTTP ${status})`}`,
	};
}

/** A transport failure before the send step: the message cannot have gone out. */
function earlyTransportOutcome(error: unknown, step: Step): ChannelOutcome {
	const outcome = transportOutcome(error);
	if (outcome.status !== 'unknown') return outcome;
	return {
		status: 'refused',
		code: outcome.code,
		reason: `no answer from Chat2Desk while ${STEP_WORDS[step]}; nothing was sent`,
	};
}

function idOf(value: unknown): string | undefined {
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	if (typeof value === 'string' && value) return value;
	return undefined;
}

/** The client with exactly this phone in a `GET /v1/clients` answer, else the first one. */
function clientIdFrom(body: unknown, digits: string): string | undefined {
	const data = field(body, 'data');
	if (!Array.isArray(data) || data.length === 0) return undefined;
	const exact = data.find((c) => [field(c, 'phone'), field(c, 'client_phone')].some((p) => typeof p === 'string' && digitsOf(p) === digits));
	return idOf(field(exact ?? data[0], 'id'));
}

export function createChat2DeskAdapter(http: HttpFunction, settings: Chat2DeskSettings = {}): ChannelAdapter {
	const baseUrl = (settings.baseUrl || CHAT2DESK_BASE_URL).replace(/\/+$/, '');
	const transport = settings.transport || 'whatsapp';
	const timeoutMs = settings.timeoutMs ?? 30_000;
	const channel = settings.channelId !== undefined && settings.channelId !== '' ? { channel_id: Number(settings.channelId) || settings.channelId } : {};
	const label = transport === 'whatsapp' ? CHAT2DESK_LABEL : `${TRANSPORT_NAMES[transport] ?? transport} (Chat2Desk)`;

	const cannotReach = (recipient: Recipient): string | undefined => {
		if (!recipient.phone) return 'no phone number';
		const digits = digitsOf(recipient.phone);
		if (digits.length < 8 || digits.length > 15) return 'the phone number is not a full international number';
		return undefined;
	};

	/** Finds or creates the client; an outcome when that failed (nothing was sent then). */
	const clientFor = async (digits: string): Promise<string | ChannelOutcome> => {
		let found: HttpResponse;
		try {
			found = await http({ method: 'GET', url: `${baseUrl}/v1/clients`, qs: { phone: digits }, timeoutMs });
		} catch (error) {
			return earlyTransportOutcome(error, 'lookup');
		}
		if (isError(found)) return chat2deskErrorOutcome(found, 'lookup');
		const existing = clientIdFrom(found.body, digits);
		if (existing) return existing;

		let created: HttpResponse;
		try {
			created = await http({ method: 'POST', url: `${baseUrl}/v1/clients`, json: { phone: digits, transport, ...channel }, timeoutMs });
		} catch (error) {
			return earlyTransportOutcome(error, 'create');
		}
		if (isError(created)) return chat2deskErrorOutcome(created, 'create');
		const id = idOf(field(created.body, 'data', 'id')) ?? idOf(field(created.body, 'data', 'client_id'));
		return id ?? { status: 'refused', code: 'NO_CLIENT_ID', reason: 'Chat2Desk created the client but returned no client id; nothing was sent' };
	};

	return {
		channel: 'chat2desk',
		label,
		rateLimit: CHAT2DESK_RATE_LIMIT,
		cannotReach,
		async send(recipient: Recipient, message: SurveyMessage): Promise<ChannelOutcome> {
			const why = cannotReach(recipient);
			if (why) return { status: 'unreachable', code: recipient.phone ? 'BAD_PHONE' : 'NO_PHONE', reason: why };
			const client = await clientFor(digitsOf(recipient.phone!));
			if (typeof client !== 'string') return client;
			const clientId = Number(client) || client;

			let response: HttpResponse;
			try {
				response = await http({
					method: 'POST',
					url: `${baseUrl}/v1/messages`,
					json: { client_id: clientId, text: message.text, transport, ...channel, type: 'to_client' },
					timeoutMs,
				});
			} catch (error) {
				return transportOutcome(error);
			}
			if (isError(response)) return chat2deskErrorOutcome(response, 'send');
			return { status: 'sent', messageId: idOf(field(response.body, 'data', 'message_id')) ?? '' };
		},
	};
}
