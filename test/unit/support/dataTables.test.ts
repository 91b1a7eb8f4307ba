/**
 * The test store for n8n's Data tables: n8n's built-in Data Table node reads and writes it through
 * the engine harness (n8n-core's data-table proxies), and the public REST API serves the same rows.
 */

import axios from 'axios';
import type { IConnections, IDataObject, INode, Workflow } from 'n8n-workflow';

import { dataTableProxyProvider, DataTableStore, startDataTableApi, type DataTableApi } from '../../support/dataTables';
import { callListSearch, callLoadOptions, runWorkflow } from '../../support/engine';

const TRIGGER = 'When clicking Execute workflow';
const ITEMS = 'Items';
const TABLE = 'Data table';

const trigger: INode = { id: 'trigger', name: TRIGGER, type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };

/** A Set node that turns the trigger's item into the given items' fields (one item per entry via a Code-free path). */
function setNode(fields: Record<string, string>): INode {
	return {
		id: 'set',
		name: ITEMS,
		type: 'n8n-nodes-base.set',
		typeVersion: 3.4,
		position: [200, 0],
		parameters: {
			mode: 'manual',
			assignments: { assignments: Object.entries(fields).map(([name, value], i) => ({ id: String(i), name, value, type: 'string' })) },
			options: {},
		},
	};
}

function dataTableNode(parameters: IDataObject, typeVersion = 1): INode {
	return {
		id: 'dt',
		name: TABLE,
		type: 'n8n-nodes-base.dataTable',
		typeVersion,
		position: [400, 0],
		parameters: { resource: 'row', dataTableId: { __rl: true, mode: 'name', value: 'NPS branches' }, ...parameters },
	};
}

const connections: IConnections = {
	[TRIGGER]: { main: [[{ node: ITEMS, type: 'main', index: 0 }]] },
	[ITEMS]: { main: [[{ node: TABLE, type: 'main', index: 0 }]] },
};

const byBranchId = { matchType: 'allConditions', filters: { conditions: [{ keyName: 'branchId', condition: 'eq', keyValue: '={{ $json.branchId }}' }] } };

const schema = ['branchId', 'title', 'reviewUrl', 'active', 'minScore'].map((id) => ({
	id,
	displayName: id,
	required: false,
	defaultMatch: false,
	display: true,
	type: id === 'active' ? 'boolean' : id === 'minScore' ? 'number' : 'string',
	canBeUsedToMatch: true,
}));

describe('DataTableStore behind the Data Table node and the public API', () => {
	let store: DataTableStore;

	beforeEach(() => {
		store = new DataTableStore();
		store.create('NPS branches', [
			{ name: 'branchId', type: 'string' },
			{ name: 'title', type: 'string' },
			{ name: 'reviewUrl', type: 'string' },
			{ name: 'active', type: 'boolean' },
			{ name: 'minScore', type: 'number' },
		]);
		store.insert('NPS branches', [
			{ branchId: 'b1', title: 'Center', reviewUrl: 'https://maps.example/center', active: true, minScore: 9 },
			{ branchId: 'b2', title: 'North', reviewUrl: 'https://maps.example/north', active: true, minScore: 9 },
			{ branchId: 'b3', title: 'South', reviewUrl: null, active: false, minScore: 10 },
		]);
	});

	async function run(parameters: IDataObject, fields: Record<string, string> = { branchId: 'b2' }, typeVersion = 1) {
		const engine = await runWorkflow({ nodes: [trigger, setNode(fields), dataTableNode(parameters, typeVersion)], connections }, { dataTables: store });
		return { output: engine.output(TABLE), error: engine.error(TABLE) };
	}

	describe('store', () => {
		it('numbers rows from 1 and stamps them as n8n does', () => {
			const rows = store.rows('nps branches');
			expect(rows.map((r) => r.id)).toEqual([1, 2, 3]);
			expect(rows[0].createdAt).toBeInstanceOf(Date);
			expect(rows[0].updatedAt).toBeInstanceOf(Date);
			expect(rows[2]).toMatchObject({ branchId: 'b3', reviewUrl: null, active: false, minScore: 10 });
			expect(store.find('NPS BRANCHES')?.columns.map((c) => [c.name, c.type, c.index])).toEqual([
				['branchId', 'string', 0],
				['title', 'string', 1],
				['reviewUrl', 'string', 2],
				['active', 'boolean', 3],
				['minScore', 'number', 4],
			]);
		});

		it("validates cells like n8n (unknown columns, types) and keeps what the column type stores", () => {
			expect(() => store.insert('NPS branches', [{ nope: 1 }])).toThrow("unknown column name 'nope'");
			expect(() => store.insert('NPS branches', [{ minScore: 'high' }])).toThrow("does not match column type 'number'");
			const [row] = store.insert('NPS branches', [{ branchId: 7, minScore: '8' }]);
			expect(row).toMatchObject({ id: 4, branchId: '7', minScore: 8, title: null });
			expect(() => store.create('NPS branches', [])).toThrow('already exists');
			expect(() => store.create('Other', [{ name: 'id', type: 'number' }])).toThrow('reserved');
		});

		it('clear() drops every table', () => {
			store.clear();
			expect(store.find('NPS branches')).toBeUndefined();
		});
	});

	describe('Data Table node (n8n-nodes-base.dataTable) in the engine', () => {
		it('gets the row whose branchId equals an expression from the input item (table chosen by name)', async () => {
			const { output, error } = await run({ operation: 'get', ...byBranchId });
			expect(error).toBeUndefined();
			expect(output).toHaveLength(1);
			expect(output[0]).toMatchObject({ id: 2, branchId: 'b2', title: 'North', reviewUrl: 'https://maps.example/north', active: true, minScore: 9 });
			// typeVersion 1 passes n8n's Date objects through; 1.1 turns them into ISO strings.
			expect(output[0].createdAt).toBeInstanceOf(Date);
			const v11 = await run({ operation: 'get', ...byBranchId }, { branchId: 'b2' }, 1.1);
			expect(typeof v11.output[0].createdAt).toBe('string');
		});

		it('finds the table by id, and by name case-insensitively', async () => {
			const id = store.find('NPS branches')!.id;
			expect((await run({ operation: 'get', dataTableId: { __rl: true, mode: 'id', value: id }, ...byBranchId })).output).toHaveLength(1);
			expect((await run({ operation: 'get', dataTableId: { __rl: true, mode: 'name', value: 'nps BRANCHES' }, ...byBranchId })).output).toHaveLength(1);
			const missing = await run({ operation: 'get', dataTableId: { __rl: true, mode: 'name', value: 'No such table' }, ...byBranchId });
			expect(missing.error?.message).toBe('Data table with name "No such table" not found');
			const missingId = await run({ operation: 'get', dataTableId: { __rl: true, mode: 'id', value: 'AAAAAAAAAAAAAAAA' }, ...byBranchId });
			expect(missingId.error?.message).toBe("Data table with ID 'AAAAAAAAAAAAAAAA' could not be found in this project");
		});

		it('filters with the other conditions, any/all, limit and order', async () => {
			const any = await run({
				operation: 'get',
				matchType: 'anyCondition',
				filters: { conditions: [{ keyName: 'title', condition: 'ilike', keyValue: 'nor' }, { keyName: 'reviewUrl', condition: 'isEmpty' }] },
			});
			expect(any.output.map((r) => r.branchId)).toEqual(['b2', 'b3']);
			const ordered = await run({ operation: 'get', returnAll: true, orderBy: true, orderByColumn: 'minScore', orderByDirection: 'DESC' });
			expect(ordered.output.map((r) => r.branchId)).toEqual(['b3', 'b1', 'b2']);
			const limited = await run({ operation: 'get', limit: 2, filters: { conditions: [{ keyName: 'active', condition: 'isTrue' }] } });
			expect(limited.output.map((r) => r.branchId)).toEqual(['b1', 'b2']);
			const gte = await run({ operation: 'get', filters: { conditions: [{ keyName: 'minScore', condition: 'gte', keyValue: 10 }] } });
			expect(gte.output.map((r) => r.branchId)).toEqual(['b3']);
		});

		it('upserts: updates the matching row, inserts when nothing matches', async () => {
			const columns = (value: IDataObject) => ({ mappingMode: 'defineBelow', value, matchingColumns: [], schema });
			const updated = await run({ operation: 'upsert', ...byBranchId, columns: columns({ title: 'North (new)', minScore: 8 }) });
			expect(updated.error).toBeUndefined();
			expect(updated.output).toEqual([expect.objectContaining({ id: 2, branchId: 'b2', title: 'North (new)', minScore: 8 })]);
			const inserted = await run({ operation: 'upsert', ...byBranchId, columns: columns({ branchId: '={{ $json.branchId }}', title: 'East', active: true }) }, { branchId: 'b4' });
			expect(inserted.error).toBeUndefined();
			expect(inserted.output).toEqual([expect.objectContaining({ id: 4, branchId: 'b4', title: 'East', active: true, reviewUrl: null })]);
			// n8n inserts the mapped columns only: the condition's value is not written unless mapped too.
			const unmapped = await run({ operation: 'upsert', ...byBranchId, columns: columns({ title: 'West' }) }, { branchId: 'b5' });
			expect(unmapped.output).toEqual([expect.objectContaining({ id: 5, branchId: null, title: 'West' })]);
			expect(store.rows('NPS branches').map((r) => [r.branchId, r.title])).toEqual([
				['b1', 'Center'],
				['b2', 'North (new)'],
				['b3', 'South'],
				['b4', 'East'],
				[null, 'West'],
			]);
		});

		it('inserts, updates, checks existence and deletes rows', async () => {
			const columns = (value: IDataObject) => ({ mappingMode: 'defineBelow', value, matchingColumns: [], schema });
			const inserted = await run({ operation: 'insert', columns: columns({ branchId: '={{ $json.branchId }}', title: 'West' }), options: {} }, { branchId: 'b5' });
			expect(inserted.output).toEqual([expect.objectContaining({ id: 4, branchId: 'b5', title: 'West' })]);

			const updated = await run({ operation: 'update', ...byBranchId, columns: columns({ active: false }), options: {} }, { branchId: 'b1' });
			expect(updated.output).toEqual([expect.objectContaining({ id: 1, active: false })]);

			expect((await run({ operation: 'rowExists', ...byBranchId }, { branchId: 'b3' })).output).toEqual([{ branchId: 'b3' }]);
			expect((await run({ operation: 'rowExists', ...byBranchId }, { branchId: 'zz' })).output).toEqual([]);
			expect((await run({ operation: 'rowNotExists', ...byBranchId }, { branchId: 'zz' })).output).toEqual([{ branchId: 'zz' }]);

			const dryRun = await run({ operation: 'deleteRows', ...byBranchId, options: { dryRun: true } }, { branchId: 'b3' });
			expect(dryRun.output.map((r) => [r.id, r.dryRunState])).toEqual([
				[3, 'before'],
				[null, 'after'],
			]);
			expect(store.rows('NPS branches')).toHaveLength(4);
			const deleted = await run({ operation: 'deleteRows', ...byBranchId, options: {} }, { branchId: 'b3' });
			expect(deleted.output).toEqual([expect.objectContaining({ id: 3, branchId: 'b3' })]);
			expect(store.rows('NPS branches').map((r) => r.id)).toEqual([1, 2, 4]);
		});

		it('picks the most recently changed table whose name CONTAINS the given name (n8n looks up by LIKE %name%, take 1)', async () => {
			store.create('NPS branches (old)', [{ name: 'branchId', type: 'string' }, { name: 'title', type: 'string' }]);
			store.insert('NPS branches (old)', [{ branchId: 'b2', title: 'Old North' }]);
			expect((await run({ operation: 'get', ...byBranchId })).output).toEqual([expect.objectContaining({ title: 'Old North' })]);
			store.insert('NPS branches', [{ branchId: 'b9' }]);
			expect((await run({ operation: 'get', ...byBranchId })).output).toEqual([expect.objectContaining({ title: 'North' })]);
		});

		it("answers the node's table list and column dropdowns in the editor", async () => {
			const list = await callListSearch(dataTableNode({ operation: 'get' }), 'tableSearch', { credentials: {}, dataTables: store, filter: 'NPS' });
			expect(list.results).toEqual([{ name: 'NPS branches', value: store.find('NPS branches')!.id, url: `/projects/test-project/datatables/${store.find('NPS branches')!.id}` }]);
			const columns = await callLoadOptions(dataTableNode({ operation: 'get' }), 'getDataTableColumns', { credentials: {}, dataTables: store });
			expect(columns.map((c) => c.value)).toEqual(['id', 'createdAt', 'updatedAt', 'branchId', 'title', 'reviewUrl', 'active', 'minScore']);
		});

		it('gives the proxies only to n8n data-table nodes, as n8n does', async () => {
			const provider = dataTableProxyProvider(store);
			const ours = { ...trigger, type: 'n8n-nodes-bitrix24-nps.npsAggregate' };
			await expect(provider.getDataTableAggregateProxy({} as Workflow, ours)).rejects.toThrow('only available for Data table nodes');
			const aggregate = await provider.getDataTableAggregateProxy({} as Workflow, dataTableNode({}));
			// n8n's name filter is a case-insensitive substring match (LIKE %name%), newest table first.
			store.create('NPS branches archive', [{ name: 'branchId', type: 'string' }]);
			expect((await aggregate.getManyAndCount({ filter: { name: 'nps branches' } })).data.map((t) => t.name)).toEqual(['NPS branches archive', 'NPS branches']);
		});
	});

	describe('public REST API', () => {
		const apiKey = ['test', 'api', 'key'].join('-');
		let api: DataTableApi;

		beforeEach(async () => {
			api = await startDataTableApi(store, { apiKey });
		});
		afterEach(() => api.close());

		const get = (path: string, headers: Record<string, string> = { 'X-N8N-API-KEY': apiKey }) => axios.get(`${api.url}/api/v1${path}`, { headers, validateStatus: () => true });

		it('lists tables by name filter with their columns', async () => {
			store.create('Survey log', [{ name: 'dealId', type: 'number' }]);
			const response = await get(`/data-tables?filter=${encodeURIComponent(JSON.stringify({ name: 'NPS branches' }))}`);
			expect(response.status).toBe(200);
			expect(response.data.nextCursor).toBeNull();
			expect(response.data.data).toHaveLength(1);
			const [table] = response.data.data;
			expect(table).toMatchObject({ id: store.find('NPS branches')!.id, name: 'NPS branches', projectId: 'test-project' });
			expect(typeof table.createdAt).toBe('string');
			expect(table.columns.map((c: { name: string; type: string }) => `${c.name}:${c.type}`)).toEqual(['branchId:string', 'title:string', 'reviewUrl:string', 'active:boolean', 'minScore:number']);
			const all = await get('/data-tables?limit=1');
			expect(all.data.data.map((t: { name: string }) => t.name)).toEqual(['Survey log']);
			expect(JSON.parse(Buffer.from(all.data.nextCursor, 'base64').toString())).toEqual({ limit: 1, offset: 1 });
		});

		it('pages rows with the cursor n8n encodes', async () => {
			const id = store.find('NPS branches')!.id;
			const first = await get(`/data-tables/${id}/rows?limit=2`);
			expect(first.status).toBe(200);
			expect(first.data.data.map((r: { branchId: string }) => r.branchId)).toEqual(['b1', 'b2']);
			expect(first.data.data[0]).toMatchObject({ id: 1, active: true, minScore: 9, createdAt: expect.any(String) });
			expect(JSON.parse(Buffer.from(first.data.nextCursor, 'base64').toString())).toEqual({ limit: 2, offset: 2 });
			const second = await get(`/data-tables/${id}/rows?cursor=${encodeURIComponent(first.data.nextCursor)}`);
			expect(second.data.data.map((r: { branchId: string }) => r.branchId)).toEqual(['b3']);
			expect(second.data.nextCursor).toBeNull();
			const filtered = await get(`/data-tables/${id}/rows?filter=${encodeURIComponent(JSON.stringify({ filters: [{ columnName: 'branchId', value: 'b3' }] }))}`);
			expect(filtered.data.data.map((r: { id: number }) => r.id)).toEqual([3]);
			expect((await get(`/data-tables/${id}/rows?limit=1000`)).data.data).toHaveLength(3);
			expect(api.requests).toBe(4);
		});

		it('answers 401 without the API key, 404 for an unknown table, 400 for a bad cursor', async () => {
			const id = store.find('NPS branches')!.id;
			const unauthorized = await get(`/data-tables/${id}/rows`, {});
			expect(unauthorized.status).toBe(401);
			expect(unauthorized.data).toEqual({ message: 'unauthorized' });
			expect((await get('/data-tables', { 'X-N8N-API-KEY': 'wrong' })).status).toBe(401);
			const missing = await get('/data-tables/AAAAAAAAAAAAAAAA/rows');
			expect(missing.status).toBe(404);
			expect(missing.data.message).toContain('AAAAAAAAAAAAAAAA');
			expect((await get(`/data-tables/${id}/rows?cursor=%25%25`)).status).toBe(400);
			expect(api.requests).toBe(4);
		});

		it('serves what the Data Table node wrote', async () => {
			const id = store.find('NPS branches')!.id;
			await run({ operation: 'upsert', ...byBranchId, columns: { mappingMode: 'defineBelow', value: { title: 'North (renamed)' }, matchingColumns: [], schema } });
			const rows = await get(`/data-tables/${id}/rows?filter=${encodeURIComponent(JSON.stringify({ type: 'and', filters: [{ columnName: 'branchId', condition: 'eq', value: 'b2' }] }))}`);
			expect(rows.data.data).toEqual([expect.objectContaining({ id: 2, title: 'North (renamed)' })]);
		});
	});
});
