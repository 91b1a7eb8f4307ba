/**
 * The contract every survey channel (Wazzup, Chat2Desk, WhatsApp Cloud API, SMSC.ru, Twilio,
 * Telegram) implements. n8n-free: the HTTP function is injected (in nodes:
 * `httpRequestWithAuthentication` with the channel's credential; in tests: a plain client that adds
 * the sandbox credential).
 */

import { knownNetworkFailure, TransportError } from '../bitrix24/transport';

export type ChannelName = 'wazzup' | 'chat2desk' | 'whatsappCloud' | 'smsc' | 'twilio' | 'telegram';

export interface HttpRequest {
	method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
	url: string;
	headers?: Record<string, string>;
	qs?: Record<string, string | number>;
	/** A JSON body. */
	json?: unknown;
	/** A form-urlencoded body (Twilio, SMSC). */
	form?: Record<string, string>;
	timeoutMs?: number;
}

export interface HttpResponse {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	/** Parsed JSON when the answer is JSON, else the text ('' for an empty body). */
	body: unknown;
}

/**
 * Sends one request and resolves with any HTTP status (4xx/5xx included). Rejects only when no
 * HTTP answer arrived, with a `TransportFailure` saying whether the request may have reached the
 * provider.
 */
export type HttpFunction = (request: HttpRequest) => Promise<HttpResponse>;

/**
 * No HTTP answer. `mayHaveArrived`: false only when the connection was never made (refused, DNS).
 * The same failure the Bitrix24 transport reports, so one classifier (`toTransportError`) serves both.
 */
export class TransportFailure extends TransportError {
	constructor(message: string, mayHaveArrived: boolean, code?: string) {
		super(code ?? 'ENETWORK', mayHaveArrived, message);
		this.name = 'TransportFailure';
	}

	get mayHaveArrived(): boolean {
		return this.sent;
	}
}

/** Whom to reach. Phones are E.164 (`+79121234567`), already normalized by the caller. */
export interface Recipient {
	phone?: string;
	/** Telegram chat id, when the customer has started the bot. */
	telegramChatId?: string;
	email?: string;
	name?: string;
}

export interface SurveyMessage {
	/** The rendered text, the survey link already in it. */
	text: string;
	/** The signed survey link on its own (for URL buttons and template variables). */
	link: string;
	/** The survey token (the part of the link after the last '/' or '?t='), for URL-button suffixes. */
	token: string;
	/** Values a provider template may use: firstName, branch, link, token, dealId, … (all text). */
	variables: Record<string, string>;
	/**
	 * Stable for one survey of one deal on one channel: a provider that de-duplicates on a client
	 * id (Wazzup `crmMessageId`) gets this, so a repeated request cannot send twice.
	 */
	idempotencyKey: string;
	/** The same identity as an integer 1..2147483647 (SMSC `id`). */
	numericId: number;
	/** Score buttons where the channel offers a keyboard (Telegram): the scale and what a tap carries. */
	scale?: { min: number; max: number };
}

/**
 * What one attempt on one channel came to.
 * - `sent`: the provider accepted it; `messageId` is the provider's id.
 * - `unreachable`: this customer cannot get messages here (not on WhatsApp, no chat id, wrong
 *   number): nothing was sent; the next channel may try.
 * - `refused`: the provider refused the request (bad key, channel off, no money, text too long):
 *   nothing was sent; the next channel may try.
 * - `throttled`: over the provider's rate limit: nothing was sent; the same channel may try again
 *   after `retryAfterMs`.
 * - `unknown`: no clear answer (timeout, reset, 5xx after the body was sent): the message may have
 *   gone out. Never resent automatically, never passed to the next channel.
 */
export type ChannelOutcome =
	| { status: 'sent'; messageId: string; code?: string; reason?: string }
	| { status: 'unreachable'; code: string; reason: string }
	| { status: 'refused'; code: string; reason: string }
	| { status: 'throttled'; code: string; reason: string; retryAfterMs: number }
	| { status: 'unknown'; code: string; reason: string };

/** The provider's published request limit, enforced on our side before it answers 429. */
export interface ChannelRateLimit {
	requests: number;
	windowMs: number;
}

export interface ChannelAdapter {
	readonly channel: ChannelName;
	/** Shown in outputs and errors: "WhatsApp (Wazzup)". */
	readonly label: string;
	readonly rateLimit?: ChannelRateLimit;
	/** Why this recipient cannot be reached on this channel before any request (no phone…), or undefined. */
	cannotReach(recipient: Recipient): string | undefined;
	/** One attempt. Never throws for provider answers; a `TransportFailure` becomes `unknown` or `refused`. */
	send(recipient: Recipient, message: SurveyMessage): Promise<ChannelOutcome>;
}

/** Reads a JSON-ish body field without trusting its shape. */
export function field(body: unknown, ...path: string[]): unknown {
	let value: unknown = body;
	for (const key of path) {
		if (value === null || typeof value !== 'object') return undefined;
		value = (value as Record<string, unknown>)[key];
	}
	return value;
}

/** The outcome for a request that got no HTTP answer. */
export function transportOutcome(error: unknown): ChannelOutcome {
	// Never a raw ECONNRESET-style code: n8n would replace a message holding it (see networkFailure).
	const said = (code: string) => knownNetworkFailure(code) ?? { code, words: code.toLowerCase().replace(/_/g, ' ') };
	if (error instanceof TransportError && !error.sent) {
		const failure = said(error.code);
		return { status: 'refused', code: failure.code, reason: `could not connect: ${failure.words}` };
	}
	const failure = error instanceof TransportError ? said(error.code) : { code: 'NO_ANSWER', words: 'no answer' };
	return { status: 'unknown', code: failure.code, reason: `no answer from the provider (${failure.words}); the message may have been sent, so it is not sent again` };
}

/** Retry-After (seconds or an HTTP date) in milliseconds, or the fallback. */
export function retryAfterMs(headers: HttpResponse['headers'], fallbackMs: number, now = Date.now()): number {
	const raw = headers['retry-after'];
	const value = Array.isArray(raw) ? raw[0] : raw;
	if (!value) return fallbackMs;
	const seconds = Number(value);
	if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
	const date = Date.parse(value);
	return Number.isFinite(date) ? Math.max(0, date - now) : fallbackMs;
}
