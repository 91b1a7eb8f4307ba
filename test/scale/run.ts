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
 *  4. a worker killed mid-run → what n8n runs again sends no second survey.
 * The last line reads `scale_duplicates=<n> scale_lost=<n>`.
 *
 * Options: `--deals=<n>` per storm (default 2000), `--only=storm,faults,kill`.
 */

import { monitorEventLoopDelay } from 'node:perf_hooks';

import { mulberry32 } from '../sandbox/bitrix24/seed';
import { startNpsStack, type NpsStack } from '../support/npsStack';
import { startQueueModeN8n, type QueueModeN8n } from '../support/queueMode';
import { rawRequest } from '../support/rawHttp';

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

const argument = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const STORM = Number(argument('deals') ?? 2000);
const ONLY = (argument('only') ?? 'storm,faults,kill').split(',');
/** Standard's ratio (2/s, burst 50 = 25 s of requests) at 25× speed. */
const RATE = { requestsPerSecond: 50, burst: 1250 };
/** `--keep`: keep n8n's temporary folders (logs, data) after the run. */
const KEEP = process.argv.includes('--keep');
/** `--env=NAME=value,NAME=value`: extra environment for every n8n process (for experiments). */
const envArgument = (name: string): Record<string, string> =>
	Object.fromEntries(
		(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(`--${name}=`.length) ?? '')
			.split(',')
			.filter(Boolean)
			.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
	);
const EXTRA_ENV = envArgument('env');
/** `--webhook-env=…`, `--worker-env=…`: the same for the webhook process or the workers only. */
const ROLE_ENV = { webhook: envArgument('webhook-env'), worker: envArgument('worker-env') };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function openDeals(stack: NpsStack, used: Set<number>, count: number): number[] {
	const { portal } = stack.sandbox;
	const branches = new Set(stack.rows.map((r) => String(r.branchId)));
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

async function failedExecutions(stack: NpsStack, since: number): Promise<Array<{ id: string; message: string }>> {
	const failed: Array<{ id: string; message: string }> = [];
	for (const execution of await stack.executions('01-deal-closed-survey.json')) {
		if (execution.status !== 'error' && execution.status !== 'crashed') continue;
		const details = await stack.n8n.api<{ startedAt: string; data?: { resultData?: { error?: { message?: string } } } }>('GET', `/executions/${execution.id}?includeData=true`);
		if (new Date(details.body.startedAt).getTime() < since) continue;
		failed.push({ id: execution.id, message: details.body.data?.resultData?.error?.message ?? execution.status });
	}
	return failed;
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


async function scenario(name: string, stack: NpsStack, deals: number[], run: () => Promise<string[]>): Promise<ScenarioResult> {
	const started = Date.now();
	console.log(`\n[${name}] ${deals.length} deals…`);
	const loop = monitorEventLoopDelay({ resolution: 20 });
	loop.enable();
	const progress = setInterval(() => {
		const now = count(stack, deals);
		console.log(`  [${name}] +${Math.round((Date.now() - started) / 1000)} s: sent ${now.sent}, portal deliveries ${stack.sandbox.events.deliveries.filter((d) => d.at >= started).length}, REST requests ${stack.sandbox.log.filter((e) => e.at >= started).length}, runner event-loop delay max ${Math.round(loop.max / 1e6)} ms, operating ${operatingUsage(stack)}`);
	}, 10_000);
	let notes: string[];
	try {
		notes = await run();
		await waitForSurveys(stack, deals, 20 * 60_000);
	} finally {
		clearInterval(progress);
		loop.disable();
	}
	notes.push(`runner event-loop delay p50/p99/max: ${Math.round(loop.percentile(50) / 1e6)}/${Math.round(loop.percentile(99) / 1e6)}/${Math.round(loop.max / 1e6)} ms`);
	notes.push(...diagnostics(stack, started, deals));
	const counted = count(stack, deals);
	const failed = await failedExecutions(stack, started);
	const reasons = new Map<string, number>();
	for (const f of failed) reasons.set(f.message.replace(/\d+/g, 'N'), (reasons.get(f.message.replace(/\d+/g, 'N')) ?? 0) + 1);
	for (const [reason, n] of reasons) notes.push(`${n} failed execution(s): ${reason}`);
	const result = { name, expected: deals.length, ...counted, failedExecutions: failed.length, seconds: Math.round((Date.now() - started) / 1000), notes };
	console.log(`[${name}] sent=${result.sent} expected=${result.expected} duplicates=${result.duplicates} lost=${result.lost} failed_executions=${result.failedExecutions} seconds=${result.seconds}`);
	for (const note of notes) console.log(`[${name}]   ${note}`);
	return result;
}

async function main(): Promise<void> {
	const random = mulberry32(20261122);
	let queue: QueueModeN8n | undefined;
	const stack = await startNpsStack({
		deals: Math.max(4000, STORM * 5 + 1500),
		contacts: 20_000,
		ratePlan: 'custom',
		customRate: RATE,
		templates: ['06-errors.json', '01-deal-closed-survey.json', '02-answers.json', '03-review-clicks.json'],
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
			results.push(await scenario('storm', stack, deals, async () => {
				await closeDeals(stack, deals, 20, random);
				return [`events delivered by the portal: ${stack.sandbox.events.deliveries.length}`];
			}));
		}
		if (ONLY.includes('faults')) {
			const deals = openDeals(stack, used, Math.min(STORM, 500));
			results.push(await scenario('faults', stack, deals, async () => {
				stack.sandbox.randomFaults = { rate: 0.2, kinds: ['queryLimit', 'serverError', 'badGateway'], seed: 7 };
				await closeDeals(stack, deals, 10, random);
				await waitForSurveys(stack, deals, 10 * 60_000);
				stack.sandbox.clearFaults();
				return ['Bitrix24 refused 20 % of requests (QUERY_LIMIT_EXCEEDED 503, 500, 502) while these deals closed'];
			}));
		}
		if (ONLY.includes('kill') && queue) {
			const deals = openDeals(stack, used, Math.min(STORM, 400));
			results.push(await scenario('kill', stack, deals, async () => {
				const closing = closeDeals(stack, deals, 8, random);
				await sleep(4000);
				await queue!.killWorker('worker-1', 'SIGKILL');
				await closing;
				await sleep(2000);
				await queue!.restartWorker('worker-1');
				return ['worker-1 killed with SIGKILL 4 s into the storm, restarted 6 s later'];
			}));
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
