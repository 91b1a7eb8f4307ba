/**
 * WhatsApp Cloud API (Meta Graph) webhooks.
 * - GET `?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`: when the token matches, answer
 *   the challenge as text/plain 200; otherwise 403.
 * - POST: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed by the App Secret>`.
 *   The HMAC covers the bytes Meta sent, so n8n must hand over the raw body unchanged (the request's
 *   `rawBody` buffer as UTF-8), never `JSON.stringify(body)`: a re-serialised body (other spacing,
 *   `\u` escapes decoded) never matches. The body read is the verified raw body, not n8n's copy.
 */

import { createHmac } from 'crypto';

import { count, e164, ignored, isRecord, isoTime, list, nonBlank, parseJsonObject, queryParam, header, rawText, rejected, repliesOrIgnored, reply, secretsMatch, text, quoteWord } from './common';
import type { ChatReply, InboundRequest, InboundResult, ReplySettings } from './types';

/** `sha256=<hex>`: what Meta puts in X-Hub-Signature-256 for this body. */
export function metaSignature(rawBody: string, appSecret: string): string {
	return `sha256=${createHmac('sha256', appSecret).update(Buffer.from(rawBody, 'utf8')).digest('hex')}`;
}

/** Longest challenge echoed back; Meta's are short numbers. */
const MAX_CHALLENGE = 512;

export function handleWhatsappCloud(request: InboundRequest, settings: ReplySettings, now: Date): InboundResult {
	const method = typeof request.method === 'string' ? request.method.toUpperCase() : '';
	if (method === 'GET') return handshake(request, settings.whatsappCloud?.verifyToken);

	const appSecret = settings.whatsappCloud?.appSecret;
	if (!appSecret) return rejected('no WhatsApp app secret is configured, so no request can be trusted');
	const signature = header(request, 'x-hub-signature-256');
	if (!signature) return rejected('the request carries no X-Hub-Signature-256 header');
	const raw = rawText(request);
	if (!raw) return rejected('the raw request body is not available, so the signature cannot be checked');
	const received = signature.trim().toLowerCase();
	if (!secretsMatch(received, metaSignature(raw, appSecret))) return rejected('X-Hub-Signature-256 does not match the body');

	const body = parseJsonObject(raw);
	if (!body) return ignored('the signed body is not a JSON object');
	const object = text(body.object);
	if (object !== undefined && object !== 'whatsapp_business_account') return ignored(`not a WhatsApp event (object ${quoteWord(object)})`);

	const replies: ChatReply[] = [];
	const skipped = new Map<string, number>();
	for (const entry of list(body.entry)) {
		if (!isRecord(entry)) continue;
		for (const change of list(entry.changes)) {
			if (!isRecord(change)) continue;
			const field = text(change.field);
			// Only customer messages; `smb_message_echoes` (our own messages sent from the Business
			// app) and account/template events are not replies.
			if (field !== undefined && field !== 'messages') {
				count(skipped, `other events (${quoteWord(field)})`);
				continue;
			}
			const value = isRecord(change.value) ? change.value : {};
			const names = contactNames(value.contacts);
			for (const message of list(value.messages)) {
				const result = readMessage(message, names, now);
				if (typeof result === 'string') count(skipped, result);
				else replies.push(result);
			}
			if (list(value.statuses).length) count(skipped, 'status updates');
			if (list(value.errors).length) count(skipped, 'errors');
		}
	}
	return repliesOrIgnored(replies, skipped);
}

function handshake(request: InboundRequest, verifyToken: string | undefined): InboundResult {
	if (!verifyToken) return rejected('no WhatsApp verify token is configured', 403);
	const mode = queryParam(request, 'hub.mode');
	const token = queryParam(request, 'hub.verify_token');
	const challenge = queryParam(request, 'hub.challenge');
	if (mode !== 'subscribe') return rejected('a GET without hub.mode=subscribe', 403);
	if (!token) return rejected('the verification request carries no hub.verify_token', 403);
	if (!secretsMatch(token, verifyToken)) return rejected('hub.verify_token does not match', 403);
	if (!challenge || challenge.length > MAX_CHALLENGE) return rejected('the verification request carries no usable hub.challenge', 403);
	return { kind: 'handshake', answer: { status: 200, body: challenge, headers: { 'content-type': 'text/plain; charset=utf-8' } } };
}

function contactNames(contacts: unknown): Map<string, string> {
	const names = new Map<string, string>();
	for (const contact of list(contacts)) {
		if (!isRecord(contact)) continue;
		const waId = nonBlank(contact.wa_id);
		const name = isRecord(contact.profile) ? nonBlank(contact.profile.name) : undefined;
		if (waId && name) names.set(waId, name);
	}
	return names;
}

function readMessage(message: unknown, names: Map<string, string>, now: Date): ChatReply | string {
	if (!isRecord(message)) return 'malformed message';
	const type = text(message.type);
	let value: string | undefined;
	let payload: string | undefined;
	if (type === 'text') {
		value = isRecord(message.text) ? nonBlank(message.text.body) : undefined;
	} else if (type === 'interactive') {
		const interactive = isRecord(message.interactive) ? message.interactive : {};
		const kind = text(interactive.type);
		const picked = kind === 'button_reply' || kind === 'list_reply' ? interactive[kind] : undefined;
		if (isRecord(picked)) {
			value = nonBlank(picked.title);
			payload = nonBlank(picked.id);
		} else if (kind === 'nfm_reply' && isRecord(interactive.nfm_reply)) {
			// A WhatsApp Flow submitted: the answers are in response_json.
			value = nonBlank(interactive.nfm_reply.body);
			payload = nonBlank(interactive.nfm_reply.response_json);
		} else {
			return `unsupported interactive replies (${quoteWord(kind ?? 'none')})`;
		}
	} else if (type === 'button') {
		// A template quick-reply tap.
		const button = isRecord(message.button) ? message.button : {};
		value = nonBlank(button.text);
		payload = nonBlank(button.payload);
	} else {
		return `unsupported message types (${quoteWord(type ?? 'none')})`;
	}
	if (value === undefined && payload === undefined) return 'messages without text';
	const messageId = nonBlank(message.id);
	if (!messageId) return 'messages without an id';
	const waId = nonBlank(message.from);
	const digits = waId?.replace(/\D/g, '');
	return reply({
		channel: 'whatsappCloud',
		messageId,
		from: { phone: digits ? e164(`+${digits}`) : undefined, chatId: waId, name: waId ? names.get(waId) : undefined },
		text: value ?? payload,
		payload,
		at: isoTime(message.timestamp, now),
	});
}
