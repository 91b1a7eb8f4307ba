import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * WhatsApp Cloud API (Meta Graph): an access token (Bearer) and the sender's phone number ID,
 * which the nodes put into the message URL.
 */
export class WhatsAppCloudApi implements ICredentialType {
	name = 'whatsAppCloudApi';

	displayName = 'WhatsApp Cloud API';

	icon: Icon = { light: 'file:../icons/whatsapp.svg', dark: 'file:../icons/whatsapp.dark.svg' };

	documentationUrl = 'https://developers.facebook.com/docs/whatsapp/cloud-api/get-started';

	properties: INodeProperties[] = [
		{
			displayName:
				'In Meta Business Suite create a system user with the whatsapp_business_messaging permission and generate a permanent access token. The phone number ID is under WhatsApp → API Setup in your Meta app.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			description: 'A system-user access token. Anyone with it can send messages from your number.',
		},
		{
			displayName: 'Phone Number ID',
			name: 'phoneNumberId',
			type: 'string',
			required: true,
			default: '',
			placeholder: '100000000000001',
			description: 'The ID of the sending WhatsApp number (not the phone number itself)',
		},
		{
			displayName: 'App Secret',
			name: 'appSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'For replies (NPS Response Trigger): the Meta app\'s secret, which signs every webhook (X-Hub-Signature-256)',
		},
		{
			displayName: 'Webhook Verify Token',
			name: 'verifyToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'For replies: any text you also enter in the Meta app\'s webhook settings; Meta sends it back when it checks the URL',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://graph.facebook.com',
			description: 'Where the Graph API lives. Leave as is; change only for a test server.',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.accessToken}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: '=/v21.0/{{$credentials.phoneNumberId}}',
			method: 'GET',
		},
		rules: [
			{
				type: 'responseCode',
				properties: { value: 401, message: 'Meta refused the access token: it is wrong, expired or revoked' },
			},
			{
				type: 'responseCode',
				properties: {
					value: 400,
					message: 'Meta does not know this phone number ID, or the token may not use it',
				},
			},
		],
	};
}
