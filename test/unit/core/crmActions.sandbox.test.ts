/**
 * The write-back core against the sandbox portal: items packed into batches whole, references
 * kept inside an item, one row per deal even for concurrent runs, and no second row after an
 * add whose answer was lost.
 */

import { Bitrix24Client } from '../../../nodes/shared/bitrix24/client';
import {
	awaitingCommands,
	categoryOfStage,
	findRowsByDeal,
	moveDealCommand,
	runItemCommands,
	runWrites,
	stageEntityId,
	timelineCommentCommand,
	type PlannedWrite,
} from '../../../nodes/shared/bitrix24/crmActions';
import { Bitrix24Sandbox, startBitrix24Sandbox } from '../../sandbox/bitrix24';
import { httpTransport, realClock } from '../../support/httpTransport';

jest.setTimeout(30_000);

const UI = { userId: 1, via: 'ui' as const };
const SMART = 1032;

describe('CRM write-back core', () => {
	let sandbox: Bitrix24Sandbox;
	let client: Bitrix24Client;
	beforeAll(async () => {
		sandbox = await startBitrix24Sandbox({ seed: { deals: 10 } });
		client = new Bitrix24Client({ transport: httpTransport({ baseUrl: sandbox.createWebhook().url, insecure: true }), clock: realClock, retryBaseMs: 5 });
	});
	afterAll(() => sandbox.stop());
	afterEach(() => sandbox.clearFaults());

	const newDeal = () => sandbox.portal.addDeal({ TITLE: 'Core', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 1 }, UI);
	const rowsOf = (dealId: number) => [...sandbox.portal.itemStore(SMART).values()].filter((row) => row.parentId2 === dealId);

	it('reads pipelines from stage codes', () => {
		expect(categoryOfStage('C12:WON')).toBe(12);
		expect(categoryOfStage('WON')).toBe(0);
		expect(stageEntityId(0)).toBe('DEAL_STAGE');
		expect(stageEntityId(3)).toBe('DEAL_STAGE_3');
	});

	it('packs items into batches of at most 50 commands without splitting an item, references staying inside it', async () => {
		const ids = Array.from({ length: 17 }, newDeal);
		const before = sandbox.log.length;
		// 3 commands each: 16 items fit in 48; the 17th goes to the next request whole.
		const outcomes = await runItemCommands(
			client,
			ids.map((id, index) => ({
				index,
				commands: {
					deal: { method: 'crm.deal.get', params: { id } },
					comment: timelineCommentCommand(id, 'x'),
					// The item's own reference: becomes $result[i<index>_deal][ID].
					again: { method: 'crm.deal.get', params: { id: '$result[deal][ID]' } },
				},
			})),
		);
		expect(sandbox.log.slice(before).map((e) => e.commands?.length)).toEqual([48, 3]);
		ids.forEach((id, index) => {
			const outcome = outcomes.get(index);
			expect(outcome?.errors).toEqual({});
			expect((outcome?.results.again as { ID: string }).ID).toBe(String(id));
		});
	});

	it('refuses an item with more than 50 commands, leaving the others', async () => {
		const id = newDeal();
		const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`c${i}`, { method: 'crm.deal.get', params: { id } }]));
		const outcomes = await runItemCommands(client, [
			{ index: 0, commands: many },
			{ index: 1, commands: { deal: { method: 'crm.deal.get', params: { id } } } },
		]);
		expect(outcomes.get(0)?.errors.all?.message).toContain('at most 50 commands');
		expect(outcomes.get(1)?.errors).toEqual({});
	});

	it('moves a deal to another pipeline with crm.item.update', async () => {
		const id = newDeal();
		const outcomes = await runItemCommands(client, [{ index: 0, commands: { move: moveDealCommand(id, 'C1:QUALITY_CHECK') } }]);
		expect(outcomes.get(0)?.errors).toEqual({});
		expect(sandbox.portal.getDeal(id)).toMatchObject({ CATEGORY_ID: '1', STAGE_ID: 'C1:QUALITY_CHECK' });
	});

	it('finds the oldest row of each deal, 50 deals per command', async () => {
		const ids = Array.from({ length: 60 }, newDeal);
		for (const id of ids.slice(0, 55)) sandbox.portal.addItem(SMART, { parentId2: id }, UI);
		const first = sandbox.portal.addItem(SMART, { parentId2: ids[0] }, UI);
		const found = await findRowsByDeal(client, SMART, ids, { field: 'parentId2' });
		expect(found.size).toBe(55);
		expect(found.get(ids[0])).not.toBe(first.id);
		expect(found.get(ids[0])).toBe(rowsOf(ids[0])[0].id);
	});

	it('keeps one row per deal when two runs of this process upsert the same deal at once', async () => {
		const id = newDeal();
		const write = (score: number): PlannedWrite[] => [{ index: 0, commands: {}, row: { entityTypeId: SMART, dealId: id, link: { field: 'parentId2' }, fields: { UF_CRM_7_NPS_SCORE: score } } }];
		const [a, b] = await Promise.all([runWrites(client, write(5)), runWrites(client, write(8))]);
		expect([a.get(0)?.row?.created, b.get(0)?.row?.created]).toEqual([true, false]);
		expect(rowsOf(id)).toHaveLength(1);
		expect(rowsOf(id)[0].UF_CRM_7_NPS_SCORE).toBe(8);
	});

	it('after an add whose answer was lost, a later write for that deal in the run does not add a second row', async () => {
		const id = newDeal();
		const row = (score: number) => ({ entityTypeId: SMART, dealId: id, link: { field: 'parentId2' }, fields: { UF_CRM_7_NPS_SCORE: score } });
		// The look-up goes through; the add is applied by the portal, then the connection drops.
		sandbox.addFault({ kind: 'reset', when: 'after', method: 'batch', command: 'crm.item.add' });
		const outcomes = await runWrites(client, [
			{ index: 0, commands: {}, row: row(1) },
			{ index: 1, commands: {}, row: row(2) },
		]);
		expect(outcomes.get(0)?.errors.all?.mayHaveBeenApplied).toBe(true);
		expect(outcomes.get(1)?.errors.row?.mayHaveBeenApplied).toBe(true);
		expect(rowsOf(id)).toHaveLength(1);
	});

	it('searches a phone in the forms the CRM may hold it, and refuses text that is no phone', () => {
		const commands = awaitingCommands({ phone: '8 912 555-01-23', stageIds: ['C1:QUALITY_CHECK'] });
		expect('contacts' in commands && (commands.contacts.params as { values: string[] }).values).toEqual(expect.arrayContaining(['+79125550123', '89125550123']));
		expect(awaitingCommands({ phone: 'привет', stageIds: ['C1:QUALITY_CHECK'] })).toEqual({ reason: '"привет" is not a phone number that can be searched' });
		expect(awaitingCommands({ phone: '+79125550123', stageIds: [] })).toEqual({ reason: 'no awaiting stage is chosen' });
	});
});
