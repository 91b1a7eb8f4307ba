/** Bitrix24 → Task: create a task for an employee, shown in the deal's card when bound to it. */

import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { Bitrix24Client } from '../../shared/bitrix24/client';
import { taskCommand, type TaskInput } from '../../shared/bitrix24/crmActions';
import { ItemResults, planEach, readId, readOptionalId, readString, requireText, sendWrites, withDeal } from './common';
import { dealLocator, operationsOf, userLocator } from './descriptions';

const RESOURCE = 'task';
const show = (...operation: string[]) => ({ resource: [RESOURCE], operation });

export const taskOperations: INodeProperties = operationsOf(RESOURCE, [{ name: 'Create', value: 'create', action: 'Create a task', description: 'Create a task, bound to a deal if one is given' }], 'create');

export const taskProperties: INodeProperties[] = [
	{
		displayName: 'Title',
		name: 'title',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'Call the customer back: NPS 3',
		displayOptions: { show: show('create') },
	},
	userLocator(show('create'), 'responsible', 'Responsible', 'The employee who does the task'),
	dealLocator(show('create'), { required: false, description: 'The deal the task belongs to: it shows in the deal card. Leave empty for a task without a deal.' }),
	{
		displayName: 'Additional Fields',
		name: 'taskOptions',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show: show('create') },
		options: [
			{ displayName: 'Auditor IDs', name: 'auditors', type: 'string', default: '', description: 'User IDs separated by commas, e.g. 3, 7' },
			{ displayName: 'Created By (User ID)', name: 'createdBy', type: 'number', default: 0, description: 'The task author; 0: the user of the credential' },
			{ displayName: 'Deadline', name: 'deadline', type: 'dateTime', default: '' },
			{ displayName: 'Description', name: 'description', type: 'string', typeOptions: { rows: 4 }, default: '' },
			{
				displayName: 'Priority',
				name: 'priority',
				type: 'options',
				options: [
					{ name: 'Low', value: 0 },
					{ name: 'Medium', value: 1 },
					{ name: 'High', value: 2 },
				],
				default: 1,
			},
		],
	},
];

function userIds(text: string, index: number, ctx: IExecuteFunctions): number[] {
	const parts = text.split(/[\s,;]+/).filter(Boolean);
	const bad = parts.find((part) => !/^\d+$/.test(part));
	if (bad) throw new NodeOperationError(ctx.getNode(), `"${bad}" in Auditor IDs is not a user ID (a number like 15)`, { itemIndex: index });
	return parts.map(Number);
}

export async function executeTask(this: IExecuteFunctions, client: Bitrix24Client, items: INodeExecutionData[], operation: string): Promise<INodeExecutionData[]> {
	if (operation !== 'create') throw new NodeOperationError(this.getNode(), `The task operation "${operation}" is not known`);
	const results = new ItemResults(this, items.length);
	const writes = planEach(this, results, items.length, (index) => {
		const dealId = readOptionalId(this, 'dealId', index, 'Deal');
		try {
			const options = this.getNodeParameter('taskOptions', index, {}) as { auditors?: string; createdBy?: number; deadline?: string; description?: string; priority?: number };
			const task: TaskInput = {
				title: requireText(this, 'title', index, 'Title'),
				responsibleId: readId(this, 'responsible', index, 'Responsible'),
				description: options.description || undefined,
				deadline: readString(this, 'taskOptions.deadline', index) || undefined,
				createdBy: options.createdBy || undefined,
				auditors: options.auditors ? userIds(options.auditors, index, this) : undefined,
				priority: options.priority,
			};
			return {
				dealId,
				commands: { task: taskCommand(dealId, task) },
				labels: { task: 'task created' },
				output: (outcome: { results: Record<string, unknown> }) => ({ ...(((outcome.results.task as { task?: IDataObject }) ?? {}).task ?? {}), dealId: dealId ?? null }),
			};
		} catch (error) {
			throw withDeal(error, dealId);
		}
	});
	await sendWrites(client, results, writes);
	return results.all();
}
