import {
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
	NodeOperationError,
} from 'n8n-workflow';

import { bitrix24ClientFor, LOCAL_APP_CREDENTIAL, WEBHOOK_CREDENTIAL } from '../shared/n8n/bitrix24Client';
import { authenticationProperty } from '../shared/n8n/dealParameters';
import { searchDeals, searchSmartProcesses, searchStages, searchUsers } from '../shared/n8n/listSearch';
import { getAllStages, getDealFields, getSmartProcesses, getSmartProcessFields, getUsers, getWritableDealFields } from '../shared/n8n/loadOptions';
import { callMethodProperties, executeCallMethod } from './actions/callMethod';
import { dealOperations, dealProperties, executeDeal } from './actions/deal';
import { executeNotification, notificationOperations, notificationProperties } from './actions/notification';
import { executeSmartProcess, smartProcessOperations, smartProcessProperties } from './actions/smartProcess';
import { executeTask, taskOperations, taskProperties } from './actions/task';
import { executeTimeline, timelineOperations, timelineProperties } from './actions/timeline';

export class Bitrix24 implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Bitrix24',
		name: 'bitrix24',
		icon: { light: 'file:../../icons/bitrix24.svg', dark: 'file:../../icons/bitrix24.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["resource"] === "restApi" ? "Call " + ($parameter["method"] || "method") : $parameter["operation"] + ": " + $parameter["resource"] }}',
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
			authenticationProperty(),
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Deal', value: 'deal' },
					{ name: 'Notification', value: 'notification' },
					{ name: 'REST API', value: 'restApi', description: 'Any Bitrix24 method' },
					{ name: 'Smart Process', value: 'smartProcess' },
					{ name: 'Task', value: 'task' },
					{ name: 'Timeline', value: 'timeline' },
				],
				default: 'deal',
			},
			dealOperations,
			timelineOperations,
			taskOperations,
			notificationOperations,
			smartProcessOperations,
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
			...dealProperties,
			...timelineProperties,
			...taskProperties,
			...notificationProperties,
			...smartProcessProperties,
		],
	};

	methods = {
		loadOptions: { getAllStages, getDealFields, getSmartProcesses, getSmartProcessFields, getUsers, getWritableDealFields },
		listSearch: { searchDeals, searchSmartProcesses, searchStages, searchUsers },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const resource = this.getNodeParameter('resource', 0) as string;
		const operation = this.getNodeParameter('operation', 0) as string;
		const client = await bitrix24ClientFor(this);
		switch (resource) {
			case 'restApi':
				return [await executeCallMethod.call(this, client, items)];
			case 'deal':
				return [await executeDeal.call(this, client, items, operation)];
			case 'timeline':
				return [await executeTimeline.call(this, client, items, operation)];
			case 'task':
				return [await executeTask.call(this, client, items, operation)];
			case 'notification':
				return [await executeNotification.call(this, client, items, operation)];
			case 'smartProcess':
				return [await executeSmartProcess.call(this, client, items, operation)];
			default:
				throw new NodeOperationError(this.getNode(), `The resource "${resource}" is not known`);
		}
	}
}
