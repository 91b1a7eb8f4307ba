import type { INodeProperties } from 'n8n-workflow';

import { allowedHostsProperty, branchSourceProperties, branchTableProperty } from '../shared/n8n/branchTable';
import { LANGUAGE_OPTIONS, SCALE_OPTIONS } from '../shared/n8n/surveyParameters';

export type ResponseSource = 'page' | 'wazzup' | 'chat2desk' | 'whatsappCloud' | 'telegram' | 'twilio';

const pageOnly = { show: { source: ['page'] } };

export const responseTriggerProperties: INodeProperties[] = [
	{
		displayName: 'Source',
		name: 'source',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Survey Page', value: 'page', description: 'The page the survey link opens: score, then review buttons or a comment box' },
			{ name: 'Telegram Bot', value: 'telegram', description: 'Taps on the 0–10 buttons and typed replies; the webhook is registered with the bot on activation' },
			{ name: 'Twilio SMS Replies', value: 'twilio', description: 'Inbound SMS, signed with X-Twilio-Signature' },
			{ name: 'WhatsApp Cloud API Replies', value: 'whatsappCloud', description: 'Meta webhooks: verification and X-Hub-Signature-256' },
			{ name: 'WhatsApp Replies (Chat2Desk)', value: 'chat2desk', description: 'Chat2Desk "inbox" webhook with a secret in the URL' },
			{ name: 'WhatsApp Replies (Wazzup)', value: 'wazzup', description: 'Wazzup webhook with a secret in the URL' },
		],
		default: 'page',
	},
	{
		displayName:
			'Put this node\'s production URL (…/s) into NPS Survey Send → Survey Page URL. The page answers at once; the workflow gets one item per score and one per comment.',
		name: 'pageNotice',
		type: 'notice',
		default: '',
		displayOptions: pageOnly,
	},
	{
		displayName:
			'Chat replies carry the customer\'s phone: connect Bitrix24 → Deal → Find Awaiting (by {{ $json.phone }}) to find the deal, then Score Branch (it reads {{ $json.score }}).',
		name: 'chatNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { source: ['wazzup', 'chat2desk', 'whatsappCloud', 'twilio'] } },
	},
	{
		displayName: 'URL Secret',
		name: 'urlSecret',
		type: 'string',
		typeOptions: { password: true },
		default: '',
		required: true,
		displayOptions: { show: { source: ['wazzup', 'chat2desk'] } },
		description: 'A long random text. Give the provider this node\'s URL with ?token=&lt;secret&gt; at the end: calls without it are refused (401).',
	},
	{
		displayName: 'Scale',
		name: 'scale',
		type: 'options',
		options: SCALE_OPTIONS,
		default: 0,
		displayOptions: pageOnly,
	},
	{
		displayName: 'Default Language',
		name: 'language',
		type: 'options',
		options: LANGUAGE_OPTIONS,
		default: 'ru',
		displayOptions: pageOnly,
		description: 'For links that do not say their language (NPS Survey Send puts the customer\'s language in the link)',
	},
	{
		displayName: 'Question',
		name: 'question',
		type: 'string',
		default: '',
		displayOptions: pageOnly,
		description: 'Empty: "How likely are you to recommend {branch} to friends?" in the customer\'s language',
	},
	{
		displayName: 'Second Question',
		name: 'secondQuestion',
		type: 'string',
		default: '',
		displayOptions: pageOnly,
		description: 'Optional: a second 0–10 question on the same page (both scores reach the workflow; Score Branch can average them)',
	},
	{
		displayName: 'Review Buttons For',
		name: 'reviewPolicy',
		type: 'options',
		options: [
			{ name: 'Everyone', value: 'everyone', description: 'What Google\'s rules ask for: no review gating' },
			{ name: 'Nobody', value: 'nobody' },
			{ name: 'Promoters Only', value: 'promoters', description: 'Only scores from Promoter From up (review gating: platform rules may forbid it)' },
		],
		default: 'promoters',
		displayOptions: pageOnly,
	},
	{
		displayName: 'Promoter From',
		name: 'promoterFrom',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 10 },
		default: 9,
		displayOptions: pageOnly,
		description: 'Scores from this up get the promoter thank-you; lower scores get the comment box first',
	},
	{
		displayName: 'Review Link Tracker URL',
		name: 'trackerUrl',
		type: 'string',
		default: '',
		placeholder: 'https://n8n.example.com/webhook/reviews/r',
		displayOptions: pageOnly,
		description: 'Optional: the Review Link Tracker Trigger\'s URL. Set, the review buttons are tracked links (the click moves the deal, sets a task…); empty, they open the review pages directly.',
	},
	...branchSourceProperties({ source: ['page'] }),
	branchTableProperty('Name and review pages per branch ID (the ID NPS Survey Send put in the link)', { source: ['page'] }),
	allowedHostsProperty({ source: ['page'] }),
];
