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

/** Network failures in words, and as codes without n8n's trigger words. */
const NETWORK_FAILURES: Record<string, { words: string; code: string }> = {
	ECONNREFUSED: { words: 'connection refused', code: 'CONNECTION_REFUSED' },
	ECONNRESET: { words: 'connection reset', code: 'CONNECTION_RESET' },
	EPIPE: { words: 'connection reset', code: 'CONNECTION_RESET' },
	ENOTFOUND: { words: 'host not found', code: 'HOST_NOT_FOUND' },
	EAI_AGAIN: { words: 'host lookup failed', code: 'HOST_LOOKUP_FAILED' },
	ETIMEDOUT: { words: 'timed out', code: 'TIMED_OUT' },
	ESOCKETTIMEDOUT: { words: 'timed out', code: 'TIMED_OUT' },
	ECONNABORTED: { words: 'timed out', code: 'TIMED_OUT' },
	EHOSTUNREACH: { words: 'host unreachable', code: 'HOST_UNREACHABLE' },
	ENETUNREACH: { words: 'network unreachable', code: 'NETWORK_UNREACHABLE' },
	ENETWORK: { words: 'network failure', code: 'NETWORK_FAILURE' },
};

/**
 * A Node network error code (ECONNRESET…) said in words and as a code of our own. n8n replaces the
 * whole message of an error that merely contains such a code with a generic sentence, which would
 * drop the deal and the reason from it (a Stop and Error built from a survey's code and reason).
 */
export function networkFailure(code: string): { words: string; code: string } {
	return knownNetworkFailure(code) ?? { words: 'network failure', code: 'NETWORK_FAILURE' };
}

/** The same for a code known to be a network failure; undefined for anything else (Bitrix24's own codes). */
export function knownNetworkFailure(code: string): { words: string; code: string } | undefined {
	return Object.prototype.hasOwnProperty.call(NETWORK_FAILURES, code) ? NETWORK_FAILURES[code] : undefined;
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
	return new TransportError(code, sent, `network error: ${networkFailure(code).words}`);
}
