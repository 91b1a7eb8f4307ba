/**
 * The one error type for everything that goes wrong talking to Bitrix24.
 *
 * It carries Bitrix24's own `error` / `error_description`, the REST method and the HTTP status,
 * and a message in plain words. It is built only from those fields, never from a transport's
 * raw error, so the webhook secret (which lives in the URL path) and OAuth tokens cannot leak
 * into a message, a log line or an n8n execution.
 */

import { knownNetworkFailure } from './transport';

export type Bitrix24ErrorKind =
	| 'auth' // wrong webhook code / token, or an expired token that could not be refreshed
	| 'accessDenied' // the user behind the credential lacks a right, a scope or a plan feature
	| 'notFound' // the record does not exist (CRM "Not found")
	| 'methodNotFound' // no such REST method, or the credential lacks its scope
	| 'invalidInput' // Bitrix24 refused the parameters
	| 'rateLimit' // QUERY_LIMIT_EXCEEDED persisted after retries
	| 'operatingLimit' // OPERATION_TIME_LIMIT: the method is blocked for a while
	| 'overload' // OVERLOAD_LIMIT: a manual block by Bitrix24 support
	| 'server' // 5xx from Bitrix24
	| 'network' // the request did not get an answer
	| 'timeout' // no answer within the time limit
	| 'protocol' // an answer that is not Bitrix24's JSON
	| 'unknown';

export interface Bitrix24ErrorDetails {
	/** Bitrix24's `error` code; CRM v1 methods often send an empty one with only a description. */
	code: string;
	/** Bitrix24's `error_description`. */
	description: string;
	/** The REST method that failed (for a batch command: that command's method). */
	method: string;
	httpStatus?: number;
	/** The batch command key, when the error belongs to one command of a batch. */
	command?: string;
	/**
	 * True when the request may have reached Bitrix24 and been applied although no answer came
	 * back (a timeout or a dropped connection). Such non-idempotent calls are never retried blindly.
	 */
	mayHaveBeenApplied?: boolean;
	/** When a limit will lift (unix ms), for rate and operating limits. */
	retryAt?: number;
	/** How many attempts were made before giving up. */
	attempts?: number;
}

const CODE_KIND: Record<string, Bitrix24ErrorKind> = {
	NO_AUTH_FOUND: 'auth',
	expired_token: 'auth',
	invalid_token: 'auth',
	INVALID_TOKEN: 'auth',
	WRONG_CLIENT: 'auth',
	ERROR_OAUTH: 'auth',
	invalid_grant: 'auth',
	authorization_error: 'auth',
	APPLICATION_NOT_FOUND: 'auth',
	// A wrong webhook user or code (401 in Bitrix24's source; the docs table says 403 "lacks permissions").
	INVALID_CREDENTIALS: 'auth',
	ACCESS_DENIED: 'accessDenied',
	insufficient_scope: 'accessDenied',
	INSUFFICIENT_SCOPE: 'accessDenied',
	user_access_error: 'accessDenied',
	allowed_only_intranet_user: 'accessDenied',
	PAYMENT_REQUIRED: 'accessDenied',
	WRONG_AUTH_TYPE: 'accessDenied',
	method_confirm_waiting: 'accessDenied',
	ERROR_METHOD_NOT_FOUND: 'methodNotFound',
	NOT_FOUND: 'notFound',
	OWNER_NOT_FOUND: 'notFound',
	QUERY_LIMIT_EXCEEDED: 'rateLimit',
	OPERATION_TIME_LIMIT: 'operatingLimit',
	OVERLOAD_LIMIT: 'overload',
	INTERNAL_SERVER_ERROR: 'server',
	ERROR_UNEXPECTED_ANSWER: 'server',
	PORTAL_DELETED: 'server',
	INVALID_ARG_VALUE: 'invalidInput',
	INVALID_REQUEST: 'invalidInput',
	ERROR_BATCH_LENGTH_EXCEEDED: 'invalidInput',
	ERROR_BATCH_METHOD_NOT_ALLOWED: 'invalidInput',
	ERROR_CORE: 'invalidInput',
	ERROR_ARGUMENT: 'invalidInput',
	ETIMEDOUT: 'timeout',
	ESOCKETTIMEDOUT: 'timeout',
	ECONNABORTED: 'timeout',
};

export function classifyBitrix24Error(
	code: string,
	description: string,
	httpStatus?: number,
): Bitrix24ErrorKind {
	const known = CODE_KIND[code];
	if (known) return known;
	if (code.startsWith('E') && /^E[A-Z]+$/.test(code)) return 'network';
	if (/not found/i.test(description)) return 'notFound';
	if (/access denied/i.test(description)) return 'accessDenied';
	if (httpStatus === 401) return 'auth';
	if (httpStatus === 403) return 'accessDenied';
	if (httpStatus !== undefined && httpStatus >= 500) return 'server';
	if (httpStatus === 400) return 'invalidInput';
	return 'unknown';
}

function plainWords(kind: Bitrix24ErrorKind, d: Bitrix24ErrorDetails): string {
	switch (kind) {
		case 'auth':
			if (d.code === 'expired_token') {
				return 'the OAuth access token has expired and could not be renewed; reconnect the Bitrix24 OAuth2 credential';
			}
			return 'Bitrix24 did not accept the credential: the webhook code or access token is wrong, expired or was deleted';
		case 'accessDenied':
			return 'the Bitrix24 user behind this credential is not allowed to do this (missing right, scope or plan feature)';
		case 'notFound':
			return 'the record was not found in Bitrix24';
		case 'methodNotFound':
			return 'Bitrix24 has no such method, or the credential lacks the scope it needs';
		case 'invalidInput':
			return 'Bitrix24 refused the parameters';
		case 'rateLimit':
			return 'Bitrix24 kept answering "too many requests" (QUERY_LIMIT_EXCEEDED) after waiting and retrying';
		case 'operatingLimit':
			return d.retryAt
				? `Bitrix24 has blocked this method for a while (OPERATION_TIME_LIMIT); it is available again after ${new Date(d.retryAt).toISOString()}`
				: 'Bitrix24 has blocked this method for a while (OPERATION_TIME_LIMIT)';
		case 'overload':
			return 'Bitrix24 support has blocked the REST API of this portal (OVERLOAD_LIMIT); contact Bitrix24 support';
		case 'server':
			return 'Bitrix24 answered with a server error';
		case 'network':
			return d.mayHaveBeenApplied
				? 'the connection to Bitrix24 broke after the request was sent; it may have been applied, so it was not repeated'
				: 'could not reach Bitrix24';
		case 'timeout':
			return d.mayHaveBeenApplied
				? 'Bitrix24 did not answer in time; the request may have been applied, so it was not repeated'
				: 'Bitrix24 did not answer in time';
		case 'protocol':
			return 'Bitrix24 sent an answer that is not its usual JSON';
		default:
			return 'Bitrix24 returned an error';
	}
}

export class Bitrix24Error extends Error {
	readonly code: string;
	readonly description: string;
	readonly method: string;
	readonly httpStatus?: number;
	readonly command?: string;
	readonly kind: Bitrix24ErrorKind;
	readonly mayHaveBeenApplied: boolean;
	readonly retryAt?: number;
	readonly attempts?: number;

	constructor(details: Bitrix24ErrorDetails, kind?: Bitrix24ErrorKind) {
		const resolvedKind = kind ?? classifyBitrix24Error(details.code, details.description, details.httpStatus);
		const what = details.command ? `${details.method} (batch command "${details.command}")` : details.method;
		const said = details.description && details.description !== details.code ? `: ${details.description}` : '';
		// Network codes are said in words: n8n replaces any message that names one with stock text.
		const code = knownNetworkFailure(details.code)?.words ?? (details.code || 'no code');
		const tag = [code, details.httpStatus ? `HTTP ${details.httpStatus}` : ''].filter(Boolean).join(', ');
		super(`Bitrix24 ${what} failed: ${plainWords(resolvedKind, details)}${said} [${tag}]`);
		this.name = 'Bitrix24Error';
		this.code = details.code;
		this.description = details.description;
		this.method = details.method;
		this.httpStatus = details.httpStatus;
		this.command = details.command;
		this.kind = resolvedKind;
		this.mayHaveBeenApplied = details.mayHaveBeenApplied === true;
		this.retryAt = details.retryAt;
		this.attempts = details.attempts;
	}

	/** A plain object for n8n's NodeApiError and for item output under continueOnFail. */
	toJSON(): Record<string, string | number | boolean> {
		const out: Record<string, string | number | boolean> = {
			message: this.message,
			kind: this.kind,
			error: this.code,
			error_description: this.description,
			method: this.method,
			mayHaveBeenApplied: this.mayHaveBeenApplied,
		};
		if (this.httpStatus !== undefined) out.httpStatus = this.httpStatus;
		if (this.command !== undefined) out.command = this.command;
		if (this.retryAt !== undefined) out.retryAt = new Date(this.retryAt).toISOString();
		if (this.attempts !== undefined) out.attempts = this.attempts;
		return out;
	}
}
