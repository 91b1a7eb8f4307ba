/**
 * Bitrix24 → Smart Process: add a row, upsert the row of a deal (one row per deal: a later answer
 * updates it), and list rows. Fields keep their original names (UF_CRM_<id>_…), as BI Builder shows them.
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { Bitrix24Client } from '../../shared/bitrix24/client';
import { smartProcessAddCommand, type WriteOutcome } from '../../shared/bitrix24/crmActions';
import { ItemResults, planEach, readFieldValues, readId, readJsonObject, readString, sendWrites, withDeal } from './common';
import { dealLocator, fieldValueProperties, operationsOf, smartProcessLocator } from './descriptions';

const RESOURCE = 'smartProcess';
const show = (...operation: string[]) => ({ resource: [RESOURCE], operation });

export const smartProcessOperations: INodeProperties = operationsOf(RESOURCE, [
		{ name: 'Add Row', value: 'add', action: 'Add a smart process row', description: 'Add a row (item) to a smart process' },
		{ name: 'Get Many', value: 'getAll', action: 'Get many smart process rows', description: 'List the rows of a smart process' },
		{
			name: 'Upsert Row by Deal',
			value: 'upsertByDeal',
			action: 'Add or update the row of a deal',
			description: "Update the deal's row if it has one, add it otherwise: one row per deal",
		},
	], 'upsertByDeal');

export const smartProcessProperties: INodeProperties[] = [
	smartProcessLocator(show('add', 'upsertByDeal', 'getAll')),
	dealLocator(show('upsertByDeal')),
	{
		displayName: 'Deal Link',
		name: 'linkMode',
		type: 'options',
		options: [
			{ name: 'Linked to Deals (parentId2)', value: 'parent', description: 'The smart process is linked to deals in its settings' },
			{ name: 'A Field Holding the Deal ID', value: 'field', description: 'A number field of the row keeps the deal ID' },
		],
		default: 'parent',
		description: 'How a row names its deal',
		displayOptions: { show: show('upsertByDeal') },
	},
	{
		displayName: 'Deal ID Field Name or ID',
		name: 'linkField',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getSmartProcessFields', loadOptionsDependsOn: ['smartProcess.value'] },
		default: '',
		description:
			'The row field that keeps the deal ID. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show: { ...show('upsertByDeal'), linkMode: ['field'] } },
	},
	...fieldValueProperties(show('add', 'upsertByDeal'), 'getSmartProcessFields', ['smartProcess.value']),
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
		displayOptions: { show: show('getAll') },
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { ...show('getAll'), returnAll: [false] } },
	},
	{
		displayName: 'Filter (JSON)',
		name: 'filter',
		type: 'json',
		default: '{}',
		description: 'Bitrix24 filter, e.g. {"parentId2": 123} or {">=createdTime": "2026-11-01"}',
		displayOptions: { show: show('getAll') },
	},
];

function linkFieldOf(ctx: IExecuteFunctions, index: number): string {
	if ((ctx.getNodeParameter('linkMode', index, 'parent') as string) === 'parent') return 'parentId2';
	const field = readString(ctx, 'linkField', index);
	if (!field) throw new NodeOperationError(ctx.getNode(), 'Choose the field that keeps the deal ID', { itemIndex: index });
	return field;
}

function rowJson(outcome: WriteOutcome, command: string): IDataObject {
	return ((outcome.results[command] as { item?: IDataObject } | undefined)?.item ?? {}) as IDataObject;
}

export async function executeSmartProcess(this: IExecuteFunctions, client: Bitrix24Client, items: INodeExecutionData[], operation: string): Promise<INodeExecutionData[]> {
	const results = new ItemResults(this, items.length);
	if (operation === 'add') {
		const writes = planEach(this, results, items.length, (index) => {
			const entityTypeId = readId(this, 'smartProcess', index, 'Smart process');
			return {
				commands: { add: smartProcessAddCommand(entityTypeId, readFieldValues(this, index)) },
				labels: { add: 'row added' },
				output: (outcome: WriteOutcome) => rowJson(outcome, 'add'),
			};
		});
		await sendWrites(client, results, writes);
	} else if (operation === 'upsertByDeal') {
		const writes = planEach(this, results, items.length, (index) => {
			const dealId = readId(this, 'dealId', index, 'Deal');
			try {
				const entityTypeId = readId(this, 'smartProcess', index, 'Smart process');
				const field = linkFieldOf(this, index);
				return {
					dealId,
					commands: {},
					row: { entityTypeId, dealId, link: { field }, fields: readFieldValues(this, index) },
					labels: { row: 'row saved' },
					output: (outcome: WriteOutcome) => ({ ...rowJson(outcome, 'row'), created: outcome.row?.created ?? false }),
				};
			} catch (error) {
				throw withDeal(error, dealId);
			}
		});
		await sendWrites(client, results, writes);
	} else if (operation === 'getAll') {
		for (let index = 0; index < items.length; index++) {
			try {
				const entityTypeId = readId(this, 'smartProcess', index, 'Smart process');
				const filter = readJsonObject(this, 'filter', index, 'Filter (JSON)');
				const returnAll = this.getNodeParameter('returnAll', index, false) as boolean;
				const limit = returnAll ? undefined : (this.getNodeParameter('limit', index, 50) as number);
				const rows = await client.listAllBatched<IDataObject>('crm.item.list', { entityTypeId, filter, select: ['*'], useOriginalUfNames: 'Y' }, { limit });
				results.set(index, rows);
			} catch (error) {
				results.fail(index, error);
			}
		}
	} else {
		throw new NodeOperationError(this.getNode(), `The smart process operation "${operation}" is not known`);
	}
	return results.all();
}
