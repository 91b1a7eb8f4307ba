/**
 * Builds the Bitrix24 client inside n8n: requests go through n8n's
 * `httpRequestWithAuthentication` (the credential adds the webhook path or the OAuth token), time
 * goes through n8n-workflow's `sleep`, and an expired OAuth token is renewed with n8n's
 * `refreshOAuth2Token`, which stores the rotated refresh token.
 */

import {
	type ICredentialDataDecryptedObject,
	type IExecuteFunctions,
	type IHookFunctions,
	type IHttpRequestOptions,
	type ILoadOptionsFunctions,
	type IPollFunctions,
	type IWebhookFunctions,
	NodeApiError,
	NodeOperationError,
	sleep,
} from 'n8n-workflow';

import { Bitrix24Client } from '../bitrix24/client';
import { rateLimitFor } from '../bitrix24/limits';
import { sharedLimitsFor } from '../bitrix24/sharedLimits';
import { Bitrix24Transport, toTransportError } from '../bitrix24/transport';
import { parseWebhookUrl, WebhookUrlError } from '../bitrix24/webhookUrl';

export type Bitrix24Context = IExecuteFunctions | ILoadOptionsFunctions | IHookFunctions | IWebhookFunctions | IPollFunctions;

export const WEBHOOK_CREDENTIAL = 'bitrix24WebhookApi';
export const LOCAL_APP_CREDENTIAL = 'bitrix24OAuth2Api';

const clock = { now: () => Date.now(), sleep: (ms: number) => sleep(ms) };

function trimSlashes(text: string): string {
	return text.replace(/\/+$/, '');
}

interface Connection {
	credentialType: string;
	/** Identifies the portal (never the secret) for sharing limits between executions. */
	portalKey: string;
	/** For OAuth: the portal's REST base; for webhooks the credential sets it. */
	baseURL?: string;
	skipSsl: boolean;
}

function connectionFor(ctx: Bitrix24Context, authentication: string, credentials: ICredentialDataDecryptedObject): Connection {
	if (authentication === 'oAuth2') {
		const tokenData = (credentials.oauthTokenData ?? {}) as { client_endpoint?: string };
		const portal = trimSlashes(String(credentials.portalUrl ?? ''));
		if (!/^https?:\/\/[^/]+$/i.test(portal)) {
			throw new NodeOperationError(ctx.getNode(), 'The Bitrix24 OAuth2 credential needs the portal address, like https://your-portal.bitrix24.ru');
		}
		const endpoint = typeof tokenData.client_endpoint === 'string' && /^https?:\/\//.test(tokenData.client_endpoint) ? tokenData.client_endpoint : `${portal}/rest/`;
		return {
			credentialType: LOCAL_APP_CREDENTIAL,
			portalKey: new URL(portal).host,
			baseURL: endpoint.endsWith('/') ? endpoint : `${endpoint}/`,
			skipSsl: credentials.ignoreSslIssues === true,
		};
	}
	let parsed: ReturnType<typeof parseWebhookUrl> | undefined;
	let problem = 'The Bitrix24 webhook URL is not valid';
	try {
		parsed = parseWebhookUrl(String(credentials.webhookUrl ?? ''));
	} catch (error) {
		if (error instanceof WebhookUrlError) problem = error.message;
	}
	if (!parsed) throw new NodeOperationError(ctx.getNode(), problem);
	return { credentialType: WEBHOOK_CREDENTIAL, portalKey: parsed.host, skipSsl: credentials.ignoreSslIssues === true };
}

/** The credential type an `authentication` value names. */
export function credentialTypeFor(authentication: string): string {
	return authentication === 'oAuth2' ? LOCAL_APP_CREDENTIAL : WEBHOOK_CREDENTIAL;
}

/**
 * Reads the credential. n8n reads it from its own database; when that fails (in queue mode under a
 * storm: its connection pool is busy and pg-pool says "timeout exceeded when trying to connect"),
 * the error says so, so that it is not taken for a Bitrix24 failure: nothing was sent to Bitrix24.
 * n8n's own errors (no credential selected, no access) pass through as they are.
 */
export async function readBitrix24Credentials(ctx: Bitrix24Context, type: string): Promise<ICredentialDataDecryptedObject> {
	let failure: unknown;
	try {
		return await ctx.getCredentials(type);
	} catch (error) {
		failure = error;
	}
	if (failure instanceof NodeOperationError || failure instanceof NodeApiError) throw failure;
	const reason = failure instanceof Error ? failure.message : String(failure);
	throw new NodeOperationError(ctx.getNode(), `n8n could not read the Bitrix24 credential from its database (${reason}); nothing was sent to Bitrix24`, {
		description:
			"This is n8n's database, not Bitrix24: under load n8n's PostgreSQL connection pool (DB_POSTGRESDB_POOL_SIZE, 2 connections by default) may be too small for the executions and webhooks it serves.",
	});
}

/** The Bitrix24 client for this node, using the credential its `authentication` parameter picks. */
export async function bitrix24ClientFor(ctx: Bitrix24Context, authentication?: string, credentials?: ICredentialDataDecryptedObject): Promise<Bitrix24Client> {
	const auth = authentication ?? (ctx.getNodeParameter('authentication', 0, 'webhook') as string);
	// A caller that has read the credential already passes it (one database read per webhook call).
	const read = credentials ?? (await readBitrix24Credentials(ctx, credentialTypeFor(auth)));
	const connection = connectionFor(ctx, auth, read);

	const transport: Bitrix24Transport = async ({ method, params, timeoutMs }) => {
		const options: IHttpRequestOptions = {
			method: 'POST',
			url: `${method}.json`,
			body: params,
			json: true,
			headers: { Accept: 'application/json' },
			returnFullResponse: true,
			// Statuses are Bitrix24's answers; the client reads them (and refreshes only on expired_token).
			ignoreHttpStatusErrors: true,
			timeout: timeoutMs,
			skipSslCertificateValidation: connection.skipSsl,
		};
		if (connection.baseURL) options.baseURL = connection.baseURL;
		try {
			const response = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, connection.credentialType, options, {
				oauth2: { skipTokenRefresh: true },
			})) as { statusCode: number; body: unknown };
			return { status: response.statusCode, body: response.body };
		} catch (error) {
			// Never pass on n8n's HTTP error as is: its details may hold the URL with the webhook code.
			throw toTransportError(error);
		}
	};

	const limits = sharedLimitsFor(connection.portalKey, rateLimitFor(read.ratePlan as string | undefined, read), clock);
	return new Bitrix24Client({
		transport,
		clock,
		bucket: limits.bucket,
		operatingTracker: limits.operating,
		refreshAuth:
			connection.credentialType === LOCAL_APP_CREDENTIAL
				? async () => {
						await ctx.helpers.refreshOAuth2Token.call(ctx, LOCAL_APP_CREDENTIAL);
					}
				: undefined,
	});
}
