/**
 * Chat2Desk `inbox` webhooks: one JSON POST per client message (`type: "from_client"`,
 * `hook_type: "inbox"`). The webhook URL carries `?token=<secret>`. Chat2Desk's 2025-06-06
 * changelog announced HMAC signatures, but neither the header name nor the signed string is
 * published where we could read it, so no signature is checked: the URL secret is the only proof.
 */

import { ignored, isRecord, isoTime, e164, jsonBody, nonBlank, okAnswer, quoteWord, rejected, reply, text, urlSecretProblem, type JsonRecord } from './common';
import type { InboundRequest, InboundResult, ReplySettings } from './types';

export function handleChat2Desk(request: InboundRequest, settings: ReplySettings, now: Date): InboundResult {
	const problem = urlSecretProblem(request, settings.chat2desk?.secret, 'Chat2Desk');
	if (problem) return rejected(problem);
	const body = jsonBody(request);
	if (!body) return ignored('empty or unreadable body');

	const hookType = text(body.hook_type);
	if (hookType !== undefined && hookType !== 'inbox') return ignored(`not a client message (hook ${quoteWord(hookType)})`);
	const type = text(body.type);
	if (type !== 'from_client') return ignored(`not a client message (type ${quoteWord(type ?? 'none')})`);
	const value = nonBlank(body.text);
	if (value === undefined) return ignored('a client message without text');
	const messageId = nonBlank(body.message_id);
	if (!messageId) return ignored('a client message without a message_id');

	const client: JsonRecord = isRecord(body.client) ? body.client : {};
	const phone = e164(nonBlank(client.phone)) ?? e164(nonBlank(client.client_phone));
	return {
		kind: 'replies',
		replies: [
			reply({
				channel: 'chat2desk',
				messageId,
				from: { phone, chatId: nonBlank(body.client_id) ?? nonBlank(client.id), name: nonBlank(client.name) ?? nonBlank(client.assigned_name) },
				text: value,
				at: isoTime(body.event_time, now),
			}),
		],
		answer: okAnswer(),
	};
}
