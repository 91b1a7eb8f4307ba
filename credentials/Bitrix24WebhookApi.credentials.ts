import type {
	IAuthenticate,
	ICredentialTestRequest,
	ICredentialType,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

import { applicationTokenField, customRateFields, ignoreSslIssuesField, ratePlanField } from '../nodes/shared/n8n/credentialFields';

import { parseWebhookUrl } from '../nodes/shared/bitrix24/webhookUrl';

/**
 * Bitrix24 inbound webhook: a URL `https://PORTAL/rest/USER_ID/CODE/` whose code is the secret.
 * The code goes into the request path here and nowhere else.
 */
export class Bitrix24WebhookApi implements ICredentialType {
	name = 'bitrix24WebhookApi';

	displayName = 'Bitrix24 Inbound Webhook API';

	icon: Icon = { light: 'file:../icons/bitrix24.svg', dark: 'file:../icons/bitrix24.dark.svg' };

	documentationUrl = 'https://apidocs.bitrix24.com/local-integrations/local-webhooks.html';

	properties: INodeProperties[] = [
		{
			displayName:
				'In Bitrix24 open Developer resources → Other → Incoming webhook, tick the scopes crm, user, task, im and department, save, and paste the webhook URL here. Calls run as the user who created the webhook.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password -- the URL path holds the webhook's secret code
		{
			displayName: 'Webhook URL',
			name: 'webhookUrl',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			placeholder: 'https://your-portal.bitrix24.ru/rest/1/a1b2c3d4e5f6g7h8/',
			description: 'The inbound webhook URL. It contains a secret code: anyone with it can act as that user.',
		},
		ratePlanField,
		...customRateFields,
		ignoreSslIssuesField,
		applicationTokenField,
	];

	authenticate: IAuthenticate = async (credentials, requestOptions) => {
		const { restBase } = parseWebhookUrl(String(credentials.webhookUrl ?? ''));
		return {
			...requestOptions,
			baseURL: restBase,
			skipSslCertificateValidation:
				credentials.ignoreSslIssues === true || requestOptions.skipSslCertificateValidation === true,
		};
	};

	test: ICredentialTestRequest = {
		request: {
			method: 'POST',
			url: 'profile.json',
			headers: { Accept: 'application/json' },
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message:
						'Bitrix24 refused the webhook: the user ID or code is wrong, the webhook was deleted or expired, or the address is not https',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: 'Bitrix24 answered "access denied": the REST API needs a commercial plan, or the user lost access',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: 'There is no Bitrix24 REST API at this address: check the portal part of the URL',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 503,
					message: 'Bitrix24 is busy (too many requests right now); test again in a minute',
				},
			},
		],
	};
}
