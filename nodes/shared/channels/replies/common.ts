/**
 * Small, defensive readers shared by the provider parsers: nothing here trusts the shape of what
 * arrived, and nothing throws.
 */

import { secretsMatch } from '../../bitrix24/inbound';
import { normalizePhone } from '../../phone';
import type { ChatReply, InboundRequest, InboundResult, WebhookAnswer } from './types';

export { secretsMatch };

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
	return value !== null && typeof value === 'object' && !Array.isArray(value) && !isBuffer(value);
}

function isBuffer(value: unknown): value is Buffer {
	return typeof Buffer !== 'undefined' && Buffer.isBuffer(value);
}

/** A string, or a finite number as text; anything else undefined. */
export function text(value: unknown): string | undefined {
	if (typeof value === 'string') return value;
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	if (typeof value === 'bigint') return value.toString();
	return undefined;
}

/** Like `text`, but blank strings count as missing. */
export function nonBlank(value: unknown): string | undefined {
	const out = text(value);
	return out !== undefined && out.trim() !== '' ? out : undefined;
}

export function list(value: unknown): unknown[] {
	return Array.isArray(value) ? value : [];
}

function first(value: unknown): string | undefined {
	if (Array.isArray(value)) return first(value[0]);
	return typeof value === 'string' ? value : undefined;
}

/** A header by name, case-insensitively; the first value when repeated. */
export function header(request: InboundRequest, name: string): string | undefined {
	const headers: unknown = request.headers;
	if (!isRecord(headers)) return undefined;
	const wanted = name.toLowerCase();
	if (Object.prototype.hasOwnProperty.call(headers, wanted)) {
		const direct = first(headers[wanted]);
		if (direct !== undefined) return direct;
	}
	for (const key of Object.keys(headers)) {
		if (key.toLowerCase() === wanted) return first(headers[key]);
	}
	return undefined;
}

/**
 * A query parameter: from n8n's parsed query (a dotted name may also arrive nested, as qs parses
 * `hub.mode` with `allowDots`), else from the URL itself.
 */
export function queryParam(request: InboundRequest, name: string): string | undefined {
	const query: unknown = request.query;
	if (isRecord(query)) {
		if (Object.prototype.hasOwnProperty.call(query, name)) {
			const direct = first(query[name]);
			if (direct !== undefined) return direct;
		}
		if (name.includes('.')) {
			let value: unknown = query;
			for (const part of name.split('.')) value = isRecord(value) && Object.prototype.hasOwnProperty.call(value, part) ? value[part] : undefined;
			const nested = first(value);
			if (nested !== undefined) return nested;
		}
	}
	const url = typeof request.url === 'string' ? request.url : '';
	const mark = url.indexOf('?');
	if (mark < 0) return undefined;
	try {
		const found = new URLSearchParams(url.slice(mark + 1).split('#')[0]).get(name);
		return found ?? undefined;
	} catch {
		return undefined;
	}
}

/** The raw body as text ('' when there is none). */
export function rawText(request: InboundRequest): string {
	const raw: unknown = request.rawBody;
	if (typeof raw === 'string') return raw;
	if (isBuffer(raw)) return raw.toString('utf8');
	return '';
}

/** A JSON object body: n8n's parsed object, else the raw body parsed; undefined when neither is one. */
export function jsonBody(request: InboundRequest): JsonRecord | undefined {
	if (isRecord(request.body)) return request.body;
	return parseJsonObject(rawText(request)) ?? (typeof request.body === 'string' ? parseJsonObject(request.body) : undefined);
}

export function parseJsonObject(raw: string): JsonRecord | undefined {
	const trimmed = raw.trim();
	if (!trimmed.startsWith('{')) return undefined;
	try {
		const parsed: unknown = JSON.parse(trimmed);
		return isRecord(parsed) ? parsed : undefined;
	} catch {
		return undefined;
	}
}

/** A provider time (unix seconds or milliseconds, or a date string; no zone means UTC) as ISO 8601, else `now`. */
export function isoTime(value: unknown, now: Date): string {
	const fallback = Number.isFinite(now.getTime()) ? now.toISOString() : new Date(0).toISOString();
	let ms: number | undefined;
	if (typeof value === 'number' || (typeof value === 'string' && /^\d{9,13}(?:\.\d+)?$/.test(value.trim()))) {
		const number = Number(value);
		if (Number.isFinite(number) && number > 0) ms = number < 1e11 ? number * 1000 : number;
	} else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
		const trimmed = value.trim();
		const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(trimmed) || !trimmed.includes('T') ? trimmed : `${trimmed}Z`;
		ms = Date.parse(zoned);
	}
	if (ms === undefined || !Number.isFinite(ms)) return fallback;
	const date = new Date(ms);
	return Number.isFinite(date.getTime()) ? date.toISOString() : fallback;
}

/** E.164 when the number reads as one (Russia by default), else undefined. */
export function e164(raw: string | undefined): string | undefined {
	if (!raw) return undefined;
	try {
		const parsed = normalizePhone(raw, 'RU');
		return parsed.ok ? parsed.e164 : undefined;
	} catch {
		return undefined;
	}
}

/** Drops undefined fields, so replies compare and serialise cleanly. */
export function compactFrom(from: ChatReply['from']): ChatReply['from'] {
	const out: ChatReply['from'] = {};
	if (from.phone !== undefined) out.phone = from.phone;
	if (from.chatId !== undefined) out.chatId = from.chatId;
	if (from.name !== undefined) out.name = from.name;
	return out;
}

export function reply(fields: ChatReply): ChatReply {
	const out: ChatReply = { channel: fields.channel, messageId: fields.messageId, from: compactFrom(fields.from), at: fields.at };
	if (fields.text !== undefined) out.text = fields.text;
	if (fields.payload !== undefined) out.payload = fields.payload;
	if (fields.callback !== undefined) out.callback = fields.callback;
	// `at` last, as the type lists it.
	const { at, ...rest } = out;
	return { ...rest, at };
}

const PLAIN = { 'content-type': 'text/plain; charset=utf-8' };

export function okAnswer(): WebhookAnswer {
	return { status: 200, body: 'OK', headers: { ...PLAIN } };
}

export function deniedAnswer(status: 401 | 403 | 404): WebhookAnswer {
	const body = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found';
	return { status, body, headers: { ...PLAIN } };
}

export function rejected(reason: string, status: 401 | 403 | 404 = 401): InboundResult {
	return { kind: 'rejected', reason, answer: deniedAnswer(status) };
}

export function ignored(reason: string, answer: WebhookAnswer = okAnswer()): InboundResult {
	return { kind: 'ignored', reason, answer };
}

/** `replies` when there is at least one, else `ignored` with what was skipped. */
export function repliesOrIgnored(replies: ChatReply[], skipped: Map<string, number>, answer: () => WebhookAnswer = okAnswer): InboundResult {
	if (replies.length > 0) return { kind: 'replies', replies, answer: answer() };
	const parts = [...skipped.entries()].map(([why, count]) => (count > 1 ? `${why} ×${count}` : why));
	return ignored(parts.length ? `nothing to read: ${parts.join(', ')}` : 'nothing to read: no messages in the body', answer());
}

export function count(skipped: Map<string, number>, why: string): void {
	skipped.set(why, (skipped.get(why) ?? 0) + 1);
}

/** A provider-supplied word (a message type) safe to quote in a reason: short, plain. */
export function quoteWord(value: unknown): string {
	const word = typeof value === 'string' ? value : typeof value;
	return word.replace(/[^\w.-]/g, '').slice(0, 32) || '?';
}

/**
 * Checks a `?token=` secret in the URL. Returns the reason to reject, or undefined when it matches.
 * Constant-time; the received value is never quoted.
 */
export function urlSecretProblem(request: InboundRequest, secret: string | undefined, provider: string): string | undefined {
	if (!secret) return `no ${provider} secret is configured, so no request can be trusted`;
	const token = queryParam(request, 'token');
	if (!token) return `the request carries no ?token= in the URL`;
	if (!secretsMatch(token, secret)) return 'the ?token= in the URL does not match';
	return undefined;
}
