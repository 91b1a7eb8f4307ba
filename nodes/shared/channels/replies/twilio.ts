/**
 * Twilio inbound-message webhooks (SMS, and WhatsApp through Twilio): a form POST with `From`,
 * `Body`, `MessageSid`…, signed in `X-Twilio-Signature`:
 * base64(HMAC-SHA1(authToken, url + every POST parameter sorted by name as name + value)).
 * (https://www.twilio.com/docs/usage/webhooks/webhooks-security; a repeated parameter contributes
 * each distinct value, sorted, as twilio-node and twilio-php do.) Twilio's own helpers accept the
 * URL with and without the standard port, because Twilio's back end signs either; so do we.
 * JSON webhooks put `bodySHA256=<hex sha256 of the raw body>` in the URL and sign the URL alone.
 *
 * The answer to every accepted call is an empty TwiML `<Response/>`, so Twilio sends nothing back.
 */

import { createHash, createHmac } from 'crypto';

import { e164, header, ignored, isRecord, nonBlank, quoteWord, rawText, rejected, reply, secretsMatch, text } from './common';
import type { InboundRequest, InboundResult, ReplySettings, WebhookAnswer } from './types';

export type TwilioParams = Record<string, string | readonly string[]>;

/** The X-Twilio-Signature Twilio sends for this URL and these POST parameters. */
export function twilioSignature(url: string, params: TwilioParams, authToken: string): string {
	let data = url;
	for (const name of Object.keys(params).sort()) {
		const value = params[name];
		if (typeof value === 'string') data += name + value;
		else for (const one of [...new Set(value)].sort()) data += name + one;
	}
	return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

export function twimlAnswer(): WebhookAnswer {
	return { status: 200, body: '<?xml version="1.0" encoding="UTF-8"?><Response/>', headers: { 'content-type': 'text/xml; charset=utf-8' } };
}

/** Statuses that mean "a message came in", not a callback about one we sent. */
const INBOUND_STATUSES = new Set(['received', 'receiving']);

export function handleTwilio(request: InboundRequest, settings: ReplySettings, now: Date): InboundResult {
	const authToken = settings.twilio?.authToken;
	if (!authToken) return rejected('no Twilio auth token is configured, so no request can be trusted');
	const signature = header(request, 'x-twilio-signature');
	if (!signature) return rejected('the request carries no X-Twilio-Signature header');
	const url = typeof request.url === 'string' ? request.url : '';
	if (!url) return rejected('the public webhook URL is not known, so the signature cannot be checked');

	const method = typeof request.method === 'string' ? request.method.toUpperCase() : 'POST';
	const raw = rawText(request);
	const bodyHash = queryOf(url).get('bodySHA256');
	let params: Record<string, string[]>;
	if (bodyHash !== null) {
		// A JSON webhook: the URL (with the body's hash in it) is signed, and the hash must match.
		const hash = createHash('sha256').update(Buffer.from(raw, 'utf8')).digest('hex');
		if (!secretsMatch(bodyHash.toLowerCase(), hash)) return rejected('bodySHA256 does not match the body');
		if (!signatureMatches(signature.trim(), url, {}, authToken)) return rejected('X-Twilio-Signature does not match');
		params = jsonParams(raw);
	} else {
		// GET webhooks carry everything in the (signed) URL and sign no parameters.
		const signed = method === 'GET' ? {} : formParams(request, raw);
		if (!signatureMatches(signature.trim(), url, signed, authToken)) return rejected('X-Twilio-Signature does not match');
		params = method === 'GET' ? toParams(groupEntries(queryOf(url))) : signed;
	}
	return readMessage(params, now);
}

function readMessage(params: Record<string, string[]>, now: Date): InboundResult {
	const get = (name: string): string | undefined => (Object.prototype.hasOwnProperty.call(params, name) ? params[name][0] : undefined);
	const status = get('MessageStatus') ?? get('SmsStatus');
	const body = get('Body');
	if (status !== undefined && !INBOUND_STATUSES.has(status)) return ignored(`a status callback (${quoteWord(status)})`, twimlAnswer());
	if (body === undefined) return ignored('not an inbound message (no Body)', twimlAnswer());
	if (body.trim() === '') return ignored('an inbound message without text', twimlAnswer());
	const messageId = nonBlank(get('MessageSid')) ?? nonBlank(get('SmsMessageSid')) ?? nonBlank(get('SmsSid'));
	if (!messageId) return ignored('an inbound message without a MessageSid', twimlAnswer());

	const from = nonBlank(get('From'));
	// WhatsApp (and other channels) through Twilio: `whatsapp:+79121234567`.
	const prefixed = from ? /^([a-z]+):(.*)$/i.exec(from) : null;
	const number = prefixed ? prefixed[2] : from;
	return {
		kind: 'replies',
		replies: [
			reply({
				channel: 'twilio',
				messageId,
				from: { phone: e164(number), chatId: prefixed ? from : undefined, name: nonBlank(get('ProfileName')) },
				text: body,
				at: now.toISOString(),
			}),
		],
		answer: twimlAnswer(),
	};
}

/** The URL as given, and with the standard port removed or added, as Twilio's helpers try. */
function urlVariants(url: string): string[] {
	const variants = new Set([url]);
	try {
		const parsed = new URL(url);
		variants.add(parsed.toString());
		if (parsed.port) {
			const withoutPort = new URL(url);
			withoutPort.port = '';
			variants.add(withoutPort.toString());
		} else if (parsed.protocol === 'https:' || parsed.protocol === 'http:') {
			const port = parsed.protocol === 'https:' ? ':443' : ':80';
			const credentials = parsed.username || parsed.password ? `${parsed.username}${parsed.password ? `:${parsed.password}` : ''}@` : '';
			variants.add(`${parsed.protocol}//${credentials}${parsed.host}${port}${parsed.pathname}${parsed.search}${parsed.hash}`);
		}
	} catch {
		// Not a parseable URL: only the exact text is tried.
	}
	return [...variants];
}

function signatureMatches(received: string, url: string, params: TwilioParams, authToken: string): boolean {
	let ok = false;
	// Every variant is computed and compared, so the time taken does not depend on which matched.
	for (const variant of urlVariants(url)) {
		if (secretsMatch(received, twilioSignature(variant, params, authToken))) ok = true;
	}
	return ok;
}

function queryOf(url: string): URLSearchParams {
	const mark = url.indexOf('?');
	try {
		return new URLSearchParams(mark < 0 ? '' : url.slice(mark + 1).split('#')[0]);
	} catch {
		return new URLSearchParams();
	}
}

/** Name → values, on an object without a prototype (`__proto__` is just a name here). */
function groupEntries(entries: Iterable<[string, string]>): Map<string, string[]> {
	const grouped = new Map<string, string[]>();
	for (const [name, value] of entries) {
		const values = grouped.get(name);
		if (values) values.push(value);
		else grouped.set(name, [value]);
	}
	return grouped;
}

function toParams(grouped: Map<string, string[]>): Record<string, string[]> {
	const params = Object.create(null) as Record<string, string[]>;
	for (const [name, values] of grouped) params[name] = values;
	return params;
}

/**
 * The POST parameters Twilio signed: read from the raw form body when there is one (exact, repeated
 * names kept), else from n8n's parsed fields.
 */
function formParams(request: InboundRequest, raw: string): Record<string, string[]> {
	if (raw) {
		try {
			return toParams(groupEntries(new URLSearchParams(raw)));
		} catch {
			return toParams(new Map());
		}
	}
	const grouped = new Map<string, string[]>();
	if (isRecord(request.body)) {
		for (const [name, value] of Object.entries(request.body)) {
			const values = (Array.isArray(value) ? value : [value]).map(text).filter((one): one is string => one !== undefined);
			if (values.length) grouped.set(name, values);
		}
	}
	return toParams(grouped);
}

/** A JSON webhook's top-level fields, read like form fields. */
function jsonParams(raw: string): Record<string, string[]> {
	const grouped = new Map<string, string[]>();
	try {
		const parsed: unknown = JSON.parse(raw);
		if (isRecord(parsed)) {
			for (const [name, value] of Object.entries(parsed)) {
				const one = text(value);
				if (one !== undefined) grouped.set(name, [one]);
			}
		}
	} catch {
		// Not JSON: no fields.
	}
	return toParams(grouped);
}
