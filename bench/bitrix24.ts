/* eslint-disable no-console, @n8n/community-nodes/no-restricted-globals -- a command-line benchmark: prints its figures, reads its arguments, sets its exit code */
/**
 * Reading 10,000 deals with their contacts through the sandbox portal at time-scaled real limits
 * (the bucket drains 2/s with a burst of 50, every command costs what it would on a portal, one
 * request is processed at a time), three ways:
 *
 * - our client: fast pagination, 50 pages per request (the first page counted, so no page is
 *   wasted), and the contacts of each chunk read by ID, 50 per command, while the next chunk
 *   is listed;
 * - a naive peer: one call per record (each page of deals, then crm.contact.get per deal), paced
 *   by the same limiter so it is never refused;
 * - the theoretical minimum: the fewest requests that can carry this read (2,500 records per
 *   request), admitted by the bucket, and the portal's processing of the fewest commands.
 *
 * Last line: `bitrix24_read_ratio_to_minimum=<our wall time / minimum>`.
 */

import { Bitrix24Client } from '../nodes/shared/bitrix24/client';
import { startSandboxInWorker } from '../test/sandbox/bitrix24/worker';
import { httpTransport, realClock } from '../test/support/httpTransport';

const DEALS = 10_000;
/** Time scale: the portal's clock runs this many times faster than real time. */
const K = 50;
/** Network round trip of one request on a real portal, in real seconds. */
const LATENCY = 0.1;
const DRAIN = 2;
const BURST = 50;
const PAGE = 50;
const PER_REQUEST = 50;

/** What a command costs the portal, in real seconds (the sandbox's model). */
const COST = { base: 0.02, perRecord: 0.002, perScanned: 0.00001 };

function cost(records: number, scanned = 0): number {
	return COST.base + COST.perRecord * records + COST.perScanned * scanned;
}

function seconds(ms: number): string {
	return (ms / 1000).toFixed(3);
}

export async function main(): Promise<void> {
	// The portal runs in its own thread, so its emulation work does not take turns with the client.
	const sandbox = await startSandboxInWorker({
		seed: { deals: DEALS, contacts: DEALS, seed: 11 },
		timeScale: K,
		simulateProcessing: true,
		serial: true,
		latencyMs: (LATENCY / K) * 1000,
		cost: COST,
	});
	const hook = await sandbox.createWebhook();
	const newClient = () =>
		new Bitrix24Client({
			transport: httpTransport({ baseUrl: hook.url, insecure: true }),
			clock: realClock,
			rateLimit: { drainPerSecond: DRAIN * K, burst: BURST },
			operatingLimit: { limitSeconds: 480 / K, headroomSeconds: 10 / K },
			retryBaseMs: 500 / K,
		});
	const dealSelect = ['ID', 'TITLE', 'STAGE_ID', 'ASSIGNED_BY_ID', 'CONTACT_ID', 'UF_CRM_1700000000001'];
	const contactSelect = ['ID', 'NAME', 'LAST_NAME', 'PHONE', 'EMAIL'];

	try {
		console.log(`Reading ${DEALS.toLocaleString('en')} deals with their contacts; sandbox time-scaled ${K}x (bucket ${DRAIN * K}/s, burst ${BURST}), one request at a time.`);

		// --- our client ------------------------------------------------------------------------
		await sandbox.resetLimits();
		let logStart = (await sandbox.log()).length;
		let started = Date.now();
		const ours = newClient();
		const deals: Array<Record<string, string>> = [];
		const contactReads: Array<Promise<Map<string, Record<string, unknown>>>> = [];
		for await (const chunk of ours.listPagesBatched<Record<string, string>>('crm.deal.list', { select: dealSelect })) {
			deals.push(...chunk);
			contactReads.push(ours.listByIds('crm.contact.list', chunk.map((d) => d.CONTACT_ID), { select: contactSelect }));
		}
		const contacts = new Map<string, Record<string, unknown>>();
		for (const part of await Promise.all(contactReads)) for (const [id, contact] of part) contacts.set(id, contact);
		const oursMs = Date.now() - started;
		const oursLog = (await sandbox.log()).slice(logStart);
		const oursCommands = oursLog.reduce((n, c) => n + (c.commands?.length ?? 1), 0);
		const missing = deals.filter((d) => !contacts.has(d.CONTACT_ID)).length;
		if (deals.length !== DEALS || missing !== 0) throw new Error(`our client read ${deals.length} deals and missed ${missing} contacts`);
		if (oursLog.some((c) => c.status !== 200)) throw new Error('our client was refused by the portal');

		// --- naive peer: one call per record ---------------------------------------------------
		await sandbox.resetLimits();
		logStart = (await sandbox.log()).length;
		started = Date.now();
		const naive = newClient();
		let naiveDeals = 0;
		for (let start = 0; ; start += PAGE) {
			const page = await naive.call<Array<Record<string, string>>>('crm.deal.list', { select: dealSelect, order: { ID: 'ASC' }, start });
			for (const deal of page.result) {
				await naive.call('crm.contact.get', { id: deal.CONTACT_ID });
				naiveDeals++;
			}
			if (page.next === undefined) break;
		}
		const naiveMs = Date.now() - started;
		const naiveLog = (await sandbox.log()).slice(logStart);
		if (naiveDeals !== DEALS) throw new Error(`the naive peer read ${naiveDeals} deals`);

		// --- the theoretical minimum -----------------------------------------------------------
		const recordsPerRequest = PAGE * PER_REQUEST;
		const minimumRequests = Math.ceil(DEALS / recordsPerRequest) * 2;
		const minimumCommands = Math.ceil(DEALS / PAGE) * 2;
		const bucketMs = (Math.max(0, minimumRequests - BURST) / (DRAIN * K)) * 1000;
		const portalMs = ((minimumRequests * LATENCY + minimumCommands * cost(PAGE)) / K) * 1000;
		const minimumMs = Math.max(bucketMs, portalMs);
		const naiveBucketMs = (Math.max(0, naiveLog.length - BURST) / (DRAIN * K)) * 1000;

		const row = (name: string, calls: number | string, commands: number | string, ms: number) =>
			console.log(`${name.padEnd(38)} ${String(calls).padStart(10)} ${String(commands).padStart(10)} ${seconds(ms).padStart(10)} ${seconds(ms * K).padStart(12)} ${(ms / minimumMs).toFixed(2).padStart(8)}`);
		console.log(`${'plan'.padEnd(38)} ${'HTTP calls'.padStart(10)} ${'commands'.padStart(10)} ${'wall s'.padStart(10)} ${'as real s'.padStart(12)} ${'x min'.padStart(8)}`);
		row('our client (batched, paced)', oursLog.length, oursCommands, oursMs);
		row('naive peer (one call per record)', naiveLog.length, naiveLog.length, naiveMs);
		row('theoretical minimum', minimumRequests, minimumCommands, minimumMs);
		console.log(`minimum = max(bucket: ${seconds(bucketMs)} s for ${minimumRequests} requests, portal: ${seconds(portalMs)} s for ${minimumRequests} round trips and ${minimumCommands} commands)`);
		console.log(`naive peer: the bucket alone needs ${seconds(naiveBucketMs)} s (${seconds(naiveBucketMs * K)} real s) for its ${naiveLog.length} requests`);
		console.log(`refused requests: ours ${oursLog.filter((c) => c.status === 503).length}, naive ${naiveLog.filter((c) => c.status === 503).length}`);
		console.log(`bitrix24_read_ratio_to_minimum=${(oursMs / minimumMs).toFixed(3)}`);
	} finally {
		await sandbox.stop();
	}
}

if (require.main === module) {
	main().catch((error: unknown) => {
		console.error(error);
		process.exit(1);
	});
}
