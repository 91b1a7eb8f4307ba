import type { ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

import { applicationTokenField, customRateFields, ignoreSslIssuesField, ratePlanField } from '../nodes/shared/n8n/credentialFields';

/**
 * Bitrix24 OAuth 2.0 for a local app. n8n runs the authorization-code flow; the nodes renew the
 * access token only when Bitrix24 answers 401 `expired_token`, and n8n stores the new refresh
 * token Bitrix24 hands out with every renewal.
 */
export class Bitrix24OAuth2Api implements ICredentialType {
	name = 'bitrix24OAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Bitrix24 OAuth2 API';

	icon: Icon = { light: 'file:../icons/bitrix24.svg', dark: 'file:../icons/bitrix24.dark.svg' };

	documentationUrl = 'https://apidocs.bitrix24.com/settings/oauth/index.html';

	properties: INodeProperties[] = [
		{
			displayName:
				'In Bitrix24 open Developer resources → Other → Local application, choose a server application, set its handler path to the OAuth Redirect URL shown below, tick the scopes crm, user, task, im and department, and copy the application ID and key here.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Portal Address',
			name: 'portalUrl',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'https://your-portal.bitrix24.ru',
			description: 'The address of your Bitrix24, without a path',
		},
		ratePlanField,
		...customRateFields,
		ignoreSslIssuesField,
		applicationTokenField,
		{
			displayName: 'Authorization Server',
			name: 'oauthServer',
			type: 'string',
			default: 'https://oauth.bitrix.info',
			description: 'Where tokens are issued. Leave as is; change only for a test portal.',
		},
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'hidden',
			default: 'authorizationCode',
		},
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'hidden',
			default: '={{ String($self["portalUrl"] || "").replace(/\\/+$/, "") + "/oauth/authorize/" }}',
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'hidden',
			default: '={{ String($self["oauthServer"] || "https://oauth.bitrix.info").replace(/\\/+$/, "") + "/oauth/token/" }}',
		},
		{
			// Bitrix24 takes the scopes from the app settings, not from the request.
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default: '',
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'hidden',
			default: '',
		},
		{
			// The client secret travels in the form body to oauth.bitrix.info, as Bitrix24 expects.
			displayName: 'Authentication',
			name: 'authentication',
			type: 'hidden',
			default: 'body',
		},
	];

	test: ICredentialTestRequest = {
		request: {
			method: 'POST',
			baseURL: '={{ String($credentials.portalUrl || "").replace(/\\/+$/, "") + "/rest/" }}',
			url: 'profile.json',
			skipSslCertificateValidation: '={{ $credentials.ignoreSslIssues === true }}',
		},
	};
}
