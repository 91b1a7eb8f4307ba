/**
 * n8n's own data tables through its public API (`/api/v1/data-tables…`) with the API key of the
 * NPS Branch Table credential: n8n refuses its data-table helpers to community nodes, so this is
 * how our nodes read the "NPS branches" table and keep the "NPS survey claims" table. One place for
 * the requests and for what an operator is told when n8n refuses them.
 */

import { type IDataObject, type IExecuteFunctions, type IHttpRequestOptions, type IWebhookFunctions, NodeOperationError } from 'n8n-workflow';

import { TableCache } from '../survey/branchSettings';

export const BRANCH_TABLE_CREDENTIAL = 'npsBranchTableApi';

export type DataTableRowFilter = { type: 'and' | 'or'; filters: Array<{ columnName: string; condition: 'eq' | 'neq'; value: string | number | boolean | null }> };

export interface DataTableApi {
	/** The table of exactly this name (n8n's own name filter is a substring match). */
	findTable(name: string): Promise<{ id: string; name: string }>;
	/** All rows (cursor paging), optionally filtered and sorted (`column:asc`). */
	rows(tableId: string, options?: { filter?: DataTableRowFilter; sortBy?: string }): Promise<IDataObject[]>;
	insert(tableId: string, rows: IDataObject[]): Promise<void>;
	delete(tableId: string, filter: DataTableRowFilter): Promise<void>;
}

const PAGE = 250;
const MAX_PAGES = 200;

function apiProblem(status: number | undefined, scopes: string): string {
	if (status === 401) return 'n8n refused the API key of the NPS Branch Table credential: it is wrong, expired or deleted';
	if (status === 403) return `The API key may not do this: give it the scopes ${scopes}`;
	if (status === 404) return 'Check the Base URL of the NPS Branch Table credential: it must be this n8n\'s own address, without /api/v1';
	return 'Check the Base URL of the NPS Branch Table credential and that n8n can reach itself there';
}

/** Table IDs by credential, n8n address and name: a survey send would otherwise look its claims table up every time. */
const tableIds = new TableCache<{ id: string; name: string }>(30_000, 0);

/** For tests: forget the tables looked up. */
export function clearDataTableLookups(): void {
	tableIds.clear();
}

/** The API as this node's credential reaches it; `tableName` names the table in its errors. */
export async function dataTableApi(ctx: IExecuteFunctions | IWebhookFunctions, tableName: string, scopes: string): Promise<DataTableApi> {
	const credentials = await ctx.getCredentials(BRANCH_TABLE_CREDENTIAL);
	const base = `${String(credentials.baseUrl ?? '').trim().replace(/\/+$/, '')}/api/v1`;
	const call = async <T>(verb: string, options: Omit<IHttpRequestOptions, 'url'> & { path: string }): Promise<T> => {
		const { path, ...rest } = options;
		try {
			return (await ctx.helpers.httpRequestWithAuthentication.call(ctx, BRANCH_TABLE_CREDENTIAL, { ...rest, url: `${base}${path}`, json: true, timeout: 10_000 })) as T;
		} catch (error) {
			// A fresh error: n8n hands back its own (generic) one when given one, and this one must name the table.
			const status = Number((error as { httpCode?: unknown }).httpCode ?? (error as { cause?: { status?: unknown } }).cause?.status ?? 0) || undefined;
			throw new NodeOperationError(ctx.getNode(), `Could not ${verb} the data table "${tableName}" through the n8n API${status ? ` (HTTP ${status})` : ''}`, {
				description: apiProblem(status, scopes),
			});
		}
	};
	const lookUp = async (name: string): Promise<{ id: string; name: string }> => {
		const listed = await call<{ data?: IDataObject[] }>('find', { method: 'GET', path: '/data-tables', qs: { filter: JSON.stringify({ name }), limit: 50 } });
		const table = (listed.data ?? []).find((t) => String(t.name ?? '').toLowerCase() === name.toLowerCase());
		if (!table) {
			throw new NodeOperationError(ctx.getNode(), `No data table named "${name}"`, {
				description: 'Create it in n8n (Overview → Data tables) with the columns the README lists, or check the name and that the API key\'s project can see it',
			});
		}
		return { id: String(table.id), name: String(table.name) };
	};
	return {
		async findTable(name) {
			const credentialId = ctx.getNode().credentials?.[BRANCH_TABLE_CREDENTIAL]?.id ?? 'default';
			return await tableIds.get(`${credentialId}|${base}|${name.toLowerCase()}`, async () => await lookUp(name));
		},
		async rows(tableId, options = {}) {
			const rows: IDataObject[] = [];
			const query: IDataObject = { limit: PAGE };
			if (options.filter) query.filter = JSON.stringify(options.filter);
			if (options.sortBy) query.sortBy = options.sortBy;
			let cursor: string | undefined;
			for (let page = 0; page < MAX_PAGES; page++) {
				const answer = await call<{ data?: IDataObject[]; nextCursor?: string | null }>('read', { method: 'GET', path: `/data-tables/${encodeURIComponent(tableId)}/rows`, qs: cursor ? { cursor } : query });
				rows.push(...(answer.data ?? []));
				if (!answer.nextCursor) break;
				cursor = answer.nextCursor;
			}
			return rows;
		},
		async insert(tableId, rows) {
			await call('write to', { method: 'POST', path: `/data-tables/${encodeURIComponent(tableId)}/rows`, body: { data: rows, returnType: 'count' } });
		},
		async delete(tableId, filter) {
			await call('delete from', { method: 'DELETE', path: `/data-tables/${encodeURIComponent(tableId)}/rows/delete`, qs: { filter: JSON.stringify(filter) } });
		},
	};
}
