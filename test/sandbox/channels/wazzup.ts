/* eslint-disable @n8n/community-nodes/no-restricted-globals -- test tooling: runs in Node test processes, never inside n8n */
/**
 * A Wazzup API v3 stand-in: `POST /v3/message` and `GET /v3/channels` with Bearer auth, the
 * 500-requests-per-5-s window, the 60-s crmMessageId memory, and the error bodies of the docs
 * (`{status, requestId, error, description, data}`). Synchronous BAD_CONTACT for numbers listed in
 * `notOnWhatsApp` is a sandbox choice: the real service may report it only in a status webhook.
 */

import { randomUUID } from 'node:crypto';

import { ChannelServer, FixedWindowLimit, type SandboxAnswer, type SandboxRequest } from './server';

export type WazzupChannelState =
	| 'active'
	| 'init'
	| 'disabled'
	| 'phoneUnavailable'
	| 'qr'
	| 'openElsewhere'
	| 'notEnoughMoney'
	| 'foreignphone'
	| 'unauthorized'
	| 'waitForPassword'
	| 'onModeration'
	| 'rejected';

export interface WazzupSandboxOptions {
	/** Divides the 5-s limit window and the 60-s crmMessageId memory (default 1). */
	timeScale?: number;
	/** Numbers (digits or E.164) that answer BAD_CONTACT. */
	notOnWhatsApp?: string[];
	/** Delay before each answer. */
	latencyMs?: number;
	/** The valid key (default: a random one). */
	apiKey?: string;
	/** The sandbox channel's id (default: a random uuid). */
	channelId?: string;
	/** Send `Retry-After` with 429 (default false: the docs mention none). */
	retryAfterHeader?: boolean;
	/** Requests per window (default 500, as documented). */
	limit?: number;
}

export interface WazzupDelivery {
	messageId: string;
	/** chatId as Wazzup saw it: digits. */
	to: string;
	text: string;
	at: number;
	crmMessageId?: string;
	channelId: string;
	chatType: string;
}

export interface WazzupSandbox {
	url: string;
	apiKey: string;
	channelId: string;
	deliveries: WazzupDelivery[];
	server: ChannelServer;
	limit: FixedWindowLimit;
	setChannelState(state: WazzupChannelState): void;
	stop(): Promise<void>;
}

const CHAT_TYPES = ['whatsapp', 'whatsgroup', 'viber', 'instagram', 'telegram', 'telegroup', 'vk', 'avito', 'max', 'maxgroup'];
const TEXT_LIMITS: Record<string, number> = { whatsapp: 10_000, instagram: 1000, telegram: 4096, viber: 6999 };
const CRM_ID_MEMORY_MS = 60_000;

const digitsOf = (phone: string) => phone.replace(/\D+/g, '');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startWazzupSandbox(options: WazzupSandboxOptions = {}): Promise<WazzupSandbox> {
	const timeScale = options.timeScale ?? 1;
	const apiKey = options.apiKey ?? `wz-${randomUUID().replace(/-/g, '')}`;
	const channelId = options.channelId ?? randomUUID();
	const notOnWhatsApp = new Set((options.notOnWhatsApp ?? []).map(digitsOf));
	const limit = new FixedWindowLimit(options.limit ?? 500, 5000, timeScale);
	const deliveries: WazzupDelivery[] = [];
	const crmIds = new Map<string, number>();
	let state: WazzupChannelState = 'active';

	const error = (status: number, code: string, description: string, data?: unknown, headers?: Record<string, string>): SandboxAnswer => ({
		status,
		headers,
		body: { status, requestId: randomUUID(), error: code, description, ...(data === undefined ? {} : { data }) },
	});

	const sendMessage = (body: Record<string, unknown>): SandboxAnswer => {
		const bad: string[] = [];
		const chatType = typeof body.chatType === 'string' ? body.chatType : '';
		if (typeof body.channelId !== 'string' || !body.channelId) bad.push('channelId');
		if (!CHAT_TYPES.includes(chatType)) bad.push('chatType');
		const rawChat = typeof body.chatId === 'string' ? body.chatId : typeof body.phone === 'string' ? body.phone : '';
		if ((chatType === 'whatsapp' || chatType === 'viber') && !/^\d{8,15}$/.test(rawChat)) bad.push('chatId');
		if (!rawChat) bad.push('chatId');
		const text = body.text;
		if (text !== undefined && body.contentUri !== undefined) bad.push('text', 'contentUri');
		else if (typeof text !== 'string' || !text) bad.push('text');
		if (bad.length) {
			return error(400, 'INVALID_MESSAGE_DATA', 'Invalid message data', { fields: [...new Set(bad)] });
		}
		if (body.channelId !== channelId) return error(400, 'CHANNEL_NOT_FOUND', 'Channel not found', { channelId: body.channelId });
		// The sandbox channel is a WhatsApp (not WABA) channel.
		if (chatType !== 'whatsapp') return error(400, 'WRONG_TRANSPORT', 'chatType does not match the channel transport', { chatType });
		if (state === 'disabled') return error(400, 'CHANNEL_BLOCKED', 'Channel is blocked', { channelId });
		if (state === 'notEnoughMoney') return error(400, 'CHANNEL_NO_MONEY', 'Channel is not paid', { channelId });
		if (state !== 'active') return error(400, 'MESSAGE_CHANNEL_UNAVAILABLE', 'Channel is unavailable', { channelId, state });
		if ((text as string).length > (TEXT_LIMITS[chatType] ?? 10_000)) {
			return error(400, 'MESSAGE_TEXT_TOO_LONG', 'Message text is too long', { maxLength: TEXT_LIMITS[chatType] });
		}
		const crmMessageId = typeof body.crmMessageId === 'string' || typeof body.crmMessageId === 'number' ? String(body.crmMessageId) : undefined;
		const now = Date.now();
		if (crmMessageId !== undefined) {
			const seen = crmIds.get(crmMessageId);
			if (seen !== undefined && now - seen < CRM_ID_MEMORY_MS / timeScale) {
				return error(400, 'REPEATED_CRM_MESSAGE_ID', 'You have already sent message with same crmMessageId', { crmMessageId });
			}
		}
		const chatId = digitsOf(rawChat);
		if (notOnWhatsApp.has(chatId)) return error(400, 'BAD_CONTACT', 'The number may not exist in WhatsApp', { chatId });
		const messageId = randomUUID();
		if (crmMessageId !== undefined) crmIds.set(crmMessageId, now);
		deliveries.push({ messageId, to: chatId, text: text as string, at: now, crmMessageId, channelId, chatType });
		return { status: 201, body: { messageId, chatId } };
	};

	const handle = async (request: SandboxRequest): Promise<SandboxAnswer> => {
		if (options.latencyMs) await sleep(options.latencyMs);
		if (request.headers.authorization !== `Bearer ${apiKey}`) {
			return error(401, 'UNAUTHORIZED', 'The API key is missing or invalid');
		}
		if (!limit.take()) {
			const headers = options.retryAfterHeader ? { 'retry-after': String(Math.max(1, Math.ceil(limit.resetInMs() / 1000))) } : undefined;
			return error(429, 'TOO_MANY_REQUESTS', 'Too many requests: the limit is 500 requests per 5 seconds', undefined, headers);
		}
		if (request.method === 'GET' && request.path === '/v3/channels') {
			return { status: 200, body: [{ channelId, transport: 'whatsapp', plainId: '79000000000', state }] };
		}
		if (request.method === 'POST' && request.path === '/v3/message') {
			if (!request.body || typeof request.body !== 'object') return error(400, 'INVALID_MESSAGE_DATA', 'The body must be JSON', { fields: [] });
			return sendMessage(request.body as Record<string, unknown>);
		}
		return error(404, 'NOT_FOUND', `No route ${request.method} ${request.path}`);
	};

	const server = await new ChannelServer(handle).start();
	return {
		url: server.url,
		apiKey,
		channelId,
		deliveries,
		server,
		limit,
		setChannelState: (next) => {
			state = next;
		},
		stop: () => server.stop(),
	};
}
