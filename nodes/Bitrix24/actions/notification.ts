/** Bitrix24 → Notification: a system notification to an employee (the bell in Bitrix24). */

import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { Bitrix24Client } from '../../shared/bitrix24/client';
import { notifyCommand } from '../../shared/bitrix24/crmActions';
import { ItemResults, planEach, readId, readString, requireText, sendWrites } from './common';
import { operationsOf, userLocator } from './descriptions';

const RESOURCE = 'notification';
const show = (...operation: string[]) => ({ resource: [RESOURCE], operation });

export const notificationOperations: INodeProperties = operationsOf(RESOURCE, [{ name: 'Notify User', value: 'notify', action: 'Notify a user', description: 'Send a system notification to an employee' }], 'notify');

export const notificationProperties: INodeProperties[] = [
	userLocator(show('notify'), 'user', 'User', 'The employee to notify'),
	{
		displayName: 'Message',
		name: 'message',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		required: true,
		description: 'BB-codes are allowed, e.g. [b]NPS 3[/b] for bold',
		displayOptions: { show: show('notify') },
	},
	{
		displayName: 'Options',
		name: 'notifyOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: show('notify') },
		options: [
			{
				displayName: 'Tag',
				name: 'tag',
				type: 'string',
				default: '',
				description: "A new notification with the same tag replaces the user's older one, e.g. nps-deal- followed by the deal number",
			},
		],
	},
];

export async function executeNotification(this: IExecuteFunctions, client: Bitrix24Client, items: INodeExecutionData[], operation: string): Promise<INodeExecutionData[]> {
	if (operation !== 'notify') throw new NodeOperationError(this.getNode(), `The notification operation "${operation}" is not known`);
	const results = new ItemResults(this, items.length);
	const writes = planEach(this, results, items.length, (index) => {
		const userId = readId(this, 'user', index, 'User');
		const message = requireText(this, 'message', index, 'Message');
		const tag = readString(this, 'notifyOptions.tag', index) || undefined;
		return {
			commands: { notify: notifyCommand(userId, message, tag) },
			labels: { notify: 'user notified' },
			output: (outcome: { results: Record<string, unknown> }) => ({ id: outcome.results.notify as number, userId, sent: outcome.results.notify !== false }),
		};
	});
	await sendWrites(client, results, writes);
	return results.all();
}
