/**
 * Customers' answers to the survey, as the chat providers post them to the NPS Response Trigger.
 * n8n-free. For each provider: prove the call is authentic (a URL secret, a header secret or an
 * HMAC signature, compared in constant time), answer its probes and handshakes, and turn what
 * arrived into normalized `ChatReply`s, skipping echoes of our own messages and status callbacks.
 *
 * `handleReply` never throws: anything unreadable becomes `ignored` (after authentication, so the
 * provider does not retry) or `rejected`. Reasons never quote a received or configured secret.
 *
 * | provider      | proof                                      | answer                       |
 * |---------------|--------------------------------------------|------------------------------|
 * | wazzup        | `?token=` (or `Authorization: Bearer crmKey`) | 200 (also to `{"test":true}`) |
 * | chat2desk     | `?token=`                                  | 200                          |
 * | whatsappCloud | GET verify token; POST X-Hub-Signature-256 | challenge / 200              |
 * | twilio        | X-Twilio-Signature                         | 200 empty TwiML              |
 * | telegram      | X-Telegram-Bot-Api-Secret-Token            | 200                          |
 */

import { handleChat2Desk } from './replies/chat2desk';
import { rejected } from './replies/common';
import { handleTelegram } from './replies/telegram';
import { handleTwilio } from './replies/twilio';
import type { ChatReply, InboundRequest, InboundResult, ReplySettings } from './replies/types';
import { handleWazzup } from './replies/wazzup';
import { handleWhatsappCloud } from './replies/whatsappCloud';

export type { ChatReply, InboundRequest, InboundResult, ReplyChannel, ReplySettings, WebhookAnswer } from './replies/types';
export { metaSignature } from './replies/whatsappCloud';
export { twilioSignature, type TwilioParams } from './replies/twilio';

type Handler = (request: InboundRequest, settings: ReplySettings, now: Date) => InboundResult;

const HANDLERS: Record<ChatReply['channel'], Handler> = {
	wazzup: handleWazzup,
	chat2desk: handleChat2Desk,
	whatsappCloud: handleWhatsappCloud,
	twilio: handleTwilio,
	telegram: handleTelegram,
};

/** Reads one provider webhook call. Never throws. */
export function handleReply(channel: ChatReply['channel'], request: InboundRequest, settings: ReplySettings, now: Date = new Date()): InboundResult {
	try {
		const handler = Object.prototype.hasOwnProperty.call(HANDLERS, channel) ? HANDLERS[channel] : undefined;
		if (!handler) return rejected('this channel does not receive replies', 404);
		if (request === null || typeof request !== 'object') return rejected('no request');
		const safeNow = now instanceof Date && Number.isFinite(now.getTime()) ? now : new Date();
		return handler(request, settings ?? {}, safeNow);
	} catch {
		// Only a bug gets here; nothing was trusted, so nothing starts.
		return rejected('the request could not be read');
	}
}
