/**
 * NPS Aggregate in n8n's engine: the table (total first, periods, groups), rows for a Bitrix24
 * smart process, the dashboard item, and answers without a usable score counted as skipped.
 */

import type { IConnections, IDataObject, INode } from 'n8n-workflow';

import { PACKAGE, runWorkflow } from '../../support/engine';

const START = 'Answers';
const start: INode = { id: 'start', name: START, type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [0, 0], parameters: {} };
const connections: IConnections = { [START]: { main: [[{ node: 'NPS Aggregate', type: 'main', index: 0 }]] } };

function node(parameters: Record<string, unknown>): INode {
	return { id: 'agg', name: 'NPS Aggregate', type: `${PACKAGE}.npsAggregate`, typeVersion: 1, position: [200, 0], parameters: { timeZone: 'Europe/Moscow', ...parameters } };
}

// Kazan: 5 promoters, 3 passives, 2 detractors (NPS 30). Samara: 1 promoter, 1 detractor (NPS 0).
const ANSWERS: IDataObject[] = [
	...[10, 9, 9, 10, 9, 8, 7, 8, 3, 6].map((score, i) => ({ dealId: i + 1, branch: { name: 'Казань' }, score, answeredAt: `2026-11-${String(10 + i).padStart(2, '0')}T10:00:00Z` })),
	{ dealId: 20, branch: { name: 'Самара' }, score: 10, answeredAt: '2026-10-05T10:00:00Z' },
	{ dealId: 21, branch: { name: 'Самара' }, score: '2', answeredAt: '2026-11-05T10:00:00Z' },
	{ dealId: 22, branch: { name: 'Самара' }, score: 11, answeredAt: '2026-11-05T10:00:00Z' },
	{ dealId: 23, branch: { name: 'Самара' }, answeredAt: '2026-11-05T10:00:00Z' },
];

async function run(parameters: Record<string, unknown>, input = ANSWERS) {
	const engine = await runWorkflow({ nodes: [start, node(parameters)], connections }, { input, startNode: START });
	return { output: engine.output('NPS Aggregate'), error: engine.error('NPS Aggregate') };
}

describe('NPS Aggregate in the n8n engine', () => {
	it('gives the total, then each group, with NPS, margin, thin flags, and the skipped answers counted', async () => {
		const { output, error } = await run({ output: 'table', groupBy: 'branch.name', period: 'none' });
		expect(error).toBeUndefined();
		const [total, ...groups] = output;
		expect(total).toMatchObject({ n: 12, promoters: 6, passives: 3, detractors: 3, nps: 25, thin: true, skipped: 2, skippedReasons: { 'score out of range': 1, 'no score': 1 } });
		const kazan = groups.find((g) => g['branch.name'] === 'Казань')!;
		expect(kazan).toMatchObject({ n: 10, nps: 30, margin95: 48.4, standardError: 24.7, thin: true, distribution: [0, 0, 0, 1, 0, 0, 1, 1, 2, 3, 2] });
		expect(groups.find((g) => g['branch.name'] === 'Самара')).toMatchObject({ n: 2, nps: 0 });
	});

	it('counts an answer once when the survey page sent its comment as a second item', async () => {
		const input: IDataObject[] = [
			{ dealId: 1, branch: { name: 'Казань' }, score: 3, step: 'score', answeredAt: '2026-11-10T10:00:00Z' },
			{ dealId: 1, branch: { name: 'Казань' }, score: 3, step: 'comment', comment: 'Долго ждали', answeredAt: '2026-11-10T10:01:00Z' },
			{ dealId: 2, branch: { name: 'Казань' }, score: '', step: 'comment', comment: 'Без оценки', answeredAt: '2026-11-10T10:02:00Z' },
		];
		const table = await run({ output: 'table', groupBy: 'branch.name', period: 'none' }, input);
		expect(table.output[0]).toMatchObject({ n: 1, detractors: 1 });
		const page = await run({ output: 'dashboard', language: 'ru', branchField: 'branch.name', portalUrl: 'https://company.bitrix24.ru' }, input);
		const html = String(page.output[0].html);
		expect(html).toContain('Долго ждали');
		expect(html).not.toContain('Без оценки');
	});

	it('splits by month in the time zone and compares with the previous month', async () => {
		const { output } = await run({ output: 'table', groupBy: 'branch.name', period: 'month' });
		const samara = output.filter((g) => g['branch.name'] === 'Самара');
		expect(samara.map((g) => g.period)).toEqual(['2026-10', '2026-11']);
		expect(samara[1]).toMatchObject({ nps: -100, vsPrevious: { period: '2026-10', difference: -200 } });
	});

	it('makes one Bitrix24 row per group and period with the mapped fields and a stable number', async () => {
		const rowFields = JSON.stringify({ title: 'title', nps: 'UF_CRM_9_NPS', n: 'UF_CRM_9_N', period: 'UF_CRM_9_PERIOD', 'branch.name': 'UF_CRM_9_BRANCH' });
		const first = await run({ output: 'rows', groupBy: 'branch.name', period: 'month', rowFields });
		const again = await run({ output: 'rows', groupBy: 'branch.name', period: 'month', rowFields });
		const kazan = first.output.find((r) => r.rowKey === 'Казань @ 2026-11') as IDataObject;
		expect(kazan).toMatchObject({ title: 'NPS Казань 2026-11', fields: { title: 'NPS Казань 2026-11', UF_CRM_9_NPS: 30, UF_CRM_9_N: 10, UF_CRM_9_PERIOD: '2026-11', UF_CRM_9_BRANCH: 'Казань' } });
		expect(again.output.find((r) => r.rowKey === 'Казань @ 2026-11')?.rowNumber).toBe(kazan.rowNumber);
	});

	it('renders the dashboard as one item with the page and the total', async () => {
		const { output } = await run({ output: 'dashboard', language: 'ru', branchField: 'branch.name', employeeField: 'employee', portalUrl: 'https://company.bitrix24.ru' });
		expect(output).toHaveLength(1);
		expect(String(output[0].html)).toMatch(/^<!doctype html>/i);
		expect(output[0]).toMatchObject({ total: { n: 12, nps: 25 }, skipped: 2 });
	});
});
