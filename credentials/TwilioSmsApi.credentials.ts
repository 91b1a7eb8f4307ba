import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

/** Twilio Programmable Messaging: HTTP Basic with the Account SID and Auth Token. */
export class TwilioSmsApi implements ICredentialType {
	name = 'npsTwilioApi';

	displayName = 'Twilio SMS (NPS) API';

	icon: Icon = { light: 'file:../icons/twilio.svg', dark: 'file:../icons/twilio.dark.svg' };

	documentationUrl = 'https://www.twilio.com/docs/messaging/api/message-resource';

	properties: INodeProperties[] = [
		{
			displayName: 'Account SID',
			name: 'accountSid',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
			description: 'From the Twilio Console, Account Info',
		},
		{
			displayName: 'Auth Token',
			name: 'authToken',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			description: 'From the Twilio Console, Account Info',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.twilio.com',
			description: 'Change only for a test server',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			auth: {
				username: '={{$credentials.accountSid}}',
				password: '={{$credentials.authToken}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: '=/2010-04-01/Accounts/{{$credentials.accountSid}}.json',
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'Twilio refused the Account SID or Auth Token',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: 'Twilio has no account with this Account SID for this Auth Token',
				},
			},
		],
	};
}
