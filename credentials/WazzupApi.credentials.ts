import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/** Wazzup API v3: one API key, sent as `Authorization: Bearer <key>` on every request. */
export class WazzupApi implements ICredentialType {
	name = 'wazzupApi';

	displayName = 'Wazzup API';

	icon: Icon = { light: 'file:../icons/wazzup.svg', dark: 'file:../icons/wazzup.dark.svg' };

	documentationUrl = 'https://wazzup24.ru/help/api-ru/';

	properties: INodeProperties[] = [
		{
			displayName:
				'In Wazzup open Integrations → API, copy the API key and paste it here. A sidecar key (from Wazzup\'s own amoCRM or Bitrix24 integration) can send messages too.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			description: 'The Wazzup API key. Anyone with it can send messages from your channels.',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.wazzup24.com',
			description: 'Where the Wazzup API lives. Leave as is; change only for a test server.',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.apiKey}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: '/v3/channels',
			method: 'GET',
		},
		rules: [
			{
				type: 'responseCode',
				properties: { value: 401, message: 'Wazzup refused the API key: it is missing or wrong' },
			},
			{
				type: 'responseCode',
				properties: {
					value: 429,
					message: 'Wazzup is over its limit of 500 requests per 5 seconds for this key; test again in a few seconds',
				},
			},
		],
	};
}
