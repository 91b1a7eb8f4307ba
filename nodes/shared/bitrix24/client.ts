/**
 * The Bitrix24 REST client: every Bitrix24 call in this package goes through it.
 *
 * - `call(method, params)`: one method, with the portal's limits respected and transient
 *   refusals (503 QUERY_LIMIT_EXCEEDED, 429 OPERATION_TIME_LIMIT) waited out and retried.
 * - `batch(commands)`: any number of commands, sent 50 per HTTP call; `$result[key][field]`
 *   references work within a chunk (Bitrix24 resolves them) and across chunks (resolved here).
 * - `listAll` / `listAllBatched`: every record of a list method with Bitrix24's fast pagination
 *   (`start=-1`, `order ID ASC`, `>ID` cursor), one page per call or up to 50 pages per call.
 *
 * Calls that may create duplicates (`*.add` and anything not known to be repeatable) are never
 * repeated once they may have reached the portal: the caller gets an error that says so.
 */

import { Bitrix24Error } from './errors';
import {
	Bitrix24Time,
	Clock,
	DEFAULT_OPERATING_LIMIT,
	LeakyBucket,
	OperatingLimit,
	OperatingTracker,
	RATE_LIMITS,
	RateLimit,
} from './limits';
import { isIdempotentMethod, ListShape, listShapeFor, MAX_BATCH_COMMANDS, PAGE_SIZE } from './methods';
import { buildPhpQuery } from './phpQuery';
import { Bitrix24Response, Bitrix24Transport, isTimeoutCode, toTransportError, TransportError } from './transport';

export interface Bitrix24ClientEvent {
	type: 'throttle' | 'retry' | 'refresh';
	method: string;
	/** How long the client waits before the next attempt, in ms. */
	waitMs?: number;
	/** Why: `rate` (our bucket), `operating` (a method near its budget) or a Bitrix24 error code. */
	reason: string;
	attempt?: number;
}

export interface Bitrix24ClientOptions {
	transport: Bitrix24Transport;
	clock: Clock;
	/** The portal's request-rate limit; standard plans 2/s burst 50 (Enterprise 5/250). */
	rateLimit?: RateLimit;
	/** Share one bucket between clients that talk to the same portal from one process. */
	bucket?: LeakyBucket;
	operatingLimit?: OperatingLimit;
	operatingTracker?: OperatingTracker;
	/** Most retries of one call after the portal's transient refusals: 503, 429, 5xx (default 8). */
	maxRetries?: number;
	/** Most retries after no answer at all (refused connection, timeout, reset); default 2. */
	maxNetworkRetries?: number;
	/** Longest the client waits for a limit to lift before giving up with an error (default 5 min). */
	maxWaitMs?: number;
	/** Per-request time limit; Bitrix24 Cloud cuts requests at 60 s (default 60 s). */
	timeoutMs?: number;
	/** Renews an expired OAuth access token; called only on 401 `expired_token`. */
	refreshAuth?: () => Promise<void>;
	/** Hears about throttling, retries and token refreshes (never about secrets). */
	onEvent?: (event: Bitrix24ClientEvent) => void;
	/** First retry delay in ms, doubled per attempt up to 30 s (default 500; time-scaled tests lower it). */
	retryBaseMs?: number;
	/** Random numbers for backoff jitter (tests pass a fixed one). */
	random?: () => number;
}

export interface CallResult<T = unknown> {
	result: T;
	total?: number;
	next?: number;
	time?: Bitrix24Time;
}

export interface BatchCommand {
	method: string;
	params?: Record<string, unknown>;
}

export interface BatchOptions {
	/** Stop a chunk at its first failing command (Bitrix24's `halt`). Default false. */
	halt?: boolean;
}

export interface BatchOutcome {
	results: Record<string, unknown>;
	errors: Record<string, Bitrix24Error>;
	totals: Record<string, number>;
	nexts: Record<string, number>;
	/** HTTP calls this batch took (one per chunk of 50, plus retries). */
	httpCalls: number;
}

export interface ListOptions {
	/** Stop after this many records. */
	limit?: number;
	/** Override how the method pages (for methods the client does not know). */
	shape?: Partial<ListShape>;
	/** Pages per HTTP call for `listAllBatched` (1–50, default 50). */
	pagesPerCall?: number;
}

const RESULT_REFERENCE = /\$result\[([^\]]+)\]((?:\[[^\]]*\])*)/g;
const WHOLE_REFERENCE = /^\$result\[([^\]]+)\]((?:\[[^\]]*\])*)$/;
const COMMAND_KEY = /^[A-Za-z0-9_.-]{1,64}$/;
const SAFE_METHOD = /^[A-Za-z0-9_.]+$/;

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Bitrix24 (PHP) sends an empty map as `[]` and a map with keys 0..n-1 as a list. */
function asMap(value: unknown): Record<string, unknown> {
	if (Array.isArray(value)) {
		const out: Record<string, unknown> = {};
		value.forEach((entry, index) => (out[String(index)] = entry));
		return out;
	}
	return isRecord(value) ? value : {};
}

function referencePath(path: string): string[] {
	return path ? path.slice(1, -1).split('][') : [];
}

function dig(value: unknown, path: string[]): { found: boolean; value?: unknown } {
	let current = value;
	for (const segment of path) {
		if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
		else if (isRecord(current) && segment in current) current = current[segment];
		else return { found: false };
		if (current === undefined) return { found: false };
	}
	return { found: true, value: current };
}

/** Reads the records out of a list method's `result` (an array, or `{items|tasks|...: [...]}`). */
function listItemsOrUndefined<T>(result: unknown, listKey?: string): T[] | undefined {
	if (Array.isArray(result)) return result as T[];
	if (isRecord(result)) {
		if (listKey && Array.isArray(result[listKey])) return result[listKey] as T[];
		const arrays = Object.values(result).filter(Array.isArray);
		if (arrays.length === 1) return arrays[0] as T[];
		if (Object.keys(result).length === 0) return [];
	}
	return undefined;
}

function findKey(params: Record<string, unknown>, name: string): string {
	return Object.keys(params).find((key) => key.toLowerCase() === name) ?? name;
}

export class Bitrix24Client {
	readonly bucket: LeakyBucket;
	private readonly operating: OperatingTracker;
	private readonly transport: Bitrix24Transport;
	private readonly clock: Clock;
	private readonly maxRetries: number;
	private readonly maxNetworkRetries: number;
	private readonly maxWaitMs: number;
	private readonly timeoutMs: number;
	private readonly refreshAuth?: () => Promise<void>;
	private readonly onEvent?: (event: Bitrix24ClientEvent) => void;
	private readonly random: () => number;
	private readonly retryBaseMs: number;
	private refreshing?: Promise<void>;
	/** Bumped after each token renewal, so answers to older requests do not renew again. */
	private authGeneration = 0;
	/** HTTP requests this client has sent (for diagnostics and benchmarks). */
	httpCalls = 0;

	constructor(options: Bitrix24ClientOptions) {
		this.transport = options.transport;
		this.clock = options.clock;
		this.bucket = options.bucket ?? new LeakyBucket(options.rateLimit ?? RATE_LIMITS.standard, options.clock);
		this.operating =
			options.operatingTracker ??
			new OperatingTracker(options.operatingLimit ?? DEFAULT_OPERATING_LIMIT, options.clock);
		this.maxRetries = options.maxRetries ?? 8;
		this.maxNetworkRetries = options.maxNetworkRetries ?? 2;
		this.maxWaitMs = options.maxWaitMs ?? 5 * 60_000;
		this.timeoutMs = options.timeoutMs ?? 60_000;
		this.refreshAuth = options.refreshAuth;
		this.onEvent = options.onEvent;
		this.random = options.random ?? Math.random;
		this.retryBaseMs = options.retryBaseMs ?? 500;
	}

	/** Calls one REST method. */
	async call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<CallResult<T>> {
		return this.request<T>(method, params, isIdempotentMethod(method));
	}

	private backoffMs(attempt: number): number {
		const base = Math.min(30_000, this.retryBaseMs * 2 ** (attempt - 1));
		return Math.round(base * (0.5 + this.random() * 0.5));
	}

	private async wait(method: string, waitMs: number, reason: string, attempt?: number): Promise<void> {
		if (waitMs <= 0) return;
		this.onEvent?.({ type: attempt === undefined ? 'throttle' : 'retry', method, waitMs, reason, attempt });
		await this.clock.sleep(waitMs);
	}

	private async renewToken(method: string): Promise<void> {
		if (!this.refreshAuth) return;
		this.onEvent?.({ type: 'refresh', method, reason: 'expired_token' });
		// One refresh at a time: concurrent calls that all saw expired_token share it.
		this.refreshing ??= this.refreshAuth().finally(() => {
			this.authGeneration++;
			this.refreshing = undefined;
		});
		await this.refreshing;
	}

	private async request<T>(
		method: string,
		params: Record<string, unknown>,
		idempotent: boolean,
		operatingMethods: string[] = [method],
		counter?: { calls: number },
	): Promise<CallResult<T>> {
		if (!SAFE_METHOD.test(method)) {
			throw new Bitrix24Error({ code: 'ERROR_METHOD_NOT_FOUND', description: 'Method name is not valid', method }, 'invalidInput');
		}
		let attempt = 0;
		let networkFailures = 0;
		let refreshed = false;
		for (;;) {
			attempt++;
			const operatingDelay = Math.max(0, ...operatingMethods.map((m) => this.operating.delayFor(m)));
			if (operatingDelay > this.maxWaitMs) {
				const retryAt = this.clock.now() + operatingDelay;
				throw new Bitrix24Error(
					{ code: 'OPERATION_TIME_LIMIT', description: 'Method is blocked due to operation time limit.', method, retryAt, attempts: attempt - 1 },
					'operatingLimit',
				);
			}
			await this.wait(method, operatingDelay, 'operating');
			const rateDelay = await this.bucket.acquire();
			if (rateDelay > 0) this.onEvent?.({ type: 'throttle', method, waitMs: rateDelay, reason: 'rate' });

			let answerOrFailure: Bitrix24Response | TransportError;
			this.httpCalls++;
			if (counter) counter.calls++;
			const generation = this.authGeneration;
			try {
				answerOrFailure = await this.transport({ method, params, timeoutMs: this.timeoutMs });
			} catch (thrown) {
				answerOrFailure = toTransportError(thrown);
			}
			this.bucket.release();
			if (answerOrFailure instanceof TransportError) {
				const error = answerOrFailure;
				networkFailures++;
				if ((!error.sent || idempotent) && networkFailures <= this.maxNetworkRetries) {
					await this.wait(method, this.backoffMs(attempt), error.code, attempt);
					continue;
				}
				throw new Bitrix24Error(
					{
						code: error.code,
						description: isTimeoutCode(error.code) ? 'No answer in time' : 'No answer',
						method,
						mayHaveBeenApplied: error.sent && !idempotent,
						attempts: attempt,
					},
					isTimeoutCode(error.code) ? 'timeout' : 'network',
				);
			}
			const { status, body } = answerOrFailure;
			const answer = isRecord(body) ? body : undefined;
			if (answer && status < 400 && 'result' in answer && answer.error === undefined) {
				const time = isRecord(answer.time) ? (answer.time as Bitrix24Time) : undefined;
				for (const m of operatingMethods) this.operating.record(m, time);
				return {
					result: answer.result as T,
					total: typeof answer.total === 'number' ? answer.total : undefined,
					next: typeof answer.next === 'number' ? answer.next : undefined,
					time,
				};
			}

			const code = typeof answer?.error === 'string' ? answer.error : '';
			const description =
				typeof answer?.error_description === 'string'
					? answer.error_description
					: answer
						? ''
						: `Unexpected answer (HTTP ${status})`;

			if (code === 'QUERY_LIMIT_EXCEEDED' || (status === 503 && code === '' && !answer)) {
				// Refused before it ran: safe to repeat any method.
				this.bucket.markFull();
				if (attempt <= this.maxRetries) {
					await this.wait(method, this.backoffMs(attempt), 'QUERY_LIMIT_EXCEEDED', attempt);
					continue;
				}
				throw new Bitrix24Error({ code: 'QUERY_LIMIT_EXCEEDED', description: description || 'Too many requests', method, httpStatus: status, attempts: attempt }, 'rateLimit');
			}

			if (code === 'OPERATION_TIME_LIMIT' || status === 429) {
				const time = isRecord(answer?.time) ? (answer?.time as Bitrix24Time) : undefined;
				const resetAt =
					typeof time?.operating_reset_at === 'number'
						? time.operating_reset_at * 1000
						: this.operating.resetAt(method);
				for (const m of operatingMethods) this.operating.markExhausted(m, resetAt);
				const waitMs = resetAt && resetAt > this.clock.now() ? resetAt - this.clock.now() + 1000 : this.backoffMs(attempt);
				if (attempt <= this.maxRetries && waitMs <= this.maxWaitMs) {
					await this.wait(method, waitMs, 'OPERATION_TIME_LIMIT', attempt);
					continue;
				}
				throw new Bitrix24Error(
					{ code: code || 'OPERATION_TIME_LIMIT', description: description || 'Method is blocked due to operation time limit.', method, httpStatus: status, retryAt: resetAt, attempts: attempt },
					'operatingLimit',
				);
			}

			if (status === 401 && code === 'expired_token' && this.refreshAuth && !refreshed) {
				refreshed = true;
				attempt--;
				// A request sent with a token that has since been renewed just goes again.
				if (generation === this.authGeneration) await this.renewToken(method);
				continue;
			}

			const serverError = status >= 500 && code !== 'OVERLOAD_LIMIT' && code !== 'PORTAL_DELETED';
			if (serverError && idempotent && attempt <= this.maxRetries) {
				await this.wait(method, this.backoffMs(attempt), code || `HTTP ${status}`, attempt);
				continue;
			}

			throw new Bitrix24Error(
				{
					code,
					description,
					method,
					httpStatus: status,
					mayHaveBeenApplied: serverError && !idempotent,
					attempts: attempt,
				},
				answer ? undefined : status >= 500 ? 'server' : 'protocol',
			);
		}
	}

	/**
	 * Runs commands through `batch`, 50 per HTTP call, in the order given. A command may use
	 * `$result[key][field]...` of any earlier command. Errors are reported per command.
	 */
	async batch(commands: Record<string, BatchCommand> | BatchCommand[], options: BatchOptions = {}): Promise<BatchOutcome> {
		const entries: Array<[string, BatchCommand]> = Array.isArray(commands)
			? commands.map((command, index) => [String(index), command])
			: Object.entries(commands);
		const order = new Map(entries.map(([key], index) => [key, index]));
		for (const [key, command] of entries) {
			if (!COMMAND_KEY.test(key)) {
				throw new Bitrix24Error({ code: 'INVALID_BATCH_KEY', description: `Command key "${key}" may only hold letters, digits, "_", "-" and "."`, method: 'batch' }, 'invalidInput');
			}
			if (!SAFE_METHOD.test(command.method) || command.method.toLowerCase() === 'batch') {
				throw new Bitrix24Error({ code: 'ERROR_BATCH_METHOD_NOT_ALLOWED', description: `"${command.method}" cannot run inside a batch`, method: 'batch', command: key }, 'invalidInput');
			}
			for (const ref of this.referencesIn(command.params ?? {})) {
				const at = order.get(ref);
				if (at === undefined || at >= (order.get(key) as number)) {
					throw new Bitrix24Error({ code: 'INVALID_BATCH_REFERENCE', description: `Command "${key}" refers to "$result[${ref}]", which is not an earlier command`, method: 'batch', command: key }, 'invalidInput');
				}
			}
		}

		const outcome: BatchOutcome = { results: {}, errors: {}, totals: {}, nexts: {}, httpCalls: 0 };
		for (let start = 0; start < entries.length; start += MAX_BATCH_COMMANDS) {
			const chunk = entries.slice(start, start + MAX_BATCH_COMMANDS);
			await this.runChunk(chunk, outcome, options);
		}
		return outcome;
	}

	private referencesIn(value: unknown, found: Set<string> = new Set()): Set<string> {
		if (typeof value === 'string') {
			for (const match of value.matchAll(RESULT_REFERENCE)) found.add(match[1]);
		} else if (Array.isArray(value)) {
			value.forEach((entry) => this.referencesIn(entry, found));
		} else if (isRecord(value)) {
			Object.values(value).forEach((entry) => this.referencesIn(entry, found));
		}
		return found;
	}

	/** Replaces references to commands of earlier chunks with their values. */
	private resolveEarlier(value: unknown, inChunk: Set<string>, outcome: BatchOutcome, key: string, method: string): unknown {
		const fail = (ref: string, why: string): never => {
			throw new Bitrix24Error({ code: 'BATCH_REFERENCE_UNRESOLVED', description: `"$result[${ref}]" ${why}`, method, command: key }, 'invalidInput');
		};
		const lookup = (ref: string, path: string): unknown => {
			if (outcome.errors[ref]) fail(ref, 'failed, so this command was not run');
			const found = dig(outcome.results[ref], referencePath(path));
			if (!found.found) fail(`${ref}]${path}`, 'has no such field');
			return found.value;
		};
		if (typeof value === 'string') {
			const whole = WHOLE_REFERENCE.exec(value);
			if (whole && !inChunk.has(whole[1])) return lookup(whole[1], whole[2]);
			return value.replace(RESULT_REFERENCE, (match, ref: string, path: string) =>
				inChunk.has(ref) ? match : String(lookup(ref, path)),
			);
		}
		if (Array.isArray(value)) return value.map((entry) => this.resolveEarlier(entry, inChunk, outcome, key, method));
		if (isRecord(value)) {
			const out: Record<string, unknown> = {};
			for (const [k, v] of Object.entries(value)) out[k] = this.resolveEarlier(v, inChunk, outcome, key, method);
			return out;
		}
		return value;
	}

	private async runChunk(chunk: Array<[string, BatchCommand]>, outcome: BatchOutcome, options: BatchOptions): Promise<void> {
		const inChunk = new Set(chunk.map(([key]) => key));
		const cmd: Record<string, string> = {};
		const methods = new Map<string, string>();
		for (const [key, command] of chunk) {
			try {
				const params = this.resolveEarlier(command.params ?? {}, inChunk, outcome, key, command.method) as Record<string, unknown>;
				const query = buildPhpQuery(params);
				cmd[key] = query ? `${command.method}?${query}` : command.method;
				methods.set(key, command.method);
			} catch (error) {
				outcome.errors[key] = error as Bitrix24Error;
			}
		}
		if (Object.keys(cmd).length === 0) return;

		const chunkMethods = [...new Set(methods.values())];
		const idempotent = chunkMethods.every(isIdempotentMethod);
		for (let attempt = 1; ; attempt++) {
			const counter = { calls: 0 };
			let answer: CallResult<unknown>;
			try {
				answer = await this.request<unknown>('batch', { halt: options.halt ? 1 : 0, cmd }, idempotent, chunkMethods, counter);
			} finally {
				outcome.httpCalls += counter.calls;
			}
			const { result, time } = answer;
			const envelope = asMap(result);
			const results = asMap(envelope.result);
			const errors = asMap(envelope.result_error);
			const totals = asMap(envelope.result_total);
			const nexts = asMap(envelope.result_next);
			const times = asMap(envelope.result_time);

			// A read-only chunk blocked by the operating limit is waited out and sent again.
			const blocked = Object.values(errors).some((e) => isRecord(e) && e.error === 'OPERATION_TIME_LIMIT');
			if (blocked && idempotent && attempt <= this.maxRetries) {
				const resetAt = Math.max(...chunkMethods.map((m) => this.operating.resetAt(m) ?? 0));
				const waitMs = resetAt > this.clock.now() ? resetAt - this.clock.now() + 1000 : this.backoffMs(attempt);
				if (waitMs <= this.maxWaitMs) {
					for (const m of chunkMethods) this.operating.markExhausted(m, resetAt || undefined);
					await this.wait('batch', waitMs, 'OPERATION_TIME_LIMIT', attempt);
					continue;
				}
			}

			for (const [key, method] of methods) {
				const commandTime = times[key];
				if (isRecord(commandTime)) this.operating.record(method, commandTime as Bitrix24Time);
				else if (time && chunkMethods.length === 1) this.operating.record(method, time);
				if (key in errors) {
					const e = asMap(errors[key]);
					outcome.errors[key] = new Bitrix24Error({
						code: typeof e.error === 'string' ? e.error : '',
						description: typeof e.error_description === 'string' ? e.error_description : '',
						method,
						command: key,
					});
				} else if (key in results) {
					outcome.results[key] = results[key];
					if (typeof totals[key] === 'number') outcome.totals[key] = totals[key] as number;
					if (typeof nexts[key] === 'number') outcome.nexts[key] = nexts[key] as number;
				} else {
					outcome.errors[key] = new Bitrix24Error(
						{ code: 'NOT_EXECUTED', description: 'Not run: an earlier command in the batch failed and halt was on', method, command: key },
						'unknown',
					);
				}
			}
			return;
		}
	}

	private cursorParams(method: string, params: Record<string, unknown>, shape: ListShape, lastId: string | number | undefined, start = -1): Record<string, unknown> {
		if (shape.userGetStyle) {
			const filterKey = findKey(params, 'filter');
			const filter = { ...(isRecord(params[filterKey]) ? (params[filterKey] as Record<string, unknown>) : {}) };
			if (lastId !== undefined) filter[shape.cursorFilterKey] = lastId;
			return { ...params, [filterKey]: filter, sort: shape.idField, order: 'ASC' };
		}
		const filterKey = findKey(params, 'filter');
		const orderKey = findKey(params, 'order');
		const filter = { ...(isRecord(params[filterKey]) ? (params[filterKey] as Record<string, unknown>) : {}) };
		if (lastId !== undefined) filter[shape.cursorFilterKey] = lastId;
		const out: Record<string, unknown> = { ...params, [filterKey]: filter, [orderKey]: shape.order };
		out[findKey(params, 'start')] = start;
		return out;
	}

	private shapeFor(method: string, options: ListOptions): ListShape {
		return { ...listShapeFor(method), ...options.shape };
	}

	/** Every record of a list method, one page per HTTP call (fast pagination). */
	async listAll<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}, options: ListOptions = {}): Promise<T[]> {
		const shape = this.shapeFor(method, options);
		const startAfter = this.initialCursor(params, shape);
		const all: T[] = [];
		let lastId = startAfter;
		for (;;) {
			const { result } = await this.call(method, this.cursorParams(method, params, shape, lastId));
			const page = this.pageItems<T>(method, result, shape);
			all.push(...page);
			if (options.limit !== undefined && all.length >= options.limit) return all.slice(0, options.limit);
			if (page.length < PAGE_SIZE) return all;
			lastId = this.lastIdOf(method, page, shape);
		}
	}

	/**
	 * Every record of a list method, up to 50 pages per HTTP call: each page's cursor is the
	 * previous page's last ID, passed as a `$result[...]` reference inside one batch.
	 */
	async listAllBatched<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}, options: ListOptions = {}): Promise<T[]> {
		const all: T[] = [];
		for await (const chunk of this.listPagesBatched<T>(method, params, options)) all.push(...chunk);
		return options.limit !== undefined ? all.slice(0, options.limit) : all;
	}

	/**
	 * The records of a list method as they arrive, one chunk per HTTP call.
	 *
	 * The first page comes alone and with a count (`start=0` answers `total`), so the remaining
	 * pages go out in exactly as many chained commands as there are pages. Chaining blindly would
	 * waste work at the end: a `$result[p][49][ID]` that points past a short page does not fail,
	 * Bitrix24 substitutes the page itself, reads it as "ID > 1" and lists from the start again.
	 */
	async *listPagesBatched<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}, options: ListOptions = {}): AsyncGenerator<T[]> {
		const shape = this.shapeFor(method, options);
		const pagesPerCall = Math.max(1, Math.min(MAX_BATCH_COMMANDS, options.pagesPerCall ?? MAX_BATCH_COMMANDS));
		const listPath = shape.listKey ? `[${shape.listKey}]` : '';
		const first = await this.call(method, this.cursorParams(method, params, shape, this.initialCursor(params, shape), 0));
		const firstPage = this.pageItems<T>(method, first.result, shape);
		const fetched = firstPage.length;
		if (firstPage.length < PAGE_SIZE || (options.limit !== undefined && fetched >= options.limit)) {
			yield firstPage;
			return;
		}
		let remainingPages = typeof first.total === 'number' && first.total > fetched ? Math.ceil((first.total - fetched) / PAGE_SIZE) : Infinity;
		if (options.limit !== undefined) remainingPages = Math.min(remainingPages, Math.ceil((options.limit - fetched) / PAGE_SIZE));

		/** One HTTP call: `count` chained pages after `cursor`; `done` when a page came back short. */
		const fetchChunk = async (cursor: string | number, count: number): Promise<{ items: T[]; done: boolean; lastId: string | number }> => {
			const commands: Record<string, BatchCommand> = {};
			for (let page = 0; page < count; page++) {
				const pageCursor = page === 0 ? cursor : `$result[p${page - 1}]${listPath}[${PAGE_SIZE - 1}][${shape.idField}]`;
				commands[`p${page}`] = { method, params: this.cursorParams(method, params, shape, pageCursor) };
			}
			const outcome = await this.batch(commands);
			const items: T[] = [];
			let lastId = cursor;
			for (let page = 0; page < count; page++) {
				const key = `p${page}`;
				if (outcome.errors[key]) throw outcome.errors[key];
				const pageItems = this.pageItems<T>(method, outcome.results[key], shape);
				items.push(...pageItems);
				if (pageItems.length < PAGE_SIZE) return { items, done: true, lastId };
				lastId = this.lastIdOf(method, pageItems, shape);
			}
			return { items, done: false, lastId };
		};
		/** Starts the next call at once; a failure surfaces when it is awaited, not before. */
		const start = (cursor: string | number) => {
			const count = Math.min(pagesPerCall, remainingPages);
			remainingPages -= count;
			const pending = fetchChunk(cursor, count);
			pending.catch(() => undefined);
			return pending;
		};

		// Read ahead: the next call is on its way before the caller gets the current chunk, so the
		// portal has work queued while the caller processes it.
		let next = remainingPages > 0 ? start(this.lastIdOf(method, firstPage, shape)) : undefined;
		yield firstPage;
		while (next) {
			const chunk = await next;
			next = !chunk.done && remainingPages > 0 ? start(chunk.lastId) : undefined;
			yield chunk.items;
		}
	}

	/**
	 * Records of a list method by ID (`@ID`), 50 IDs per command and 50 commands per HTTP call.
	 * Returns them by ID; IDs that match nothing are simply absent.
	 */
	async listByIds<T = Record<string, unknown>>(method: string, ids: ReadonlyArray<string | number>, params: Record<string, unknown> = {}, options: ListOptions = {}): Promise<Map<string, T>> {
		const shape = this.shapeFor(method, options);
		const unique = [...new Set(ids.map(String).filter((id) => id !== '' && id !== '0'))];
		const found = new Map<string, T>();
		if (!unique.length) return found;
		const filterKey = findKey(params, 'filter');
		const baseFilter = isRecord(params[filterKey]) ? (params[filterKey] as Record<string, unknown>) : {};
		const inKey = `@${shape.cursorFilterKey.replace(/^>/, '')}`;
		const commands: Record<string, BatchCommand> = {};
		for (let i = 0; i < unique.length; i += PAGE_SIZE) {
			commands[`c${i / PAGE_SIZE}`] = { method, params: { ...params, [filterKey]: { ...baseFilter, [inKey]: unique.slice(i, i + PAGE_SIZE) }, start: -1 } };
		}
		const outcome = await this.batch(commands);
		for (const key of Object.keys(commands)) {
			if (outcome.errors[key]) throw outcome.errors[key];
			for (const record of this.pageItems<T>(method, outcome.results[key], shape)) {
				const id = isRecord(record) ? record[shape.idField] : undefined;
				if (id !== undefined) found.set(String(id), record);
			}
		}
		return found;
	}

	private initialCursor(params: Record<string, unknown>, shape: ListShape): string | number | undefined {
		const filter = params[findKey(params, 'filter')];
		const given = isRecord(filter) ? filter[shape.cursorFilterKey] : undefined;
		return typeof given === 'string' || typeof given === 'number' ? given : undefined;
	}

	private pageItems<T>(method: string, result: unknown, shape: ListShape): T[] {
		const items = listItemsOrUndefined<T>(result, shape.listKey);
		if (!items) throw new Bitrix24Error({ code: 'NOT_A_LIST', description: 'The method did not return a list of records', method }, 'protocol');
		return items;
	}

	private lastIdOf(method: string, page: unknown[], shape: ListShape): string | number {
		const last = page[page.length - 1];
		const id = isRecord(last) ? last[shape.idField] : undefined;
		if (typeof id !== 'string' && typeof id !== 'number') {
			throw new Bitrix24Error({ code: 'NO_ID_FIELD', description: `Records have no "${shape.idField}" field to page by`, method }, 'protocol');
		}
		return id;
	}
}
