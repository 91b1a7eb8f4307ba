import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

/**
 * SMSC.ru: login and password (or an API key with an empty login), sent as the `login` and `psw`
 * query parameters on every request, as SMSC expects.
 */
export class SmscApi implements ICredentialType {
	name = 'smscApi';

	displayName = 'SMSC.ru API';

	icon: Icon = { light: 'file:../icons/smsc.svg', dark: 'file:../icons/smsc.dark.svg' };

	documentationUrl = 'https://smsc.ru/api/http/';

	properties: INodeProperties[] = [
		{
			displayName: 'Login',
			name: 'login',
			type: 'string',
			default: '',
			description: 'Your SMSC.ru login. Leave empty when the field below holds an API key.',
		},
		{
			displayName: 'Password or API Key',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			description:
				'The account password (or its lower-case MD5 hash), or an API key from the SMSC.ru settings when Login is empty',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://smsc.ru',
			description: 'Change only for a test server (or the backup host https://www2.smsc.ru)',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			qs: {
				login: '={{$credentials.login}}',
				psw: '={{$credentials.password}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: '/sys/balance.php',
			qs: { fmt: 3 },
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'error_code',
					value: 2,
					message: 'SMSC.ru refused the login and password (or API key), or this IP address is not in the account allow-list',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'error_code',
					value: 4,
					message: 'SMSC.ru has blocked this IP address for a while after frequent errors; test again in a minute',
				},
			},
		],
	};
}
