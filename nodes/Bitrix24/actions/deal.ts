/**
 * Bitrix24 → Deal: get (optionally with contact, responsible, stage and branch), update fields,
 * move to a stage of any pipeline, find the deal awaiting a survey answer by phone, and apply
 * several actions (move, comment, task, notification, fields, result row) in one request.
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { BatchCommand, Bitrix24Client } from '../../shared/bitrix24/client';
import {
	awaitingCommands,
	categoryOfStage,
	moveDealCommand,
	notifyCommand,
	readAwaiting,
	runItemCommands,
	taskCommand,
	timelineCommentCommand,
	updateDealCommand,
	type AwaitingQuery,
	type RowUpsert,
	type TaskInput,
} from '../../shared/bitrix24/crmActions';
import { enrichDeals, type EnrichedDeal } from '../../shared/bitrix24/deals';
import type { PhoneCountry } from '../../shared/phone';
import { dealEventItem } from '../../shared/n8n/dealItems';
import {
	ItemResults,
	planEach,
	readLocator,
	readFieldValues,
	readId,
	parseJsonObject,
	readString,
	requireText,
	sendWrites,
	withDeal,
	type WriteItem,
} from './common';
import { branchFieldProperty } from '../../shared/n8n/dealParameters';
import { dealLocator, fieldValueProperties, operationsOf, stageLocator } from './descriptions';

const RESOURCE = 'deal';
const show = (...operation: string[]) => ({ resource: [RESOURCE], operation });

export const dealOperations: INodeProperties = operationsOf(RESOURCE, [
		{
			name: 'Apply Several Actions',
			value: 'applyActions',
			action: 'Apply several actions to a deal',
			description: 'Move, comment, create a task, notify, update fields and save a result row, in one request per deal',
		},
		{
			name: 'Find Awaiting Answer by Phone',
			value: 'findAwaiting',
			action: 'Find the deal awaiting an answer by phone',
			description: "Find the customer's newest deal in the stages that wait for a survey answer",
		},
		{ name: 'Get', value: 'get', action: 'Get a deal', description: 'Read a deal, with its contact, responsible and branch if wanted' },
		{ name: 'Move to Stage', value: 'moveToStage', action: 'Move a deal to a stage', description: 'Move a deal to a stage of its own or another pipeline' },
		{ name: 'Update', value: 'update', action: 'Update a deal', description: "Change a deal's fields" },
	], 'get');

const COUNTRY_OPTIONS = [
	{ name: 'Belarus (+375)', value: 'BY' },
	{ name: 'Kazakhstan (+7 7xx)', value: 'KZ' },
	{ name: 'Russia (+7)', value: 'RU' },
	{ name: 'Ukraine (+380)', value: 'UA' },
];

export const dealProperties: INodeProperties[] = [
	dealLocator(show('get', 'update', 'moveToStage', 'applyActions')),

	// --- get ---
	{
		displayName: 'Include Contact, Responsible and Branch',
		name: 'enrich',
		type: 'boolean',
		default: true,
		description:
			'Whether to read the primary contact, the responsible employee with their department, the stage and pipeline names and the branch as text, in the same request',
		displayOptions: { show: show('get') },
	},
	branchFieldProperty('The deal field that holds the branch or city; a list field is turned into its text.', { ...show('get'), enrich: [true] }),

	// --- update ---
	...fieldValueProperties(show('update'), 'getWritableDealFields'),

	// --- move ---
	stageLocator(show('moveToStage')),

	// --- find awaiting ---
	{
		displayName: 'Phone',
		name: 'phone',
		type: 'string',
		default: '',
		required: true,
		placeholder: '+7 912 345-67-89',
		description: 'The phone the answer came from, in any common form (8 912…, +7 (912)…, 912…)',
		displayOptions: { show: show('findAwaiting') },
	},
	{
		displayName: 'Awaiting Stage Names or IDs',
		name: 'awaitingStages',
		type: 'multiOptions',
		typeOptions: { loadOptionsMethod: 'getAllStages' },
		default: [],
		required: true,
		description:
			'The stages in which a deal waits for the survey answer. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show: show('findAwaiting') },
	},
	{
		displayName: 'Options',
		name: 'findOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: show('findAwaiting') },
		options: [
			branchFieldProperty('With "Include Details": the deal field that holds the branch.'),
			{
				displayName: 'Default Country',
				name: 'country',
				type: 'options',
				options: COUNTRY_OPTIONS,
				default: 'RU',
				description: 'The country of numbers written without a country code',
			},
			{
				displayName: 'Include Details',
				name: 'includeDetails',
				type: 'boolean',
				default: false,
				description: 'Whether to read the found deal with its contact, responsible, stage and branch (one more request per 9 deals)',
			},
		],
	},

	// --- apply several actions ---
	{
		displayName: 'Actions',
		name: 'actions',
		type: 'fixedCollection',
		placeholder: 'Add Action',
		default: {},
		description: 'What to do with the deal; all of it goes to Bitrix24 in one request',
		displayOptions: { show: show('applyActions') },
		options: [
			{
				displayName: 'Move to Stage',
				name: 'move',
				values: [
					{
						displayName: 'Stage Name or ID',
						name: 'stage',
						type: 'options',
						typeOptions: { loadOptionsMethod: 'getAllStages' },
						default: '',
						description:
							'A stage of any pipeline. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
					},
				],
			},
			{
				displayName: 'Add Timeline Comment',
				name: 'comment',
				values: [{ displayName: 'Comment', name: 'text', type: 'string', typeOptions: { rows: 3 }, default: '', description: 'BB-codes are allowed, e.g. [b]NPS 9[/b]' }],
			},
			{
				displayName: 'Create Task',
				name: 'task',
				values: [
					{ displayName: 'Title', name: 'title', type: 'string', default: '' },
					{
						displayName: 'Responsible Name or ID',
						name: 'responsible',
						type: 'options',
						typeOptions: { loadOptionsMethod: 'getUsers' },
						default: '',
						description:
							'Empty: the deal\'s responsible employee. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
					},
					{ displayName: 'Deadline', name: 'deadline', type: 'dateTime', default: '' },
					{ displayName: 'Description', name: 'description', type: 'string', typeOptions: { rows: 3 }, default: '' },
				],
			},
			{
				displayName: 'Notify User',
				name: 'notify',
				values: [
					{
						displayName: 'User Name or ID',
						name: 'user',
						type: 'options',
						typeOptions: { loadOptionsMethod: 'getUsers' },
						default: '',
						description:
							'Empty: the deal\'s responsible employee. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
					},
					{ displayName: 'Message', name: 'message', type: 'string', typeOptions: { rows: 2 }, default: '' },
				],
			},
			{
				displayName: 'Update Fields',
				name: 'update',
				values: [{ displayName: 'Fields (JSON)', name: 'fields', type: 'json', default: '{}', description: 'Deal field codes and values, e.g. {"UF_CRM_NPS_SCORE": 9}' }],
			},
			{
				displayName: 'Save Result Row',
				name: 'row',
				values: [
					{
						displayName: 'Smart Process Name or ID',
						name: 'smartProcess',
						type: 'options',
						typeOptions: { loadOptionsMethod: 'getSmartProcesses' },
						default: '',
						description:
							'The smart process of result rows. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
					},
					{
						displayName: 'Deal Link Field',
						name: 'linkField',
						type: 'string',
						default: 'parentId2',
						description: 'How a row names its deal: parentId2 when the smart process is linked to deals, or a field holding the deal ID (UF_CRM_…)',
					},
					{ displayName: 'Fields (JSON)', name: 'fields', type: 'json', default: '{}', description: 'Row field codes and values, e.g. {"UF_CRM_7_NPS_SCORE": 9}' },
				],
			},
		],
	},
];

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface EnrichRequest {
	index: number;
	dealId: number;
	branchField?: string;
	output(deal: EnrichedDeal): IDataObject;
}

/** Reads the deals with contact, responsible and branch (requests shared per branch field) into the items' outputs. */
async function enrichInto(client: Bitrix24Client, results: ItemResults, requests: EnrichRequest[]): Promise<void> {
	for (const branchField of new Set(requests.map((r) => r.branchField || undefined))) {
		const group = requests.filter((r) => (r.branchField || undefined) === branchField);
		let outcome: Awaited<ReturnType<typeof enrichDeals>>;
		try {
			outcome = await enrichDeals(client, group.map((r) => r.dealId), { branchField });
		} catch (error) {
			for (const r of group) results.fail(r.index, error, { dealId: r.dealId });
			continue;
		}
		for (const r of group) {
			const deal = outcome.deals.get(r.dealId);
			if (deal) results.set(r.index, r.output(deal));
			else results.fail(r.index, outcome.failures.get(r.dealId) ?? new Error('The deal was not found'), { dealId: r.dealId });
		}
	}
}

async function executeGet(ctx: IExecuteFunctions, client: Bitrix24Client, items: INodeExecutionData[], results: ItemResults): Promise<void> {
	const planned = planEach(ctx, results, items.length, (index) => ({
		dealId: readId(ctx, 'dealId', index, 'Deal'),
		enrich: ctx.getNodeParameter('enrich', index, true) as boolean,
		branchField: readString(ctx, 'branchField', index),
	}));
	const enriched = planned.filter((p) => p.enrich);
	const plain = planned.filter((p) => !p.enrich);

	await enrichInto(
		client,
		results,
		enriched.map((p) => ({ index: p.index, dealId: p.dealId, branchField: p.branchField, output: (deal) => dealEventItem(deal, { source: 'dealGet' }) })),
	);

	if (plain.length) {
		const outcomes = await runItemCommands(
			client,
			plain.map((p) => ({ index: p.index, commands: { deal: { method: 'crm.deal.get', params: { id: p.dealId } } } })),
		);
		for (const p of plain) {
			const outcome = outcomes.get(p.index);
			const error = outcome?.errors.deal ?? outcome?.errors.all;
			if (error || !isRecord(outcome?.results.deal)) results.fail(p.index, error ?? new Error('The deal was not found'), { dealId: p.dealId });
			else results.set(p.index, outcome.results.deal as IDataObject);
		}
	}
}

function executeUpdate(ctx: IExecuteFunctions, items: INodeExecutionData[], results: ItemResults): WriteItem[] {
	return planEach(ctx, results, items.length, (index) => {
		const dealId = readId(ctx, 'dealId', index, 'Deal');
		try {
			const fields = readFieldValues(ctx, index);
			if (!Object.keys(fields).length) throw new NodeOperationError(ctx.getNode(), 'No field to update: add at least one', { itemIndex: index });
			if ('STAGE_ID' in fields || 'CATEGORY_ID' in fields) {
				throw new NodeOperationError(ctx.getNode(), 'Use "Move to Stage" to change the stage or pipeline: Update leaves a stage of another pipeline unchanged without saying so', {
					itemIndex: index,
				});
			}
			return {
				dealId,
				commands: { update: updateDealCommand(dealId, fields) },
				labels: { update: 'fields updated' },
				output: () => ({ id: dealId, updated: true, fields }),
			};
		} catch (error) {
			throw withDeal(error, dealId);
		}
	});
}

function executeMove(ctx: IExecuteFunctions, items: INodeExecutionData[], results: ItemResults): WriteItem[] {
	return planEach(ctx, results, items.length, (index) => {
		const dealId = readId(ctx, 'dealId', index, 'Deal');
		const stageId = readLocator(ctx, 'stage', index);
		if (!stageId) throw withDeal(new NodeOperationError(ctx.getNode(), 'Choose the stage to move the deal to', { itemIndex: index }), dealId);
		return {
			dealId,
			commands: { move: moveDealCommand(dealId, stageId) },
			labels: { move: `moved to ${stageId}` },
			output: () => ({ id: dealId, stageId, categoryId: categoryOfStage(stageId), moved: true }),
		};
	});
}

async function executeFindAwaiting(ctx: IExecuteFunctions, client: Bitrix24Client, items: INodeExecutionData[], results: ItemResults): Promise<void> {
	const planned = planEach(ctx, results, items.length, (index) => {
		const options = ctx.getNodeParameter('findOptions', index, {}) as { country?: PhoneCountry; includeDetails?: boolean; branchField?: string };
		const stageIds = (ctx.getNodeParameter('awaitingStages', index, []) as unknown[]).map(String).filter(Boolean);
		if (!stageIds.length) throw new NodeOperationError(ctx.getNode(), 'Choose at least one awaiting stage', { itemIndex: index });
		const query: AwaitingQuery = { phone: requireText(ctx, 'phone', index, 'Phone'), stageIds, country: options.country ?? 'RU' };
		return { query, commands: awaitingCommands(query), options };
	});
	const searchable = planned.filter((p) => !('reason' in p.commands));
	for (const p of planned) {
		if ('reason' in p.commands) results.set(p.index, { found: false, phone: p.query.phone, reason: String(p.commands.reason) });
	}
	const outcomes = await runItemCommands(
		client,
		searchable.map((p) => ({ index: p.index, commands: p.commands as Record<string, BatchCommand> })),
	);
	const found: Array<{ index: number; json: IDataObject; dealId: number; branchField?: string }> = [];
	for (const p of searchable) {
		const outcome = outcomes.get(p.index) ?? { results: {}, errors: {} };
		try {
			if (outcome.errors.all) throw outcome.errors.all;
			const answer = readAwaiting(outcome, p.query);
			if (!answer.found) {
				results.set(p.index, { found: false, phone: p.query.phone, reason: answer.reason });
				continue;
			}
			const json: IDataObject = { found: true, phone: p.query.phone, dealId: answer.dealId, contactId: answer.contactId, candidates: answer.candidates, deal: answer.deal as IDataObject };
			results.set(p.index, json);
			if (p.options.includeDetails) found.push({ index: p.index, json, dealId: answer.dealId, branchField: p.options.branchField || undefined });
		} catch (error) {
			results.fail(p.index, error);
		}
	}
	await enrichInto(
		client,
		results,
		found.map((f) => ({ index: f.index, dealId: f.dealId, branchField: f.branchField, output: (deal) => ({ ...f.json, ...dealEventItem(deal, { source: 'findAwaiting' }) }) })),
	);
}

interface ActionsParameter {
	move?: { stage?: string };
	comment?: { text?: string };
	task?: { title?: string; responsible?: string | number; deadline?: string; description?: string };
	notify?: { user?: string | number; message?: string };
	update?: { fields?: unknown };
	row?: { smartProcess?: string | number; linkField?: string; fields?: unknown };
}

/** A chosen user's ID, or (none chosen) a reference to the deal's responsible employee. */
function userOrResponsible(value: unknown): number | string {
	const text = String(value ?? '').trim();
	if (!text) return '$result[deal][ASSIGNED_BY_ID]';
	if (!/^\d+$/.test(text)) throw new Error(`"${text}" is not a user ID (a number like 15)`);
	return Number(text);
}

function planActions(ctx: IExecuteFunctions, index: number): Omit<WriteItem, 'index'> {
	const dealId = readId(ctx, 'dealId', index, 'Deal');
	try {
		const actions = ctx.getNodeParameter('actions', index, {}) as ActionsParameter;
		const commands: Record<string, BatchCommand> = {};
		const labels: Record<string, string> = {};
		let row: RowUpsert | undefined;
		const needsResponsible = (actions.task && !String(actions.task.responsible ?? '').trim()) || (actions.notify && !String(actions.notify.user ?? '').trim());
		if (needsResponsible) {
			// The deal's responsible employee, read in the same request.
			commands.deal = { method: 'crm.deal.get', params: { id: dealId } };
			labels.deal = 'deal read';
		}
		if (actions.update) {
			const fields = parseJsonObject(ctx, index, 'Update Fields → Fields (JSON)', actions.update.fields ?? '{}');
			if (Object.keys(fields).length) {
				if ('STAGE_ID' in fields || 'CATEGORY_ID' in fields) throw new Error('Use the "Move to Stage" action to change the stage or pipeline');
				commands.update = updateDealCommand(dealId, fields);
				labels.update = 'fields updated';
			}
		}
		if (actions.move) {
			const stageId = String(actions.move.stage ?? '').trim();
			if (!stageId) throw new Error('"Move to Stage" has no stage');
			commands.move = moveDealCommand(dealId, stageId);
			labels.move = `moved to ${stageId}`;
		}
		if (actions.comment) {
			const text = String(actions.comment.text ?? '').trim();
			if (!text) throw new Error('"Add Timeline Comment" has no text');
			commands.comment = timelineCommentCommand(dealId, text);
			labels.comment = 'comment added';
		}
		if (actions.task) {
			const title = String(actions.task.title ?? '').trim();
			if (!title) throw new Error('"Create Task" has no title');
			const task: TaskInput = { title, responsibleId: 0, description: actions.task.description || undefined, deadline: actions.task.deadline || undefined };
			const command = taskCommand(dealId, task);
			(command.params as { fields: Raw }).fields.RESPONSIBLE_ID = userOrResponsible(actions.task.responsible);
			commands.task = command;
			labels.task = 'task created';
		}
		if (actions.notify) {
			const message = String(actions.notify.message ?? '').trim();
			if (!message) throw new Error('"Notify User" has no message');
			const command = notifyCommand(0, message);
			(command.params as Raw).USER_ID = userOrResponsible(actions.notify.user);
			commands.notify = command;
			labels.notify = 'user notified';
		}
		if (actions.row) {
			const entityTypeId = Number(String(actions.row.smartProcess ?? '').trim());
			if (!(entityTypeId > 0)) throw new Error('"Save Result Row" has no smart process');
			const field = String(actions.row.linkField ?? '').trim() || 'parentId2';
			row = { entityTypeId, dealId, link: { field }, fields: parseJsonObject(ctx, index, 'Save Result Row → Fields (JSON)', actions.row.fields ?? '{}') };
			labels.row = 'result row saved';
		}
		if (!Object.keys(commands).length && !row) throw new Error('No action is chosen: add at least one under "Actions"');
		return {
			dealId,
			commands,
			row,
			labels,
			output: (outcome) => {
				const json: IDataObject = { id: dealId };
				if (commands.update) json.updated = true;
				if (commands.move) {
					const stageId = String(actions.move?.stage).trim();
					json.moved = { stageId, categoryId: categoryOfStage(stageId) };
				}
				if (commands.comment) json.commentId = outcome.results.comment as number;
				if (commands.task) json.taskId = Number((outcome.results.task as { task?: Raw } | undefined)?.task?.id);
				if (commands.notify) json.notificationId = outcome.results.notify as number;
				if (outcome.row) json.row = { id: outcome.row.id, created: outcome.row.created };
				return json;
			},
		};
	} catch (error) {
		throw withDeal(error instanceof NodeOperationError ? error : new NodeOperationError(ctx.getNode(), (error as Error).message, { itemIndex: index }), dealId);
	}
}

export async function executeDeal(this: IExecuteFunctions, client: Bitrix24Client, items: INodeExecutionData[], operation: string): Promise<INodeExecutionData[]> {
	const results = new ItemResults(this, items.length);
	switch (operation) {
		case 'get':
			await executeGet(this, client, items, results);
			break;
		case 'update':
			await sendWrites(client, results, executeUpdate(this, items, results));
			break;
		case 'moveToStage':
			await sendWrites(client, results, executeMove(this, items, results));
			break;
		case 'findAwaiting':
			await executeFindAwaiting(this, client, items, results);
			break;
		case 'applyActions':
			await sendWrites(client, results, planEach(this, results, items.length, (index) => planActions(this, index)));
			break;
		default:
			throw new NodeOperationError(this.getNode(), `The deal operation "${operation}" is not known`);
	}
	return results.all();
}
