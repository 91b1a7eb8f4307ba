/* eslint-disable no-console, @n8n/community-nodes/no-restricted-globals -- a command-line smoke test of the queue-mode harness, never inside n8n */
/**
 * Smoke test of `test/support/queueMode.ts`, run by hand:
 *
 *     node scripts/run-ts.js test/scale/queueMode.smoke.ts
 *
 * 1. Starts PostgreSQL, Redis, the main process, two workers and the webhook process.
 * 2. Publishes Webhook (GET `qm-smoke`, answers with the last node) → Set, calls it 50 times at
 *    once through the webhook process, and checks: every call answered, 50 executions 'success'
 *    in the main's public API, and both workers ran some (from their logs).
 * 3. Finding, not pass/fail: 30 slow executions (a 2 s Wait node) run while worker-1 is killed
 *    with SIGKILL; prints what n8n answered the callers and which status the executions ended in.
 * 4. Stops everything and checks no process group is left.
 *
 * Exit code 0 when the checks of 2 and 4 pass.
 */

import { randomUUID } from 'node:crypto';

import { listExecutions } from '../support/n8n';
import { startQueueModeN8n, type QueueModeN8n } from '../support/queueMode';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FAST_CALLS = 50;
const SLOW_CALLS = 30;

interface ExecutionSummary {
	id: string;
	status: string;
	finished: boolean;
	startedAt: string;
	stoppedAt: string | null;
}

function workflow(name: string, path: string, waitSeconds?: number): Record<string, unknown> {
	const nodes: Array<Record<string, unknown>> = [
		{
			id: randomUUID(),
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: randomUUID(),
			parameters: { httpMethod: 'GET', path, responseMode: 'lastNode', options: {} },
		},
		{
			id: randomUUID(),
			name: 'Set',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [440, 0],
			parameters: {
				assignments: {
					assignments: [
						{ id: randomUUID(), name: 'ok', value: true, type: 'boolean' },
						{ id: randomUUID(), name: 'i', value: '={{ $("Webhook").item.json.query.i }}', type: 'string' },
					],
				},
				options: {},
			},
		},
	];
	const connections: Record<string, unknown> = {};
	if (waitSeconds === undefined) {
		connections.Webhook = { main: [[{ node: 'Set', type: 'main', index: 0 }]] };
	} else {
		nodes.push({
			id: randomUUID(),
			name: 'Wait',
			type: 'n8n-nodes-base.wait',
			typeVersion: 1.1,
			position: [220, 0],
			webhookId: randomUUID(),
			parameters: { resume: 'timeInterval', amount: waitSeconds, unit: 'seconds' },
		});
		connections.Webhook = { main: [[{ node: 'Wait', type: 'main', index: 0 }]] };
		connections.Wait = { main: [[{ node: 'Set', type: 'main', index: 0 }]] };
	}
	return { name, nodes, connections, settings: { executionOrder: 'v1' } };
}


/** Waits until `expected` executions exist and none is still new/running (or the time is up). */
async function settledExecutions(n8n: QueueModeN8n, workflowId: string, expected: number, timeoutMs: number): Promise<ExecutionSummary[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const list = await listExecutions<ExecutionSummary>(n8n, `workflowId=${workflowId}`);
		const open = list.filter((e) => ['new', 'running'].includes(e.status));
		if ((list.length >= expected && open.length === 0) || Date.now() > deadline) return list;
		await sleep(500);
	}
}

interface Call {
	i: number;
	status: number;
	body: string;
	ms: number;
}

async function call(url: string, i: number, timeoutMs: number): Promise<Call> {
	const t = Date.now();
	try {
		const response = await fetch(`${url}?i=${i}`, { signal: AbortSignal.timeout(timeoutMs) });
		return { i, status: response.status, body: await response.text(), ms: Date.now() - t };
	} catch (error) {
		return { i, status: 0, body: String(error), ms: Date.now() - t };
	}
}

const percentile = (values: number[], p: number) => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const countBy = <T>(items: T[], key: (item: T) => string) => {
	const counts: Record<string, number> = {};
	for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
	return counts;
};

function groupGone(pid: number): boolean {
	try {
		process.kill(-pid, 0);
		return false;
	} catch {
		return true;
	}
}

async function main(): Promise<void> {
	const failures: string[] = [];
	const check = (ok: boolean, message: string) => {
		console.log(`${ok ? 'ok  ' : 'FAIL'} ${message}`);
		if (!ok) failures.push(message);
	};

	const t0 = Date.now();
	console.log('Starting PostgreSQL, Redis and n8n in queue mode (main, 2 workers, webhook)…');
	const n8n = await startQueueModeN8n({ workers: 2, concurrency: 10 });
	const interrupt = () => {
		console.log('\nInterrupted: stopping everything…');
		void n8n.stop().finally(() => process.exit(130));
	};
	process.once('SIGINT', interrupt);
	process.once('SIGTERM', interrupt);
	console.log(`Ready in ${((Date.now() - t0) / 1000).toFixed(1)} s. Startup (ms): ${JSON.stringify(n8n.timings)}`);
	console.log(`  main ${n8n.baseUrl}  webhook ${n8n.webhookBaseUrl}  postgres :${n8n.postgres.port}  redis :${n8n.redis.port}`);
	/** Every process group started (a restarted worker adds one). */
	const groups = () => [
		...n8n.processes.names().map((name) => ({ name, pid: n8n.processes.get(name).process.pid })),
		{ name: 'postgres', pid: n8n.postgres.process.pid },
		{ name: 'redis', pid: n8n.redis.process.pid },
	];
	const pids = groups();

	try {
		// ---- 1. 50 calls at once through the webhook process --------------------------------
		let t = Date.now();
		const fastId = await n8n.publish(workflow('QM smoke', 'qm-smoke'), ['qm-smoke']);
		console.log(`\nPublished "QM smoke" (${fastId}); the webhook process answered its path after ${Date.now() - t} ms`);
		const onMain = await fetch(`${n8n.baseUrl}/webhook/qm-smoke`, { method: 'GET' });
		const onMainBody = await onMain.text();
		console.log(`  the same path on the main process: HTTP ${onMain.status} ${onMainBody.slice(0, 100).replace(/\s+/g, ' ')}`);

		t = Date.now();
		const calls = await Promise.all(Array.from({ length: FAST_CALLS }, (_, i) => call(`${n8n.webhookBaseUrl}/webhook/qm-smoke`, i, 120_000)));
		const wall = Date.now() - t;
		const good = calls.filter((c) => c.status === 200 && (JSON.parse(c.body) as { ok?: boolean; i?: string }).i === String(c.i));
		const latencies = calls.map((c) => c.ms);
		console.log(`  ${FAST_CALLS} concurrent calls: ${wall} ms wall, latency p50 ${percentile(latencies, 50)} / p95 ${percentile(latencies, 95)} / max ${Math.max(...latencies)} ms`);
		check(good.length === FAST_CALLS, `all ${FAST_CALLS} calls answered 200 with their own item (${good.length}; others: ${JSON.stringify(calls.filter((c) => !good.includes(c)).slice(0, 3))})`);

		t = Date.now();
		const fast = await settledExecutions(n8n, fastId, FAST_CALLS, 60_000);
		const statuses = countBy(fast, (e) => e.status);
		console.log(`  executions in the public API after ${Date.now() - t} ms: ${JSON.stringify(statuses)}`);
		check(fast.length === FAST_CALLS && statuses.success === FAST_CALLS, `${FAST_CALLS} executions, all 'success'`);
		const perWorker = countBy(fast, (e) => n8n.workerOf(e.id) ?? 'unknown');
		console.log(`  executions per worker (from "Worker started execution <id>" in the workers' logs): ${JSON.stringify(perWorker)}`);
		check(n8n.processes.workers().every((w) => (perWorker[w] ?? 0) > 0) && !perWorker.unknown, 'both workers ran some executions, each execution attributed to one worker');

		// ---- 2. Finding: a worker killed while 30 slow executions run ---------------------
		const slowId = await n8n.publish(workflow('QM slow', 'qm-slow', 2), ['qm-slow']);
		const fastIds = new Set(fast.map((e) => e.id));
		const startedOn = (worker: string) => (n8n.executionsByWorker().get(worker) ?? []).filter((id) => !fastIds.has(id));
		const finishedOn = (worker: string) => [...n8n.processes.get(worker).process.logs().matchAll(/Worker finished execution (\S+) \(job/g)].map((m) => m[1]);
		console.log(`\nPublished "QM slow" (${slowId}): Webhook → Wait 2 s → Set. ${SLOW_CALLS} calls at once, then worker-1 gets SIGKILL.`);
		t = Date.now();
		const slowCalls = Promise.all(Array.from({ length: SLOW_CALLS }, (_, i) => call(`${n8n.webhookBaseUrl}/webhook/qm-slow`, i, 300_000)));
		for (const deadline = Date.now() + 20_000; startedOn('worker-1').length === 0 && Date.now() < deadline; ) await sleep(25);
		await sleep(300); // let worker-1 take up to its concurrency
		const inFlight = startedOn('worker-1').filter((id) => !finishedOn('worker-1').includes(id));
		const killedAt = Date.now();
		await n8n.killWorker('worker-1', 'SIGKILL');
		console.log(`  worker-1 killed ${killedAt - t} ms after the calls; it had started ${startedOn('worker-1').length} slow execution(s), in flight: [${inFlight.join(', ')}]; worker-2 had started ${startedOn('worker-2').length}`);
		await sleep(3000);
		const restartAt = Date.now();
		await n8n.restartWorker('worker-1');
		console.log(`  worker-1 restarted 3 s after the kill; ready in ${Date.now() - restartAt} ms`);
		await sleep(2000);
		const early = (await listExecutions<ExecutionSummary>(n8n, `workflowId=${slowId}`)).filter((e) => inFlight.includes(e.id));
		console.log(`  the in-flight ones ${Math.round((Date.now() - killedAt) / 1000)} s after the kill: ${JSON.stringify(countBy(early, (e) => e.status))}`);

		const answered = await slowCalls;
		console.log(`  callers: ${JSON.stringify(countBy(answered, (c) => `HTTP ${c.status}`))}; last answer ${Math.max(...answered.map((c) => c.ms))} ms after the calls (${Math.round((t + Math.max(...answered.map((c) => c.ms)) - killedAt) / 1000)} s after the kill)`);
		for (const [body, n] of Object.entries(countBy(answered.filter((c) => c.status !== 200), (c) => c.body.slice(0, 160)))) console.log(`    ${n}× ${body}`);
		const slow = await settledExecutions(n8n, slowId, SLOW_CALLS, 240_000);
		console.log(`  executions: ${slow.length}, ${JSON.stringify(countBy(slow, (e) => e.status))} (${Math.round((Date.now() - killedAt) / 1000)} s after the kill)`);
		const starts = countBy(
			[...n8n.executionsByWorker().entries()].flatMap(([worker, ids]) => ids.filter((id) => !fastIds.has(id)).map((id) => ({ worker, id }))),
			(s) => s.id,
		);
		for (const id of inFlight) {
			const execution = slow.find((e) => e.id === id);
			const details = await n8n.api<{ status: string; data?: { resultData?: { error?: { message?: string }; lastNodeExecuted?: string } } }>('GET', `/executions/${id}?includeData=true`);
			const error = details.body.data?.resultData?.error?.message;
			console.log(`    in flight on worker-1: execution ${id} → status ${execution?.status ?? details.body.status}, started ${starts[id] ?? 0}× in all, last node ${details.body.data?.resultData?.lastNodeExecuted ?? '-'}${error ? `, error "${error}"` : ''}`);
		}
		const others = slow.filter((e) => !inFlight.includes(e.id));
		console.log(`    the other ${others.length}: ${JSON.stringify(countBy(others, (e) => e.status))}, run by ${JSON.stringify(countBy(others, (e) => n8n.workerOf(e.id) ?? 'unknown'))}`);
		console.log('  what the processes logged about it:');
		for (const name of n8n.processes.names()) {
			const lines = n8n.processes
				.get(name)
				.process.logs()
				.split('\n')
				.filter((line) => /stalled|crash|recover|dangling|Worker errored|Problem with execution|MaxListeners/i.test(line) && !/migration/i.test(line));
			const distinct = countBy(lines, (line) => line.replace(/\d+/g, 'N').slice(0, 200));
			for (const [line, n] of Object.entries(distinct)) console.log(`    ${name}: ${n}× ${line}`);
		}
	} finally {
		pids.push(...groups().filter((g) => !pids.some((p) => p.pid === g.pid)));
		const t = Date.now();
		await n8n.stop();
		console.log(`\nStopped everything in ${Date.now() - t} ms.`);
		await sleep(200);
		const left = pids.filter((p) => !groupGone(p.pid));
		check(left.length === 0, `no process group left behind (${left.map((p) => `${p.name}:${p.pid}`).join(', ') || 'none'})`);
	}
	console.log(failures.length === 0 ? '\nqueue-mode smoke: PASS' : `\nqueue-mode smoke: FAIL (${failures.length})`);
	process.exitCode = failures.length === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
