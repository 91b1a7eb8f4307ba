/* eslint-disable @n8n/community-nodes/no-restricted-globals -- test tooling: runs in Node test processes, never inside n8n */
/**
 * A WhatsApp Cloud API (Meta Graph) stand-in: `POST /{version}/{phoneNumberId}/messages` and
 * `GET /{version}/{phoneNumberId}` with Bearer auth, a template registry, the 24-hour window,
 * 80 messages per second, and Graph error bodies `{error:{message, type, code, error_data, fbtrace_id}}`.
 *
 * Sandbox choices: 131026 (not on WhatsApp) and 131047 (window closed) answer synchronously with
 * HTTP 400; the real API often accepts the request and reports them in a status webhook.
 */

import { randomUUID } from 'node:crypto';

import { ChannelServer, FixedWindowLimit, type SandboxAnswer, type SandboxRequest } from './server';

export interface MetaTemplate {
	name: string;
	language: string;
	/** How many body parameters ({{1}}…{{n}}) the template has. */
	bodyParams: number;
	/** Whether button 0 is a URL button with a dynamic suffix. */
	urlButton?: boolean;
	/** Body text with {{1}}… placeholders, for `deliveries[].text`. */
	body?: string;
	/** URL of the button with {{1}} for the suffix. */
	buttonUrl?: string;
}

export interface MetaSandboxOptions {
	/** Divides the 1-s throughput window (default 1). */
	timeScale?: number;
	/** Numbers (digits or E.164) that answer 131026. */
	notOnWhatsApp?: string[];
	/** Numbers that wrote within 24 h: free text reaches only them. */
	openWindows?: string[];
	/** Approved templates (default: 'nps_survey', ru, 2 body parameters and a URL button). */
	templates?: MetaTemplate[];
	/** Delay before each answer. */
	latencyMs?: number;
	/** The valid access token (default: a random one). */
	token?: string;
	/** The sender's phone number id (default '100000000000001'). */
	phoneNumberId?: string;
	/** Messages per window (default 80). */
	limit?: number;
	/** Minimum gap between two messages to the same number (131056); 0 = off (default). */
	pairRateMs?: number;
}

export interface MetaDelivery {
	messageId: string;
	/** `to` as Meta saw it, reduced to digits (the wa_id). */
	to: string;
	/** Free text, or the template body with its variables filled in. */
	text: string;
	template?: { name: string; language: string; variables: string[]; buttonSuffix?: string };
	at: number;
}

export interface MetaSandbox {
	url: string;
	token: string;
	phoneNumberId: string;
	deliveries: MetaDelivery[];
	server: ChannelServer;
	limit: FixedWindowLimit;
	templates: MetaTemplate[];
	/** The customer wrote: free text may reach them for 24 h. */
	openWindow(phone: string): void;
	stop(): Promise<void>;
}

export const DEFAULT_META_TEMPLATES: MetaTemplate[] = [
	{
		name: 'nps_survey',
		language: 'ru',
		bodyParams: 2,
		urlButton: true,
		body: 'Hello, {{1}}! How likely are you to recommend {{2}} to a friend? Tap the button to answer.',
		buttonUrl: 'https://survey.example/s/{{1}}',
	},
];

const digitsOf = (phone: string) => phone.replace(/\D+/g, '');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const field = (value: unknown, key: string): unknown =>
	value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;

export async function startMetaSandbox(options: MetaSandboxOptions = {}): Promise<MetaSandbox> {
	const token = options.token ?? `EAAG${randomUUID().replace(/-/g, '')}`;
	const phoneNumberId = options.phoneNumberId ?? '100000000000001';
	const templates = options.templates ?? DEFAULT_META_TEMPLATES;
	const notOnWhatsApp = new Set((options.notOnWhatsApp ?? []).map(digitsOf));
	const windows = new Map<string, number>((options.openWindows ?? []).map((p) => [digitsOf(p), Date.now()]));
	const limit = new FixedWindowLimit(options.limit ?? 80, 1000, options.timeScale ?? 1);
	const lastTo = new Map<string, number>();
	const deliveries: MetaDelivery[] = [];

	const graphError = (status: number, code: number, message: string, details?: string, subcode?: number): SandboxAnswer => ({
		status,
		...(status === 401 ? { headers: { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_token"' } } : {}),
		body: {
			error: {
				message,
				type: 'OAuthException',
				code,
				...(subcode ? { error_subcode: subcode } : {}),
				...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
				fbtrace_id: randomUUID().replace(/-/g, '').slice(0, 23),
			},
		},
	});
	const invalid = (details: string) => graphError(400, 100, '(#100) Invalid parameter', details);
	const mismatch = (details: string) =>
		graphError(400, 132000, '(#132000) Number of parameters does not match the expected number of params', details);

	/** Checks a template request; the delivery's template part, or the error answer. */
	const checkTemplate = (template: unknown): (NonNullable<MetaDelivery['template']> & { text: string }) | SandboxAnswer => {
		const name = field(template, 'name');
		const language = field(field(template, 'language'), 'code');
		if (typeof name !== 'string' || typeof language !== 'string') return invalid('template.name and template.language.code are required');
		const known = templates.find((t) => t.name === name && t.language === language);
		if (!known) {
			return graphError(404, 132001, '(#132001) Template name does not exist in the translation', `template name (${name}) does not exist in ${language}`);
		}
		const components = field(template, 'components');
		const list = Array.isArray(components) ? components : [];
		const textsOf = (component: unknown): string[] | undefined => {
			const parameters = field(component, 'parameters');
			if (!Array.isArray(parameters)) return undefined;
			return parameters.map((p) => (field(p, 'type') === 'text' && typeof field(p, 'text') === 'string' ? (field(p, 'text') as string) : ''));
		};
		const body = list.find((c) => field(c, 'type') === 'body');
		const variables = body ? (textsOf(body) ?? []) : [];
		if (variables.length !== known.bodyParams) {
			return mismatch(`body: number of localizable_params (${variables.length}) does not match the expected number of params (${known.bodyParams})`);
		}
		const buttons = list.filter((c) => field(c, 'type') === 'button');
		let buttonSuffix: string | undefined;
		if (known.urlButton) {
			const button = buttons.find((c) => field(c, 'sub_type') === 'url' && String(field(c, 'index')) === '0');
			const texts = button ? textsOf(button) : undefined;
			if (!texts || texts.length !== 1) return mismatch('buttons: number of params of the URL button (index 0) does not match the expected number of params (1)');
			buttonSuffix = texts[0];
		} else if (buttons.length) {
			return mismatch('buttons: the template has no button with parameters');
		}
		if ([...variables, ...(buttonSuffix === undefined ? [] : [buttonSuffix])].some((v) => !v)) {
			return graphError(400, 131008, '(#131008) Required parameter is missing', 'a template parameter is empty');
		}
		const text = (known.body ?? '').replace(/\{\{(\d+)\}\}/g, (_, n: string) => variables[Number(n) - 1] ?? '');
		return { name, language, variables, buttonSuffix, text };
	};

	const sendMessage = (request: SandboxRequest): SandboxAnswer => {
		const body = request.body;
		if (field(body, 'messaging_product') !== 'whatsapp') return invalid('messaging_product must be whatsapp');
		const rawTo = field(body, 'to');
		const to = typeof rawTo === 'string' ? digitsOf(rawTo) : '';
		if (!/^\d{8,15}$/.test(to)) return invalid('to: not a valid phone number');
		const type = field(body, 'type') ?? 'text';
		let text: string;
		let template: MetaDelivery['template'];
		if (type === 'text') {
			const content = field(field(body, 'text'), 'body');
			if (typeof content !== 'string' || !content) return invalid('text.body is required');
			if (content.length > 4096) return invalid('text.body is longer than 4096 characters');
			text = content;
		} else if (type === 'template') {
			const checked = checkTemplate(field(body, 'template'));
			if ('status' in checked) return checked;
			({ text, ...template } = checked);
		} else {
			return graphError(400, 131051, '(#131051) Unsupported message type', `the sandbox supports text and template, not ${String(type)}`);
		}
		if (notOnWhatsApp.has(to)) {
			return graphError(400, 131026, '(#131026) Message Undeliverable', 'Message Undeliverable.');
		}
		const now = Date.now();
		const opened = windows.get(to);
		if (type === 'text' && (opened === undefined || now - opened > 24 * 3600_000)) {
			return graphError(
				400,
				131047,
				'(#131047) Re-engagement message',
				'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
			);
		}
		const last = lastTo.get(to);
		if (options.pairRateMs && last !== undefined && now - last < options.pairRateMs) {
			return graphError(400, 131056, '(#131056) (Business Account, Consumer Account) pair rate limit hit', 'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.');
		}
		lastTo.set(to, now);
		const messageId = `wamid.${Buffer.from(`sandbox:${randomUUID()}`).toString('base64')}`;
		deliveries.push({ messageId, to, text, ...(template ? { template } : {}), at: now });
		return {
			status: 200,
			body: {
				messaging_product: 'whatsapp',
				contacts: [{ input: rawTo, wa_id: to }],
				messages: [{ id: messageId, ...(template ? { message_status: 'accepted' } : {}) }],
			},
		};
	};

	const handle = async (request: SandboxRequest): Promise<SandboxAnswer> => {
		if (options.latencyMs) await sleep(options.latencyMs);
		const auth = request.headers.authorization;
		if (!auth) {
			return graphError(400, 2500, 'An active access token must be used to query information about the current user.');
		}
		if (auth !== `Bearer ${token}`) return graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token');
		const match = /^\/(v\d+\.\d+)\/([^/]+)(\/messages)?\/?$/.exec(request.path);
		if (!match) return graphError(400, 2500, `Unknown path components: ${request.path}`);
		if (match[2] !== phoneNumberId) {
			return graphError(
				400,
				100,
				`Unsupported ${request.method.toLowerCase()} request. Object with ID '${match[2]}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
				undefined,
				33,
			);
		}
		if (!match[3]) {
			if (request.method !== 'GET') return invalid('only GET is supported on a phone number');
			return {
				status: 200,
				body: {
					verified_name: 'NPS Sandbox',
					code_verification_status: 'VERIFIED',
					display_phone_number: '+7 900 000-00-00',
					quality_rating: 'GREEN',
					platform_type: 'CLOUD_API',
					throughput: { level: 'STANDARD' },
					id: phoneNumberId,
				},
			};
		}
		if (request.method !== 'POST') return invalid('use POST to send messages');
		// Throughput counts messages, so only the send route takes from the window.
		if (!limit.take()) {
			return graphError(429, 130429, '(#130429) Rate limit hit', 'Cloud API message throughput has been reached.');
		}
		return sendMessage(request);
	};

	const server = await new ChannelServer(handle).start();
	return {
		url: server.url,
		token,
		phoneNumberId,
		deliveries,
		server,
		limit,
		templates,
		openWindow: (phone) => {
			windows.set(digitsOf(phone), Date.now());
		},
		stop: () => server.stop(),
	};
}
