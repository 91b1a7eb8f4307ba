/** Bitrix24 → Timeline: add a comment to a deal's timeline. */

import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { Bitrix24Client } from '../../shared/bitrix24/client';
import { timelineCommentCommand } from '../../shared/bitrix24/crmActions';
import { ItemResults, planEach, readId, requireText, sendWrites, withDeal } from './common';
import { dealLocator, operationsOf } from './descriptions';

const RESOURCE = 'timeline';
const show = (...operation: string[]) => ({ resource: [RESOURCE], operation });

export const timelineOperations: INodeProperties = operationsOf(RESOURCE, [{ name: 'Add Comment', value: 'addComment', action: 'Add a comment to a deal timeline', description: "Add a comment to a deal's timeline" }], 'addComment');

export const timelineProperties: INodeProperties[] = [
	dealLocator(show('addComment')),
	{
		displayName: 'Comment',
		name: 'comment',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		required: true,
		description: 'BB-codes are allowed, e.g. [b]NPS 9[/b]',
		displayOptions: { show: show('addComment') },
	},
];

export async function executeTimeline(this: IExecuteFunctions, client: Bitrix24Client, items: INodeExecutionData[], operation: string): Promise<INodeExecutionData[]> {
	if (operation !== 'addComment') throw new NodeOperationError(this.getNode(), `The timeline operation "${operation}" is not known`);
	const results = new ItemResults(this, items.length);
	const writes = planEach(this, results, items.length, (index) => {
		const dealId = readId(this, 'dealId', index, 'Deal');
		try {
			const comment = requireText(this, 'comment', index, 'Comment');
			return {
				dealId,
				commands: { comment: timelineCommentCommand(dealId, comment) },
				labels: { comment: 'comment added' },
				output: (outcome: { results: Record<string, unknown> }) => ({ id: Number(outcome.results.comment), dealId, comment }),
			};
		} catch (error) {
			throw withDeal(error, dealId);
		}
	});
	await sendWrites(client, results, writes);
	return results.all();
}
