/**
 * Score Branch in n8n's workflow engine: answers (numbers and chat text) land on Promoter, Passive,
 * Detractor or Invalid per preset and scale, two questions are averaged with the chosen rounding,
 * invalid answers keep their reason and original text, items keep their json and pairedItem, and
 * wrong custom thresholds stop the node before anything is routed.
 */

import type { IConnections, IDataObject, INode, INodeParameters } from 'n8n-workflow';

import { PACKAGE, runWorkflow } from '../../support/engine';

jest.setTimeout(60_000);

const START = 'Answers';
const BRANCH = 'Score Branch';
const OUTPUTS = ['promoter', 'passive', 'detractor', 'invalid'] as const;
const start: INode = { id: 'start', name: START, type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [0, 0], parameters: {} };
const connections: IConnections = { [START]: { main: [[{ node: BRANCH, type: 'main', index: 0 }]] } };

function branchNode(parameters: INodeParameters, settings: Partial<INode> = {}): INode {
	return { id: 'branch', name: BRANCH, type: `${PACKAGE}.scoreBranch`, typeVersion: 1, position: [200, 0], parameters, ...settings };
}

async function run(parameters: INodeParameters, input: IDataObject[], settings: Partial<INode> = {}) {
	const engine = await runWorkflow({ nodes: [start, branchNode(parameters, settings)], connections }, { input, startNode: START });
	const main = engine.run.data.resultData.runData[BRANCH]?.[0]?.data?.main ?? [];
	const out = Object.fromEntries(
		OUTPUTS.map((name, k) => [
			name,
			(main[k] ?? []).map((item) => ({ json: item.json, paired: item.pairedItem })),
		]),
	) as Record<(typeof OUTPUTS)[number], Array<{ json: IDataObject; paired: unknown }>>;
	/** Which input item (by its `id`) went to which output. */
	const ids = Object.fromEntries(OUTPUTS.map((name) => [name, out[name].map((i) => i.json.id)])) as Record<(typeof OUTPUTS)[number], unknown[]>;
	return { out, ids, error: engine.error(BRANCH), ran: main.length > 0 };
}

const answers = (...scores: unknown[]): IDataObject[] => scores.map((score, id) => ({ id, score: score as IDataObject['score'], deal: { id: 1000 + id } }));

describe('Score Branch in the n8n engine', () => {
	it('sorts numbers and chat text into the four outputs (standard NPS, 0–10)', async () => {
		const input = answers(10, '9/10', 'Оценка: 8', 'семь', 6, 0, 'спасибо', null, '7 или 8', 'дев’ять', '🔟', '11');
		const { ids, out, error } = await run({ scale: '0-10', preset: 'standard' }, input);
		expect(error).toBeUndefined();
		expect(ids).toEqual({ promoter: [0, 1, 9, 10], passive: [2, 3], detractor: [4, 5], invalid: [6, 7, 8, 11] });
		// The item keeps its own fields and gains the result under "nps".
		expect(out.promoter[1].json).toEqual({
			id: 1,
			score: '9/10',
			deal: { id: 1001 },
			nps: {
				category: 'promoter',
				score: 9,
				scores: [9],
				scale: { min: 0, max: 10, text: '0–10' },
				thresholds: { promoterFrom: 9, detractorTo: 6 },
			},
		});
		expect(out.passive.map((i) => (i.json.nps as IDataObject).score)).toEqual([8, 7]);
		expect(out.detractor.map((i) => (i.json.nps as IDataObject).category)).toEqual(['detractor', 'detractor']);
	});

	it('gives every output item the pairedItem of its input item', async () => {
		const { out } = await run({ preset: 'standard' }, answers('10', 'плохо', '3', '8', 'ten'));
		expect(out.promoter.map((i) => i.paired)).toEqual([{ item: 0 }, { item: 4 }]);
		expect(out.passive.map((i) => i.paired)).toEqual([{ item: 3 }]);
		expect(out.detractor.map((i) => i.paired)).toEqual([{ item: 2 }]);
		expect(out.invalid.map((i) => i.paired)).toEqual([{ item: 1 }]);
	});

	it('puts invalid answers on Invalid with the reason and the original text', async () => {
		const { out } = await run({ preset: 'standard' }, answers('7 или 8', '10.10.2026', 'спасибо!', '', 7.5));
		const results = out.invalid.map((i) => i.json.nps as IDataObject);
		expect(results.map((r) => r.category)).toEqual(['invalid', 'invalid', 'invalid', 'invalid', 'invalid']);
		expect(results.map((r) => r.original)).toEqual(['7 или 8', '10.10.2026', 'спасибо!', '', 7.5]);
		expect(results[0].reason).toMatch(/different numbers \(7, 8\)/);
		expect(results[1].reason).toMatch(/date/);
		expect(results[2].reason).toMatch(/No score/);
		expect(results[3].reason).toMatch(/empty/);
		expect(results[4].reason).toMatch(/not a whole number/);
		// An answer the expression could not find at all is invalid, with null as the original.
		const missing = await run({ preset: 'standard' }, [{ id: 0, comment: 'no score field' }]);
		expect(missing.out.invalid[0].json.nps).toEqual({ category: 'invalid', reason: 'The answer is empty', original: null });
	});

	it('reads a 1–10 scale: 0 is invalid, 1 is a detractor', async () => {
		const { ids, out } = await run({ scale: '1-10', preset: 'standard' }, answers('0', '1', 'ноль', '10 из 10', '7'));
		expect(ids).toEqual({ promoter: [3], passive: [4], detractor: [1], invalid: [0, 2] });
		expect((out.invalid[0].json.nps as IDataObject).reason).toBe('0 is outside the 1–10 scale');
		expect((out.detractor[0].json.nps as IDataObject).scale).toEqual({ min: 1, max: 10, text: '1–10' });
	});

	it.each([
		['reviewAt9', { promoter: [3, 4], passive: [], detractor: [0, 1, 2], invalid: [5] }],
		['reviewAt8', { promoter: [2, 3, 4], passive: [], detractor: [0, 1], invalid: [5] }],
		['standard', { promoter: [3, 4], passive: [1, 2], detractor: [0], invalid: [5] }],
	])('routes by the %s preset (two-way presets leave Passive empty)', async (preset, expected) => {
		const { ids } = await run({ preset }, answers(6, 7, 8, 9, 10, 'ok'));
		expect(ids).toEqual(expected);
	});

	it('routes by custom thresholds (promoters 10, detractors up to 5)', async () => {
		const { ids, out } = await run({ preset: 'custom', promoterFrom: 10, detractorTo: 5 }, answers(10, 9, 6, 5, 0));
		expect(ids).toEqual({ promoter: [0], passive: [1, 2], detractor: [3, 4], invalid: [] });
		expect((out.promoter[0].json.nps as IDataObject).thresholds).toEqual({ promoterFrom: 10, detractorTo: 5 });
	});

	describe('two questions', () => {
		const input = [
			{ id: 0, q1: 9, q2: '8' },
			{ id: 1, q1: '10', q2: 'десять' },
			{ id: 2, q1: 6, q2: 7 },
			{ id: 3, q1: 8, q2: 'не знаю' },
		];
		const base = { preset: 'standard', score: '={{ $json.q1 }}', additionalScores: { scores: [{ score: '={{ $json.q2 }}' }] } };

		it('averages half up by default: 8.5 → 9 (promoter), 6.5 → 7 (passive)', async () => {
			const { ids, out } = await run(base, input);
			expect(ids).toEqual({ promoter: [0, 1], passive: [2], detractor: [], invalid: [3] });
			expect(out.promoter[0].json.nps).toMatchObject({ category: 'promoter', score: 9, scores: [9, 8] });
			expect(out.passive[0].json.nps).toMatchObject({ score: 7, scores: [6, 7] });
		});

		it('rounds down with Floor: 8.5 → 8 (passive), 6.5 → 6 (detractor)', async () => {
			const { ids, out } = await run({ ...base, rounding: 'floor' }, input);
			expect(ids).toEqual({ promoter: [1], passive: [0], detractor: [2], invalid: [3] });
			expect(out.passive[0].json.nps).toMatchObject({ score: 8, scores: [9, 8] });
		});

		it('decides on the exact average with Keep Decimals: 8.5 passive, 6.5 detractor', async () => {
			const { ids, out } = await run({ ...base, rounding: 'none' }, input);
			expect(ids).toEqual({ promoter: [1], passive: [0], detractor: [2], invalid: [3] });
			expect(out.passive[0].json.nps).toMatchObject({ category: 'passive', score: 8.5 });
			expect(out.detractor[0].json.nps).toMatchObject({ category: 'detractor', score: 6.5 });
		});

		it('takes a list from one expression the same way', async () => {
			const { ids, out } = await run({ preset: 'standard', score: '={{ [$json.q1, $json.q2] }}' }, input);
			expect(ids).toEqual({ promoter: [0, 1], passive: [2], detractor: [], invalid: [3] });
			expect(out.promoter[1].json.nps).toMatchObject({ score: 10, scores: [10, 10] });
		});

		it('names the answer that could not be read and keeps all originals', async () => {
			const { out } = await run(base, input);
			expect(out.invalid[0].json).toMatchObject({ id: 3, q2: 'не знаю' });
			expect(out.invalid[0].json.nps).toEqual({
				category: 'invalid',
				reason: 'Answer 2 of 2: No score in the answer: no number on the 0–10 scale',
				original: 'не знаю',
				originals: [8, 'не знаю'],
			});
		});

		it('leaves an unanswered second question out when told to', async () => {
			const partial = [
				{ id: 0, q1: 9, q2: '' },
				{ id: 1, q1: 9, q2: 6 },
				{ id: 2, q1: '', q2: 9 },
			];
			const strict = await run(base, partial);
			expect(strict.ids).toEqual({ promoter: [], passive: [1], detractor: [], invalid: [0, 2] });
			expect((strict.out.invalid[0].json.nps as IDataObject).reason).toBe('Answer 2 of 2: The answer is empty');
			const lenient = await run({ ...base, options: { ignoreEmptyExtra: true } }, partial);
			// 9 alone → promoter; (9 + 6) / 2 = 7.5 → 8 passive; the first question must be answered.
			expect(lenient.ids).toEqual({ promoter: [0], passive: [1], detractor: [], invalid: [2] });
			expect(lenient.out.promoter[0].json.nps).toMatchObject({ score: 9, scores: [9] });
		});
	});

	it('writes the result under another Output Field', async () => {
		const { out } = await run({ preset: 'standard', outputField: 'result' }, answers('10'));
		expect(out.promoter[0].json).toMatchObject({ id: 0, result: { category: 'promoter', score: 10 } });
		expect(out.promoter[0].json.nps).toBeUndefined();
	});

	it.each([
		[{ promoterFrom: 11, detractorTo: 6 }, 'Promoter From must be from 1 to 10 on the 0–10 scale (got 11)'],
		[{ promoterFrom: 8, detractorTo: 8 }, 'Detractor Up To (8) must be below Promoter From (8); for no passives use Detractor Up To = 7'],
		[{ promoterFrom: 9, detractorTo: -1 }, 'Detractor Up To must be from 0 to 9 on the 0–10 scale (got -1)'],
		[{ promoterFrom: 8.5, detractorTo: 6 }, 'Promoter From must be a whole number (got 8.5)'],
	])('stops with a clear error before routing anything for custom thresholds %o', async (thresholds, message) => {
		const { error, ran } = await run({ preset: 'custom', ...thresholds }, answers(10, 5, 8));
		expect(ran).toBe(false);
		expect(error?.message).toBe(message);
		expect(error?.description).toMatch(/Nothing was routed/);
	});

	it('stops for a 1–10 scale where detractors would start below 1', async () => {
		const { error, ran } = await run({ scale: '1-10', preset: 'custom', promoterFrom: 9, detractorTo: 0 }, answers(10));
		expect(ran).toBe(false);
		expect(error?.message).toBe('Detractor Up To must be from 1 to 9 on the 1–10 scale (got 0)');
	});

	it('with "continue on fail", items with wrong thresholds go to Invalid with the reason', async () => {
		const { ids, out } = await run(
			{ preset: 'custom', promoterFrom: '={{ $json.id === 1 ? 12 : 9 }}', detractorTo: 6 },
			answers(10, 10, 3),
			{ onError: 'continueRegularOutput' },
		);
		expect(ids).toEqual({ promoter: [0], passive: [], detractor: [2], invalid: [1] });
		expect(out.invalid[0].json.nps).toMatchObject({ category: 'invalid', reason: expect.stringMatching(/Promoter From must be from 1 to 10/) });
		expect(out.invalid[0].paired).toEqual({ item: 1 });
	});

	it('never fails on hostile or odd answers', async () => {
		const odd = ['\u0000', '9'.repeat(5000), '🔟🔟', '１０', '<b></b>', '{"score": 9}', '    ', '٩', '9\n10', 'NaN'];
		const { out, error } = await run({ preset: 'standard' }, answers(...odd, { nested: true }, [9, 10], true, -0));
		expect(error).toBeUndefined();
		const total = OUTPUTS.reduce((sum, name) => sum + out[name].length, 0);
		expect(total).toBe(odd.length + 4);
		expect(out.promoter.map((i) => i.json.id)).toEqual([2, 3, 5, 11]);
		expect(out.detractor.map((i) => i.json.id)).toEqual([13]);
	});
});
