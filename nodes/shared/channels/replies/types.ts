/**
 * What the NPS Response Trigger hands over for one provider webhook call, and what it gets back.
 * n8n-free: the node copies n8n's request into an `InboundRequest` and sends `answer` as it is.
 */

/** One webhook call as received. */
export interface InboundRequest {
	/** 'GET' | 'POST'. */
	method: string;
	/** Lower-case names. */
	headers: Record<string, string | string[] | undefined>;
	query: Record<string, string | string[] | undefined>;
	/**
	 * The body exactly as received ('' for GET). Meta and Twilio JSON webhooks sign these bytes:
	 * n8n must hand over the raw body unchanged (the request's `rawBody` buffer decoded as UTF-8),
	 * never a re-serialised `body`.
	 */
	rawBody: string;
	/** As n8n parsed it (JSON object or form fields). */
	body: unknown;
	/** The full public URL the provider called, query string included (Twilio signs it). */
	url: string;
}

export interface WebhookAnswer {
	status: number;
	body?: string | Record<string, unknown>;
	headers?: Record<string, string>;
}

export type ReplyChannel = 'wazzup' | 'chat2desk' | 'whatsappCloud' | 'twilio' | 'telegram';

/** One customer message (or button tap), the same shape for every provider. */
export interface ChatReply {
	channel: ReplyChannel;
	/** The provider's id of the inbound message / callback query (Telegram messages: `<chatId>:<message_id>`). */
	messageId: string;
	from: {
		/** E.164 when known. */
		phone?: string;
		chatId?: string;
		name?: string;
	};
	/** What the customer typed (or the tapped button's text). */
	text?: string;
	/**
	 * A tapped button's machine value, when the provider sends one apart from its text: a WhatsApp
	 * Cloud reply-button / list-row id, a template quick-reply payload, a Wazzup interactive payload.
	 */
	payload?: string;
	/** A Telegram inline-keyboard tap; `score` / `keyPrefix` only when the data is ours (`nps:<score>:<key>`). */
	callback?: { id: string; data: string; score?: number; keyPrefix?: string };
	/** ISO 8601. */
	at: string;
}

export type InboundResult =
	| { kind: 'replies'; replies: ChatReply[]; answer: WebhookAnswer }
	/** Echo, status update, probe, unsupported type: answer 200, start nothing. */
	| { kind: 'ignored'; reason: string; answer: WebhookAnswer }
	/** Meta's GET verification: `hub.challenge` echoed. */
	| { kind: 'handshake'; answer: WebhookAnswer }
	/** Bad or missing signature or secret: 401 (403 for a wrong Meta verify token); start nothing. */
	| { kind: 'rejected'; reason: string; answer: WebhookAnswer };

export interface ReplySettings {
	/**
	 * Wazzup signs nothing: the webhook URL carries `?token=<secret>`. When Wazzup holds our
	 * `crmKey` it also sends `Authorization: Bearer <crmKey>`, accepted instead when set here.
	 */
	wazzup?: { secret: string; crmKey?: string };
	/**
	 * `?token=<secret>` in the URL. Chat2Desk added HMAC signatures in 2025, but the header name and
	 * the signed string are not published where we could read them, so they are not checked.
	 */
	chat2desk?: { secret: string };
	whatsappCloud?: { appSecret: string; verifyToken: string };
	twilio?: { authToken: string };
	/** Telegram echoes setWebhook's `secret_token` in `X-Telegram-Bot-Api-Secret-Token`. */
	telegram?: { secretToken: string };
}
