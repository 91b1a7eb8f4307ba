/**
 * Bitrix24 → REST API → Call Method: any REST method with JSON parameters. Input items become
 * commands of `batch` calls, 50 per HTTP request, instead of one request each.
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { BatchCommand, Bitrix24Client } from '../../shared/bitrix24/client';
import { ItemResults, parseJsonObject } from './common';

export const callMethodProperties: INodeProperties[] = [
	{
		displayName: 'Method',
		name: 'method',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'crm.deal.get',
		description: 'REST method name, as in the Bitrix24 REST documentation',
		displayOptions: { show: { resource: ['restApi'], operation: ['callMethod'] } },
	},
	{
		displayName: 'Parameters (JSON)',
		name: 'parameters',
		type: 'json',
		default: '{}',
		description: 'The method parameters as a JSON object, e.g. {"ID": 123}',
		displayOptions: { show: { resource: ['restApi'], operation: ['callMethod'] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: { resource: ['restApi'], operation: ['callMethod'] } },
		options: [
			{
				displayName: 'Fetch All Pages',
				name: 'fetchAll',
				type: 'boolean',
				default: false,
				description:
					'Whether to read every record of a list method (fast pagination, up to 50 pages per request) and output one item per record',
			},
			{
				// Applies with Fetch All Pages; a single call returns what Bitrix24 returns (50 at most).
				displayName: 'Limit',
				name: 'limit',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 50,
				description: 'Max number of results to return',
			},
		],
	},
];

const METHOD_NAME = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$|^[a-z][a-z0-9_]*$/i;

interface Prepared {
	index: number;
	method: string;
	params: IDataObject;
	fetchAll: boolean;
	limit?: number;
}

export async function executeCallMethod(this: IExecuteFunctions, client: Bitrix24Client, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	const results = new ItemResults(this, items.length);
	const fail = (index: number, error: unknown, note?: string) => results.fail(index, error, { note });

	const prepared: Prepared[] = [];
	for (let index = 0; index < items.length; index++) {
		try {
			const method = String(this.getNodeParameter('method', index, '')).trim();
			if (!METHOD_NAME.test(method)) {
				throw new NodeOperationError(this.getNode(), `"${method}" is not a Bitrix24 method name (like crm.deal.get)`, { itemIndex: index });
			}
			const options = this.getNodeParameter('options', index, {}) as { fetchAll?: boolean; limit?: number };
			prepared.push({ index, method, params: parseJsonObject(this, index, 'Parameters (JSON)', this.getNodeParameter('parameters', index, '{}'), '{"ID": 123}'), fetchAll: options.fetchAll === true, limit: options.fetchAll ? options.limit : undefined });
		} catch (error) {
			fail(index, error);
		}
	}

	// Plain calls of all items share batch requests; `batch` itself and full listings go alone.
	const batched = prepared.filter((p) => !p.fetchAll && p.method.toLowerCase() !== 'batch');
	const alone = prepared.filter((p) => p.fetchAll || p.method.toLowerCase() === 'batch');

	if (batched.length) {
		const commands: Record<string, BatchCommand> = {};
		for (const p of batched) commands[`i${p.index}`] = { method: p.method, params: p.params };
		let outcome: Awaited<ReturnType<Bitrix24Client['batch']>> | undefined;
		try {
			outcome = await client.batch(commands);
		} catch (error) {
			for (const p of batched) fail(p.index, error);
		}
		if (outcome) {
			const succeeded = batched.filter((p) => !outcome?.errors[`i${p.index}`]).length;
			for (const p of batched) {
				const key = `i${p.index}`;
				const error = outcome.errors[key];
				if (error) {
					fail(p.index, error, succeeded ? `${succeeded} other item(s) of this run were sent to Bitrix24 in the same batch and succeeded.` : undefined);
					continue;
				}
				const json: IDataObject = { result: outcome.results[key] as IDataObject };
				if (outcome.totals[key] !== undefined) json.total = outcome.totals[key];
				if (outcome.nexts[key] !== undefined) json.next = outcome.nexts[key];
				results.set(p.index, json);
			}
		}
	}

	for (const p of alone) {
		try {
			if (p.fetchAll) {
				const records = await client.listAllBatched<IDataObject>(p.method, p.params, { limit: p.limit });
				results.set(p.index, records);
			} else {
				const { result } = await client.call(p.method, p.params);
				results.set(p.index, { result: result as IDataObject });
			}
		} catch (error) {
			fail(p.index, error);
		}
	}

	return results.all();
}
