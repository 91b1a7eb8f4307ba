import {
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
	NodeConnectionTypes,
} from 'n8n-workflow';

import { allowedHostsProperty, branchSourceProperties, branchTableProperty, loadBranches, readAllowedHosts } from '../shared/n8n/branchTable';
import { isLinkPreviewBot, resolveClick } from '../shared/survey/reviewLinks';
import { problemPage } from '../shared/survey/page';
import { languageOf } from '../shared/survey/template';
import { signingCredential } from '../shared/n8n/signing';
import { LANGUAGE_OPTIONS } from '../shared/n8n/surveyParameters';

const SIGNING_CREDENTIAL = 'npsLinkSigningApi';

/** Clicks seen in this process: `firstClick` is a hint; the lasting record is the deal in Bitrix24. */
const seenClicks = new Set<string>();
function firstTime(key: string): boolean {
	if (seenClicks.has(key)) return false;
	seenClicks.add(key);
	if (seenClicks.size > 50_000) seenClicks.delete(seenClicks.values().next().value as string);
	return true;
}

// eslint-disable-next-line @n8n/community-nodes/webhook-lifecycle-complete -- nothing to register anywhere: the links we hand out point here themselves
export class ReviewLinkTrackerTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Review Link Tracker Trigger',
		name: 'reviewLinkTrackerTrigger',
		icon: { light: 'file:../../icons/nps.svg', dark: 'file:../../icons/nps.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: 'review link clicks',
		description: 'Redirects a tracked review link to the branch\'s review page at once, then starts the workflow with the click',
		defaults: { name: 'Review Link Tracker Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: SIGNING_CREDENTIAL, required: true }, { name: 'npsBranchTableApi', required: true, displayOptions: { show: { branchSource: ['dataTable'] } } }],
		webhooks: [
			// n8n stores a path with a parameter under the node's webhook ID only when it is marked full
			// (as its own Webhook node does); without it the route is never found.
			{ name: 'default', httpMethod: 'GET', responseMode: 'onReceived', path: 'r/:token', isFullPath: true },
			{ name: 'setup', httpMethod: 'GET', responseMode: 'onReceived', path: 'r' },
		],
		properties: [
			{
				displayName:
					'Put this node\'s production URL (…/r) into Review Link Tracker → Tracker URL, and give both nodes the same branches (the NPS branches data table, or the same rows). Link-preview bots (WhatsApp, Telegram…) are redirected but start nothing.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Language of the Error Page',
				name: 'language',
				type: 'options',
				options: LANGUAGE_OPTIONS,
				default: 'ru',
			},
			...branchSourceProperties(),
			branchTableProperty('Name and review pages per branch ID: where each link goes'),
			allowedHostsProperty(),
		],
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const response = this.getResponseObject();
		const request = this.getRequestObject();
		const params = this.getParamsData() as { token?: string };
		const query = this.getQueryData() as { t?: unknown };
		const token = String(params.token ?? (Array.isArray(query.t) ? query.t[0] : (query.t ?? '')));
		const { keys } = await signingCredential(this);
		const click = resolveClick(token, keys, await loadBranches(this), readAllowedHosts(this), Math.floor(Date.now() / 1000));
		if (!click.ok) {
			this.logger.debug(`Review Link Tracker Trigger: link refused (${click.reason})`);
			response.status(click.status);
			response.setHeader('Content-Type', 'text/html; charset=utf-8');
			response.setHeader('Cache-Control', 'no-store');
			response.send(problemPage({ language: languageOf(this.getNodeParameter('language', 'ru'), 'ru'), kind: click.status === 410 ? 'expired' : 'invalid' }));
			return { noWebhookResponse: true };
		}
		// The customer is on their way before the workflow does anything.
		response.status(302);
		response.setHeader('Location', click.destination);
		response.setHeader('Cache-Control', 'no-store');
		response.setHeader('Referrer-Policy', 'no-referrer');
		response.end();

		const userAgent = String(request.headers['user-agent'] ?? '');
		if (isLinkPreviewBot(userAgent)) {
			this.logger.debug(`Review Link Tracker Trigger: link preview by "${userAgent}" redirected, not counted`);
			return { noWebhookResponse: true };
		}
		const { claims } = click;
		const clickKey = `${claims.dealId}|${claims.platform}`;
		return {
			noWebhookResponse: true,
			workflowData: [
				[
					{
						json: {
							dealId: claims.dealId,
							branch: claims.branch,
							platform: claims.platform,
							destination: click.destination,
							clickedAt: new Date().toISOString(),
							userAgent,
							clickKey,
							firstClick: firstTime(clickKey),
							linkIssuedAt: new Date(claims.issuedAt * 1000).toISOString(),
						},
					},
				],
			],
		};
	}
}
