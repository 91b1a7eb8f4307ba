/** Credential fields both Bitrix24 credentials share. */

import type { INodeProperties } from 'n8n-workflow';

export const ratePlanField: INodeProperties = {
	displayName: 'Plan (Rate Limits)',
	name: 'ratePlan',
	type: 'options',
	options: [
		{ name: 'Standard (2 Requests/s, Burst 50)', value: 'standard' },
		{ name: 'Enterprise (5 Requests/s, Burst 250)', value: 'enterprise' },
		{ name: 'Custom (On-Premise or Agreed Limits)', value: 'custom' },
	],
	default: 'standard',
	description: 'The portal plan decides how fast Bitrix24 accepts requests; the nodes pace themselves to it',
};

export const customRateFields: INodeProperties[] = [
	{
		displayName: 'Requests per Second',
		name: 'requestsPerSecond',
		type: 'number',
		typeOptions: { minValue: 0.1, numberPrecision: 1 },
		default: 2,
		displayOptions: { show: { ratePlan: ['custom'] } },
		description: 'How fast the portal\'s request counter drains (an on-premise portal\'s administrator sets it)',
	},
	{
		displayName: 'Burst',
		name: 'burst',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		displayOptions: { show: { ratePlan: ['custom'] } },
		description: 'How many requests the portal takes at once before it starts refusing',
	},
];

export const ignoreSslIssuesField: INodeProperties = {
	displayName: 'Ignore SSL Issues (Insecure)',
	name: 'ignoreSslIssues',
	type: 'boolean',
	default: false,
	description: 'Whether to accept a self-signed certificate on the portal (on-premise Bitrix24 only)',
};

export const applicationTokenField: INodeProperties = {
	displayName: 'Application Token (for Events)',
	name: 'applicationToken',
	type: 'string',
	typeOptions: { password: true },
	default: '',
	description:
		'For the Bitrix24 Trigger: the application token Bitrix24 shows for the outgoing webhook (or gives the app at installation). Events that do not carry it are refused.',
};
