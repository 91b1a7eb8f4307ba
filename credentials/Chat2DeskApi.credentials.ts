import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/** Chat2Desk API: the token goes bare into the Authorization header (no "Bearer"). */
export class Chat2DeskApi implements ICredentialType {
	name = 'chat2DeskApi';

	displayName = 'Chat2Desk API';

	icon: Icon = { light: 'file:../icons/chat2desk.svg', dark: 'file:../icons/chat2desk.dark.svg' };

	documentationUrl = 'https://documenter.getpostman.com/view/8899980/SW7gSQAM';

	properties: INodeProperties[] = [
		{
			displayName: 'In Chat2Desk open Settings → API, copy the API token and paste it here',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'API Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			description: 'The Chat2Desk API token. Anyone with it can write to your clients.',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.chat2desk.com',
			description:
				'Where the Chat2Desk API lives (https://api.chat24.io is the other host). Leave as is; change only for a test server.',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '={{$credentials.token}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: '/v1/companies/api_info',
			method: 'GET',
		},
		rules: [
			{
				type: 'responseCode',
				properties: { value: 401, message: 'Chat2Desk refused the API token: it is missing or wrong' },
			},
			{
				type: 'responseCode',
				properties: { value: 429, message: 'Chat2Desk is over its request limit; test again in a minute' },
			},
		],
	};
}
