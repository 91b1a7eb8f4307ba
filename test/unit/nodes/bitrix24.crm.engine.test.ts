/**
 * The Bitrix24 node's CRM operations in n8n's workflow engine against the sandbox portal: what
 * each writes to the portal, how many HTTP calls N items take, pairing, and errors naming the deal.
 */

import type { ICredentialDataDecryptedObject, IConnections, IDataObject, INode } from 'n8n-workflow';

import { Bitrix24Sandbox, startBitrix24Sandbox } from '../../sandbox/bitrix24';
import type { SeedSummary } from '../../sandbox/bitrix24/seed';
import { callListSearch, callLoadOptions, PACKAGE, runWorkflow } from '../../support/engine';

jest.setTimeout(60_000);

const START = 'Items';
const start: INode = { id: 'start', name: START, type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [0, 0], parameters: {} };
const UI = { userId: 1, via: 'ui' as const };

function bitrix24Node(parameters: Record<string, unknown>, extra: Partial<INode> = {}): INode {
	return {
		id: 'b24',
		name: 'Bitrix24',
		type: `${PACKAGE}.bitrix24`,
		typeVersion: 1,
		position: [200, 0],
		parameters: { authentication: 'webhook', ...parameters },
		credentials: { bitrix24WebhookApi: { id: '1', name: 'Sandbox portal' } },
		...extra,
	};
}

const connections: IConnections = { [START]: { main: [[{ node: 'Bitrix24', type: 'main', index: 0 }]] } };

function byId(value: string | number) {
	return { __rl: true, mode: 'id', value: String(value) };
}

describe('Bitrix24 node CRM operations in the n8n engine', () => {
	let sandbox: Bitrix24Sandbox;
	let seeded: SeedSummary;
	let credentials: Record<string, ICredentialDataDecryptedObject>;

	beforeAll(async () => {
		sandbox = await startBitrix24Sandbox({ seed: { deals: 40 } });
		seeded = sandbox.seeded;
		credentials = { bitrix24WebhookApi: { webhookUrl: sandbox.createWebhook().url, ratePlan: 'standard', ignoreSslIssues: true } };
	});
	afterAll(() => sandbox.stop());

	/** Runs the node over the items; returns its outputs and the HTTP calls it made. */
	async function run(parameters: Record<string, unknown>, input: IDataObject[], extra: Partial<INode> = {}) {
		const before = sandbox.log.length;
		const engine = await runWorkflow({ nodes: [start, bitrix24Node(parameters, extra)], connections }, { credentials, input, startNode: START });
		const calls = sandbox.log.slice(before);
		const items = engine.run.data.resultData.runData.Bitrix24?.[0]?.data?.main[0] ?? [];
		return { engine, output: engine.output('Bitrix24'), paired: items.map((i) => i.pairedItem), calls, error: engine.error('Bitrix24') };
	}

	function newDeal(fields: IDataObject = {}): number {
		return sandbox.portal.addDeal({ TITLE: 'Test deal', CATEGORY_ID: 0, STAGE_ID: 'NEW', CONTACT_ID: seeded.contactIds[0], ASSIGNED_BY_ID: seeded.branches[0].employeeIds[1], ...fields }, UI);
	}

	describe('Deal', () => {
		it('gets deals with contact, responsible and branch: 3 deals in one HTTP call, paired with their items', async () => {
			const ids = [newDeal({ UF_CRM_1700000000001: seeded.branches[2].id }), newDeal(), newDeal()];
			const { output, paired, calls } = await run(
				{ resource: 'deal', operation: 'get', dealId: byId('={{ $json.id }}'), enrich: true, branchField: seeded.branchField },
				ids.map((id) => ({ id })),
			);
			expect(calls.map((c) => c.method)).toEqual(['batch']);
			expect(output.map((o) => (o.deal as { id: number }).id)).toEqual(ids);
			expect(paired).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
			expect(output[0]).toMatchObject({
				contact: { id: seeded.contactIds[0] },
				responsible: { id: seeded.branches[0].employeeIds[1], department: `Филиал ${seeded.branches[0].name}` },
				branch: { name: seeded.branches[2].name },
				stage: { id: 'NEW', categoryName: 'Продажи' },
			});
		});

		it('gets the raw deal record without enrichment', async () => {
			const id = newDeal({ TITLE: 'Raw read' });
			const { output } = await run({ resource: 'deal', operation: 'get', dealId: byId(id), enrich: false }, [{}]);
			expect(output[0]).toMatchObject({ ID: String(id), TITLE: 'Raw read', STAGE_ID: 'NEW' });
		});

		it('accepts a deal given by the address of its card', async () => {
			const id = newDeal();
			const { output } = await run(
				{ resource: 'deal', operation: 'get', dealId: { __rl: true, mode: 'url', value: `https://portal.example/crm/deal/details/${id}/` }, enrich: false },
				[{}],
			);
			expect(output[0].ID).toBe(String(id));
		});

		it('updates the fields of 60 deals in 2 HTTP calls', async () => {
			const ids = Array.from({ length: 60 }, () => newDeal());
			const { output, calls } = await run(
				{
					resource: 'deal',
					operation: 'update',
					dealId: byId('={{ $json.id }}'),
					fieldsMode: 'list',
					fieldValues: { field: [{ name: 'UF_CRM_1700000000002', value: '=sent {{ $json.id }}' }, { name: 'COMMENTS', value: 'NPS survey sent' }] },
				},
				ids.map((id) => ({ id })),
			);
			expect(calls.map((c) => [c.method, c.commands?.length])).toEqual([
				['batch', 50],
				['batch', 10],
			]);
			expect(output).toHaveLength(60);
			expect(output[59]).toMatchObject({ id: ids[59], updated: true });
			expect(sandbox.portal.getDeal(ids[59])).toMatchObject({ UF_CRM_1700000000002: `sent ${ids[59]}`, COMMENTS: 'NPS survey sent' });
		});

		it('refuses a stage change through Update, pointing to Move to Stage', async () => {
			const id = newDeal();
			const { error } = await run({ resource: 'deal', operation: 'update', dealId: byId(id), fieldsMode: 'json', fieldsJson: '{"STAGE_ID": "C2:NEW"}' }, [{}]);
			expect(error?.message).toContain('Move to Stage');
			expect(error?.message).toContain(`Deal ${id}`);
		});

		it('moves deals within their pipeline and to another pipeline', async () => {
			const inside = newDeal();
			const across = newDeal();
			const { output, calls } = await run({ resource: 'deal', operation: 'moveToStage', dealId: byId('={{ $json.id }}'), stage: { __rl: true, mode: 'id', value: '={{ $json.stage }}' } }, [
				{ id: inside, stage: 'PREPARATION' },
				{ id: across, stage: seeded.stages.unhappyNew },
			]);
			expect(calls).toHaveLength(1);
			expect(output).toEqual([
				{ id: inside, stageId: 'PREPARATION', categoryId: 0, moved: true },
				{ id: across, stageId: 'C2:NEW', categoryId: 2, moved: true },
			]);
			expect(sandbox.portal.getDeal(inside)).toMatchObject({ STAGE_ID: 'PREPARATION', CATEGORY_ID: '0' });
			expect(sandbox.portal.getDeal(across)).toMatchObject({ STAGE_ID: 'C2:NEW', CATEGORY_ID: '2' });
		});

		it('finds the deal awaiting an answer by a phone written differently from the CRM', async () => {
			const contact = sandbox.portal.addContact({ NAME: 'Ирина', LAST_NAME: 'Опросова', PHONE: [{ VALUE: '8 (912) 555-01-23', VALUE_TYPE: 'MOBILE' }] }, UI);
			const older = sandbox.portal.addDeal({ TITLE: 'Older', CATEGORY_ID: 1, STAGE_ID: seeded.stages.serviceQualityCheck, CONTACT_ID: contact, ASSIGNED_BY_ID: 1 }, UI);
			sandbox.portal.now = ((now) => () => now() + 60_000)(sandbox.portal.now);
			const newer = sandbox.portal.addDeal({ TITLE: 'Newer', CATEGORY_ID: 1, STAGE_ID: seeded.stages.serviceQualityCheck, CONTACT_ID: contact, ASSIGNED_BY_ID: 1 }, UI);
			sandbox.portal.addDeal({ TITLE: 'Elsewhere', CATEGORY_ID: 1, STAGE_ID: 'C1:NEW', CONTACT_ID: contact, ASSIGNED_BY_ID: 1 }, UI);
			const { output, calls } = await run(
				{ resource: 'deal', operation: 'findAwaiting', phone: '={{ $json.phone }}', awaitingStages: [seeded.stages.serviceQualityCheck], findOptions: { includeDetails: true, branchField: seeded.branchField } },
				[{ phone: '+79125550123' }, { phone: '+7 999 000-00-00' }, { phone: 'не скажу' }],
			);
			expect(output[0]).toMatchObject({ found: true, dealId: newer, contactId: contact, candidates: 2, deal: { id: newer }, contact: { id: contact, name: 'Ирина' } });
			expect(output[0].dealId).not.toBe(older);
			expect(output[1]).toMatchObject({ found: false, reason: expect.stringContaining('no contact has the phone') });
			expect(output[2]).toMatchObject({ found: false, reason: expect.stringContaining('not a phone number') });
			// One call for both searches, one for the details of the found deal.
			expect(calls.map((c) => c.method)).toEqual(['batch', 'batch']);
		});
	});

	describe('Timeline, Task, Notification', () => {
		it('adds timeline comments to 3 deals in one HTTP call', async () => {
			const ids = [newDeal(), newDeal(), newDeal()];
			const { output, calls } = await run({ resource: 'timeline', operation: 'addComment', dealId: byId('={{ $json.id }}'), comment: '=NPS {{ $json.score }}' }, ids.map((id, i) => ({ id, score: 8 + i })));
			expect(calls).toHaveLength(1);
			expect(output.map((o) => o.dealId)).toEqual(ids);
			expect(sandbox.portal.timelineComments.filter((c) => ids.includes(c.ENTITY_ID)).map((c) => c.COMMENT)).toEqual(['NPS 8', 'NPS 9', 'NPS 10']);
		});

		it('creates a task bound to the deal for the chosen employee', async () => {
			const id = newDeal();
			const manager = seeded.branches[1].managerId;
			const { output } = await run(
				{ resource: 'task', operation: 'create', title: 'Позвонить клиенту: NPS 3', responsible: byId(manager), dealId: byId(id), taskOptions: { deadline: '2026-12-01T18:00:00', description: 'Клиент недоволен', priority: 2, auditors: '1' } },
				[{}],
			);
			const task = sandbox.portal.tasks.get(Number(output[0].id));
			expect(task).toMatchObject({ title: 'Позвонить клиенту: NPS 3', responsibleId: String(manager), ufCrmTask: [`D_${id}`], deadline: '2026-12-01T18:00:00', priority: '2', auditors: ['1'] });
			expect(output[0].dealId).toBe(id);
		});

		it('notifies a user, a tag replacing the older notification', async () => {
			const user = seeded.branches[0].managerId;
			const parameters = { resource: 'notification', operation: 'notify', user: byId(user), message: '={{ $json.text }}', notifyOptions: { tag: 'nps-deal-1' } };
			await run(parameters, [{ text: 'Первое' }]);
			const { output } = await run(parameters, [{ text: 'Второе' }]);
			expect(output[0]).toMatchObject({ userId: user, sent: true });
			expect(sandbox.portal.notifications.filter((n) => n.TAG === 'nps-deal-1').map((n) => n.MESSAGE)).toEqual(['Второе']);
		});
	});

	describe('Smart process', () => {
		const process = () => byId(seeded.npsSmartProcess.entityTypeId);
		const rowsOf = (dealId: number) => [...sandbox.portal.itemStore(seeded.npsSmartProcess.entityTypeId).values()].filter((row) => row.parentId2 === dealId);

		it('upserts by deal: run twice for a deal, one row, holding the later answer', async () => {
			const id = newDeal();
			const parameters = {
				resource: 'smartProcess',
				operation: 'upsertByDeal',
				smartProcess: process(),
				dealId: byId('={{ $json.id }}'),
				linkMode: 'parent',
				fieldsMode: 'list',
				fieldValues: { field: [{ name: 'UF_CRM_7_NPS_SCORE', value: '={{ $json.score }}' }, { name: 'title', value: '=NPS for deal {{ $json.id }}' }] },
			};
			const first = await run(parameters, [{ id, score: 6 }]);
			expect(first.output[0]).toMatchObject({ created: true, parentId2: id, UF_CRM_7_NPS_SCORE: 6 });
			const second = await run(parameters, [{ id, score: 9 }]);
			expect(second.output[0]).toMatchObject({ created: false, id: first.output[0].id, UF_CRM_7_NPS_SCORE: 9 });
			expect(rowsOf(id)).toHaveLength(1);
			expect(rowsOf(id)[0].UF_CRM_7_NPS_SCORE).toBe(9);
			// A look-up, then the write.
			expect(second.calls.map((c) => c.method)).toEqual(['batch', 'batch']);
		});

		it('gives two answers for one deal in the same run one row, and 30 deals one look-up and one write', async () => {
			const repeated = newDeal();
			const others = Array.from({ length: 30 }, () => newDeal());
			const input = [{ id: repeated, score: 2 }, ...others.map((id) => ({ id, score: 10 })), { id: repeated, score: 4 }];
			const { output, calls } = await run(
				{ resource: 'smartProcess', operation: 'upsertByDeal', smartProcess: process(), dealId: byId('={{ $json.id }}'), fieldsMode: 'json', fieldsJson: '={{ JSON.stringify({ UF_CRM_7_NPS_SCORE: $json.score }) }}' },
				input,
			);
			expect(rowsOf(repeated)).toHaveLength(1);
			expect(rowsOf(repeated)[0].UF_CRM_7_NPS_SCORE).toBe(4);
			expect(output[0]).toMatchObject({ created: true });
			expect(output[31]).toMatchObject({ created: false, id: output[0].id });
			expect(others.every((id) => rowsOf(id).length === 1)).toBe(true);
			// Look-up, the first round (31 rows), the second round (the repeated deal).
			expect(calls.map((c) => [c.method, c.commands?.length])).toEqual([
				['batch', 1],
				['batch', 31],
				['batch', 1],
			]);
		});

		it('upserts by a field holding the deal ID', async () => {
			const id = newDeal();
			const parameters = { resource: 'smartProcess', operation: 'upsertByDeal', smartProcess: process(), dealId: byId(id), linkMode: 'field', linkField: 'UF_CRM_7_DEAL_ID', fieldsMode: 'json', fieldsJson: '{"UF_CRM_7_NPS_SCORE": 7}' };
			await run(parameters, [{}]);
			await run(parameters, [{}]);
			const rows = [...sandbox.portal.itemStore(seeded.npsSmartProcess.entityTypeId).values()].filter((row) => row.UF_CRM_7_DEAL_ID === id);
			expect(rows).toHaveLength(1);
		});

		it('adds rows and lists them with a filter', async () => {
			const id = newDeal();
			await run({ resource: 'smartProcess', operation: 'add', smartProcess: process(), fieldsMode: 'json', fieldsJson: '={{ JSON.stringify({ parentId2: $json.id, UF_CRM_7_NPS_SCORE: $json.score }) }}' }, [
				{ id, score: 1 },
				{ id, score: 2 },
			]);
			const { output } = await run({ resource: 'smartProcess', operation: 'getAll', smartProcess: process(), returnAll: true, filter: JSON.stringify({ parentId2: id }) }, [{}]);
			expect(output.map((row) => row.UF_CRM_7_NPS_SCORE)).toEqual([1, 2]);
		});
	});

	describe('Apply Several Actions', () => {
		const actions = {
			move: { stage: 'C2:NEW' },
			comment: { text: '=NPS {{ $json.score }}: {{ $json.comment }}' },
			task: { title: '=Разобрать жалобу по сделке {{ $json.id }}', responsible: '', deadline: '2026-12-01T12:00:00' },
			row: { smartProcess: '1032', linkField: 'parentId2', fields: '={{ JSON.stringify({ UF_CRM_7_NPS_SCORE: $json.score, UF_CRM_7_COMMENT: $json.comment }) }}' },
		};

		it('applies move + comment + task + result row to 3 deals in 2 HTTP calls; the task goes to the deal\'s responsible', async () => {
			const owners = [seeded.branches[0].employeeIds[1], seeded.branches[1].employeeIds[2], seeded.branches[2].employeeIds[1]];
			const ids = owners.map((owner) => newDeal({ ASSIGNED_BY_ID: owner }));
			const { output, calls, paired } = await run({ resource: 'deal', operation: 'applyActions', dealId: byId('={{ $json.id }}'), actions }, ids.map((id) => ({ id, score: 3, comment: 'Долго ждал' })));
			expect(calls.map((c) => c.method)).toEqual(['batch', 'batch']);
			expect(paired).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
			ids.forEach((id, i) => {
				expect(sandbox.portal.getDeal(id)).toMatchObject({ STAGE_ID: 'C2:NEW', CATEGORY_ID: '2' });
				expect(output[i]).toMatchObject({ id, moved: { stageId: 'C2:NEW', categoryId: 2 }, row: { created: true } });
				expect(sandbox.portal.tasks.get(Number(output[i].taskId))).toMatchObject({ responsibleId: String(owners[i]), ufCrmTask: [`D_${id}`] });
				expect(sandbox.portal.timelineComments.find((c) => c.ID === output[i].commentId)?.COMMENT).toBe('NPS 3: Долго ждал');
			});
		});

		it('with "continue on fail", a missing deal gets an error item naming it and what was done', async () => {
			const good = newDeal();
			const missing = 999_999;
			const { output } = await run(
				{ resource: 'deal', operation: 'applyActions', dealId: byId('={{ $json.id }}'), actions: { comment: { text: 'NPS 9' }, notify: { user: '1', message: 'Новый ответ' } } },
				[{ id: good }, { id: missing }],
				{ onError: 'continueRegularOutput' },
			);
			expect(output[0]).toMatchObject({ id: good, commentId: expect.any(Number) });
			expect(output[1]).toMatchObject({ dealId: missing, error: expect.stringContaining(`Deal ${missing}`) });
			expect(String(output[1].error)).toContain('The owner entity is not found');
			expect(String(output[1].description)).toContain('Done: user notified');
		});

		it('stops with an error naming the deal and Bitrix24\'s own words when not continuing on fail', async () => {
			const { error } = await run({ resource: 'deal', operation: 'moveToStage', dealId: byId(888_888), stage: byId('WON') }, [{}]);
			expect(error?.message).toMatch(/^Deal 888888: Bitrix24 crm\.item\.update .*Element not found/);
			expect((error as { context?: { itemIndex?: number } }).context?.itemIndex).toBe(0);
		});

		it('refuses an item without actions and an invalid deal ID, before sending anything (the editor flags a fixed invalid ID)', async () => {
			const { error, calls } = await run({ resource: 'deal', operation: 'applyActions', dealId: byId('={{ $json.id }}'), actions: { comment: { text: 'x' } } }, [{ id: 'abc' }]);
			expect(error?.message).toBe('Deal must be a number like 123; got "abc"');
			expect(calls).toHaveLength(0);
			const none = await run({ resource: 'deal', operation: 'applyActions', dealId: byId(1), actions: {} }, [{}]);
			expect(none.error?.message).toContain('No action is chosen');
		});
	});

	describe('Dropdowns and list search', () => {
		const node = (parameters: Record<string, unknown> = {}) => bitrix24Node({ resource: 'deal', operation: 'get', ...parameters });

		it('searches users by the start of a name or position, and pages through all users', async () => {
			const manager = sandbox.portal.users.get(seeded.branches[0].managerId);
			const found = await callListSearch(node(), 'searchUsers', { credentials, filter: String(manager?.LAST_NAME).slice(0, 4) });
			expect(found.results.map((r) => r.value)).toContain(String(manager?.ID));
			const chiefs = await callListSearch(node(), 'searchUsers', { credentials, filter: 'руковод' });
			expect(chiefs.results.length).toBe(seeded.branches.length);
			const all = await callListSearch(node(), 'searchUsers', { credentials });
			expect(all.results.length).toBe(Math.min(50, sandbox.portal.users.size));
		});

		it('lists stages of every pipeline, searchable, and deals by number or title', async () => {
			const stages = await callListSearch(node(), 'searchStages', { credentials, filter: 'недовольные' });
			expect(stages.results.map((s) => s.value)).toEqual(['C2:NEW', 'C2:INVESTIGATION', 'C2:WON', 'C2:LOSE']);
			const id = newDeal({ TITLE: 'Шиномонтаж на Ленина' });
			expect((await callListSearch(node(), 'searchDeals', { credentials, filter: String(id) })).results).toEqual([{ name: `Шиномонтаж на Ленина (#${id})`, value: String(id), description: 'NEW' }]);
			expect((await callListSearch(node(), 'searchDeals', { credentials, filter: 'Ленина' })).results[0].value).toBe(String(id));
		});

		it('lists smart processes and the fields of the chosen one; deal fields a workflow may write', async () => {
			expect((await callListSearch(node(), 'searchSmartProcesses', { credentials })).results).toEqual([{ name: 'NPS ответы', value: '1032', description: 'Entity type ID 1032' }]);
			const fields = await callLoadOptions(bitrix24Node({ resource: 'smartProcess', operation: 'upsertByDeal', smartProcess: byId(1032) }), 'getSmartProcessFields', { credentials });
			expect(fields.map((f) => f.value)).toEqual(expect.arrayContaining(['UF_CRM_7_NPS_SCORE', 'UF_CRM_7_DEAL_ID', 'parentId2', 'title']));
			expect(fields.map((f) => f.value)).not.toContain('id');
			const dealFields = await callLoadOptions(node(), 'getWritableDealFields', { credentials });
			expect(dealFields.find((f) => f.value === seeded.branchField)?.name).toBe('Филиал');
			expect(dealFields.map((f) => f.value)).not.toEqual(expect.arrayContaining(['STAGE_ID']));
			expect(dealFields.map((f) => f.value)).not.toContain('DATE_CREATE');
		});
	});
});
