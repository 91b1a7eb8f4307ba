/* eslint-disable @n8n/community-nodes/no-restricted-globals -- test tooling: runs in Node test processes, never inside n8n */
/**
 * A Chat2Desk API stand-in: bare-token auth, `GET/POST /v1/clients`, `POST /v1/messages`,
 * `GET /v1/companies/api_info` and `GET /v1/transports`, answering `{status:'success', data}`.
 *
 * Sandbox-defined (Chat2Desk documents none of it):
 * - errors are `{status:'error', message, errors?}`: 401 for a bad token, 429 over the limit (with
 *   Retry-After in seconds), 400 for bad input, 404 for an unknown route;
 * - 300 requests per 60 s (time-scaled), the figure one public bot uses;
 * - `POST /v1/clients` for a phone that exists answers the existing client;
 * - a message over WhatsApp to a number in `notOnWhatsApp` answers 400
 *   `{status:'error', message:'Phone number is not registered in WhatsApp'}` (the real service may
 *   accept it and report an `outbox_status` webhook later).
 */

import { randomUUID } from 'node:crypto';

import { ChannelServer, FixedWindowLimit, type SandboxAnswer, type SandboxRequest } from './server';

export interface Chat2DeskSandboxOptions {
	/** Divides the 60-s limit window (default 1). */
	timeScale?: number;
	/** Numbers (digits or E.164) that WhatsApp cannot reach. */
	notOnWhatsApp?: string[];
	/** Delay before each answer. */
	latencyMs?: number;
	/** The valid token (default: a random one). */
	token?: string;
	/** The sandbox channel id (default 1001). */
	channelId?: number;
	/** Requests per window (default 300). */
	limit?: number;
}

export interface Chat2DeskClient {
	id: number;
	phone: string;
	transport: string;
	channel_id: number;
	name: string | null;
}

export interface Chat2DeskDelivery {
	messageId: string;
	/** The client's phone as Chat2Desk stores it: digits. */
	to: string;
	text: string;
	at: number;
	clientId: number;
	transport: string;
	channelId: number;
	type: string;
}

export interface Chat2DeskSandbox {
	url: string;
	token: string;
	channelId: number;
	deliveries: Chat2DeskDelivery[];
	clients: Chat2DeskClient[];
	server: ChannelServer;
	limit: FixedWindowLimit;
	stop(): Promise<void>;
}

const TRANSPORTS = ['whatsapp', 'wa_cm', 'wa_infobip', 'viber', 'viber_public', 'viber_business', 'widget', 'facebook', 'vkontakte', 'telegram', 'email', 'sms'];
const MESSAGE_TYPES = ['to_client', 'autoreply', 'system', 'comment'];

const digitsOf = (phone: string) => phone.replace(/\D+/g, '');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startChat2DeskSandbox(options: Chat2DeskSandboxOptions = {}): Promise<Chat2DeskSandbox> {
	const token = options.token ?? randomUUID().replace(/-/g, '');
	const channelId = options.channelId ?? 1001;
	const notOnWhatsApp = new Set((options.notOnWhatsApp ?? []).map(digitsOf));
	const limit = new FixedWindowLimit(options.limit ?? 300, 60_000, options.timeScale ?? 1);
	const clients: Chat2DeskClient[] = [];
	const deliveries: Chat2DeskDelivery[] = [];
	let nextClientId = 5000;
	let nextMessageId = 900_000;
	let apiRequests = 0;

	const ok = (data: unknown, extra: Record<string, unknown> = {}): SandboxAnswer => ({ status: 200, body: { status: 'success', data, ...extra } });
	const fail = (status: number, message: string, errors?: Record<string, string[]>, headers?: Record<string, string>): SandboxAnswer => ({
		status,
		headers,
		body: { status: 'error', message, ...(errors ? { errors } : {}) },
	});
	const bodyOf = (request: SandboxRequest): Record<string, unknown> =>
		request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};

	const listClients = (request: SandboxRequest): SandboxAnswer => {
		const limitParam = Math.min(200, Math.max(1, Number(request.query.limit) || 20));
		const offset = Math.max(0, Number(request.query.offset) || 0);
		const phone = request.query.phone ? digitsOf(request.query.phone) : '';
		const matching = phone ? clients.filter((c) => c.phone === phone) : clients;
		return ok(matching.slice(offset, offset + limitParam), { meta: { total: matching.length, limit: limitParam, offset } });
	};

	const createClient = (request: SandboxRequest): SandboxAnswer => {
		const body = bodyOf(request);
		const phone = typeof body.phone === 'string' || typeof body.phone === 'number' ? digitsOf(String(body.phone)) : '';
		const transport = typeof body.transport === 'string' ? body.transport : '';
		if (!/^\d{8,15}$/.test(phone)) return fail(400, 'Validation failed', { phone: ['The phone must be 8 to 15 digits'] });
		if (!TRANSPORTS.includes(transport)) return fail(400, 'Validation failed', { transport: ['Unknown transport'] });
		if (body.channel_id !== undefined && Number(body.channel_id) !== channelId) return fail(400, 'Channel not found');
		const existing = clients.find((c) => c.phone === phone);
		if (existing) return ok(existing);
		const client: Chat2DeskClient = { id: nextClientId++, phone, transport, channel_id: channelId, name: null };
		clients.push(client);
		return ok(client);
	};

	const sendMessage = (request: SandboxRequest): SandboxAnswer => {
		const body = bodyOf(request);
		const client = clients.find((c) => c.id === Number(body.client_id));
		if (!client) return fail(400, 'Client not found', { client_id: ['No client with this id'] });
		const transport = typeof body.transport === 'string' ? body.transport : client.transport;
		if (!TRANSPORTS.includes(transport)) return fail(400, 'Validation failed', { transport: ['Unknown transport'] });
		const type = typeof body.type === 'string' ? body.type : 'to_client';
		if (!MESSAGE_TYPES.includes(type)) return fail(400, 'Validation failed', { type: ['Unknown type'] });
		if (body.channel_id !== undefined && Number(body.channel_id) !== channelId) return fail(400, 'Channel not found');
		if (typeof body.text !== 'string' || !body.text) return fail(400, 'Validation failed', { text: ['The text is required'] });
		if (transport.startsWith('wa') || transport === 'whatsapp') {
			if (notOnWhatsApp.has(client.phone)) return fail(400, 'Phone number is not registered in WhatsApp');
		}
		const messageId = nextMessageId++;
		deliveries.push({ messageId: String(messageId), to: client.phone, text: body.text, at: Date.now(), clientId: client.id, transport, channelId, type });
		return ok({
			message_id: messageId,
			channel_id: channelId,
			operator_id: 1,
			transport,
			type,
			client_id: client.id,
			dialog_id: 7000 + client.id,
			request_id: 8000 + client.id,
		});
	};

	const handle = async (request: SandboxRequest): Promise<SandboxAnswer> => {
		if (options.latencyMs) await sleep(options.latencyMs);
		// The bare token: "Bearer <token>" is refused like any other wrong value.
		if (request.headers.authorization !== token) return fail(401, 'Unauthorized: invalid token');
		if (!limit.take()) {
			const seconds = String(Math.max(1, Math.ceil(limit.resetInMs() / 1000)));
			return fail(429, 'Too many requests', undefined, { 'retry-after': seconds });
		}
		apiRequests++;
		const route = `${request.method} ${request.path.replace(/\/+$/, '')}`;
		switch (route) {
			case 'GET /v1/clients':
				return listClients(request);
			case 'POST /v1/clients':
				return createClient(request);
			case 'POST /v1/messages':
				return sendMessage(request);
			case 'GET /v1/companies/api_info':
				return ok({ hints: 0, tariff_limit: limit.limit, requests: apiRequests, company_id: 1, channels: [{ id: channelId }] });
			case 'GET /v1/transports':
				return ok(TRANSPORTS);
			default:
				return fail(404, `No route ${request.method} ${request.path}`);
		}
	};

	const server = await new ChannelServer(handle).start();
	return { url: server.url, token, channelId, deliveries, clients, server, limit, stop: () => server.stop() };
}
