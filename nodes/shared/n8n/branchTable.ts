/**
 * The branch table the review nodes share: per branch ID, its name and its "write a review" pages.
 * One definition and one reader, so the survey page's buttons, the tracked links and the redirects
 * read the same rows: either the "NPS branches" data table (through n8n's API, the templates' way:
 * one table for everything that differs per branch) or a table kept in the node itself.
 */

import {
	type IDataObject,
	type IDisplayOptions,
	type IExecuteFunctions,
	type INodeProperties,
	type IWebhookFunctions,
} from 'n8n-workflow';

import { BRANCH_TABLE_NAME, branchesFromRows, TableCache } from '../survey/branchSettings';
import type { BranchLinks } from '../survey/reviewLinks';
import { BRANCH_TABLE_CREDENTIAL, clearDataTableLookups, dataTableApi } from './dataTableApi';

export { BRANCH_TABLE_CREDENTIAL };

/** Where the branches come from; `show` limits it (and what depends on it) to some of the node's modes. */
export function branchSourceProperties(show?: IDisplayOptions['show']): INodeProperties[] {
	const also = (extra: IDisplayOptions['show']) => ({ displayOptions: { show: { ...(show ?? {}), ...extra } } });
	return [
		{
			displayName: 'Branch Settings From',
			name: 'branchSource',
			type: 'options',
			options: [
				{
					name: 'NPS Branches Data Table',
					value: 'dataTable',
					description: 'The n8n data table the templates use (one row per branch: review links in yandexUrl, googleUrl, twoGisUrl…), read through the n8n API',
				},
				{ name: 'This Node', value: 'node', description: 'A list of branches kept in this node' },
			],
			default: 'node',
			...(show ? { displayOptions: { show } } : {}),
		},
		{
			displayName: 'Data Table Name',
			name: 'branchTableName',
			type: 'string',
			default: BRANCH_TABLE_NAME,
			...also({ branchSource: ['dataTable'] }),
			description: 'Rows are read again at most every 30 seconds, so an edit shows within half a minute',
		},
	];
}


export function branchTableProperty(description: string, show?: IDisplayOptions['show']): INodeProperties {
	return {
		displayName: 'Branches',
		name: 'branches',
		displayOptions: { show: { ...(show ?? {}), branchSource: ['node'] } },
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Branch',
		default: {},
		description,
		options: [
			{
				displayName: 'Branch',
				name: 'branch',
				values: [
					{ displayName: '2GIS Review URL', name: 'twoGis', type: 'string', default: '', placeholder: 'https://2gis.ru/kazan/firm/70000001/tab/reviews/addreview' },
					{ displayName: 'Branch ID', name: 'id', type: 'string', default: '', description: 'E.g. the list item ID of the branch field in Bitrix24.' },
					{ displayName: 'Google Maps Review URL', name: 'google', type: 'string', default: '', placeholder: 'https://search.google.com/local/writereview?placeid=…' },
					{ displayName: 'Name', name: 'name', type: 'string', default: '' },
					{
						displayName: 'Other Review Page',
						name: 'customUrl',
						type: 'string',
						default: '',
						placeholder: 'https://reviews.example.com/our-shop',
						description: 'Another review site; its host must be listed in Allowed Hosts',
					},
					{ displayName: 'Other Review Page Label', name: 'customLabel', type: 'string', default: '', placeholder: 'Отзыв на Otzovik' },
					{ displayName: 'Yandex Maps Review URL', name: 'yandex', type: 'string', default: '', placeholder: 'https://yandex.ru/maps/org/…/reviews/?add-review=true' },
				],
			},
		],
	};
}

export const allowedHostsProperty = (show?: IDisplayOptions['show']): INodeProperties => ({
	displayName: 'Allowed Hosts for Other Review Pages',
	name: 'allowedHosts',
	type: 'string',
	default: '',
	placeholder: 'reviews.example.com, .otzovik.com',
	...(show ? { displayOptions: { show } } : {}),
	description: 'Comma-separated. Yandex Maps, Google Maps and 2GIS are known; any other destination must be listed here (".example.com" allows the domain and its subdomains).',
});

type Readable = { getNodeParameter(name: string, fallbackOrIndex?: unknown, fallback?: unknown): unknown };

/** A parameter of the item, or (webhook contexts, no item index) of the node. */
function parameterOf(ctx: Readable, name: string, fallback: unknown, itemIndex?: number): unknown {
	return itemIndex === undefined ? ctx.getNodeParameter(name, fallback) : ctx.getNodeParameter(name, itemIndex, fallback);
}

/** The rows as the core reads them (webhook contexts read without an item index). */
export function readBranchTable(ctx: Readable, itemIndex?: number): BranchLinks[] {
	const raw = parameterOf(ctx, 'branches', {}, itemIndex) as { branch?: IDataObject[] };
	return (raw.branch ?? []).map((row) => {
		const text = (name: string) => String(row[name] ?? '').trim();
		const customUrl = text('customUrl');
		return {
			id: text('id'),
			name: text('name') || undefined,
			yandex: text('yandex') || undefined,
			google: text('google') || undefined,
			twoGis: text('twoGis') || undefined,
			custom: customUrl ? [{ platform: 'other', label: text('customLabel') || undefined, url: customUrl }] : undefined,
		};
	});
}

export function readAllowedHosts(ctx: Readable, itemIndex?: number): string[] {
	const raw = parameterOf(ctx, 'allowedHosts', '', itemIndex);
	return String(raw ?? '')
		.split(/[\s,;]+/)
		.map((host) => host.trim().toLowerCase())
		.filter(Boolean);
}

const tables = new TableCache<BranchLinks[]>();

/** For tests: forget what was read. */
export function clearBranchTableCache(): void {
	tables.clear();
	clearDataTableLookups();
}

async function readDataTable(ctx: IExecuteFunctions | IWebhookFunctions, tableName: string): Promise<BranchLinks[]> {
	const api = await dataTableApi(ctx, tableName, 'dataTable:list and dataTableRow:read');
	const table = await api.findTable(tableName);
	return branchesFromRows(await api.rows(table.id));
}

/** The branches from the chosen source (webhook contexts read without an item index). */
export async function loadBranches(ctx: IExecuteFunctions | IWebhookFunctions, itemIndex?: number): Promise<BranchLinks[]> {
	if (parameterOf(ctx, 'branchSource', 'node', itemIndex) !== 'dataTable') return readBranchTable(ctx, itemIndex);
	const tableName = String(parameterOf(ctx, 'branchTableName', BRANCH_TABLE_NAME, itemIndex) ?? '').trim() || BRANCH_TABLE_NAME;
	const credentialId = ctx.getNode().credentials?.[BRANCH_TABLE_CREDENTIAL]?.id ?? 'default';
	return await tables.get(`${credentialId}|${tableName.toLowerCase()}`, async () => await readDataTable(ctx, tableName));
}
