import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * This n8n's own data tables through its public API with an API key: the "NPS branches" table for the
 * webhook nodes (the survey page's review buttons, the review-link redirects) and the "NPS survey
 * claims" table of NPS Survey Send in queue mode. n8n gives a community node no direct way to a data
 * table.
 */
export class NpsBranchTableApi implements ICredentialType {
	name = 'npsBranchTableApi';

	displayName = 'NPS Branch Table API';

	icon: Icon = { light: 'file:../icons/nps.svg', dark: 'file:../icons/nps.dark.svg' };

	documentationUrl = 'https://docs.n8n.io/api/authentication/';

	properties: INodeProperties[] = [
		{
			displayName:
				'In n8n open Settings → n8n API, create an API key and paste it here: the scopes dataTable:list and dataTableRow:read to read the NPS branches table, and dataTableRow:create and dataTableRow:delete when NPS Survey Send keeps its claims in a data table (queue mode). Base URL: how this n8n reaches itself.',
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
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'http://localhost:5678',
			required: true,
			description: 'This n8n\'s own address, without /api/v1 (in queue mode: the main process)',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				'X-N8N-API-KEY': '={{$credentials.apiKey}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{ String($credentials.baseUrl || "").replace(/\\/+$/, "") + "/api/v1" }}',
			url: '/data-tables',
			qs: { limit: 1 },
			method: 'GET',
		},
		rules: [
			{
				type: 'responseCode',
				properties: { value: 401, message: 'n8n refused the API key: it is missing, wrong or expired' },
			},
			{
				type: 'responseCode',
				properties: { value: 403, message: 'The API key may not list data tables: give it the dataTable:list and dataTableRow:read scopes' },
			},
		],
	};
}
