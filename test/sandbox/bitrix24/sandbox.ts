/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals -- test tooling: runs in Node test processes, never inside n8n */
/**
 * A Bitrix24 portal on 127.0.0.1 for tests, benchmarks and the demo.
 *
 * It answers REST calls the way a cloud portal does: inbound-webhook URLs
 * (`/rest/<user>/<code>/<method>`, https only) and OAuth calls (`/rest/<method>` with a Bearer
 * header or an `auth`/`access_token` parameter); Bitrix24's JSON envelope, `time` object and
 * error shapes; the request-rate bucket (503) and the per-method operating limit (429), both
 * time-scalable; `batch`; an OAuth server (`/oauth/authorize/`, `/oauth/token/`) that rotates
 * refresh tokens; outgoing events and the Webhook robot; fault injection; and a request log.
 */

import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

import { runBatch } from './batch';
import { EventHub } from './events';
import { OperatingLedger, PortalBucket, type SandboxOperatingLimit, type SandboxRateLimit } from './limits';
import { findMethod, type AuthInfo, type MethodContext, type MethodResult } from './methods';
import { phpJsonEncode } from './phpJson';
import { Portal, type ChangeSource, type Fields } from './portal';
import { phpInt } from './query';
import { RestError } from './restError';
import { mulberry32, seedPortal, type SeedOptions, type SeedSummary } from './seed';
import { localCertificate } from '../tls';
import { parsePhpQuery } from '../../../nodes/shared/bitrix24/phpQuery';

export type FaultKind = 'queryLimit' | 'operatingLimit' | 'serverError' | 'badGateway' | 'timeout' | 'reset';

export interface FaultRule {
	kind: FaultKind;
	/** `before`: the request is refused unprocessed. `after`: it is applied, then the answer fails. */
	when?: 'before' | 'after';
	/** REST method the rule applies to (for `batch`, the outer call); any method when absent. */
	method?: string;
	/** How many times the rule fires (default once). */
	times?: number;
	/** `after` rules only: fire for a batch only when one of its commands calls this method. */
	command?: string;
}

export interface RandomFaults {
	/** Share of REST requests (0..1) refused with one of `kinds`, before they run. */
	rate: number;
	kinds: Array<Exclude<FaultKind, 'timeout' | 'reset'>>;
	seed?: number;
}

export interface Bitrix24SandboxOptions {
	/** Seed data; `false` for an empty portal (users and pipelines are always created). */
	seed?: SeedOptions | false;
	/**
	 * Runs the portal's clock-driven limits k times faster: the bucket drains 2k/s (burst stays
	 * 50), and the operating window and limit shrink k times (600/k s, 480/k s).
	 */
	timeScale?: number;
	rateLimit?: Partial<SandboxRateLimit>;
	operatingLimit?: Partial<SandboxOperatingLimit>;
	/**
	 * Execution time a command costs on a real portal, in seconds: feeds the operating limit and,
	 * with `simulateProcessing`, the time the sandbox takes. `scanned` counts the records a
	 * counted list page (`start` ≥ 0) looked at. Default: 0.02 + 0.002/record + 0.00001/scanned.
	 */
	operatingCost?: (method: string, records: number, scanned: number) => number;
	/** Spend each command's cost (time-scaled) before answering, like a real portal. */
	simulateProcessing?: boolean;
	/** Process one request at a time (a single worker), in arrival order. */
	serial?: boolean;
	/** Real delay added to every REST answer, fixed or [min, max] ms. */
	latencyMs?: number | [number, number];
	/** Real delay per executed command (a batch runs its commands one after another). */
	commandLatencyMs?: number;
	faults?: RandomFaults;
	/** Refuse webhook calls over plain http, as Bitrix24 does (default true). */
	httpsOnlyWebhooks?: boolean;
	accessTokenTtlSeconds?: number;
	/** How long a held ("timeout") request stays open before the socket is closed. */
	hangMs?: number;
	deliveryDelayMs?: number;
	deliveryConcurrency?: number;
	/** Also listen on plain http (for on-premise-style OAuth and the "Https required" check). */
	plainHttp?: boolean;
	now?: () => number;
}

export interface RequestLogEntry {
	seq: number;
	at: number;
	transport: 'webhook' | 'oauth' | 'none';
	method: string;
	status: number;
	error?: string;
	fault?: FaultKind;
	/** For batch: the methods of its commands, in order. */
	commands?: string[];
	durationMs: number;
	/** When the request got the portal's worker and when it let go (ms, process clock); serial mode. */
	workFrom?: number;
	workTo?: number;
}

interface Answer {
	status: number;
	payload: unknown;
	error?: string;
	/** A fault to play instead of the answer (applied, then failed). */
	fault?: FaultKind;
}

interface Webhook {
	id: number;
	userId: number;
	code: string;
	scopes: Set<string>;
}

interface App {
	clientId: string;
	clientSecret: string;
	scopes: Set<string>;
	applicationToken: string;
	redirectUri?: string;
}

interface Token {
	clientId: string;
	userId: number;
	expiresAt: number;
	scope: string;
}

const ALL_SCOPES = ['crm', 'task', 'im', 'user', 'department', 'basic', 'entity', 'bizproc', 'placement'];

function pickLatency(latency: number | [number, number] | undefined): number {
	if (latency === undefined) return 0;
	if (typeof latency === 'number') return latency;
	return latency[0] + Math.random() * (latency[1] - latency[0]);
}

function sleep(ms: number): Promise<void> {
	return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}


export class Bitrix24Sandbox {
	readonly portal: Portal;
	readonly events: EventHub;
	readonly bucket: PortalBucket;
	readonly ledger: OperatingLedger;
	readonly log: RequestLogEntry[] = [];
	/** Calls to the OAuth token endpoint: which grant, and whether it was honoured. */
	readonly tokenLog: Array<{ at: number; grantType: string; ok: boolean; error?: string }> = [];
	readonly seeded: SeedSummary;
	/** The user "logged in" to the portal's UI (authorizes OAuth apps, moves deals by hand). */
	uiUserId = 1;
	faultRules: FaultRule[] = [];
	randomFaults?: RandomFaults;
	/** False: the portal is on a plan without REST (every call answers ACCESS_DENIED). */
	restAvailable = true;

	private readonly options: Required<Pick<Bitrix24SandboxOptions, 'httpsOnlyWebhooks' | 'accessTokenTtlSeconds' | 'hangMs' | 'timeScale'>> & Bitrix24SandboxOptions;
	private readonly webhooks: Webhook[] = [];
	private readonly apps = new Map<string, App>();
	private readonly accessTokens = new Map<string, Token>();
	private readonly refreshTokens = new Map<string, Token>();
	private readonly codes = new Map<string, Token>();
	private httpsServer?: https.Server;
	private httpServer?: http.Server;
	private readonly sockets = new Set<Socket>();
	private seq = 0;
	private random: () => number;
	private readonly now: () => number;

	constructor(options: Bitrix24SandboxOptions = {}) {
		this.options = { httpsOnlyWebhooks: true, accessTokenTtlSeconds: 3600, hangMs: 120_000, timeScale: 1, ...options };
		this.now = options.now ?? Date.now;
		const k = this.options.timeScale;
		this.portal = new Portal({ now: this.now });
		this.bucket = new PortalBucket({ drainPerSecond: 2 * k, burst: 50, ...options.rateLimit }, this.now);
		this.ledger = new OperatingLedger({ limitSeconds: 480 / k, windowSeconds: 600 / k, ...options.operatingLimit }, this.now);
		this.randomFaults = options.faults;
		this.random = mulberry32(options.faults?.seed ?? 1);
		this.events = new EventHub({
			portal: this.portal,
			deliveryDelayMs: options.deliveryDelayMs ?? 5,
			concurrency: options.deliveryConcurrency ?? 8,
			timeoutMs: 10_000,
			restBase: () => `${this.url}/rest/`,
			issueAppToken: (clientId, userId) => {
				const token = this.issueTokens(clientId, userId);
				return { accessToken: token.access_token, expires: token.expires, scope: token.scope };
			},
		});
		this.seeded = seedPortal(this.portal, options.seed === false ? { deals: 0, contacts: 0 } : options.seed ?? {});
	}

	// --- lifecycle ------------------------------------------------------------------------------

	private port = 0;
	private plainPort = 0;

	get url(): string {
		return `https://127.0.0.1:${this.port}`;
	}

	get httpUrl(): string {
		return `http://127.0.0.1:${this.plainPort}`;
	}

	async start(): Promise<this> {
		const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
			this.handle(req, res).catch((error: unknown) => {
				if (!res.headersSent) this.sendJson(res, 500, { error: 'INTERNAL_SERVER_ERROR', error_description: String((error as Error)?.message ?? error) });
			});
		};
		const track = (socket: Socket) => {
			this.sockets.add(socket);
			socket.on('close', () => this.sockets.delete(socket));
		};
		// A high-water mark above any answer: otherwise Node pauses a kept-alive socket while a
		// large answer drains, and the client's next request on it fails to parse (HPE_PAUSED).
		const serverOptions = { keepAlive: true, highWaterMark: 64 * 1024 * 1024 };
		this.httpsServer = https.createServer({ ...localCertificate(), ...serverOptions } as https.ServerOptions, handler);
		this.httpsServer.on('connection', track);
		this.httpsServer.on('secureConnection', (socket: Socket) => {
			track(socket);
			// The server's highWaterMark option does not reach TLS sockets; without this, a large
			// answer leaves `needDrain` set and the next request's body trips HPE_PAUSED.
			const state = (socket as unknown as { _writableState?: { highWaterMark: number } })._writableState;
			if (state) state.highWaterMark = serverOptions.highWaterMark;
		});
		await new Promise<void>((resolve) => this.httpsServer?.listen(0, '127.0.0.1', resolve));
		this.port = (this.httpsServer.address() as AddressInfo).port;
		if (this.options.plainHttp !== false) {
			this.httpServer = http.createServer(serverOptions, handler);
			this.httpServer.on('connection', track);
			await new Promise<void>((resolve) => this.httpServer?.listen(0, '127.0.0.1', resolve));
			this.plainPort = (this.httpServer.address() as AddressInfo).port;
		}
		return this;
	}

	async stop(): Promise<void> {
		this.events.close();
		for (const socket of this.sockets) socket.destroy();
		await Promise.all(
			[this.httpsServer, this.httpServer].map(
				(server) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
			),
		);
	}

	// --- credentials ----------------------------------------------------------------------------

	/** An inbound webhook for a user, like Developer resources → Incoming webhook. */
	createWebhook(options: { userId?: number; scopes?: string[]; code?: string } = {}): { url: string; code: string; userId: number } {
		const userId = options.userId ?? 1;
		const code = options.code ?? randomBytes(8).toString('hex');
		this.webhooks.push({ id: this.webhooks.length + 1, userId, code, scopes: new Set([...(options.scopes ?? ALL_SCOPES), 'basic']) });
		return { url: `${this.url}/rest/${userId}/${code}/`, code, userId };
	}

	/** A local app ("Uses API only"); its application token signs the events it receives. */
	createApp(options: { scopes?: string[]; redirectUri?: string } = {}): App {
		const app: App = {
			clientId: `local.${randomBytes(6).toString('hex')}.${Math.floor(this.random() * 1e8)}`,
			clientSecret: randomBytes(24).toString('base64url'),
			scopes: new Set([...(options.scopes ?? ALL_SCOPES), 'basic']),
			applicationToken: randomBytes(16).toString('hex'),
			redirectUri: options.redirectUri,
		};
		this.apps.set(app.clientId, app);
		this.events.appTokens.set(app.clientId, app.applicationToken);
		return app;
	}

	/** Tokens as the OAuth server hands them out (also what the install callback carries). */
	issueTokens(clientId: string, userId = this.uiUserId): Fields & { access_token: string; refresh_token: string; expires: number; scope: string } {
		const app = this.apps.get(clientId);
		if (!app) throw new Error(`unknown app ${clientId}`);
		const ttl = this.options.accessTokenTtlSeconds;
		const scope = [...app.scopes].join(',');
		const access = randomBytes(16).toString('hex');
		const refresh = randomBytes(16).toString('hex');
		const expiresAt = this.now() + ttl * 1000;
		this.accessTokens.set(access, { clientId, userId, expiresAt, scope });
		this.refreshTokens.set(refresh, { clientId, userId, expiresAt: this.now() + 180 * 86400_000, scope });
		return {
			access_token: access,
			expires: Math.floor(expiresAt / 1000),
			expires_in: ttl,
			scope,
			domain: 'oauth.bitrix.info',
			server_endpoint: `${this.url}/oauth/rest/`,
			status: 'L',
			client_endpoint: `${this.url}/rest/`,
			member_id: this.portal.memberId,
			user_id: userId,
			refresh_token: refresh,
		};
	}

	/** Makes every access token expired now (the next call answers 401 expired_token). */
	expireAccessTokens(): void {
		for (const token of this.accessTokens.values()) token.expiresAt = this.now() - 1;
	}

	// --- events, robots, UI actions -------------------------------------------------------------

	/** Developer resources → Outgoing webhook: the handler URL, events, and its application token. */
	addOutgoingWebhook(url: string, events: string[] = ['ONCRMDEALUPDATE'], applicationToken?: string) {
		return this.events.addOutgoingWebhook(url, events, applicationToken);
	}

	/** The built-in "Webhook" automation rule on a stage. */
	addWebhookRobot(stageId: string, url: string) {
		return this.events.addRobot(stageId, url);
	}

	/** A manager drags a deal to a stage in the kanban (fires events and robots). */
	moveDealInUi(dealId: number, stageId: string, userId = this.uiUserId): void {
		this.portal.updateDeal(dealId, { STAGE_ID: stageId }, { userId, via: 'ui' });
	}

	/**
	 * Makes a deal's stage moves look `ms` older: its stage-history entries and its MOVED_TIME (tests of
	 * pollers with a settle time). `historyLagMs` moves the history that much further back, as
	 * Bitrix24's history moment may differ from MOVED_TIME by a second.
	 */
	backdateStageEntries(dealId: number, ms: number, historyLagMs = 0): void {
		for (const entry of this.portal.stageHistory.filter((h) => h.OWNER_ID === dealId)) entry.CREATED_TIME = this.portal.date(Date.parse(entry.CREATED_TIME) - ms - historyLagMs);
		const deal = this.portal.getDeal(dealId);
		deal.MOVED_TIME = this.portal.date(Date.parse(String(deal.MOVED_TIME)) - ms);
	}

	/** Waits until every queued event and robot call has been delivered (or failed). */
	async eventsDelivered(): Promise<void> {
		await this.events.idle();
	}

	// --- faults, statistics ---------------------------------------------------------------------

	addFault(rule: FaultRule): void {
		this.faultRules.push({ when: 'before', times: 1, ...rule });
	}

	clearFaults(): void {
		this.faultRules = [];
		this.randomFaults = undefined;
	}

	resetLimits(): void {
		this.bucket.reset();
		this.ledger.reset();
	}

	/** Requests per REST method, counting batch commands under their own methods. */
	methodCounts(): Record<string, number> {
		const counts: Record<string, number> = {};
		for (const entry of this.log) {
			for (const method of entry.commands ?? [entry.method]) counts[method] = (counts[method] ?? 0) + 1;
		}
		return counts;
	}

	private takeFault(method: string, when: 'before' | 'after', commands: string[] = []): FaultKind | undefined {
		const index = this.faultRules.findIndex(
			(rule) =>
				(rule.when ?? 'before') === when &&
				(!rule.method || rule.method === method) &&
				(!rule.command || (when === 'after' && commands.includes(rule.command.toLowerCase()))) &&
				(rule.times ?? 1) > 0,
		);
		if (index >= 0) {
			const rule = this.faultRules[index];
			rule.times = (rule.times ?? 1) - 1;
			if (rule.times <= 0) this.faultRules.splice(index, 1);
			return rule.kind;
		}
		if (when === 'before' && this.randomFaults && this.random() < this.randomFaults.rate) {
			const kinds = this.randomFaults.kinds;
			return kinds[Math.floor(this.random() * kinds.length)];
		}
		return undefined;
	}

	// --- HTTP -----------------------------------------------------------------------------------

	private sendJson(res: http.ServerResponse, status: number, body: unknown): void {
		const text = phpJsonEncode(body);
		res.writeHead(status, {
			'Content-Type': 'application/json; charset=utf-8',
			'Access-Control-Allow-Origin': '*',
			'Access-Control-Allow-Headers': 'origin, content-type, accept',
			'X-Content-Type-Options': 'nosniff',
			'Content-Length': Buffer.byteLength(text),
		});
		res.end(text);
	}

	private readBody(req: http.IncomingMessage): Promise<Buffer> {
		// Plain events, not `for await`: the async iterator destroys the request when it is done,
		// which breaks the next request on a kept-alive socket (HPE_PAUSED).
		return new Promise((resolve, reject) => {
			const chunks: Buffer[] = [];
			req.on('data', (chunk: Buffer) => chunks.push(chunk));
			req.on('end', () => resolve(Buffer.concat(chunks)));
			req.on('error', reject);
		});
	}

	private parseParams(url: URL, req: http.IncomingMessage, body: Buffer): Fields {
		const query = parsePhpQuery(url.search) as Fields;
		let fromBody: Fields = {};
		if (body.length) {
			const type = String(req.headers['content-type'] ?? '');
			if (type.includes('application/json')) {
				try {
					const parsed = JSON.parse(body.toString('utf8'));
					fromBody = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
				} catch {
					fromBody = {};
				}
			} else {
				fromBody = parsePhpQuery(body.toString('utf8')) as Fields;
			}
		}
		return { ...query, ...fromBody };
	}

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
		const url = new URL(req.url ?? '/', `${secure ? 'https' : 'http'}://127.0.0.1`);
		const body = await this.readBody(req);
		if (url.pathname.startsWith('/oauth/')) return this.handleOAuth(url, req, res, body);
		if (url.pathname.startsWith('/rest/')) return this.handleRest(url, req, res, body, secure);
		res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8' });
		res.end('<html><body><h1>404 Not Found</h1></body></html>');
	}

	private time(startedMs: number, method: string, clientKey?: string): Fields {
		const finished = this.now();
		const time: Fields = {
			start: Math.floor(startedMs / 1000),
			finish: finished / 1000,
			duration: (finished - startedMs) / 1000,
			processing: 0,
			date_start: this.portal.date(startedMs),
			date_finish: this.portal.date(finished),
		};
		if (clientKey) {
			const stat = this.ledger.stat(clientKey, method);
			if (stat.resetAt !== undefined) time.operating_reset_at = stat.resetAt;
			time.operating = Math.round(stat.operating * 1e6) / 1e6;
		}
		return time;
	}

	private authenticate(url: URL, req: http.IncomingMessage, params: Fields, secure: boolean): { auth: AuthInfo; method: string } {
		const segments = url.pathname.slice('/rest/'.length).split('/').filter(Boolean);
		const strip = (name: string) => decodeURIComponent(name).replace(/\.(json|xml)$/i, '').toLowerCase();
		if (segments.length === 3) {
			const [user, code, methodName] = segments;
			const method = strip(methodName);
			this.requireMethod(method);
			if (!secure && this.options.httpsOnlyWebhooks) throw new RestError('INVALID_REQUEST', 'Https required.', 401);
			const hook = this.webhooks.find((w) => String(w.userId) === user && w.code === code);
			if (!hook) throw new RestError('INVALID_CREDENTIALS', 'Invalid request credentials', 401);
			return { method, auth: { type: 'webhook', userId: hook.userId, scopes: hook.scopes, clientKey: `webhook:${hook.id}` } };
		}
		if (segments.length !== 1) throw new RestError('ERROR_METHOD_NOT_FOUND', 'Method not found!', 404);
		const method = strip(segments[0]);
		this.requireMethod(method);
		const header = String(req.headers.authorization ?? '');
		const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1];
		const fromParams = [params.auth, params.access_token].find((v) => typeof v === 'string') as string | undefined;
		delete params.auth;
		delete params.access_token;
		const token = bearer ?? fromParams;
		if (!token) throw new RestError('NO_AUTH_FOUND', 'Wrong authorization data', 401);
		const info = this.accessTokens.get(token);
		if (!info) throw new RestError('invalid_token', 'The access token provided is invalid.', 401);
		if (info.expiresAt <= this.now()) throw new RestError('expired_token', 'The access token provided has expired', 401);
		const app = this.apps.get(info.clientId);
		return { method, auth: { type: 'oauth', userId: info.userId, scopes: app?.scopes ?? new Set(['basic']), clientKey: `app:${info.clientId}`, clientId: info.clientId, accessToken: token } };
	}

	private requireMethod(method: string): void {
		if (method !== 'batch' && !findMethod(method)) throw new RestError('ERROR_METHOD_NOT_FOUND', 'Method not found!', 404);
	}

	/** A command's cost in this sandbox's (time-scaled) seconds. */
	private operatingCost(method: string, records: number, scanned: number): number {
		const cost = this.options.operatingCost ? this.options.operatingCost(method, records, scanned) : 0.02 + 0.002 * records + 0.00001 * scanned;
		return cost / this.options.timeScale;
	}

	private workerQueue: Promise<void> = Promise.resolve();

	/** In serial mode, waits for the single worker; returns the function that frees it. */
	private async takeWorker(): Promise<() => void> {
		if (!this.options.serial) return () => undefined;
		let free: () => void = () => undefined;
		const previous = this.workerQueue;
		this.workerQueue = new Promise<void>((resolve) => (free = resolve));
		await previous;
		return free;
	}

	/**
	 * Runs one method (top-level or inside batch); errors come back as values. The time the
	 * portal would spend is added to `spent` (ms), to be spent once per request: one timer per
	 * command would add the timers' own slack hundreds of times.
	 */
	private async execute(method: string, params: Fields, auth: AuthInfo, inBatch: boolean, spent: { ms: number }): Promise<{ ok: true; out: MethodResult; time: Fields } | { ok: false; error: RestError }> {
		const started = this.now();
		const definition = findMethod(method);
		if (!definition) return { ok: false, error: new RestError('ERROR_METHOD_NOT_FOUND', 'Method not found!', 404) };
		if (inBatch && definition.notInBatch) return { ok: false, error: new RestError('ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage', 405) };
		if (definition.scope !== 'basic' && !auth.scopes.has(definition.scope)) {
			const holder = auth.type === 'webhook' ? 'webhook token' : 'access token';
			return { ok: false, error: new RestError('insufficient_scope', inBatch ? '' : `The request requires higher privileges than provided by the ${holder}`, 401) };
		}
		if (method.startsWith('crm.') && this.portal.users.get(auth.userId)?.CRM_ACCESS === false) {
			// Legacy CRM methods say it with an empty code; D7 ones (crm.item.*, crm.category.*) with ACCESS_DENIED.
			const d7 = /^crm\.(item|category|stagehistory)\./.test(method);
			return { ok: false, error: new RestError(d7 ? 'ACCESS_DENIED' : '', 'Access denied.', 400) };
		}
		if (this.ledger.isBlocked(auth.clientKey, method)) {
			return { ok: false, error: new RestError('OPERATION_TIME_LIMIT', 'Method is blocked due to operation time limit.', 429) };
		}
		const startRaw = params.start ?? params.START;
		const startGiven = startRaw !== undefined;
		delete params.start;
		delete params.START;
		const source: ChangeSource = { userId: auth.userId, via: auth.type === 'webhook' ? 'webhook' : 'app', clientId: auth.clientId };
		const ctx: MethodContext = { portal: this.portal, auth, start: startGiven ? phpInt(startRaw) : 0, startGiven, source, events: this.events, baseUrl: this.url };
		await sleep(this.options.commandLatencyMs ?? 0);
		try {
			const out = definition.handler(params, ctx);
			const cost = this.operatingCost(method, out.records ?? 1, out.scanned ?? 0);
			if (this.options.simulateProcessing) spent.ms += cost * 1000;
			this.ledger.record(auth.clientKey, method, cost);
			return { ok: true, out, time: this.time(started, method, auth.clientKey) };
		} catch (error) {
			if (error instanceof RestError) return { ok: false, error };
			return { ok: false, error: new RestError('ERROR_CORE', String((error as Error)?.message ?? error), 400) };
		}
	}

	private async handleRest(url: URL, req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, secure: boolean): Promise<void> {
		const started = this.now();
		const entry: RequestLogEntry = { seq: ++this.seq, at: started, transport: 'none', method: '', status: 0, durationMs: 0 };
		const finish = (status: number, payload: unknown, error?: string) => {
			entry.status = status;
			entry.error = error;
			entry.durationMs = this.now() - started;
			this.log.push(entry);
			this.sendJson(res, status, payload);
		};
		const params = this.parseParams(url, req, body);
		let auth: AuthInfo;
		try {
			const found = this.authenticate(url, req, params, secure);
			auth = found.auth;
			entry.method = found.method;
			entry.transport = auth.type;
		} catch (error) {
			const e = error as RestError;
			entry.method = url.pathname.split('/').pop()?.replace(/\.(json|xml)$/i, '') ?? '';
			return finish(e.status, { error: e.code, error_description: e.description }, e.code);
		}
		const method = entry.method;
		if (!this.restAvailable) {
			return finish(403, { error: 'ACCESS_DENIED', error_description: 'REST is available only on commercial plans.' }, 'ACCESS_DENIED');
		}

		if (!this.bucket.take()) {
			return finish(503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }, 'QUERY_LIMIT_EXCEEDED');
		}
		await sleep(pickLatency(this.options.latencyMs));
		const before = this.takeFault(method, 'before');
		if (before) return this.answerFault(before, res, entry, finish);
		// The single worker (serial mode) is freed before the answer is encoded: encoding is the
		// sandbox's own overhead, already inside the cost model of the commands.
		const freeWorker = await this.takeWorker();
		const working = performance.now();
		let answer: Answer;
		try {
			answer = await this.process(method, params, auth, entry, started, working);
		} finally {
			freeWorker();
			entry.workFrom = working;
			entry.workTo = performance.now();
		}
		// Let the next queued request take the worker before this answer is encoded.
		if (this.options.serial) await new Promise((resolve) => setImmediate(resolve));
		if (answer.fault) return this.answerFault(answer.fault, res, entry, finish);
		finish(answer.status, answer.payload, answer.error);
	}

	private async process(method: string, params: Fields, auth: AuthInfo, entry: RequestLogEntry, started: number, working: number): Promise<Answer> {
		const spent = { ms: 0 };
		const answer = await this.processCommands(method, params, auth, entry, started, spent);
		// The modelled cost is what the portal takes in all, from the moment the request got the
		// worker: the sandbox's own work (and its thread being busy elsewhere) counts toward it.
		await sleep(spent.ms - (performance.now() - working));
		return answer;
	}

	private async processCommands(method: string, params: Fields, auth: AuthInfo, entry: RequestLogEntry, started: number, spent: { ms: number }): Promise<Answer> {

		let payload: Fields;
		if (method === 'batch') {
			const commands: string[] = [];
			const result = await runBatch(params, async (subMethod, subParams) => {
				const name = subMethod.toLowerCase();
				commands.push(name);
				if (name === 'batch') return { ok: false, error: { error: 'ERROR_BATCH_METHOD_NOT_ALLOWED', error_description: 'Method is not allowed for batch usage' } };
				const outcome = await this.execute(name, subParams, auth, true, spent);
				if (!outcome.ok) return { ok: false, error: { error: outcome.error.code, error_description: outcome.error.description } };
				return { ok: true, result: outcome.out.result, total: outcome.out.total, next: outcome.out.next, time: outcome.time };
			});
			entry.commands = commands;
			payload = { result, time: this.time(started, 'batch') };
		} else {
			const outcome = await this.execute(method, params, auth, false, spent);
			if (!outcome.ok) return { status: outcome.error.status, payload: { error: outcome.error.code, error_description: outcome.error.description }, error: outcome.error.code || outcome.error.description };
			payload = { result: outcome.out.result };
			if (outcome.out.next !== undefined) payload.next = outcome.out.next;
			if (outcome.out.total !== undefined) payload.total = outcome.out.total;
			payload.time = outcome.time;
		}
		const after = this.takeFault(method, 'after', entry.commands);
		if (after) return { status: 0, payload: undefined, fault: after };
		return { status: 200, payload };
	}

	private answerFault(kind: FaultKind, res: http.ServerResponse, entry: RequestLogEntry, finish: (status: number, payload: unknown, error?: string) => void): void {
		entry.fault = kind;
		switch (kind) {
			case 'queryLimit':
				return finish(503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }, 'QUERY_LIMIT_EXCEEDED');
			case 'operatingLimit':
				return finish(429, { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' }, 'OPERATION_TIME_LIMIT');
			case 'serverError':
				return finish(500, { error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' }, 'INTERNAL_SERVER_ERROR');
			case 'badGateway': {
				entry.status = 502;
				this.log.push(entry);
				res.writeHead(502, { 'Content-Type': 'text/html' });
				res.end('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>');
				return;
			}
			case 'reset':
				entry.status = 0;
				this.log.push(entry);
				res.socket?.destroy();
				return;
			case 'timeout': {
				entry.status = 0;
				this.log.push(entry);
				const timer = setTimeout(() => res.socket?.destroy(), this.options.hangMs);
				res.on('close', () => clearTimeout(timer));
				return;
			}
		}
	}

	// --- OAuth server ---------------------------------------------------------------------------

	private handleOAuth(url: URL, req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
		const params = this.parseParams(url, req, body) as Record<string, string>;
		if (url.pathname.replace(/\/$/, '') === '/oauth/authorize') {
			const app = this.apps.get(String(params.client_id));
			if (!app) {
				res.writeHead(400, { 'Content-Type': 'text/html; charset=utf-8' });
				res.end('<html><body>Application not found</body></html>');
				return;
			}
			const code = randomBytes(16).toString('hex');
			this.codes.set(code, { clientId: app.clientId, userId: this.uiUserId, expiresAt: this.now() + 30_000, scope: [...app.scopes].join(',') });
			const target = new URL(app.redirectUri ?? String(params.redirect_uri ?? ''));
			target.searchParams.set('code', code);
			if (params.state) target.searchParams.set('state', String(params.state));
			target.searchParams.set('domain', this.portal.domain);
			target.searchParams.set('member_id', this.portal.memberId);
			target.searchParams.set('scope', [...app.scopes].join(','));
			target.searchParams.set('server_domain', 'oauth.bitrix.info');
			res.writeHead(302, { Location: target.toString() });
			res.end();
			return;
		}
		if (url.pathname.replace(/\/$/, '') !== '/oauth/token') {
			this.sendJson(res, 404, { error: 'invalid_request', error_description: 'Unknown OAuth endpoint' });
			return;
		}
		const logged = (status: number, body: Fields) => {
			this.tokenLog.push({ at: this.now(), grantType: String(params.grant_type ?? ''), ok: status === 200, error: typeof body.error === 'string' ? body.error : undefined });
			this.sendJson(res, status, body);
		};
		const app = this.apps.get(String(params.client_id ?? ''));
		if (!app || app.clientSecret !== params.client_secret) {
			logged(401, { error: 'invalid_client', error_description: 'Invalid client' });
			return;
		}
		if (params.grant_type === 'authorization_code') {
			const code = this.codes.get(String(params.code ?? ''));
			this.codes.delete(String(params.code ?? ''));
			if (!code || code.clientId !== app.clientId || code.expiresAt <= this.now()) {
				logged(400, { error: 'invalid_grant', error_description: 'Invalid authorization code' });
				return;
			}
			const tokens = this.issueTokens(app.clientId, code.userId);
			delete (tokens as Fields).expires;
			delete (tokens as Fields).user_id;
			logged(200, tokens);
			return;
		}
		if (params.grant_type === 'refresh_token') {
			const refresh = this.refreshTokens.get(String(params.refresh_token ?? ''));
			if (!refresh || refresh.clientId !== app.clientId || refresh.expiresAt <= this.now()) {
				logged(400, { error: 'invalid_grant', error_description: 'Invalid refresh token' });
				return;
			}
			// The old refresh token is spent: a client that keeps it cannot refresh again.
			this.refreshTokens.delete(String(params.refresh_token));
			logged(200, this.issueTokens(app.clientId, refresh.userId));
			return;
		}
		logged(400, { error: 'invalid_request', error_description: 'Unsupported grant_type' });
	}
}

export async function startBitrix24Sandbox(options: Bitrix24SandboxOptions = {}): Promise<Bitrix24Sandbox> {
	return new Bitrix24Sandbox(options).start();
}
