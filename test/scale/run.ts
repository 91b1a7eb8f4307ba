/* eslint-disable no-console, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- the scale suite: a command-line run against n8n in queue mode */
/**
 * `npm run test:scale`: the templates in n8n's queue mode (PostgreSQL, Redis, a main process, a
 * webhook process and two workers) against the sandboxes, under storms and faults. Every count is
 * read from the sandboxes' own records: the surveys the channel sandboxes delivered, per deal.
 *
 * Scenarios (each prints sent / expected / duplicates / lost):
 *  1. storm: deals closed within 20 s, each event delivered 1–3 times (plus the events the
 *     workflow's own write-back causes) → one survey per deal;
 *  2. faults: Bitrix24 refusing 20 % of requests with 503/429 (limits time-scaled) → every deal surveyed;
 *  3. whatsapp: the WhatsApp provider (Wazzup) down for a while during a storm (5xx, resets and
 *     timeouts before it sends; some failures after it sent) → no deal gets two messages, deals go by
 *     SMS where their branch has it and that is safe, the rest fail visibly (a failed execution naming
 *     the deal); an n8n "Retry" of a few of them once Wazzup is back shows what retrying does;
 *  4. a worker killed mid-run → what n8n runs again sends no second survey;
 *  5. answers: up to 1,000 surveyed deals answered on the survey page at once (promoters, passives,
 *     detractors, some comments) while promoters click their review links 1–3 times (up to ~1,000
 *     clicks) → one smart-process row per deal with its score (line `answers`), and per clicked deal
 *     one stage move to the review check and one task (line `clicks`).
 * The last line reads `scale_duplicates=<n> scale_lost=<n>`.
 *
 * Options: `--deals=<n>` per storm (default 2000), `--answers=<n>` (default 1000),
 * `--only=storm,faults,kill,whatsapp,answers` (the default: all).
 */

import { monitorEventLoopDelay } from 'node:perf_hooks';

import { tokenFromUrl } from '../../nodes/shared/survey/token';
import { mulberry32, type SeedBranch } from '../sandbox/bitrix24/seed';
import type { ChannelFaultKind } from '../sandbox/channels/server';
import { branchColumns, startNpsStack, type NpsStack } from '../support/npsStack';
import { forEachExecution, listExecutions } from '../support/n8n';
import { startQueueModeN8n, type QueueModeN8n } from '../support/queueMode';
import { rawRequest, type RawResponse } from '../support/rawHttp';

interface ScenarioResult {
	name: string;
	expected: number;
	sent: number;
	duplicates: number;
	lost: number;
	failedExecutions: number;
	seconds: number;
	notes: string[];
}

/** The value of `--name=value` (everything after the first `=`). */
const argument = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(`--${name}=`.length);
const STORM = Number(argument('deals') ?? 2000);
const ONLY = (argument('only') ?? 'storm,faults,kill,whatsapp,answers').split(',');
/** Survey answers in the answers scenario (at most the deals surveyed before it). */
const ANSWERS = Number(argument('answers') ?? 1000);
/** Standard's ratio (2/s, burst 50 = 25 s of requests) at 25× speed. */
const RATE = { requestsPerSecond: 50, burst: 1250 };
/** `--keep`: keep n8n's temporary folders (logs, data) after the run. */
const KEEP = process.argv.includes('--keep');
/** `--env=NAME=value,NAME=value`: extra environment for every n8n process (for experiments). */
const envArgument = (name: string): Record<string, string> =>
	Object.fromEntries(
		(argument(name) ?? '')
			.split(',')
			.filter(Boolean)
			.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
	);
const EXTRA_ENV = envArgument('env');
/** `--webhook-env=…`, `--worker-env=…`: the same for the webhook process or the workers only. */
const ROLE_ENV = { webhook: envArgument('webhook-env'), worker: envArgument('worker-env') };

/** The catch-up poll's settle time in this suite (the template's 15 minutes would outlast a run). */
const CATCH_UP_SETTLE_MINUTES = 1;
/**
 * The resume poll's (the template's 24 hours would outlast a run): longer than a run takes here, so it
 * meets only runs that died (a killed worker's), not ones still going.
 */
const RESUME_SETTLE_MINUTES = 4;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Open deals of distinct contacts with a phone, in branches of the table whose channels include SMS (or, when asked, only WhatsApp). */
function openDeals(stack: NpsStack, used: Set<number>, count: number, options: { whatsappOnly?: boolean } = {}): number[] {
	const { portal } = stack.sandbox;
	const branches = new Set(stack.rows.filter((r) => String(r.channels).includes('smsc') !== Boolean(options.whatsappOnly)).map((r) => String(r.branchId)));
	const contacts = new Set<string>();
	for (const id of used) contacts.add(String(portal.getDeal(id).CONTACT_ID));
	const picked: number[] = [];
	for (const deal of portal.deals.values()) {
		if (picked.length >= count) break;
		const id = Number(deal.ID);
		const contact = portal.contacts.get(Number(deal.CONTACT_ID));
		const phone = (contact?.PHONE as Array<{ VALUE: string }> | undefined)?.[0]?.VALUE;
		if (used.has(id) || deal.CATEGORY_ID !== '0' || deal.STAGE_SEMANTIC_ID === 'S' || !phone || !branches.has(String(deal.UF_CRM_1700000000001))) continue;
		if (contacts.has(String(deal.CONTACT_ID))) continue;
		contacts.add(String(deal.CONTACT_ID));
		picked.push(id);
	}
	for (const id of picked) used.add(id);
	return picked;
}

/** Surveys per deal among `deals`, from the channel sandboxes' deliveries. */
function count(stack: NpsStack, deals: number[]): { sent: number; duplicates: number; lost: number } {
	const wanted = new Set(deals);
	const perDeal = new Map<number, number>();
	for (const survey of stack.surveys()) if (wanted.has(survey.dealId)) perDeal.set(survey.dealId, (perDeal.get(survey.dealId) ?? 0) + 1);
	const sent = perDeal.size;
	const duplicates = [...perDeal.values()].reduce((sum, n) => sum + n - 1, 0);
	return { sent, duplicates, lost: deals.length - sent };
}

/**
 * `--quiet=<s>`: how long without a new survey ends the wait (default 60 s). Longer than the
 * client's longest backoff (30 s): with 2000 deals the four processes together go over the portal's
 * rate, every worker can be backing off at once, and a 20 s lull ended runs whose surveys were still coming.
 */
const QUIET_MS = Number(argument('quiet') ?? 60) * 1000;

/** Waits until every deal has its survey or nothing changed for `quietMs`. */
async function waitForSurveys(stack: NpsStack, deals: number[], timeoutMs: number, quietMs = QUIET_MS): Promise<void> {
	let last = -1;
	let since = Date.now();
	for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
		await sleep(1000);
		const now = count(stack, deals);
		if (now.sent === deals.length) {
			await sleep(3000);
			return;
		}
		if (now.sent !== last) {
			last = now.sent;
			since = Date.now();
		} else if (Date.now() - since > quietMs) return;
	}
}

function eventBody(stack: NpsStack, dealId: number): string {
	return `event=ONCRMDEALUPDATE&data%5BFIELDS%5D%5BID%5D=${dealId}&ts=${Math.floor(Date.now() / 1000)}&auth%5Bdomain%5D=sandbox.bitrix24.test&auth%5Bapplication_token%5D=${stack.applicationToken}`;
}

/** Closes the deals within `seconds`; each event arrives 1–3 times (the portal's own, plus 0–2 repeats). */
async function closeDeals(stack: NpsStack, deals: number[], seconds: number, random: () => number): Promise<void> {
	const started = Date.now();
	const repeats: Array<Promise<unknown>> = [];
	for (const [i, id] of deals.entries()) {
		const due = started + (i / deals.length) * seconds * 1000;
		if (due > Date.now()) await sleep(due - Date.now());
		stack.sandbox.moveDealInUi(id, 'WON');
		const extra = Math.floor(random() * 3);
		for (let k = 0; k < extra; k++) {
			repeats.push(
				sleep(random() * 2000).then(() =>
					rawRequest(stack.url('events'), { body: eventBody(stack, id), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }).catch(() => undefined),
				),
			);
		}
	}
	await Promise.all(repeats);
}

interface FailedExecution {
	id: string;
	message: string;
	retryOf?: string;
	/** The node the error came from. */
	node?: string;
	/** The deal the execution was about, from its data (also when the message does not name it). */
	dealId?: number;
	description?: string;
}

/** Failed executions' details by id: an execution's data is read once. */
const failureDetails = new Map<string, Omit<FailedExecution, 'retryOf'>>();

type ExecutionData = {
	resultData?: {
		error?: { message?: string; description?: string; node?: { name?: string } };
		lastNodeExecuted?: string;
		runData?: Record<string, Array<{ data?: { main?: Array<Array<{ json?: { deal?: { id?: unknown }; dealId?: unknown; survey?: { status?: string; reason?: string } } }> | null> } }>>;
	};
};

/**
 * What became of some deals in a template's executions since `since`: per deal, each execution's
 * status, last node and (template 01) the survey's status and reason. Reads every execution's data:
 * for a handful of unexplained deals only.
 */
async function traceDeals(stack: NpsStack, file: string, since: number, deals: number[]): Promise<Map<number, string[]>> {
	const wanted = new Set(deals);
	const traces = new Map<number, string[]>(deals.map((id) => [id, []]));
	const filter = `workflowId=${stack.workflows[file]}&startedAfter=${encodeURIComponent(new Date(since).toISOString())}&includeData=true`;
	await forEachExecution<{ id: string; status: string; data?: ExecutionData }>(stack.n8n, filter, 50, (execution) => {
		const id = dealOfExecution(execution.data);
		if (!id || !wanted.has(id)) return;
		const survey = execution.data?.resultData?.runData?.['Send the survey']?.[0]?.data?.main?.[0]?.[0]?.json?.survey;
		traces.get(id)!.push(`#${execution.id} ${execution.status} after "${execution.data?.resultData?.lastNodeExecuted ?? '?'}"${survey ? ` (survey ${survey.status}: ${survey.reason ?? ''})` : ''}`);
	});
	return traces;
}

/** The deal an execution was about: the first deal id one of its trigger or deal nodes put out. */
function dealOfExecution(data: ExecutionData | undefined): number | undefined {
	for (const node of ['Deal won', 'Deal', 'Review link clicked', 'Survey page', 'Answer from the page']) {
		const json = data?.resultData?.runData?.[node]?.[0]?.data?.main?.[0]?.[0]?.json;
		const id = Number(json?.deal?.id ?? json?.dealId);
		if (id > 0) return id;
	}
	return undefined;
}

/** A template's failed (error or crashed) executions that started since `since`, with their error messages. */
async function failedExecutions(stack: NpsStack, since: number, file = '01-deal-closed-survey.json'): Promise<FailedExecution[]> {
	const failed: FailedExecution[] = [];
	for (const status of ['error', 'crashed']) {
		for (const execution of await executionsSince(stack, file, since, status)) {
			let details = failureDetails.get(execution.id);
			if (details === undefined) {
				const answer = await stack.n8n.api<{ data?: ExecutionData }>('GET', `/executions/${execution.id}?includeData=true`);
				const error = answer.body.data?.resultData?.error;
				details = { id: execution.id, message: error?.message ?? execution.status, node: error?.node?.name, description: error?.description, dealId: dealOfExecution(answer.body.data) };
				failureDetails.set(execution.id, details);
			}
			failed.push({ ...details, retryOf: execution.retryOf ?? undefined });
		}
	}
	return failed;
}

/** A template's executions that started since `since` (optionally of one status), through the n8n API's filters. */
async function executionsSince(stack: NpsStack, file: string, since: number, status?: string): Promise<Array<{ id: string; status: string; retryOf?: string | null }>> {
	return await listExecutions(stack.n8n, `workflowId=${stack.workflows[file]}&startedAfter=${encodeURIComponent(new Date(since).toISOString())}${status ? `&status=${status}` : ''}`);
}

/** Whether any execution of these templates is queued or running. */
async function busy(stack: NpsStack, files: string[]): Promise<boolean> {
	for (const file of files) {
		for (const status of ['new', 'running']) {
			const page = await stack.n8n.api<{ data: unknown[] }>('GET', `/executions?workflowId=${stack.workflows[file]}&status=${status}&limit=1`);
			if (page.body.data?.length) return true;
		}
	}
	return false;
}

/**
 * Polls `progress` until it reaches `target` (then until the templates' queues are empty), or nothing
 * changed for `quietMs`, or `timeoutMs` passed.
 */
async function waitUntil(stack: NpsStack, progress: () => number | Promise<number>, target: number, files: string[], timeoutMs: number, quietMs = QUIET_MS): Promise<void> {
	let last = -1;
	let since = Date.now();
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		await sleep(2000);
		const now = await progress();
		if (now >= target) break;
		if (now !== last) {
			last = now;
			since = Date.now();
		} else if (Date.now() - since > quietMs) break;
	}
	// What is still queued or running may yet add a duplicate: wait for the queues to empty (twice in a row).
	for (let idle = 0; idle < 2 && Date.now() < deadline; ) {
		await sleep(2000);
		idle = (await busy(stack, files)) ? 0 : idle + 1;
	}
}

function percentile(values: number[], p: number): number {
	if (!values.length) return 0;
	const sorted = [...values].sort((a, b) => a - b);
	return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
}

/** Operating seconds the portal counts per client and method in its current window (Bitrix24 blocks a method over 480 s per 10 min). */
function operatingUsage(stack: NpsStack): string {
	const usage = (stack.sandbox.ledger as unknown as { usage: Map<string, { buckets: Map<number, { seconds: number }> }> }).usage;
	return [...usage]
		.map(([key, u]) => [key.split('|')[1], [...u.buckets.values()].reduce((sum, b) => sum + b.seconds, 0)] as const)
		.sort((a, b) => b[1] - a[1])
		.slice(0, 4)
		.map(([method, seconds]) => `${method} ${Math.round(seconds)} s`)
		.join(', ');
}

function histogram(keys: string[]): string {
	const counts = new Map<string, number>();
	for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
	return [...counts].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${key}×${n}`).join(', ');
}

/** What the sandboxes saw since the scenario began: event deliveries to the webhook process and REST answers. */
function diagnostics(stack: NpsStack, since: number, deals: number[]): string[] {
	const deliveries = stack.sandbox.events.deliveries.filter((d) => d.at >= since);
	const rest = stack.sandbox.log.filter((entry) => entry.at >= since);
	const notes = [
		`portal deliveries: ${deliveries.length} (${histogram(deliveries.map((d) => (d.status ? `HTTP ${d.status}` : `failed: ${d.error ?? '?'}`)))}); ` +
			`duration p50/p95/max ${percentile(deliveries.map((d) => d.durationMs), 50)}/${percentile(deliveries.map((d) => d.durationMs), 95)}/${percentile(deliveries.map((d) => d.durationMs), 100)} ms`,
		`Bitrix24 REST requests: ${rest.length} (${histogram(rest.map((e) => `${e.status}${e.error ? ` ${e.error}` : ''}`))}); ` +
			`duration p95/max ${percentile(rest.map((e) => e.durationMs), 95)}/${percentile(rest.map((e) => e.durationMs), 100)} ms; methods ${histogram(rest.map((e) => e.method))}`,
	];
	notes.push(`Bitrix24 operating time in the current window (limit 480 s per method): ${operatingUsage(stack)}`);
	const failedDeals = new Set(deliveries.filter((d) => !d.status || d.status >= 400).map((d) => d.dealId));
	const sentDeals = new Set(stack.surveys().map((s) => s.dealId));
	const lost = deals.filter((id) => !sentDeals.has(id));
	const refused = deliveries.filter((d) => !d.status || d.status >= 400).length;
	if (refused) {
		notes.push(
			`${refused} portal deliveries were refused or not answered in 10 s by n8n's webhook process (503 is n8n's "Database is not ready!" after a failed health ping of its database pool; see its log with --keep): Bitrix24 never sends an event twice, so a deal none of whose deliveries was taken starts nothing`,
		);
	}
	notes.push(`lost deals whose every portal delivery failed: ${lost.filter((id) => failedDeals.has(id) && !deliveries.some((d) => d.dealId === id && d.status === 200)).length} of ${lost.length}`);
	return notes;
}


/** One line of the summary table. */
type Measured = Omit<ScenarioResult, 'seconds'>;

interface ScenarioOptions {
	/** Waits for the outcome after `run` (default: every deal surveyed, or no new survey for the quiet period). */
	wait?: () => Promise<void>;
	/** The result lines (default: one, surveys per deal and the failed executions of template 01). */
	measure?: (started: number) => Promise<Measured[]>;
	/** What the progress line every 10 s shows (default: the surveys sent). */
	progress?: () => string;
}

async function scenario(name: string, stack: NpsStack, deals: number[], run: () => Promise<string[]>, options: ScenarioOptions = {}): Promise<ScenarioResult[]> {
	const started = Date.now();
	console.log(`\n[${name}] ${deals.length} deals…`);
	const loop = monitorEventLoopDelay({ resolution: 20 });
	loop.enable();
	const progress = setInterval(() => {
		const now = options.progress?.() ?? `sent ${count(stack, deals).sent}`;
		console.log(`  [${name}] +${Math.round((Date.now() - started) / 1000)} s: ${now}, portal deliveries ${stack.sandbox.events.deliveries.filter((d) => d.at >= started).length}, REST requests ${stack.sandbox.log.filter((e) => e.at >= started).length}, runner event-loop delay max ${Math.round(loop.max / 1e6)} ms, operating ${operatingUsage(stack)}`);
	}, 10_000);
	let notes: string[];
	try {
		notes = await run();
		await (options.wait ? options.wait() : waitForSurveys(stack, deals, 20 * 60_000));
	} finally {
		clearInterval(progress);
		loop.disable();
	}
	notes.push(`runner event-loop delay p50/p99/max: ${Math.round(loop.percentile(50) / 1e6)}/${Math.round(loop.percentile(99) / 1e6)}/${Math.round(loop.max / 1e6)} ms`);
	notes.push(...diagnostics(stack, started, deals));
	const lines = options.measure
		? await options.measure(started)
		: await (async () => {
				const failed = await failedExecutions(stack, started);
				return [{ name, expected: deals.length, ...count(stack, deals), failedExecutions: failed.length, notes: reasonNotes(failed) }];
			})();
	const seconds = Math.round((Date.now() - started) / 1000);
	// The run's own notes and the diagnostics go with the first line.
	const results = lines.map((line, i) => ({ ...line, seconds, notes: i === 0 ? [...notes, ...line.notes] : line.notes }));
	for (const result of results) {
		console.log(`[${result.name}] sent=${result.sent} expected=${result.expected} duplicates=${result.duplicates} lost=${result.lost} failed_executions=${result.failedExecutions} seconds=${result.seconds}`);
		for (const note of result.notes) console.log(`[${result.name}]   ${note}`);
	}
	return results;
}

/** Failed executions by reason (numbers as N). */
function reasonNotes(failed: Array<{ message: string; node?: string }>, what = 'failed execution(s)'): string[] {
	const reasons = new Map<string, number>();
	for (const f of failed) {
		const reason = `${f.node ? `at "${f.node}": ` : ''}${f.message.replace(/\d+/g, 'N')}`;
		reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
	}
	return [...reasons].sort((a, b) => b[1] - a[1]).map(([reason, n]) => `${n} ${what}: ${reason}`);
}

// --- 3. WhatsApp down ---------------------------------------------------------------------------

/** The seeded city that has no row in the table: here its branches get a WhatsApp-only row. */
const WHATSAPP_ONLY_CITY = 'Алматы';

/** The table with a WhatsApp-only row (channels "wazzup") for the branches of WHATSAPP_ONLY_CITY. */
function withWhatsAppOnlyBranch(rows: Array<Record<string, unknown>>, branches: SeedBranch[]): Array<Record<string, unknown>> {
	const extra = branches
		.filter((branch) => branch.city === WHATSAPP_ONLY_CITY && !rows.some((row) => String(row.branchId) === branch.id))
		.map((branch, n) => ({
			...rows[0],
			...branchColumns(branch),
			channels: 'wazzup',
			messageText: 'Здравствуйте, {firstName|клиент}! Спасибо за покупку в «{branch}», Алматы. Оцените нас от 0 до 10: {link}',
			smsText: '',
			yandexUrl: '',
			googleUrl: '',
			twoGisUrl: `https://2gis.kz/almaty/firm/70000002${n}/tab/reviews/addreview`,
		}));
	return [...rows, ...extra];
}

const WAZZUP_SEND = '/v3/message';

/**
 * The outage as the Wazzup sandbox plays it, request by request on POST /v3/message: the first
 * 45 % of the scenario's sends fail before Wazzup sends anything (mostly 502, a few resets and
 * held requests the client gives up on after its 30 s), the next 8 % fail after Wazzup sent the
 * message (502, one reset, one held), then Wazzup is back.
 */
function planOutage(stack: NpsStack, sends: number): { before: Record<ChannelFaultKind, number>; after: Record<ChannelFaultKind, number> } {
	const plan = { before: { serverError: 0, reset: 0, timeout: 0 }, after: { serverError: 0, reset: 0, timeout: 0 } };
	const before = Math.round(sends * 0.45);
	for (let i = 0; i < before; i++) {
		// A held request keeps one execution waiting 30 s: a few are enough.
		const kind: ChannelFaultKind = i % 40 === 20 && plan.before.timeout < 3 ? 'timeout' : i % 40 === 30 ? 'reset' : 'serverError';
		plan.before[kind]++;
		stack.wazzup.server.addFault({ kind, when: 'before', path: WAZZUP_SEND, times: 1 });
	}
	const after = Math.max(3, Math.round(sends * 0.08));
	for (let i = 0; i < after; i++) {
		const kind: ChannelFaultKind = i === 1 ? 'timeout' : i === 2 ? 'reset' : 'serverError';
		plan.after[kind]++;
		stack.wazzup.server.addFault({ kind, when: 'after', path: WAZZUP_SEND, times: 1 });
	}
	return plan;
}

const DEAL_IN_MESSAGE = /\bDeal (\d+)\b/;

/** The channels each deal's survey messages went by (all of them: WhatsApp and SMS). */
function messagesPerDeal(stack: NpsStack, deals: number[]): Map<number, Array<'wazzup' | 'smsc'>> {
	const wanted = new Set(deals);
	const perDeal = new Map<number, Array<'wazzup' | 'smsc'>>();
	for (const survey of stack.surveys()) if (wanted.has(survey.dealId)) perDeal.set(survey.dealId, [...(perDeal.get(survey.dealId) ?? []), survey.channel]);
	return perDeal;
}

/** The deal a failed execution names in its error message (0: none). */
const namedDeal = (failed: { message: string }) => Number(failed.message.match(DEAL_IN_MESSAGE)?.[1] ?? 0);
/** The deal of a failed execution: the one its message names, else the one in its data (undefined: neither). */
const dealOfFailure = (failed: FailedExecution): number | undefined => namedDeal(failed) || failed.dealId;

/** Deals with a message or a failed execution (whether its message names the deal or not). */
async function resolvedDeals(stack: NpsStack, deals: number[], since: number): Promise<number> {
	const messages = messagesPerDeal(stack, deals);
	const failed = new Set((await failedExecutions(stack, since)).map(dealOfFailure));
	return deals.filter((id) => messages.has(id) || failed.has(id)).length;
}

/**
 * n8n's own "Retry" (public API) of up to `limit` failed executions whose deal got no message, once
 * Wazzup is back: what an operator retrying them gets.
 */
async function retryFailed(stack: NpsStack, deals: number[], since: number, limit: number): Promise<string[]> {
	const messages = messagesPerDeal(stack, deals);
	const candidates = (await failedExecutions(stack, since)).filter((f) => !f.retryOf && dealOfFailure(f) && !messages.has(dealOfFailure(f)!));
	// Wazzup's 5xx first (the deals the issue expects to go by SMS), then the rest.
	candidates.sort((a, b) => Number(/HTTP_5/.test(b.message)) - Number(/HTTP_5/.test(a.message)));
	const picked = candidates.slice(0, limit);
	if (!picked.length) return ['retry: no failed execution whose deal got nothing'];
	const retried: Array<{ dealId: number; id?: string; status: string; message?: string; node?: string }> = [];
	for (const f of picked) {
		const answer = await stack.n8n.api<{ id?: string | number; message?: string }>('POST', `/executions/${f.id}/retry`, {});
		retried.push({ dealId: dealOfFailure(f)!, id: answer.body?.id === undefined ? undefined : String(answer.body.id), status: answer.status === 200 ? 'new' : `HTTP ${answer.status} ${answer.body?.message ?? ''}`.trim() });
	}
	const open = (r: (typeof retried)[number]) => Boolean(r.id) && ['new', 'running', 'waiting'].includes(r.status);
	for (const deadline = Date.now() + 120_000; Date.now() < deadline && retried.some(open); ) {
		await sleep(2000);
		for (const r of retried.filter(open)) {
			const details = await stack.n8n.api<{ status?: string; data?: ExecutionData }>('GET', `/executions/${r.id}?includeData=true`);
			r.status = details.body.status ?? r.status;
			r.message = details.body.data?.resultData?.error?.message;
			r.node = details.body.data?.resultData?.error?.node?.name;
		}
	}
	const after = messagesPerDeal(stack, deals);
	return [
		`n8n "Retry" (public API) of ${retried.length} failed executions whose deal got nothing, Wazzup back: ${histogram(retried.map((r) => r.status))}; deals surveyed by the retries: ${retried.filter((r) => after.has(r.dealId)).length} of ${retried.length}`,
		...reasonNotes(
			retried.filter((r) => r.message).map((r) => ({ message: r.message!, node: r.node })),
			'retried execution(s) failed again',
		),
	];
}

/** Per deal: messages over both channels, and the failed executions naming the deal. */
async function measureOutage(stack: NpsStack, deals: number[], since: number): Promise<Measured[]> {
	const { portal } = stack.sandbox;
	const messages = messagesPerDeal(stack, deals);
	const failed = await failedExecutions(stack, since);
	const originals = failed.filter((f) => !f.retryOf);
	// Failed visibly: an execution whose error message names the deal (what the operator sees).
	const failedByDeal = new Map<number, string>();
	for (const f of failed) if (namedDeal(f) && !failedByDeal.has(namedDeal(f))) failedByDeal.set(namedDeal(f), f.message);
	const failedAtAll = new Set(failed.map(dealOfFailure));
	const smsBranches = new Set(stack.rows.filter((r) => String(r.channels).includes('smsc')).map((r) => String(r.branchId)));
	const landline = (id: number) => {
		const contact = portal.contacts.get(Number(portal.getDeal(id).CONTACT_ID));
		return (contact?.PHONE as Array<{ VALUE_TYPE: string }> | undefined)?.[0]?.VALUE_TYPE === 'WORK';
	};
	const tally = { whatsapp: 0, acceptedButFailed: 0, smsLandline: 0, smsFallback: 0, both: 0, failedVisibly: 0, failedWhatsAppOnly: 0, failed5xxWithSms: 0, lost: [] as number[] };
	let duplicates = 0;
	for (const id of deals) {
		const channels = messages.get(id) ?? [];
		duplicates += Math.max(0, channels.length - 1);
		if (channels.includes('wazzup') && channels.includes('smsc')) tally.both++;
		else if (channels.includes('wazzup')) {
			tally.whatsapp++;
			if (failedAtAll.has(id)) tally.acceptedButFailed++;
		} else if (channels.includes('smsc')) {
			if (landline(id)) tally.smsLandline++;
			else tally.smsFallback++;
		} else if (failedByDeal.has(id)) {
			tally.failedVisibly++;
			if (!smsBranches.has(String(portal.getDeal(id).UF_CRM_1700000000001))) tally.failedWhatsAppOnly++;
			else if (/HTTP_5\d\d/.test(failedByDeal.get(id)!)) tally.failed5xxWithSms++;
		} else tally.lost.push(id);
	}
	const sends = stack.wazzup.server.log.filter((entry) => entry.at >= since && entry.path === WAZZUP_SEND);
	const notes = [
		`Wazzup POST ${WAZZUP_SEND} answers: ${histogram(sends.map((e) => String(e.status)))}`,
		`by WhatsApp: ${tally.whatsapp} (of which ${tally.acceptedButFailed} sent by Wazzup whose answer was lost: a failed execution, no SMS); by SMS: ${tally.smsLandline + tally.smsFallback} ` +
			`(${tally.smsLandline} landlines not on WhatsApp, ${tally.smsFallback} mobiles: the fallback after a Wazzup failure); by both: ${tally.both}; ` +
			`failed visibly: ${tally.failedVisibly} (${tally.failedWhatsAppOnly} in the WhatsApp-only branch); lost: ${tally.lost.length}${tally.lost.length ? ` (deals ${tally.lost.slice(0, 10).join(', ')}${tally.lost.length > 10 ? ', …' : ''})` : ''}`,
		...reasonNotes(originals),
	];
	if (tally.lost.length) {
		const traced = await traceDeals(stack, '01-deal-closed-survey.json', since, tally.lost.slice(0, 6));
		const deliveries = (id: number) => histogram(stack.sandbox.events.deliveries.filter((d) => d.at >= since && d.dealId === id).map((d) => (d.status ? `HTTP ${d.status}` : 'failed')));
		notes.push(
			`lost deals, traced: ${[...traced]
				.map(([id, runs]) => `deal ${id}: marker "${String(portal.getDeal(id).UF_CRM_1700000000002 ?? '')}", portal deliveries ${deliveries(id)}, executions ${runs.join('; ') || 'none'}`)
				.join(' | ')}`,
		);
	}
	const unnamed = originals.filter((f) => !DEAL_IN_MESSAGE.test(f.message));
	if (unnamed.length) {
		notes.push(
			`${unnamed.length} failed execution(s) do not name their deal (counted as lost when the deal got nothing): ` +
				unnamed
					.slice(0, 6)
					.map((f) => `#${f.id} at "${f.node ?? '?'}", deal ${f.dealId ?? '?'} (${messages.has(f.dealId ?? 0) ? 'got a message' : 'got nothing'}): ${f.message}${f.description ? ` (${f.description})` : ''}`)
					.join('; '),
		);
	}
	if (tally.failed5xxWithSms) {
		notes.push(
			`${tally.failed5xxWithSms} deals of branches with SMS failed visibly on a Wazzup 5xx and got no message: ` +
				'NPS Survey Send asked Wazzup twice more with the same crmMessageId (2 s and 10 s later) and still got a 5xx, so the message may have gone out and no SMS is sent on top',
		);
	}
	return [{ name: 'whatsapp', expected: deals.length, sent: messages.size, duplicates, lost: tally.lost.length, failedExecutions: originals.length, notes }];
}

// --- 5. Answers and review clicks ---------------------------------------------------------------

/** Scores by position: 5 promoters, 2 passives, 3 detractors in every 10 (as in the whole-flow test). */
const SCORE_PLAN = [10, 9, 3, 8, 10, 0, 7, 9, 5, 10];
/** Where a first review click moves the deal (template 03, "Confirm the review"). */
const REVIEW_STAGE = 'C1:REVIEW_CONFIRM';
const BROWSER = { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36' };
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const REVIEW_LINK = /href="([^"]*\/webhook\/nps-review-clicks\/r\/[^"]+)"/;

interface Customer {
	dealId: number;
	/** The survey link of the message the customer got. */
	link: string;
	score: number;
	comment?: string;
	/** HTTP statuses (0: no answer in 60 s): the survey page, the score, the comment (the last press). */
	page?: number;
	answered?: number;
	commented?: number;
	/** Times the customer pressed again after an error page (or none) instead of the thank-you. */
	pressedAgain?: number;
	/** The first review button of the page after the score (promoters). */
	reviewLink?: string;
	/** Statuses of this customer's clicks on it (302: redirected, and counted). */
	clicks: number[];
}

/** The deals among `deals` (in their order) whose survey reached them exactly once. */
function surveyedOnce(stack: NpsStack, deals: number[]): Array<{ dealId: number; link: string }> {
	const wanted = new Set(deals);
	const perDeal = new Map<number, string[]>();
	for (const survey of stack.surveys()) if (wanted.has(survey.dealId)) perDeal.set(survey.dealId, [...(perDeal.get(survey.dealId) ?? []), survey.link]);
	return deals.filter((id) => perDeal.get(id)?.length === 1).map((id) => ({ dealId: id, link: perDeal.get(id)![0] }));
}

/** What n8n answered to refused customer requests: "what: HTTP status: the start of the body". */
const refusals: string[] = [];

/** An HTTP call that gives up after 60 s (undefined: no answer); a refusal is noted under `what`. */
async function call(what: string, url: string, options: Parameters<typeof rawRequest>[1]): Promise<RawResponse | undefined> {
	const response = await callOnce(url, options);
	if (!response || response.status >= 400) refusals.push(`${what}: ${response ? `HTTP ${response.status} "${response.text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 60)}"` : 'no answer in 60 s'}`);
	return response;
}

async function callOnce(url: string, options: Parameters<typeof rawRequest>[1]): Promise<RawResponse | undefined> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<undefined>((resolve) => {
		timer = setTimeout(() => resolve(undefined), 60_000);
	});
	try {
		return await Promise.race([rawRequest(url, options).catch(() => undefined), timeout]);
	} finally {
		clearTimeout(timer);
	}
}

/**
 * The customers answer within `seconds`, as a browser would: the survey page, then the score; some
 * leave a comment 1–6 s later. Promoters click the first review button of the page they got 1–3
 * times: at once, a second click at the same moment, a third 0–3 s later. A customer whose score or
 * comment gets an error page (n8n's 5xx) or nothing back presses again 5 s later, twice at most: the
 * page is sent only once n8n stored the answer, so an error page means "not taken".
 */
async function answerAndClick(customers: Customer[], seconds: number, random: () => number): Promise<void> {
	const started = Date.now();
	const running: Array<Promise<void>> = [];
	for (const [i, customer] of customers.entries()) {
		const due = started + (i / customers.length) * seconds * 1000;
		if (due > Date.now()) await sleep(due - Date.now());
		const clicks = 1 + Math.floor(random() * 3);
		const commentDelay = 1000 + random() * 5000;
		const thirdClick = random() * 3000;
		running.push(
			(async () => {
				const token = tokenFromUrl(customer.link) ?? '';
				customer.page = (await call('survey page', customer.link, { method: 'GET', headers: BROWSER }))?.status ?? 0;
				const press = async (what: string, body: string) => {
					for (let attempt = 0; ; attempt++) {
						const answer = await call(what, customer.link, { body, headers: { ...BROWSER, ...FORM } });
						if ((answer && answer.status < 500) || attempt >= 2) return answer;
						customer.pressedAgain = (customer.pressedAgain ?? 0) + 1;
						await sleep(5000);
					}
				};
				const page = await press('score', new URLSearchParams({ t: token, step: 'score', score: String(customer.score) }).toString());
				customer.answered = page?.status ?? 0;
				const next: Array<Promise<unknown>> = [];
				if (customer.comment) {
					const body = new URLSearchParams({ t: token, step: 'comment', score: String(customer.score), comment: customer.comment }).toString();
					next.push(sleep(commentDelay).then(async () => (customer.commented = (await press('comment', body))?.status ?? 0)));
				}
				customer.reviewLink = page?.text.match(REVIEW_LINK)?.[1]?.replace(/&amp;/g, '&');
				if (customer.reviewLink) {
					const click = async () => customer.clicks.push((await call('click', customer.reviewLink!, { method: 'GET', headers: BROWSER }))?.status ?? 0);
					next.push(click());
					if (clicks >= 2) next.push(click());
					if (clicks >= 3) next.push(sleep(thirdClick).then(click));
				}
				await Promise.all(next);
			})(),
		);
	}
	await Promise.all(running);
}

/** What the portal holds per deal: answer rows, tasks (titles) bound to the deal, entries into the review stage. */
function portalRecords(stack: NpsStack): { rows: Map<number, Array<Record<string, unknown>>>; tasks: Map<number, string[]>; reviewMoves: Map<number, number> } {
	const { portal, seeded } = stack.sandbox;
	const rows = new Map<number, Array<Record<string, unknown>>>();
	for (const row of portal.itemStore(seeded.npsSmartProcess.entityTypeId).values()) {
		const id = Number(row.parentId2);
		rows.set(id, [...(rows.get(id) ?? []), row]);
	}
	const tasks = new Map<number, string[]>();
	for (const task of portal.tasks.values()) {
		for (const binding of (task.ufCrmTask as string[] | undefined) ?? []) {
			if (!binding.startsWith('D_')) continue;
			const id = Number(binding.slice(2));
			tasks.set(id, [...(tasks.get(id) ?? []), String(task.title)]);
		}
	}
	const reviewMoves = new Map<number, number>();
	for (const entry of portal.stageHistory) if (entry.STAGE_ID === REVIEW_STAGE) reviewMoves.set(entry.OWNER_ID, (reviewMoves.get(entry.OWNER_ID) ?? 0) + 1);
	return { rows, tasks, reviewMoves };
}

const hasScore = (row: Record<string, unknown>, score: number) => row.UF_CRM_7_NPS_SCORE !== null && row.UF_CRM_7_NPS_SCORE !== undefined && row.UF_CRM_7_NPS_SCORE !== '' && Number(row.UF_CRM_7_NPS_SCORE) === score;
const reviewTasks = (titles: string[] | undefined) => (titles ?? []).filter((title) => title.includes('Проверить отзыв')).length;
const clickedOnce = (customer: Customer) => customer.clicks.includes(302);

/** Answered deals whose row has the score, plus clicked deals with their review task: what the wait watches. */
function answersProgress(stack: NpsStack, customers: Customer[]): { answers: number; clicks: number } {
	const { rows, tasks } = portalRecords(stack);
	return {
		answers: customers.filter((c) => (rows.get(c.dealId) ?? []).some((row) => hasScore(row, c.score))).length,
		clicks: customers.filter((c) => clickedOnce(c) && reviewTasks(tasks.get(c.dealId)) > 0).length,
	};
}

async function measureAnswers(stack: NpsStack, customers: Customer[], since: number): Promise<Measured[]> {
	const { portal } = stack.sandbox;
	const { rows, tasks, reviewMoves } = portalRecords(stack);
	// Answers: one row per answered deal, with the score given.
	let duplicateRows = 0;
	const lost: Customer[] = [];
	for (const c of customers) {
		const own = rows.get(c.dealId) ?? [];
		duplicateRows += Math.max(0, own.length - 1);
		if (!own.some((row) => hasScore(row, c.score))) lost.push(c);
	}
	const commented = customers.filter((c) => c.comment);
	const commentsSaved = commented.filter((c) => (rows.get(c.dealId) ?? []).some((row) => String(row.UF_CRM_7_COMMENT ?? '').includes(c.comment!))).length;
	const detractors = customers.filter((c) => c.score <= 6 && c.answered === 200);
	const unhappyTasks = detractors.map((c) => (tasks.get(c.dealId) ?? []).filter((title) => title.includes('Недовольный клиент')).length);
	const failedAnswers = await failedExecutions(stack, since, '02-answers.json');
	const answerRuns = await executionsSince(stack, '02-answers.json', since);
	const answerNotes = [
		`survey pages ${histogram(customers.map((c) => `HTTP ${c.page}`))}; scores posted ${histogram(customers.map((c) => `HTTP ${c.answered}`))}; comments posted ${histogram(commented.map((c) => `HTTP ${c.commented}`))} (the last press); customers who pressed again after an error page: ${customers.filter((c) => c.pressedAgain).length} (${customers.reduce((n, c) => n + (c.pressedAgain ?? 0), 0)} presses)`,
		`scores: ${histogram(customers.map((c) => (c.score >= 9 ? 'promoter' : c.score >= 7 ? 'passive' : 'detractor')))}; executions of template 02: ${answerRuns.length} (${histogram(answerRuns.map((e) => e.status))}) for ${customers.filter((c) => c.answered === 200).length + commented.filter((c) => c.commented === 200).length} accepted answers and comments`,
		`rows: ${customers.filter((c) => rows.has(c.dealId)).length} deals with a row, ${duplicateRows} extra rows (deals ${customers.filter((c) => (rows.get(c.dealId)?.length ?? 0) > 1).slice(0, 10).map((c) => c.dealId).join(', ') || 'none'}); comments saved in the row: ${commentsSaved} of ${commented.length}`,
		`detractors: ${detractors.filter((c) => portal.getDeal(c.dealId).STAGE_ID === 'C2:NEW').length} of ${detractors.length} moved to C2:NEW; "Недовольный клиент" tasks per detractor deal: ${histogram(unhappyTasks.map(String))}`,
		...(lost.length ? [`answered deals without a row holding their score, by what n8n answered to the score: ${histogram(lost.map((c) => `HTTP ${c.answered}`))} (a refused answer never reaches the workflow: the customer saw an error page)`] : []),
		...(lost.length ? [`answered deals without a row holding their score: ${[...lost].sort((a, b) => Number(b.answered === 200) - Number(a.answered === 200)).slice(0, 10).map((c) => `${c.dealId} (score ${c.score}, HTTP ${c.answered}, rows ${(rows.get(c.dealId) ?? []).map((r) => `#${String(r.id)}=${String(r.UF_CRM_7_NPS_SCORE ?? '')}`).join(' ') || 'none'})`).join(', ')}${lost.length > 10 ? ', …' : ''}`] : []),
		...(refusals.length ? [`requests n8n refused: ${histogram(refusals)}`] : []),
		...reasonNotes(failedAnswers),
	];
	// Clicks: per clicked deal, one move into the review stage and one review task.
	const clicked = customers.filter(clickedOnce);
	let extra = 0;
	const missing: Customer[] = [];
	for (const c of customers) {
		const made = reviewTasks(tasks.get(c.dealId));
		const moves = reviewMoves.get(c.dealId) ?? 0;
		extra += Math.max(0, made - 1) + Math.max(0, moves - 1);
		if (clickedOnce(c) && (!made || !moves)) missing.push(c);
	}
	// A review task or move for a deal nobody clicked at all counts as a duplicate too. A click that
	// got no answer in time (or a 500) may still have been taken by n8n: its move and task are not extra.
	const unclicked = customers.filter((c) => c.clicks.length === 0 && (reviewTasks(tasks.get(c.dealId)) > 0 || reviewMoves.has(c.dealId)));
	const takenUnanswered = customers.filter((c) => c.clicks.length > 0 && !clickedOnce(c) && reviewTasks(tasks.get(c.dealId)) > 0);
	const allClicks = customers.flatMap((c) => c.clicks);
	const failedClicks = await failedExecutions(stack, since, '03-review-clicks.json');
	const clickRuns = await executionsSince(stack, '03-review-clicks.json', since);
	const clickNotes = [
		`clicks: ${allClicks.length} on ${customers.filter((c) => c.reviewLink).length} promoters' review links (${histogram(allClicks.map((s) => `HTTP ${s}`))}); clicks per clicked deal ${histogram(clicked.map((c) => String(c.clicks.filter((s) => s === 302).length)))}`,
		`executions of template 03: ${clickRuns.length} (${histogram(clickRuns.map((e) => e.status))}) for ${allClicks.filter((s) => s === 302).length} redirected clicks`,
		`promoters whose page had no review button: ${customers.filter((c) => c.score >= 9 && c.answered === 200 && !c.reviewLink).length}; promoters all of whose clicks n8n refused: ${customers.filter((c) => c.clicks.length && !clickedOnce(c)).length}; deals with a review task or move nobody clicked for: ${unclicked.length}; deals whose clicks n8n did not answer in time but took (move and task made): ${takenUnanswered.length}`,
		...(missing.length ? [`clicked deals without the move or the task: ${missing.slice(0, 10).map((c) => `${c.dealId} (tasks ${reviewTasks(tasks.get(c.dealId))}, moves ${reviewMoves.get(c.dealId) ?? 0}, stage ${String(portal.getDeal(c.dealId).STAGE_ID)})`).join(', ')}${missing.length > 10 ? ', …' : ''}`] : []),
		...reasonNotes(failedClicks),
	];
	return [
		{ name: 'answers', expected: customers.length, sent: customers.length - lost.length, duplicates: duplicateRows, lost: lost.length, failedExecutions: failedAnswers.length, notes: answerNotes },
		{ name: 'clicks', expected: clicked.length, sent: clicked.length - missing.length, duplicates: extra + unclicked.length, lost: missing.length, failedExecutions: failedClicks.length, notes: clickNotes },
	];
}

async function main(): Promise<void> {
	const random = mulberry32(20261122);
	let queue: QueueModeN8n | undefined;
	const stack = await startNpsStack({
		// Every scenario takes fresh deals (one per contact, in the table's branches): about one seeded deal in four qualifies.
		deals: Math.max(4000, STORM * 8 + 4000),
		contacts: 20_000,
		ratePlan: 'custom',
		customRate: RATE,
		templates: ['06-errors.json', '01-deal-closed-survey.json', '02-answers.json', '03-review-clicks.json'],
		// The outage scenario also needs a branch whose customers can only get WhatsApp.
		rows: ONLY.includes('whatsapp') ? withWhatsAppOnlyBranch : undefined,
		// The catch-up and resume polls at a pace a test can wait for: every minute, entries older than a minute (four).
		adjustTemplate: (file, workflow) => {
			for (const [name, settle] of [
				['Catch up missed events', CATCH_UP_SETTLE_MINUTES],
				['Resume unfinished runs', RESUME_SETTLE_MINUTES],
			] as const) {
				const poll = workflow.nodes.find((node) => node.name === name);
				if (!poll) continue;
				const parameters = poll.parameters as { pollTimes: unknown; options: { settleMinutes?: number } };
				parameters.pollTimes = { item: [{ mode: 'everyMinute' }] };
				parameters.options.settleMinutes = settle;
			}
		},
		log: (line) => console.log(`  ${line}`),
		startN8n: async () => (queue = await startQueueModeN8n({ workers: 2, concurrency: 10, keepTempDirs: KEEP, env: EXTRA_ENV, roleEnv: ROLE_ENV })),
	});
	const results: ScenarioResult[] = [];
	const used = new Set<number>();
	// The SMSC sandbox starts with 1000 roubles, about a thousand SMS: a storm of 2000 would run it dry.
	stack.smsc.setBalance(1_000_000);
	try {
		if (ONLY.includes('storm')) {
			const deals = openDeals(stack, used, STORM);
			results.push(...(await scenario('storm', stack, deals, async () => {
				await closeDeals(stack, deals, 20, random);
				return [`events delivered by the portal: ${stack.sandbox.events.deliveries.length}`];
			})));
		}
		if (ONLY.includes('faults')) {
			const deals = openDeals(stack, used, Math.min(STORM, 500));
			results.push(...(await scenario('faults', stack, deals, async () => {
				stack.sandbox.randomFaults = { rate: 0.2, kinds: ['queryLimit', 'serverError', 'badGateway'], seed: 7 };
				await closeDeals(stack, deals, 10, random);
				await waitForSurveys(stack, deals, 10 * 60_000);
				stack.sandbox.clearFaults();
				return ['Bitrix24 refused 20 % of requests (QUERY_LIMIT_EXCEEDED 503, 500, 502) while these deals closed'];
			})));
		}
		if (ONLY.includes('kill') && queue) {
			const deals = openDeals(stack, used, Math.min(STORM, 400));
			// The killed runs' deals come back through the resume poll: the wait outlasts its settle time.
			results.push(...(await scenario('kill', stack, deals, async () => {
				const closing = closeDeals(stack, deals, 8, random);
				await sleep(4000);
				await queue!.killWorker('worker-1', 'SIGKILL');
				await closing;
				await sleep(2000);
				await queue!.restartWorker('worker-1');
				return [`worker-1 killed with SIGKILL 4 s into the storm, restarted 6 s later; the resume poll looks at entries ${RESUME_SETTLE_MINUTES} minutes old`];
			}, { wait: () => waitForSurveys(stack, deals, 20 * 60_000, Math.max(QUIET_MS, (RESUME_SETTLE_MINUTES + 2) * 60_000)) })));
		}
		if (ONLY.includes('whatsapp')) {
			// Two deals of branches with SMS to one of the WhatsApp-only branch, mixed, so both meet the outage.
			const size = Math.min(STORM, 300);
			const withSms = openDeals(stack, used, size - Math.floor(size / 3));
			const whatsappOnly = openDeals(stack, used, Math.floor(size / 3), { whatsappOnly: true });
			const deals = withSms.flatMap((id, i) => (i % 2 === 1 && whatsappOnly[(i - 1) / 2] ? [id, whatsappOnly[(i - 1) / 2]] : [id]));
			deals.push(...whatsappOnly.slice(Math.floor(withSms.length / 2)));
			results.push(
				...(await scenario(
					'whatsapp',
					stack,
					deals,
					async () => {
						const started = Date.now();
						const plan = planOutage(stack, deals.length);
						await closeDeals(stack, deals, 20, random);
						await waitUntil(stack, () => resolvedDeals(stack, deals, started), deals.length, ['01-deal-closed-survey.json'], 10 * 60_000);
						stack.wazzup.server.clearFaults();
						const retried = await retryFailed(stack, deals, started, 10);
						return [
							`Wazzup down for the first sends: ${plan.before.serverError} × 502, ${plan.before.reset} × reset, ${plan.before.timeout} × held past the client's 30 s, before it sends; ` +
								`then ${plan.after.serverError} × 502, ${plan.after.reset} × reset, ${plan.after.timeout} × held after it sent; deals in the WhatsApp-only branch: ` +
								`${deals.filter((id) => !stack.rows.some((r) => String(r.branchId) === String(stack.sandbox.portal.getDeal(id).UF_CRM_1700000000001) && String(r.channels).includes('smsc'))).length}`,
							...retried,
						];
					},
					{ wait: async () => undefined, measure: (started) => measureOutage(stack, deals, started) },
				)),
			);
		}
		if (ONLY.includes('answers')) {
			// Deals surveyed (once) by the scenarios before, storm first; without any, a storm of their own.
			let ready = surveyedOnce(stack, [...used]);
			if (!ready.length) {
				const deals = openDeals(stack, used, Math.min(STORM, ANSWERS));
				results.push(
					...(await scenario('storm', stack, deals, async () => {
						await closeDeals(stack, deals, 20, random);
						return ['the storm of the answers scenario (storm itself was not selected)'];
					})),
				);
				ready = surveyedOnce(stack, deals);
			}
			const customers: Customer[] = ready.slice(0, ANSWERS).map(({ dealId, link }, i) => {
				const score = SCORE_PLAN[i % SCORE_PLAN.length];
				const comments = score <= 6 ? random() < 0.6 : score <= 8 && random() < 0.2;
				return { dealId, link, score, clicks: [], ...(comments ? { comment: `Оценка ${score}: долго ждали выдачи, сделка ${dealId}` } : {}) };
			});
			const progress = () => answersProgress(stack, customers);
			results.push(
				...(await scenario(
					'answers',
					stack,
					customers.map((c) => c.dealId),
					async () => {
						const firing = Date.now();
						await answerAndClick(customers, 20, random);
						return [`${customers.length} customers answered within 20 s; n8n had answered all their requests after ${Math.round((Date.now() - firing) / 1000)} s`];
					},
					{
						progress: () => {
							const now = progress();
							return `answers with their row ${now.answers}, clicked deals with their task ${now.clicks}`;
						},
						wait: () =>
							waitUntil(
								stack,
								() => {
									const now = progress();
									return now.answers + now.clicks;
								},
								customers.filter((c) => c.answered === 200).length + customers.filter(clickedOnce).length,
								['02-answers.json', '03-review-clicks.json'],
								20 * 60_000,
							),
						measure: (started) => measureAnswers(stack, customers, started),
					},
				)),
			);
		}
	} finally {
		const duplicates = results.reduce((sum, r) => sum + r.duplicates, 0);
		const lost = results.reduce((sum, r) => sum + r.lost, 0);
		console.log('\nscenario  sent / expected  duplicates  lost  failed executions  seconds');
		for (const r of results) console.log(`${r.name.padEnd(9)} ${String(r.sent).padStart(5)} / ${String(r.expected).padEnd(8)} ${String(r.duplicates).padStart(10)} ${String(r.lost).padStart(5)} ${String(r.failedExecutions).padStart(18)} ${String(r.seconds).padStart(8)}`);
		if (queue && KEEP) {
			for (const name of queue.processes.names()) console.log(`log of ${name}: ${queue.processes.get(name).logFile}`);
		}
		await stack.stop();
		console.log(`scale_duplicates=${duplicates} scale_lost=${lost}`);
		process.exitCode = duplicates === 0 && lost === 0 && results.length > 0 ? 0 : 1;
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
