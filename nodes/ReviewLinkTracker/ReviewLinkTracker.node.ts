import {
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
	NodeOperationError,
} from 'n8n-workflow';

import { allowedHostsProperty, branchSourceProperties, branchTableProperty, loadBranches, readAllowedHosts } from '../shared/n8n/branchTable';
import { errorItemJson, toNodeError } from '../shared/n8n/errors';
import { signingCredential } from '../shared/n8n/signing';
import { PLATFORM_LABELS, platformLinks, signReviewToken, trackedUrl } from '../shared/survey/reviewLinks';
import { languageOf } from '../shared/survey/template';
import { text } from '../shared/n8n/surveyParameters';

const SIGNING_CREDENTIAL = 'npsLinkSigningApi';

export class ReviewLinkTracker implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Review Link Tracker',
		name: 'reviewLinkTracker',
		icon: { light: 'file:../../icons/nps.svg', dark: 'file:../../icons/nps.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: 'tracked review links',
		description: 'Tracked links to the review pages (Yandex Maps, Google Maps, 2GIS) of the customer\'s branch',
		defaults: { name: 'Review Link Tracker' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: SIGNING_CREDENTIAL, required: true }, { name: 'npsBranchTableApi', required: true, displayOptions: { show: { branchSource: ['dataTable'] } } }],
		properties: [
			{
				displayName:
					'Destinations come from the Branches table, never from the link: the Review Link Tracker Trigger redirects with its own table, so give both nodes the same rows.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Tracker URL',
				name: 'trackerUrl',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'https://n8n.example.com/webhook/reviews/r',
				description: 'The Review Link Tracker Trigger\'s production URL (ending in /r), or a short public domain that forwards to it',
			},
			{
				displayName: 'Deal ID',
				name: 'dealId',
				type: 'string',
				default: '={{ $json.dealId ?? $json.deal?.id }}',
				required: true,
			},
			{
				displayName: 'Branch ID',
				name: 'branchId',
				type: 'string',
				default: '={{ $json.branch?.id ?? $json.branch?.value ?? "" }}',
				required: true,
			},
			{
				displayName: 'Language',
				name: 'language',
				type: 'string',
				default: '={{ $json.language ?? "ru" }}',
				description: 'Of the button labels: ru, uk or en',
			},
			{
				displayName: 'Link Lifetime (Days)',
				name: 'lifetimeDays',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 400 },
				default: 90,
			},
			...branchSourceProperties(),
			branchTableProperty('Name and review pages per branch ID'),
			allowedHostsProperty(),
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const out: INodeExecutionData[] = [];
		const key = (await signingCredential(this)).keys.current;
		const now = Math.floor(Date.now() / 1000);
		for (let index = 0; index < items.length; index++) {
			let dealText = '';
			try {
				dealText = text(this.getNodeParameter('dealId', index, ''));
				const dealId = Number(dealText);
				if (!/^\d+$/.test(dealText) || dealId <= 0) throw new NodeOperationError(this.getNode(), `Deal ID must be a positive whole number, got "${dealText}"`, { itemIndex: index });
				const base = text(this.getNodeParameter('trackerUrl', index, ''));
				if (!/^https?:\/\//i.test(base)) throw new NodeOperationError(this.getNode(), 'Tracker URL must be the http(s) URL of the Review Link Tracker Trigger', { itemIndex: index });
				const branchId = text(this.getNodeParameter('branchId', index, ''));
				const branch = (await loadBranches(this, index)).find((row) => row.id === branchId);
				if (!branch) {
					throw new NodeOperationError(this.getNode(), `Branch "${branchId}" is not among the branches`, {
						itemIndex: index,
						description: 'Add its row with its review pages (to the NPS branches data table, or to Branches here and in the trigger).',
					});
				}
				const language = languageOf(this.getNodeParameter('language', index, 'ru'), 'ru');
				const lifetime = Math.max(1, Math.min(400, Number(this.getNodeParameter('lifetimeDays', index, 90)))) * 86_400;
				const links = platformLinks(branch, readAllowedHosts(this, index)).map((link) => {
					const token = signReviewToken({ dealId, branch: branchId, platform: link.platform, issuedAt: now, expiresAt: now + lifetime }, key);
					const label = (PLATFORM_LABELS[language] as Record<string, string>)[link.platform] ?? link.label;
					return { platform: link.platform, label, url: trackedUrl(base, token), destination: link.destination };
				});
				const byPlatform = Object.fromEntries(links.map((link) => [link.platform, link.url]));
				out.push({ json: { ...items[index].json, reviewLinks: links as unknown as IDataObject[], reviewLinksByPlatform: byPlatform }, pairedItem: { item: index } });
			} catch (error) {
				const nodeError = toNodeError(this.getNode(), error, { itemIndex: index, dealId: dealText || undefined });
				if (!this.continueOnFail()) throw nodeError;
				out.push({ json: { ...items[index].json, ...errorItemJson(nodeError) }, pairedItem: { item: index } });
			}
		}
		return [out];
	}
}
