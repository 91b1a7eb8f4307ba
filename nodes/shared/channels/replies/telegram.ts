/**
 * Telegram Bot API webhooks: one JSON `Update` per POST. setWebhook's `secret_token` comes back in
 * `X-Telegram-Bot-Api-Secret-Token`. Read: a score-button tap (`callback_query`, data
 * `nps:<score>:<idempotencyKey prefix>`) and a typed `message.text`. Everything else (edits, channel
 * posts, membership changes, bots) is ignored. Telegram resends an update until it gets a 2xx, so
 * every accepted call is answered 200. The bot should still call answerCallbackQuery for a tap
 * (`answerCallbackRequest` in ../telegram.ts), or the button keeps spinning.
 */

import { parseTelegramCallbackData } from '../telegram';
import { ignored, isRecord, isoTime, header, jsonBody, nonBlank, okAnswer, quoteWord, rejected, reply, secretsMatch, type JsonRecord } from './common';
import type { ChatReply, InboundRequest, InboundResult, ReplySettings } from './types';

/** Update fields that are not customer answers (named in the reason). */
const OTHER_UPDATES = [
	'edited_message',
	'channel_post',
	'edited_channel_post',
	'business_message',
	'inline_query',
	'chosen_inline_result',
	'my_chat_member',
	'chat_member',
	'chat_join_request',
	'message_reaction',
	'poll',
	'poll_answer',
	'pre_checkout_query',
	'shipping_query',
];

export function handleTelegram(request: InboundRequest, settings: ReplySettings, now: Date): InboundResult {
	const secret = settings.telegram?.secretToken;
	if (!secret) return rejected('no Telegram secret token is configured, so no request can be trusted');
	const received = header(request, 'x-telegram-bot-api-secret-token');
	if (!received) return rejected('the request carries no X-Telegram-Bot-Api-Secret-Token header');
	if (!secretsMatch(received, secret)) return rejected('X-Telegram-Bot-Api-Secret-Token does not match');

	const update = jsonBody(request);
	if (!update) return ignored('empty or unreadable body');
	if (isRecord(update.callback_query)) return callbackReply(update.callback_query, now);
	if (isRecord(update.message)) return messageReply(update.message, now);
	const other = OTHER_UPDATES.find((key) => key in update);
	return ignored(other ? `not a customer answer (${other})` : 'not a message or a button tap');
}

function callbackReply(query: JsonRecord, now: Date): InboundResult {
	const id = nonBlank(query.id);
	if (!id) return ignored('a button tap without an id');
	const data = typeof query.data === 'string' ? query.data : '';
	const from: JsonRecord = isRecord(query.from) ? query.from : {};
	const message: JsonRecord = isRecord(query.message) ? query.message : {};
	const chat: JsonRecord = isRecord(message.chat) ? message.chat : {};
	const parsed = data ? parseTelegramCallbackData(data) : undefined;
	const callback: NonNullable<ChatReply['callback']> = { id, data };
	if (parsed) {
		callback.score = parsed.score;
		callback.keyPrefix = parsed.keyPrefix;
	}
	return {
		kind: 'replies',
		replies: [
			reply({
				channel: 'telegram',
				messageId: id,
				// A tap on a message the bot sent in a private chat: the chat id is the user's id.
				from: { chatId: nonBlank(chat.id) ?? nonBlank(from.id), name: nonBlank(from.first_name) },
				text: buttonText(message, data),
				callback,
				at: now.toISOString(),
			}),
		],
		answer: okAnswer(),
	};
}

function messageReply(message: JsonRecord, now: Date): InboundResult {
	const from: JsonRecord = isRecord(message.from) ? message.from : {};
	if (from.is_bot === true) return ignored('a message from a bot');
	const chat: JsonRecord = isRecord(message.chat) ? message.chat : {};
	const chatType = typeof chat.type === 'string' ? chat.type : undefined;
	if (chatType !== undefined && chatType !== 'private') return ignored(`a message in a ${quoteWord(chatType)} chat`);
	const text = nonBlank(message.text);
	if (text === undefined) return ignored('a message without text');
	const chatId = nonBlank(chat.id) ?? nonBlank(from.id);
	const messageNumber = nonBlank(message.message_id);
	if (!chatId || !messageNumber) return ignored('a message without a chat id or message_id');
	return {
		kind: 'replies',
		replies: [
			reply({
				channel: 'telegram',
				// message_id is unique only within a chat.
				messageId: `${chatId}:${messageNumber}`,
				from: { chatId, name: nonBlank(from.first_name) },
				text,
				at: isoTime(message.date, now),
			}),
		],
		answer: okAnswer(),
	};
}

/** The label of the tapped button, found in the message's keyboard by its callback data. */
function buttonText(message: JsonRecord, data: string): string | undefined {
	if (!data) return undefined;
	const markup = isRecord(message.reply_markup) ? message.reply_markup : {};
	const rows = Array.isArray(markup.inline_keyboard) ? (markup.inline_keyboard as unknown[]) : [];
	for (const row of rows) {
		if (!Array.isArray(row)) continue;
		for (const button of row as unknown[]) {
			if (isRecord(button) && button.callback_data === data) return nonBlank(button.text);
		}
	}
	return undefined;
}
