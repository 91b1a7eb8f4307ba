/* eslint-disable @n8n/community-nodes/no-restricted-globals -- test tooling: runs in Node test processes, never inside n8n */
/**
 * A sandbox that behaves like SMSC.ru's HTTP API for what the adapter uses: `/sys/send.php` (GET
 * or POST, parameters in the query or a form body) and `/sys/balance.php` (the credential test).
 * Errors come as HTTP 200 with `{error, error_code}`, as SMSC does with `fmt=3`.
 */

import { createHash } from 'node:crypto';

import { ChannelServer, type SandboxAnswer, type SandboxRequest } from './server';

export interface SmscSandboxOptions {
	/** Divides the time windows (duplicate minute, IP block) so benchmarks run faster. */
	timeScale?: number;
	/** Numbers (digits, '+' optional) SMSC cannot deliver to: error 8. */
	undeliverable?: string[];
	/** Delay before each answer. */
	latencyMs?: number;
	login?: string;
	password?: string;
	/** The API-key form: an empty login and the key as `psw`. */
	apiKey?: string;
	/** Starting balance in roubles (default 1000); 0 or less → error 3. */
	balance?: number;
	/** Price of one SMS part (default 3.5). */
	pricePerPart?: number;
	/** Errors within a minute before the IP is blocked for a minute (error 4); default 30. */
	blockAfterErrors?: number;
	/** Requests in flight (this one included) at which SMSC answers error 9; default 15. */
	maxConcurrent?: number;
}

export interface SmscDelivery {
	messageId: string;
	/** Digits only, as SMSC keeps them. */
	to: string;
	text: string;
	at: number;
	sender?: string;
}

export interface SmscSandbox {
	url: string;
	login: string;
	password: string;
	apiKey: string;
	deliveries: SmscDelivery[];
	server: ChannelServer;
	setBalance(balance: number): void;
	getBalance(): number;
	/** Blocks (error 4) for `ms` (default a scaled minute); 0 unblocks. */
	blockIp(ms?: number): void;
	stop(): Promise<void>;
}

const MINUTE = 60_000;
const MAX_ID = 2_147_483_647;

const ERRORS: Record<number, string> = {
	1: 'parameters error',
	2: 'authorise error',
	3: 'no money',
	4: 'IP is blocked',
	5: 'invalid date format',
	6: 'message is denied',
	7: 'invalid number',
	8: "can't deliver",
	9: 'duplicate request, wait a minute',
};

export async function startSmscSandbox(options: SmscSandboxOptions = {}): Promise<SmscSandbox> {
	const timeScale = options.timeScale ?? 1;
	const login = options.login ?? 'sandbox-login';
	const password = options.password ?? 'sandbox-password-0d9f3a';
	const apiKey = options.apiKey ?? 'sandbox-api-key-7c41e2';
	const undeliverable = new Set((options.undeliverable ?? []).map(digits));
	const pricePerPart = options.pricePerPart ?? 3.5;
	const blockAfterErrors = options.blockAfterErrors ?? 30;
	const maxConcurrent = options.maxConcurrent ?? 15;
	const deliveries: SmscDelivery[] = [];
	/** Duplicate key → when it was accepted. */
	const recent = new Map<string, number>();
	let balance = options.balance ?? 1000;
	let nextId = 1;
	let blockedUntil = 0;
	let errorTimes: number[] = [];
	let inFlight = 0;

	const handler = async (request: SandboxRequest): Promise<SandboxAnswer> => {
		inFlight++;
		try {
			if (options.latencyMs) await sleep(options.latencyMs);
			const params = { ...request.query, ...(isRecord(request.body) ? request.body : {}) };
			const json = params.fmt === '3';
			const fail = (code: number, id?: string): SandboxAnswer => {
				const now = Date.now();
				errorTimes = errorTimes.filter((t) => now - t < MINUTE / timeScale);
				errorTimes.push(now);
				if (code !== 4 && errorTimes.length >= blockAfterErrors) blockedUntil = now + MINUTE / timeScale;
				return answer(json, { error: ERRORS[code], error_code: code, ...(id ? { id: Number(id) } : {}) }, `ERROR = ${code} (${ERRORS[code]})${id ? `, ID - ${id}` : ''}`);
			};

			if (request.path !== '/sys/send.php' && request.path !== '/sys/balance.php') {
				return { status: 404, body: '<html><body>404 Not Found</body></html>', headers: { 'content-type': 'text/html' } };
			}
			if (Date.now() < blockedUntil) return fail(4);
			if (inFlight >= maxConcurrent) return fail(9);
			if (!authorised(params.login, params.psw)) return fail(2);

			if (request.path === '/sys/balance.php') {
				return answer(json, { balance: balance.toFixed(2) }, balance.toFixed(2));
			}

			const id = params.id;
			if (id !== undefined && !(/^\d+$/.test(id) && Number(id) >= 1 && Number(id) <= MAX_ID)) return fail(1);
			if (!params.phones || !params.mes) return fail(1, id);
			const phones = params.phones.split(/[,;]/).map((p) => p.trim()).filter(Boolean);
			if (!phones.length || phones.some((p) => !/^\+?\d{10,15}$/.test(p))) return fail(7, id);
			const numbers = phones.map(digits);
			if (numbers.some((n) => undeliverable.has(n))) return fail(8, id);

			// SMSC refuses the same request again within a minute; with an id, the id and numbers decide.
			const now = Date.now();
			for (const [key, at] of recent) if (now - at >= MINUTE / timeScale) recent.delete(key);
			const duplicateKey = id ? `id:${id}:${numbers.join(',')}` : `mes:${numbers.join(',')}:${params.mes}`;
			if (recent.has(duplicateKey)) return fail(9, id);

			const parts = smsParts(params.mes);
			const cost = parts * numbers.length * pricePerPart;
			if (balance <= 0 || balance < cost) return fail(3, id);

			recent.set(duplicateKey, now);
			balance -= cost;
			const messageId = id ?? String(nextId++);
			for (const to of numbers) {
				deliveries.push({ messageId, to, text: params.mes, at: now, ...(params.sender ? { sender: params.sender } : {}) });
			}
			const cnt = parts * numbers.length;
			return answer(json, { id: Number(messageId), cnt }, `OK - ${cnt} SMS, ID - ${messageId}`);
		} finally {
			inFlight--;
		}
	};

	const authorised = (user: string | undefined, psw: string | undefined): boolean => {
		if (psw === undefined) return false;
		if (!user) return psw === apiKey;
		// SMSC also takes the lower-case MD5 of the password.
		return user === login && (psw === password || psw === createHash('md5').update(password).digest('hex'));
	};

	const server = await new ChannelServer(handler).start();
	return {
		url: server.url,
		login,
		password,
		apiKey,
		deliveries,
		server,
		setBalance: (value) => {
			balance = value;
		},
		getBalance: () => balance,
		blockIp: (ms = MINUTE / timeScale) => {
			blockedUntil = ms > 0 ? Date.now() + ms : 0;
		},
		stop: () => server.stop(),
	};
}

function answer(json: boolean, body: Record<string, unknown>, text: string): SandboxAnswer {
	return json ? { status: 200, body } : { status: 200, body: text };
}

/** GSM text: 160 characters in one part, 153 per part beyond; otherwise (Cyrillic) 70 and 67. */
function smsParts(text: string): number {
	const unicode = [...text].some((c) => (c.codePointAt(0) ?? 0) > 0x7f);
	const length = [...text].length;
	const [single, multi] = unicode ? [70, 67] : [160, 153];
	return length <= single ? 1 : Math.ceil(length / multi);
}

function digits(phone: string): string {
	return phone.replace(/\D/g, '');
}

function isRecord(value: unknown): value is Record<string, string> {
	return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}
