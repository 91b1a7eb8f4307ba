import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * The secret that signs survey and review links, so a link cannot be forged or altered and any
 * n8n process (queue mode) can check it. No outside service: the nodes test it themselves
 * (`testedBy`), checking the secret's length and the previous keys' format.
 */
// eslint-disable-next-line @n8n/community-nodes/credential-test-required -- no HTTP service to call: NPS Survey Send tests it through testedBy (npsLinkSigningTest), which this rule does not follow
export class NpsLinkSigningApi implements ICredentialType {
	name = 'npsLinkSigningApi';

	displayName = 'NPS Link Signing API';

	icon: Icon = { light: 'file:../icons/nps.svg', dark: 'file:../icons/nps.dark.svg' };

	documentationUrl = 'https://www.rfc-editor.org/rfc/rfc2104';

	properties: INodeProperties[] = [
		{
			displayName:
				'Survey and review links carry a signed token. To change the secret without breaking links already sent, give the new secret a new Key ID and move the old one to Previous Keys.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Key ID',
			name: 'keyId',
			type: 'string',
			default: 'k1',
			required: true,
			description: 'A short name for this secret (letters, digits, _ or -, up to 16), written into every link',
		},
		{
			displayName: 'Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'At least 32 random characters, e.g. from `openssl rand -base64 32`. Anyone who has it can forge links.',
		},
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password -- each line holds a secret
		{
			displayName: 'Previous Keys',
			name: 'previousKeys',
			type: 'string',
			typeOptions: { password: true, rows: 3 },
			default: '',
			placeholder: 'e.g. k0:old-secret-of-32-or-more-characters',
			description: 'Retired secrets, one keyId:secret per line; links signed with them still open. Remove a line to make its links stop working.',
		},
		{
			displayName: 'Link Lifetime (Days)',
			name: 'linkLifetimeDays',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 30,
			description: 'How long a survey or review link stays valid after it is sent',
		},
	];
}
