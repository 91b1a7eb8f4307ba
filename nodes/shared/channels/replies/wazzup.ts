/**
 * Wazzup API v3 webhooks (`messagesAndStatuses`): a JSON POST with `messages[]` and/or `statuses[]`.
 * Wazzup signs nothing; the webhook URL carries `?token=<secret>`, and when Wazzup holds our
 * `crmKey` it adds `Authorization: Bearer <crmKey>` (either is accepted). Setting the address makes
 * Wazzup POST `{"test": true}` and refuse the address unless it answers 200: that probe carries the
 * URL's token too, so the secret is checked first and the probe then answered 200.
 */

import {
	count,
	e164,
	header,
	ignored,
	isoTime,
	isRecord,
	jsonBody,
	list,
	nonBlank,
	queryParam,
	quoteWord,
	rejected,
	repliesOrIgnored,
	reply,
	secretsMatch,
	text,
	type JsonRecord,
} from './common';
import type { ChatReply, InboundRequest, InboundResult, ReplySettings } from './types';

/** Chat types whose `chatId` is the phone number in digits. */
const PHONE_CHATS = new Set(['whatsapp', 'viber', 'max']);

/** Wazzup's docs show booleans; some fields arrive as "true" strings. */
function isOn(value: unknown): boolean {
	return value === true || value === 'true';
}

function isOff(value: unknown): boolean {
	return value === false || value === 'false';
}

export function wazzupAuthProblem(request: InboundRequest, settings: ReplySettings['wazzup']): string | undefined {
	const secret = settings?.secret;
	const crmKey = settings?.crmKey;
	if (!secret && !crmKey) return 'no Wazzup secret is configured, so no request can be trusted';
	const token = queryParam(request, 'token');
	const authorization = header(request, 'authorization') ?? '';
	const bearer = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
	const tokenOk = secret ? secretsMatch(token, secret) : false;
	const bearerOk = crmKey ? secretsMatch(bearer, crmKey) : false;
	if (tokenOk || bearerOk) return undefined;
	if (!token && !bearer) return 'the request carries no ?token= in the URL (and no Authorization bearer)';
	return token ? 'the ?token= in the URL does not match' : 'the Authorization bearer does not match';
}

export function handleWazzup(request: InboundRequest, settings: ReplySettings, now: Date): InboundResult {
	const problem = wazzupAuthProblem(request, settings.wazzup);
	if (problem) return rejected(problem);
	const body = jsonBody(request);
	if (!body) return ignored('empty or unreadable body');
	if (isOn(body.test)) return ignored('Wazzup address test ({"test": true})');

	const replies: ChatReply[] = [];
	const skipped = new Map<string, number>();
	for (const item of list(body.messages)) {
		const result = readMessage(item, now);
		if (typeof result === 'string') count(skipped, result);
		else replies.push(result);
	}
	if (list(body.statuses).length) count(skipped, 'status updates');
	if (!Array.isArray(body.messages) && !Array.isArray(body.statuses)) {
		const kind = Object.keys(body).find((key) => ['createContact', 'createDeal', 'channelsUpdates', 'templateStatus'].includes(key));
		return ignored(kind ? `not a message (${kind})` : 'no messages or statuses in the body');
	}
	return repliesOrIgnored(replies, skipped);
}

/** One `messages[]` item: a reply, or why it is skipped. */
function readMessage(item: unknown, now: Date): ChatReply | string {
	if (!isRecord(item)) return 'malformed message';
	if (isOn(item.isEcho)) return 'outgoing messages (echo)';
	const status = text(item.status);
	if (status !== undefined && status !== 'inbound') return 'outgoing messages (echo)';
	// Neither field says "inbound": cannot tell a customer's message from ours, so it is not read.
	if (!isOff(item.isEcho) && status !== 'inbound') return 'messages of unknown direction';
	if (isOn(item.isDeleted)) return 'deleted messages';
	// An edit repeats the original messageId with new text; one message, one reply.
	if (isOn(item.isEdited)) return 'edited messages';

	const type = text(item.type);
	let value: string | undefined;
	let payload: string | undefined;
	if (type === 'text') {
		value = nonBlank(item.text);
	} else if (type === 'interactive') {
		// The shape of a button answer is not documented: the text when there is one, else what the
		// `interactive` object carries (a payload, or the button's ordinal number counted from 0).
		const answer = interactiveAnswer(item.interactive);
		value = nonBlank(item.text) ?? answer.text ?? answer.payload;
		payload = answer.payload;
	} else {
		return `unsupported message types (${quoteWord(type ?? 'none')})`;
	}
	if (value === undefined) return 'messages without text';
	const messageId = nonBlank(item.messageId);
	if (!messageId) return 'messages without a messageId';

	const chatId = nonBlank(item.chatId);
	const chatType = text(item.chatType);
	const contact: JsonRecord = isRecord(item.contact) ? item.contact : {};
	const phone =
		chatId && chatType && PHONE_CHATS.has(chatType) && /^\d{5,20}$/.test(chatId) ? e164(`+${chatId}`) : e164(nonBlank(contact.phone));
	return reply({
		channel: 'wazzup',
		messageId,
		from: { phone, chatId, name: nonBlank(contact.name) ?? nonBlank(item.authorName) },
		text: value,
		payload,
		at: isoTime(item.dateTime, now),
	});
}

function interactiveAnswer(value: unknown): { text?: string; payload?: string } {
	if (Array.isArray(value)) return interactiveAnswer(value[0]);
	if (typeof value === 'string' || typeof value === 'number') return { text: nonBlank(value) };
	if (!isRecord(value)) return {};
	const nested = isRecord(value.button) ? value.button : isRecord(value.buttonReply) ? value.buttonReply : value;
	return {
		text: nonBlank(nested.text) ?? nonBlank(nested.title) ?? nonBlank(nested.buttonText),
		payload: nonBlank(nested.payload) ?? nonBlank(nested.id) ?? nonBlank(nested.index),
	};
}
