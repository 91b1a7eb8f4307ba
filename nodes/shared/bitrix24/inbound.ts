/**
 * What Bitrix24 posts to us, read safely: outgoing-webhook and app events
 * (`event=ONCRMDEALUPDATE&data[FIELDS][ID]=7&auth[application_token]=…`) and the built-in
 * "Webhook" robot (`document_id[0]=crm&document_id[1]=CCrmDocumentDeal&document_id[2]=DEAL_7`).
 * All arrive form-encoded with PHP bracket keys; n8n's parser leaves those keys flat, so the body is
 * rebuilt here, and prototype keys are dropped. Tokens are compared in constant time.
 */

import { timingSafeEqual } from 'crypto';

import { nestFlatPhpKeys, parsePhpQuery, type PhpQueryValue } from './phpQuery';

export type InboundBody = Record<string, PhpQueryValue>;

/** Rebuilds the nested body from the raw request body when there is one, else from n8n's flat object. */
export function readInboundBody(rawBody: string | undefined, flat: unknown): InboundBody {
	if (typeof rawBody === 'string' && rawBody.length > 0 && !rawBody.trimStart().startsWith('{')) return parsePhpQuery(rawBody);
	if (flat && typeof flat === 'object' && !Array.isArray(flat)) {
		const record = flat as Record<string, unknown>;
		// A JSON body (some proxies re-encode) is already nested.
		if (Object.keys(record).some((key) => key.includes('['))) return nestFlatPhpKeys(record);
		return nestFlatPhpKeys(flattenNested(record));
	}
	return {};
}

/** Turns an already nested object back into bracket keys, so one code path validates both shapes. */
function flattenNested(value: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
	for (const [key, entry] of Object.entries(value)) {
		const name = prefix ? `${prefix}[${key}]` : key;
		if (entry !== null && typeof entry === 'object') flattenNested(entry as Record<string, unknown>, name, out);
		else out[name] = entry;
	}
	return out;
}

function text(value: PhpQueryValue | undefined): string | undefined {
	return typeof value === 'string' ? value : undefined;
}

function child(value: PhpQueryValue | undefined, key: string): PhpQueryValue | undefined {
	if (value && typeof value === 'object' && !Array.isArray(value)) return (value as Record<string, PhpQueryValue>)[key];
	return undefined;
}

/** Constant-time comparison of a received secret with the expected one (different lengths: false). */
export function secretsMatch(received: string | undefined, expected: string | undefined): boolean {
	if (!received || !expected) return false;
	const a = Buffer.from(received, 'utf8');
	const b = Buffer.from(expected, 'utf8');
	// Compare against itself when lengths differ, so the time taken does not depend on the guess.
	if (a.length !== b.length) {
		timingSafeEqual(b, b);
		return false;
	}
	return timingSafeEqual(a, b);
}

export type InboundDealEvent =
	| {
			kind: 'deal';
			dealId: number;
			/** The event name (ONCRMDEALUPDATE…) or `ROBOT` for the Webhook robot. */
			event: string;
			/** When the portal says the event left its queue (unix seconds), if it says. */
			ts?: number;
			domain?: string;
			memberId?: string;
	  }
	| {
			/** Valid, but not for us (another event, another entity): answer 200 and start nothing. */
			kind: 'ignore';
			reason: string;
	  }
	| {
			/** Not from Bitrix24 (wrong or missing token), or not readable: refuse, start nothing. */
			kind: 'refuse';
			status: 401 | 403 | 400;
			reason: string;
	  };

const DEAL_EVENTS = new Set(['ONCRMDEALUPDATE', 'ONCRMDEALADD']);

function positiveId(value: string | undefined): number | undefined {
	if (!value || !/^\d{1,12}$/.test(value)) return undefined;
	const id = Number(value);
	return id > 0 ? id : undefined;
}

/**
 * An outgoing-webhook or app event. `expectedToken` is the application token the portal showed when
 * the outgoing webhook was created (or the app received at install); without it nothing is trusted.
 */
export function readDealEvent(body: InboundBody, expectedToken: string | undefined, wantedEvents: ReadonlySet<string> = DEAL_EVENTS): InboundDealEvent {
	const auth = body.auth;
	const token = text(child(auth, 'application_token'));
	if (!expectedToken) return { kind: 'refuse', status: 403, reason: 'no application token is configured, so no event can be trusted' };
	if (!token) return { kind: 'refuse', status: 401, reason: 'the request carries no auth[application_token]' };
	if (!secretsMatch(token, expectedToken)) return { kind: 'refuse', status: 401, reason: 'auth[application_token] does not match' };
	const event = (text(body.event) ?? '').toUpperCase();
	if (!event) return { kind: 'refuse', status: 400, reason: 'the request names no event' };
	if (!wantedEvents.has(event)) return { kind: 'ignore', reason: `event ${event} is not one this trigger listens to` };
	const dealId = positiveId(text(child(child(body.data, 'FIELDS'), 'ID')));
	if (!dealId) return { kind: 'refuse', status: 400, reason: 'the event carries no valid data[FIELDS][ID]' };
	const ts = positiveId(text(body.ts));
	return { kind: 'deal', dealId, event, ts, domain: text(child(auth, 'domain')), memberId: text(child(auth, 'member_id')) };
}

/**
 * The built-in "Webhook" robot's call: only `document_id[]`, no token (the secret is in the URL,
 * checked by the caller). Only deals count; other documents are ignored.
 */
export function readRobotCall(body: InboundBody, query: Record<string, unknown> = {}): InboundDealEvent {
	const documentId = body.document_id;
	const parts = Array.isArray(documentId) ? documentId.map((part) => (typeof part === 'string' ? part : '')) : [];
	const fromDocument = parts.length === 3 && parts[0] === 'crm' && /^DEAL_\d+$/.test(parts[2]) ? positiveId(parts[2].slice('DEAL_'.length)) : undefined;
	if (parts.length === 3 && parts[0] === 'crm' && !/^DEAL_/.test(parts[2])) return { kind: 'ignore', reason: `document ${parts[2]} is not a deal` };
	// A handler URL may carry the deal as ?deal={{ID}} instead.
	const fromQuery = typeof query.deal === 'string' ? positiveId(query.deal) : undefined;
	const dealId = fromDocument ?? fromQuery;
	if (!dealId) return { kind: 'refuse', status: 400, reason: 'the robot call names no deal (document_id[2]=DEAL_<id>)' };
	return { kind: 'deal', dealId, event: 'ROBOT' };
}
