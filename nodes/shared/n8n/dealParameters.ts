/**
 * Parameters the Bitrix24 nodes share: which credential to use, which stage entries a trigger
 * follows, the branch field, and the options of the emitted deal item; and reading them back.
 */

import type { IDisplayOptions, IHookFunctions, INodeProperties, IPollFunctions, IWebhookFunctions } from 'n8n-workflow';

import type { DealEventOptions, StageFilter } from '../bitrix24/dealEvents';

export function authenticationProperty(description?: string): INodeProperties {
	return {
		displayName: 'Authentication',
		name: 'authentication',
		type: 'options',
		options: [
			{ name: 'Inbound Webhook', value: 'webhook' },
			{ name: 'OAuth2 (Local App)', value: 'oAuth2' },
		],
		default: 'webhook',
		...(description ? { description } : {}),
	};
}

/** "Deal Reached": any won stage, chosen stages of a pipeline, or any stage. */
export function stageFilterProperties(anyStageDescription?: string): INodeProperties[] {
	return [
		{
			displayName: 'Deal Reached',
			name: 'stageMode',
			type: 'options',
			options: [
				{ name: 'Any Won Stage', value: 'anyWon', description: 'Any pipeline\'s success stage' },
				{ name: 'Chosen Stages', value: 'stages' },
				{ name: 'Any Stage', value: 'any', ...(anyStageDescription ? { description: anyStageDescription } : {}) },
			],
			default: 'anyWon',
		},
		{
			displayName: 'Pipeline Name or ID',
			name: 'pipeline',
			type: 'options',
			typeOptions: { loadOptionsMethod: 'getPipelines' },
			default: '',
			description: 'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
			displayOptions: { show: { stageMode: ['stages'] } },
		},
		{
			displayName: 'Stage Names or IDs',
			name: 'stages',
			type: 'multiOptions',
			typeOptions: { loadOptionsMethod: 'getStages', loadOptionsDependsOn: ['pipeline'] },
			default: [],
			description: 'Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
			displayOptions: { show: { stageMode: ['stages'] } },
		},
	];
}

/** The deal field holding the branch (a list field is read as its text). */
export function branchFieldProperty(description: string, show?: IDisplayOptions['show']): INodeProperties {
	return {
		displayName: 'Branch Field Name or ID',
		name: 'branchField',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getDealFields' },
		default: '',
		description: `${description} Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>`,
		...(show ? { displayOptions: { show } } : {}),
	};
}

/** The triggers' options for the emitted item: the marker field that skips handled deals, raw records. */
export function dealItemOptionFields(markerDescription: string): INodeProperties[] {
	return [
		{
			displayName: 'Skip Deals Marked in Field Name or ID',
			name: 'markerField',
			type: 'options',
			typeOptions: { loadOptionsMethod: 'getDealFields' },
			default: '',
			description: `${markerDescription} Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>`,
		},
		{
			displayName: 'Include Raw Records',
			name: 'includeRaw',
			type: 'boolean',
			default: true,
			description: 'Whether to add the deal, contact and employee as Bitrix24 returned them',
		},
	];
}

type TriggerContext = IHookFunctions | IWebhookFunctions | IPollFunctions;

export function readStageFilter(ctx: TriggerContext): StageFilter {
	const mode = ctx.getNodeParameter('stageMode', 'anyWon') as string;
	if (mode === 'stages') return { mode, stageIds: (ctx.getNodeParameter('stages', []) as string[]).map(String) };
	return mode === 'any' ? { mode } : { mode: 'anyWon' };
}

/** What decides whether a deal event is emitted (stages, branch field, marker field), and the options. */
export function readDealEventOptions<Options extends { markerField?: string; includeRaw?: boolean }>(ctx: TriggerContext): { eventOptions: DealEventOptions; options: Options } {
	const options = ctx.getNodeParameter('options', {}) as Options;
	return {
		eventOptions: {
			stages: readStageFilter(ctx),
			branchField: (ctx.getNodeParameter('branchField', '') as string) || undefined,
			markerField: options.markerField || undefined,
		},
		options,
	};
}
