/**
 * The channels' HTTP seam in n8n: `httpRequestWithAuthentication` with the channel's credential
 * (which adds the key), every status returned to the adapter, and a missing answer turned into a
 * TransportFailure that keeps no URL or message (a Telegram URL holds the bot token).
 */

import type { IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';

import { toTransportError } from '../bitrix24/transport';
import { TransportFailure, type HttpFunction, type HttpResponse } from '../channels/types';

function parseBody(body: unknown): unknown {
	if (typeof body !== 'string') return body ?? '';
	const text = body.trim();
	if (text.startsWith('{') || text.startsWith('[')) {
		try {
			return JSON.parse(text);
		} catch {
			return body;
		}
	}
	return body;
}

export function n8nChannelHttp(ctx: IExecuteFunctions, credentialType: string): HttpFunction {
	return async (request): Promise<HttpResponse> => {
		const options: IHttpRequestOptions = {
			method: request.method,
			url: request.url,
			headers: { Accept: 'application/json', ...(request.headers ?? {}) },
			qs: request.qs,
			returnFullResponse: true,
			// The adapter reads the provider's statuses and error bodies itself.
			ignoreHttpStatusErrors: true,
			timeout: request.timeoutMs ?? 30_000,
		};
		if (request.json !== undefined) {
			options.body = request.json as IHttpRequestOptions['body'];
			options.json = true;
		} else if (request.form) {
			options.body = new URLSearchParams(request.form).toString();
			options.headers = { ...options.headers, 'Content-Type': 'application/x-www-form-urlencoded' };
		}
		try {
			const response = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, credentialType, options)) as {
				statusCode: number;
				headers?: Record<string, string | string[] | undefined>;
				body: unknown;
			};
			return { status: response.statusCode, headers: response.headers ?? {}, body: parseBody(response.body) };
		} catch (error) {
			const failure = toTransportError(error);
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the adapter turns it into an outcome ("refused"/"unknown"); it never leaves the node
			throw new TransportFailure(`network error ${failure.code}`, failure.sent, failure.code);
		}
	};
}
