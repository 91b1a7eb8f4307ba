/**
 * The NPS link-signing credential as the nodes read it: its keys (current and previous) and the
 * link lifetime, with a key problem turned into an n8n error that never shows a secret.
 */

import { type ICredentialDataDecryptedObject, type IExecuteFunctions, type IWebhookFunctions, NodeOperationError } from 'n8n-workflow';

import { signingKeysFrom, type SigningKeys } from '../survey/token';

export async function signingCredential(ctx: IExecuteFunctions | IWebhookFunctions): Promise<{ keys: SigningKeys; credentials: ICredentialDataDecryptedObject }> {
	const credentials = await ctx.getCredentials('npsLinkSigningApi');
	try {
		return { keys: signingKeysFrom(credentials), credentials };
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), error instanceof Error ? error.message : String(error));
	}
}
