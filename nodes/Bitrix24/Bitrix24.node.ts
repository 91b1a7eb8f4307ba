import {
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
	NodeOperationError,
} from 'n8n-workflow';

import { bitrix24ClientFor, LOCAL_APP_CREDENTIAL, WEBHOOK_CREDENTIAL } from '../shared/n8n/bitrix24Client';
import { callMethodProperties, executeCallMethod } from './actions/callMethod';

export class Bitrix24 implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Bitrix24',
		name: 'bitrix24',
		icon: { light: 'file:../../icons/bitrix24.svg', dark: 'file:../../icons/bitrix24.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["method"] ? "Call " + $parameter["method"] : "Call method" }}',
		description: 'Work with Bitrix24 CRM through its REST API, batched and paced to the portal limits',
		defaults: { name: 'Bitrix24' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: WEBHOOK_CREDENTIAL, required: true, displayOptions: { show: { authentication: ['webhook'] } } },
			{ name: LOCAL_APP_CREDENTIAL, required: true, displayOptions: { show: { authentication: ['oAuth2'] } } },
		],
		properties: [
			{
				displayName: 'Authentication',
				name: 'authentication',
				type: 'options',
				options: [
					{ name: 'Inbound Webhook', value: 'webhook' },
					{ name: 'OAuth2 (Local App)', value: 'oAuth2' },
				],
				default: 'webhook',
			},
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'REST API', value: 'restApi' }],
				default: 'restApi',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: { show: { resource: ['restApi'] } },
				options: [
					{
						name: 'Call Method',
						value: 'callMethod',
						action: 'Call a REST method',
						description: 'Call any Bitrix24 REST method; items are sent 50 per request with batch',
					},
				],
				default: 'callMethod',
			},
			...callMethodProperties,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const operation = this.getNodeParameter('operation', 0) as string;
		const client = await bitrix24ClientFor(this);
		if (operation === 'callMethod') return [await executeCallMethod.call(this, client, items)];
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" is not known`);
	}
}
