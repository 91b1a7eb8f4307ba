import {
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IHookFunctions,
	type ILoadOptionsFunctions,
	type INodePropertyOptions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
	NodeConnectionTypes,
	NodeOperationError,
} from 'n8n-workflow';

import { decideDealEvent } from '../shared/bitrix24/dealEvents';
import { readDealEvent, readInboundBody, readRobotCall, type InboundDealEvent } from '../shared/bitrix24/inbound';
import { bitrix24ClientFor, credentialTypeFor, LOCAL_APP_CREDENTIAL, readBitrix24Credentials, WEBHOOK_CREDENTIAL } from '../shared/n8n/bitrix24Client';
import { dealEventItem } from '../shared/n8n/dealItems';
import { authenticationProperty, branchFieldProperty, dealItemOptionFields, readDealEventOptions, stageFilterProperties } from '../shared/n8n/dealParameters';
import { errorItemJson, toNodeError } from '../shared/n8n/errors';
import { getDealFields, getPipelines, getStages } from '../shared/n8n/loadOptions';

const SECRET_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

type Source = 'outgoingWebhook' | 'robot' | 'appEvents';

function authenticationFor(ctx: IHookFunctions | IWebhookFunctions, source: Source): string {
	return source === 'appEvents' ? 'oAuth2' : (ctx.getNodeParameter('authentication', 'webhook') as string);
}

function wantedEvents(ctx: IHookFunctions | IWebhookFunctions): string[] {
	const events = ctx.getNodeParameter('events', ['ONCRMDEALUPDATE']) as string[];
	return events.length ? events : ['ONCRMDEALUPDATE'];
}

function checkRobotSecret(ctx: IHookFunctions | IWebhookFunctions): void {
	const secret = String(ctx.getNodeParameter('urlSecret', ''));
	if (!SECRET_PATTERN.test(secret)) {
		throw new NodeOperationError(ctx.getNode(), 'The URL Secret must be 16 to 128 letters, digits, "-" or "_": it is what tells the robot\'s calls apart from anyone else\'s');
	}
}

function applicationToken(ctx: IWebhookFunctions, source: Source, credentials: ICredentialDataDecryptedObject): string {
	const own = source === 'outgoingWebhook' ? String(ctx.getNodeParameter('applicationToken', '') ?? '') : '';
	return own || String(credentials.applicationToken ?? '');
}

function rawBodyOf(ctx: IWebhookFunctions): string | undefined {
	const raw = (ctx.getRequestObject() as { rawBody?: Buffer | string }).rawBody;
	if (raw === undefined) return undefined;
	return typeof raw === 'string' ? raw : raw.toString('utf8');
}

export class Bitrix24Trigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Bitrix24 Trigger',
		name: 'bitrix24Trigger',
		icon: { light: 'file:../../icons/bitrix24.svg', dark: 'file:../../icons/bitrix24.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ {"outgoingWebhook": "Outgoing webhook", "robot": "Webhook robot", "appEvents": "App events"}[$parameter["source"]] }}',
		description: 'Starts the workflow when a Bitrix24 deal reaches a stage, with its contact, employee and branch',
		defaults: { name: 'Bitrix24 Trigger' },
		inputs: [],
		// The second output carries deals whose event was answered but which could not be read:
		// Bitrix24 never sends an event again, so they must not vanish (connect it to Stop and Error).
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Deal', 'Could Not Read'],
		credentials: [
			{ name: WEBHOOK_CREDENTIAL, required: true, displayOptions: { show: { authentication: ['webhook'], source: ['outgoingWebhook', 'robot'] } } },
			{ name: LOCAL_APP_CREDENTIAL, required: true, displayOptions: { show: { authentication: ['oAuth2'] } } },
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: '={{ $parameter["source"] === "robot" ? "robot/" + $parameter["urlSecret"] : "events" }}',
			},
		],
		properties: [
			{
				displayName: 'Source',
				name: 'source',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Outgoing Webhook', value: 'outgoingWebhook', description: 'Bitrix24 posts deal events to n8n; set up once in Bitrix24' },
					{ name: 'Webhook Robot on a Stage', value: 'robot', description: 'The built-in "Webhook" automation rule calls n8n when a deal enters its stage' },
					{ name: 'OAuth App Events', value: 'appEvents', description: 'Registers n8n for deal events with event.bind; needs the OAuth2 (local app) credential' },
				],
				default: 'outgoingWebhook',
			},
			{
				displayName:
					'In Bitrix24 open Developer resources → Other → Outgoing webhook. Paste the Production URL above as the handler address, choose the events "Deal updated" (ONCRMDEALUPDATE) and, if you like, "Deal created", save, and copy the application token it shows into the credential (or the field below). For a workflow that is not published, use the Test URL while you listen for a test event. For polling without a public URL, use the Bitrix24 Poll Trigger node.',
				name: 'outgoingWebhookNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { source: ['outgoingWebhook'] } },
			},
			{
				displayName:
					'In Bitrix24 open the deal pipeline\'s Automation rules, add "Webhook" to the stage that should start this workflow, and paste the Production URL above as its handler (you may add ?deal={{ID}}). The URL Secret below is part of that URL: anyone who knows the URL can start the workflow.',
				name: 'robotNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { source: ['robot'] } },
			},
			{
				displayName:
					'n8n binds its URL to the chosen events with event.bind when the workflow is published and unbinds it when unpublished. This needs the Bitrix24 OAuth2 credential of a local app; put the app\'s application token in that credential so the events can be verified.',
				name: 'appEventsNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { source: ['appEvents'] } },
			},
			{
				displayName:
					'Each stage entry starts one execution while n8n runs. To keep it so across restarts, have the workflow write the item\'s eventKey into a deal field and choose that field under Options → Skip Deals Marked in Field. Connect the second output, Could Not Read, to Stop and Error so a deal that could not be read fails visibly.',
				name: 'onceNotice',
				type: 'notice',
				default: '',
			},
			authenticationProperty('How the trigger reads the deal. App events always use OAuth2.'),
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				options: [
					{ name: 'Deal Updated (ONCRMDEALUPDATE)', value: 'ONCRMDEALUPDATE' },
					{ name: 'Deal Created (ONCRMDEALADD)', value: 'ONCRMDEALADD' },
				],
				default: ['ONCRMDEALUPDATE'],
				description: 'Events to act on; others are answered and ignored',
				displayOptions: { show: { source: ['outgoingWebhook', 'appEvents'] } },
			},
			{
				displayName: 'Application Token',
				name: 'applicationToken',
				type: 'string',
				typeOptions: { password: true },
				default: '',
				description: 'The token Bitrix24 shows for the outgoing webhook. Leave empty to use the one in the credential.',
				displayOptions: { show: { source: ['outgoingWebhook'] } },
			},
			{
				displayName: 'URL Secret',
				name: 'urlSecret',
				type: 'string',
				typeOptions: { password: true },
				required: true,
				default: '',
				placeholder: 'e.g. 3f9c1a7d2b8e4c6f9a0d',
				description: '16 or more letters, digits, "-" or "_". It becomes part of the webhook URL; the robot sends no token, so the URL is the key.',
				displayOptions: { show: { source: ['robot'] } },
			},
			...stageFilterProperties('Every stage change, and every change with Deal Created'),
			branchFieldProperty('The deal field that holds the branch or city; a list field is read as its text.'),
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					...dealItemOptionFields(
						"A deal field the workflow fills with the item's eventKey once it acted. Deals whose field holds the key are skipped, which keeps one item per stage entry across n8n restarts. The item names the field (markerField) for the workflow's own marks.",
					),
				],
			},
		],
	};

	methods = {
		loadOptions: {
			getPipelines,
			getStages,
			getDealFields,
		} as Record<string, (this: ILoadOptionsFunctions) => Promise<INodePropertyOptions[]>>,
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const source = this.getNodeParameter('source') as Source;
				if (source === 'robot') checkRobotSecret(this);
				// Outgoing webhooks and robots are set up by hand in Bitrix24: nothing to register.
				if (source !== 'appEvents') return true;
				const client = await bitrix24ClientFor(this, 'oAuth2');
				const url = this.getNodeWebhookUrl('default');
				const { result } = await client.call<Array<{ event: string; handler: string }>>('event.get');
				const bound = new Set((result ?? []).filter((b) => b.handler === url).map((b) => String(b.event).toUpperCase()));
				return wantedEvents(this).every((event) => bound.has(event));
			},
			async create(this: IHookFunctions): Promise<boolean> {
				const source = this.getNodeParameter('source') as Source;
				if (source !== 'appEvents') return true;
				const client = await bitrix24ClientFor(this, 'oAuth2');
				const handler = this.getNodeWebhookUrl('default');
				const outcome = await client.batch(Object.fromEntries(wantedEvents(this).map((event, i) => [`e${i}`, { method: 'event.bind', params: { event, handler } }])));
				for (const error of Object.values(outcome.errors)) {
					// Already bound to this URL: that is what we want.
					if (error.code === 'ERROR_EVENT_ALREADY_INSTALLED') continue;
					throw toNodeError(this.getNode(), error, { itemIndex: 0, note: 'Registering the trigger with event.bind failed.' });
				}
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				const source = this.getNodeParameter('source') as Source;
				if (source !== 'appEvents') return true;
				const client = await bitrix24ClientFor(this, 'oAuth2');
				const handler = this.getNodeWebhookUrl('default');
				const outcome = await client.batch(Object.fromEntries(wantedEvents(this).map((event, i) => [`e${i}`, { method: 'event.unbind', params: { event, handler } }])));
				const failures = Object.values(outcome.errors);
				for (const error of failures) this.logger.error(`Bitrix24 Trigger: could not unbind ${handler}: ${error.message}`);
				return failures.length === 0;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const response = this.getResponseObject();
		const source = this.getNodeParameter('source') as Source;
		const body = readInboundBody(rawBodyOf(this), this.getBodyData());

		let event: InboundDealEvent;
		// Read once per call: under a storm every read of n8n's database counts (queue mode, scale suite).
		let credentials: ICredentialDataDecryptedObject | undefined;
		const credentialsOnce = async () =>
			(credentials ??= await readBitrix24Credentials(this, credentialTypeFor(authenticationFor(this, source))));
		if (source === 'robot') {
			checkRobotSecret(this);
			event = readRobotCall(body, this.getQueryData() as Record<string, unknown>);
		} else {
			event = readDealEvent(body, applicationToken(this, source, await credentialsOnce()), new Set(wantedEvents(this)));
		}
		if (event.kind === 'refuse') {
			this.logger.warn(`Bitrix24 Trigger refused a call: ${event.reason}`);
			response.status(event.status).json({ error: event.status === 400 ? 'bad_request' : 'unauthorized' });
			return { noWebhookResponse: true };
		}
		// Bitrix24 does not wait for us and never sends twice: answer now, then read the deal.
		response.status(200).json({ ok: true });
		if (event.kind === 'ignore') return { noWebhookResponse: true };

		const { eventOptions, options } = readDealEventOptions<{ markerField?: string; includeRaw?: boolean }>(this);
		let decision;
		try {
			const client = await bitrix24ClientFor(this, authenticationFor(this, source), await credentialsOnce());
			// A test run in the editor does not remember events, so the same deal can be tried again.
			decision = await decideDealEvent(client, event.dealId, eventOptions, undefined, this.getMode() !== 'manual');
		} catch (error) {
			// Answered already, and Bitrix24 will not send it again: start the workflow on the
			// "Could Not Read" output so the deal shows up in the executions instead of vanishing.
			const nodeError = toNodeError(this.getNode(), error, { itemIndex: 0, dealId: event.dealId, note: `The ${event.event} event was answered but the deal could not be read.` });
			this.logger.error(`Bitrix24 Trigger: ${event.event}: ${nodeError.message}`);
			const failed: IDataObject = { dealId: event.dealId, event: event.event, source, ...errorItemJson(nodeError) };
			return { noWebhookResponse: true, workflowData: [[], [{ json: failed }]] };
		}
		if (!decision.emit) {
			const log = decision.reason === 'gone' ? this.logger.warn : this.logger.debug;
			log.call(this.logger, `Bitrix24 Trigger: ${event.event}: ${decision.detail}; nothing started`);
			return { noWebhookResponse: true };
		}
		const item: IDataObject = dealEventItem(decision.deal, { source, event: event.event, includeRaw: options.includeRaw !== false, markerField: eventOptions.markerField });
		return { noWebhookResponse: true, workflowData: [[{ json: item }], []] };
	}
}
