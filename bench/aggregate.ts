/* eslint-disable no-console, @n8n/community-nodes/no-restricted-globals -- a command-line benchmark: prints its figures, samples memory */
/**
 * `npm run bench -- aggregate`: 200,000 answers grouped by branch × employee × month, in n8n's engine.
 *
 * - ours: NPS Aggregate (Table output): one pass, counts, NPS, margin, thin flags, period diffs.
 * - peer: what n8n's own nodes do for the same grouping: Edit Fields (Set) adds the month (in the
 *   time zone) and the category to every answer with expressions, then Summarize counts answers split
 *   by branch, employee, month and category. That yields the counts only; turning them into NPS for
 *   a few thousand groups is left out of the peer's time (it only helps the peer).
 * Both runs get the same items; wall time and peak memory (RSS above the level before the run,
 * sampled every 20 ms) are printed for both.
 */

import type { IConnections, IDataObject, INode } from 'n8n-workflow';

import { PACKAGE, runWorkflow } from '../test/support/engine';

const ANSWERS = Number(process.env.BENCH_ANSWERS ?? 200_000);

function answers(): IDataObject[] {
	// A fixed generator: 12 branches, 8 employees each, 12 months, scores skewed like real NPS answers.
	let seed = 42;
	const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
	const weights = [2, 1, 1, 2, 2, 4, 5, 9, 16, 22, 36];
	const total = weights.reduce((a, b) => a + b, 0);
	const pick = () => {
		let r = random() * total;
		for (let score = 0; score < weights.length; score++) if ((r -= weights[score]) < 0) return score;
		return 10;
	};
	const start = Date.UTC(2025, 11, 1);
	return Array.from({ length: ANSWERS }, (_, i) => {
		const branch = `Branch ${1 + (i % 12)}`;
		return {
			dealId: 100_000 + i,
			branch: { name: branch },
			employee: `${branch} / employee ${1 + Math.floor(random() * 8)}`,
			score: pick(),
			answeredAt: new Date(start + Math.floor(random() * 365 * 86_400_000)).toISOString(),
		};
	});
}

async function measure<T>(run: () => Promise<T>): Promise<{ result: T; wallMs: number; peakMb: number }> {
	(globalThis as { gc?: () => void }).gc?.();
	const before = process.memoryUsage().rss;
	let peak = before;
	const timer = setInterval(() => {
		peak = Math.max(peak, process.memoryUsage().rss);
	}, 20);
	const started = process.hrtime.bigint();
	try {
		const result = await run();
		peak = Math.max(peak, process.memoryUsage().rss);
		return { result, wallMs: Number(process.hrtime.bigint() - started) / 1e6, peakMb: (peak - before) / 1048576 };
	} finally {
		clearInterval(timer);
	}
}

const START = 'Answers';
const start: INode = { id: 'start', name: START, type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [0, 0], parameters: {} };

export async function main(): Promise<void> {
	const input = answers();
	console.log(`aggregate: ${ANSWERS} answers, grouped by branch × employee × month (Europe/Moscow), in n8n's engine`);

	const ours: INode = {
		id: 'agg',
		name: 'NPS Aggregate',
		type: `${PACKAGE}.npsAggregate`,
		typeVersion: 1,
		position: [200, 0],
		parameters: { output: 'table', scoreField: 'score', timeField: 'answeredAt', groupBy: 'branch.name, employee', period: 'month', timeZone: 'Europe/Moscow' },
	};
	const oursConnections: IConnections = { [START]: { main: [[{ node: 'NPS Aggregate', type: 'main', index: 0 }]] } };

	const set: INode = {
		id: 'set',
		name: 'Month and category',
		type: 'n8n-nodes-base.set',
		typeVersion: 3.4,
		position: [200, 0],
		parameters: {
			mode: 'manual',
			assignments: {
				assignments: [
					{ id: 'm', name: 'month', type: 'string', value: "={{ DateTime.fromISO($json.answeredAt).setZone('Europe/Moscow').toFormat('yyyy-MM') }}" },
					{ id: 'c', name: 'category', type: 'string', value: "={{ $json.score >= 9 ? 'promoter' : $json.score >= 7 ? 'passive' : 'detractor' }}" },
				],
			},
			includeOtherFields: true,
			options: {},
		},
	};
	const summarize: INode = {
		id: 'sum',
		name: 'Summarize',
		type: 'n8n-nodes-base.summarize',
		typeVersion: 1.1,
		position: [400, 0],
		parameters: { fieldsToSummarize: { values: [{ aggregation: 'count', field: 'score' }] }, fieldsToSplitBy: 'branch.name, employee, month, category', options: {} },
	};
	const peerConnections: IConnections = {
		[START]: { main: [[{ node: 'Month and category', type: 'main', index: 0 }]] },
		'Month and category': { main: [[{ node: 'Summarize', type: 'main', index: 0 }]] },
	};

	const oursRun = await measure(() => runWorkflow({ nodes: [start, ours], connections: oursConnections }, { input, startNode: START }));
	const groups = oursRun.result.output('NPS Aggregate');
	const peerRun = await measure(() => runWorkflow({ nodes: [start, set, summarize], connections: peerConnections }, { input, startNode: START }));
	const peerRows = peerRun.result.output('Summarize');
	const peerError = peerRun.result.error('Summarize') ?? peerRun.result.error('Month and category');
	if (peerError) throw new Error(`peer failed: ${peerError.message}`);

	// Same counts? Sum promoters per branch × employee × month from the peer's rows and compare.
	const peerCounts = new Map<string, number>();
	for (const row of peerRows) {
		// Summarize names a dotted split field with an underscore.
		const key = `${String(row.branch_name ?? (row.branch as IDataObject | undefined)?.name)}|${String(row.employee)}|${String(row.month)}|${String(row.category)}`;
		peerCounts.set(key, Number(row.count_score ?? 0));
	}
	let mismatches = 0;
	let compared = 0;
	for (const g of groups.filter((g) => g.employee && g.period)) {
		const base = `${String(g['branch.name'])}|${String(g.employee)}|${String(g.period)}`;
		for (const category of ['promoters', 'passives', 'detractors'] as const) {
			const peer = peerCounts.get(`${base}|${category.slice(0, -1)}`) ?? 0;
			compared++;
			if (peer !== Number(g[category])) mismatches++;
		}
	}
	console.log(`  ours: NPS Aggregate                         wall ${oursRun.wallMs.toFixed(0).padStart(6)} ms  peak +${oursRun.peakMb.toFixed(0)} MB  ${groups.length} items (total, months, groups)`);
	console.log(`  peer: Edit Fields (Set) → Summarize         wall ${peerRun.wallMs.toFixed(0).padStart(6)} ms  peak +${peerRun.peakMb.toFixed(0)} MB  ${peerRows.length} count rows`);
	console.log(`  same counts: ${compared - mismatches}/${compared} group × category counts agree`);
	if (mismatches > 0) process.exitCode = 1;
	console.log(`aggregate_speedup_vs_summarize=${(peerRun.wallMs / oursRun.wallMs).toFixed(2)}`);
}
