/**
 * The HTTP seam of the Bitrix24 client. The core never builds URLs or adds credentials: a
 * transport does (in n8n: `this.helpers.httpRequestWithAuthentication`, which adds the webhook
 * path or the OAuth token). Tests and tools plug in their own.
 */

export interface Bitrix24Request {
	/** REST method name, e.g. `crm.deal.get`. */
	method: string;
	/** Parameters, sent as a JSON body. */
	params: Record<string, unknown>;
	timeoutMs: number;
}

export interface Bitrix24Response {
	/** HTTP status. A transport returns every status; it throws only when no answer came back. */
	status: number;
	/** The parsed JSON body (or the raw text when it was not JSON). */
	body: unknown;
}

export type Bitrix24Transport = (request: Bitrix24Request) => Promise<Bitrix24Response>;

/**
 * No HTTP answer. `sent` says whether the request may have reached the portal: a refused or
 * unresolvable connection was not sent; a timeout or a reset after sending may have been applied.
 */
export class TransportError extends Error {
	constructor(
		readonly code: string,
		readonly sent: boolean,
		message?: string,
	) {
		super(message ?? code);
		this.name = 'TransportError';
	}
}

const NOT_SENT_CODES = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'ERR_INVALID_URL',
	'CERT_HAS_EXPIRED',
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNABORTED', 'ERR_CANCELED']);

export function isTimeoutCode(code: string): boolean {
	return TIMEOUT_CODES.has(code);
}

/**
 * Turns whatever a transport threw into a TransportError without keeping its message, which may
 * hold the request URL (and so the webhook secret).
 */
export function toTransportError(error: unknown): TransportError {
	if (error instanceof TransportError) return error;
	const raw = (error ?? {}) as { code?: unknown; cause?: { code?: unknown }; message?: unknown };
	const code =
		typeof raw.code === 'string'
			? raw.code
			: typeof raw.cause?.code === 'string'
				? raw.cause.code
				: typeof raw.message === 'string' && /timeout/i.test(raw.message)
					? 'ETIMEDOUT'
					: 'ENETWORK';
	const sent = !NOT_SENT_CODES.has(code);
	return new TransportError(code, sent, `network error ${code}`);
}
