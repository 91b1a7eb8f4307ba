/* eslint-disable @n8n/community-nodes/no-restricted-globals -- test tooling: runs in Node test processes, never inside n8n */
/**
 * A sandbox that behaves like Twilio's Messages API for what the adapter uses: HTTP Basic
 * `AccountSid:AuthToken`, `POST /2010-04-01/Accounts/{sid}/Messages.json` with a form body (201 and
 * a message resource, or `{code, message, more_info, status}`), and `GET /2010-04-01/Accounts/{sid}.json`
 * (the credential test).
 */

import { randomBytes } from 'node:crypto';

import { ChannelServer, FixedWindowLimit, type SandboxAnswer, type SandboxRequest } from './server';

export interface TwilioSandboxOptions {
	/** Divides the rate-limit window. */
	timeScale?: number;
	/** 'To' numbers (E.164, '+' optional) answered 21211 (not a valid phone number). */
	undeliverable?: string[];
	/** Numbers that replied STOP: 21610. */
	optedOut?: string[];
	/** Landlines and other numbers that cannot get SMS: 21614. */
	notMobile?: string[];
	/** 'To' prefixes (e.g. '+86') outside the account's geo permissions: 21408. */
	disabledRegions?: string[];
	/** Delay before each answer. */
	latencyMs?: number;
	accountSid?: string;
	authToken?: string;
	/** API requests per second before 429 / 20429 (default 100). */
	requestsPerSecond?: number;
}

export interface TwilioDelivery {
	messageId: string;
	to: string;
	text: string;
	at: number;
	from?: string;
	messagingServiceSid?: string;
	statusCallback?: string;
}

export interface TwilioSandbox {
	url: string;
	accountSid: string;
	authToken: string;
	deliveries: TwilioDelivery[];
	server: ChannelServer;
	stop(): Promise<void>;
}

const API = '/2010-04-01';

export async function startTwilioSandbox(options: TwilioSandboxOptions = {}): Promise<TwilioSandbox> {
	const accountSid = options.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
	const authToken = options.authToken ?? randomBytes(16).toString('hex');
	const normalize = (phone: string) => `+${phone.replace(/\D/g, '')}`;
	const undeliverable = new Set((options.undeliverable ?? []).map(normalize));
	const optedOut = new Set((options.optedOut ?? []).map(normalize));
	const notMobile = new Set((options.notMobile ?? []).map(normalize));
	const disabledRegions = (options.disabledRegions ?? []).map(normalize);
	const limit = new FixedWindowLimit(options.requestsPerSecond ?? 100, 1000, options.timeScale ?? 1);
	const deliveries: TwilioDelivery[] = [];

	const handler = async (request: SandboxRequest): Promise<SandboxAnswer> => {
		if (options.latencyMs) await sleep(options.latencyMs);
		if (!authorised(request.headers.authorization)) {
			return error(401, 20003, 'Authenticate');
		}
		if (!limit.take()) return error(429, 20429, 'Too Many Requests');

		const account = new RegExp(`^${API}/Accounts/([^/]+)\\.json$`).exec(request.path);
		if (account && request.method === 'GET') {
			if (account[1] !== accountSid) return notFound(request.path);
			return { status: 200, body: accountResource() };
		}
		const messages = new RegExp(`^${API}/Accounts/([^/]+)/Messages\\.json$`).exec(request.path);
		if (!messages || request.method !== 'POST') return notFound(request.path);
		if (messages[1] !== accountSid) return notFound(request.path);

		const form = isRecord(request.body) ? request.body : {};
		const to = form.To ?? '';
		const from = form.From;
		const service = form.MessagingServiceSid;
		if (!to) return error(400, 21604, "A 'To' phone number is required.");
		if (!from && !service) return error(400, 21603, "A 'From' phone number is required.");
		if (service && !/^MG[0-9a-fA-F]{32}$/.test(service)) return error(400, 21701, 'The Messaging Service Sid is invalid.');
		if (!form.Body) return error(400, 21602, 'Message body is required.');
		if (form.Body.length > 1600) return error(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
		if (!/^\+[1-9]\d{7,14}$/.test(to) || undeliverable.has(to)) {
			return error(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
		}
		if (disabledRegions.some((prefix) => to.startsWith(prefix))) {
			return error(400, 21408, `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`);
		}
		if (notMobile.has(to)) return error(400, 21614, `'To' number ${to} is not a valid mobile number`);
		if (optedOut.has(to)) return error(400, 21610, 'Attempt to send to unsubscribed recipient');

		const sid = `SM${randomBytes(16).toString('hex')}`;
		const at = Date.now();
		deliveries.push({
			messageId: sid,
			to,
			text: form.Body,
			at,
			...(from ? { from } : {}),
			...(service ? { messagingServiceSid: service } : {}),
			...(form.StatusCallback ? { statusCallback: form.StatusCallback } : {}),
		});
		const date = new Date(at).toUTCString().replace('GMT', '+0000');
		return {
			status: 201,
			body: {
				account_sid: accountSid,
				api_version: '2010-04-01',
				body: form.Body,
				date_created: date,
				date_sent: null,
				date_updated: date,
				direction: 'outbound-api',
				error_code: null,
				error_message: null,
				from: from ?? null,
				messaging_service_sid: service ?? null,
				num_media: '0',
				num_segments: String(segments(form.Body)),
				price: null,
				price_unit: 'USD',
				sid,
				// With a Messaging Service the first status is 'accepted'.
				status: service ? 'accepted' : 'queued',
				to,
				uri: `${API}/Accounts/${accountSid}/Messages/${sid}.json`,
			},
		};
	};

	const authorised = (header: string | undefined): boolean => {
		if (!header?.startsWith('Basic ')) return false;
		const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
		return decoded === `${accountSid}:${authToken}`;
	};

	const accountResource = () => ({
		sid: accountSid,
		friendly_name: 'NPS sandbox account',
		status: 'active',
		type: 'Full',
		uri: `${API}/Accounts/${accountSid}.json`,
	});

	const server = await new ChannelServer(handler).start();
	return { url: server.url, accountSid, authToken, deliveries, server, stop: () => server.stop() };
}

function error(status: number, code: number, message: string): SandboxAnswer {
	return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

function notFound(path: string): SandboxAnswer {
	return error(404, 20404, `The requested resource ${path} was not found`);
}

function segments(text: string): number {
	const unicode = [...text].some((c) => (c.codePointAt(0) ?? 0) > 0x7f);
	const length = [...text].length;
	const [single, multi] = unicode ? [70, 67] : [160, 153];
	return length <= single ? 1 : Math.ceil(length / multi);
}

function isRecord(value: unknown): value is Record<string, string> {
	return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}
