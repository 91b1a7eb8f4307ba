/**
 * WhatsApp Cloud API (Meta Graph) as a survey channel: `POST /{version}/{phoneNumberId}/messages`
 * with an approved template (the usual first message: no 24-hour window is open after a purchase)
 * or free text (only inside the window). The Bearer token is added by the injected HttpFunction.
 */

import {
	field,
	retryAfterMs,
	transportOutcome,
	type ChannelAdapter,
	type ChannelOutcome,
	type HttpFunction,
	type HttpResponse,
	type Recipient,
	type SurveyMessage,
} from './types';

export const WHATSAPP_CLOUD_LABEL = 'WhatsApp (Cloud API)';
export const WHATSAPP_CLOUD_BASE_URL = 'https://graph.facebook.com';
export const WHATSAPP_CLOUD_API_VERSION = 'v21.0';

export interface WhatsAppCloudSettings {
	/** Default https://graph.facebook.com; a test server otherwise. */
	baseUrl?: string;
	/** Default 'v21.0'. */
	apiVersion?: string;
	/** The sender's phone number id (not the phone number). */
	phoneNumberId: string;
	/** 'template' for a first message; 'text' only reaches customers who wrote within 24 h. */
	mode: 'template' | 'text';
	templateName?: string;
	/** Template language code, e.g. 'ru' or 'en_US'. Default 'ru'. */
	templateLanguage?: string;
	/** Names of message.variables for the body parameters {{1}}, {{2}}, … in order. */
	bodyVariables?: string[];
	/** The variable for the URL button's dynamic suffix (usually 'token'); no button parameter when unset. */
	urlButtonVariable?: string;
	/** Client timeout per request, default 30000. */
	timeoutMs?: number;
}

/** Default Cloud API throughput: 80 messages per second per phone number. */
export const WHATSAPP_CLOUD_RATE_LIMIT = { requests: 80, windowMs: 1000 };

/** Codes that mean "wait and try this channel again", with a fallback wait. */
const THROTTLE_CODES: Record<number, { fallbackMs: number; reason: string }> = {
	130429: { fallbackMs: 1000, reason: 'over the Cloud API throughput limit (80 messages per second by default)' },
	131056: { fallbackMs: 6000, reason: 'too many messages to this customer in a short time (pair rate limit)' },
	80007: { fallbackMs: 60_000, reason: 'over the WhatsApp Business Account rate limit' },
	4: { fallbackMs: 60_000, reason: 'over the app request limit' },
};

const REFUSED: Record<number, string> = {
	131047: 'more than 24 hours passed since the customer last wrote, so free text is not allowed: an approved template is required (switch the channel to template mode)',
	131048: 'WhatsApp limits this number for spam: too many customers blocked or reported it',
	131049: 'Meta did not deliver this marketing message to keep engagement healthy (per-user marketing limit)',
	131051: 'WhatsApp does not support this message type',
	132000: 'the number of template parameters does not match the template',
	132001: 'the template does not exist in this language (check the name and language code)',
	132005: 'the template text is too long after filling in the parameters',
	132007: 'the template content breaks WhatsApp policy',
	132012: 'a template parameter has the wrong format',
	132015: 'the template is paused for low quality',
	132016: 'the template is disabled for low quality',
	133010: 'the sending phone number is not registered with the Cloud API',
	131042: 'there is a problem with the WhatsApp Business payment method',
	131031: 'the WhatsApp Business account is locked',
	368: 'the sending account is temporarily blocked for policy violations',
	10: 'the access token lacks permission for this phone number',
	200: 'the access token lacks permission for this phone number',
	100: 'Meta rejected a request parameter',
};

function digitsOf(phone: string): string {
	return phone.replace(/\D+/g, '');
}

function clip(value: unknown, max = 200): string {
	if (typeof value !== 'string') return '';
	return value.length > max ? `${value.slice(0, max)}…` : value;
}

/** Maps one Graph answer of `POST …/messages`. Exported for the node's own tests. */
export function whatsappCloudOutcome(response: HttpResponse): ChannelOutcome {
	const { status, body } = response;
	if (status >= 200 && status < 300 && field(body, 'error') === undefined) {
		const messages = field(body, 'messages');
		const id = Array.isArray(messages) ? field(messages[0], 'id') : undefined;
		return { status: 'sent', messageId: typeof id === 'string' ? id : '' };
	}
	const rawCode = field(body, 'error', 'code');
	const code = typeof rawCode === 'number' ? rawCode : Number(rawCode);
	const known = Number.isFinite(code) && rawCode !== undefined;
	const label = known ? String(code) : `HTTP_${status}`;
	const details = clip(field(body, 'error', 'error_data', 'details')) || clip(field(body, 'error', 'message'));

	if (known && THROTTLE_CODES[code]) {
		return {
			status: 'throttled',
			code: label,
			reason: THROTTLE_CODES[code].reason,
			retryAfterMs: retryAfterMs(response.headers, THROTTLE_CODES[code].fallbackMs),
		};
	}
	if (status === 429) {
		return { status: 'throttled', code: label, reason: 'Meta answered 429: too many requests', retryAfterMs: retryAfterMs(response.headers, 1000) };
	}
	if (status >= 500 || status < 400) {
		return {
			status: 'unknown',
			code: label,
			reason: `Meta answered HTTP ${status}${known ? ` (error ${code})` : ''}; the message may have been sent, so it is not sent again`,
		};
	}
	if (known && code === 131026) {
		return {
			status: 'unreachable',
			code: label,
			reason: 'WhatsApp cannot deliver to this number: it is not on WhatsApp, has not accepted the terms, or runs an old app',
		};
	}
	// Token errors: Meta's message text is safe, but a fixed reason says what to do.
	if ((known && (code === 190 || code === 2500)) || status === 401) {
		return { status: 'refused', code: label, reason: 'Meta refused the access token: it is wrong, expired or revoked' };
	}
	if (known && REFUSED[code]) {
		return { status: 'refused', code: label, reason: REFUSED[code] + (details && code === 100 ? `: ${details}` : '') };
	}
	return {
		status: 'refused',
		code: label,
		reason: `Meta refused the message (HTTP ${status}${known ? `, error ${code}` : ''})${details ? `: ${details}` : ''}`,
	};
}

export function createWhatsAppCloudAdapter(http: HttpFunction, settings: WhatsAppCloudSettings): ChannelAdapter {
	if (!settings.phoneNumberId) throw new Error('WhatsApp Cloud API: the phone number ID is required');
	if (settings.mode === 'template' && !settings.templateName) {
		throw new Error('WhatsApp Cloud API: template mode needs a template name');
	}
	const baseUrl = (settings.baseUrl || WHATSAPP_CLOUD_BASE_URL).replace(/\/+$/, '');
	const version = settings.apiVersion || WHATSAPP_CLOUD_API_VERSION;
	const url = `${baseUrl}/${version}/${encodeURIComponent(settings.phoneNumberId)}/messages`;
	const timeoutMs = settings.timeoutMs ?? 30_000;

	const cannotReach = (recipient: Recipient): string | undefined => {
		if (!recipient.phone) return 'no phone number';
		const digits = digitsOf(recipient.phone);
		if (digits.length < 8 || digits.length > 15) return 'the phone number is not a full international number';
		return undefined;
	};

	/** The template object, or the names of variables the message lacks. */
	const template = (message: SurveyMessage): Record<string, unknown> | string[] => {
		// link and token are always at hand even when the caller did not copy them into variables.
		const values: Record<string, string> = { link: message.link, token: message.token, ...message.variables };
		const missing: string[] = [];
		const valueOf = (name: string): string => {
			const value = values[name];
			if (value === undefined || value === '') missing.push(name);
			return value ?? '';
		};
		const components: unknown[] = [];
		const bodyNames = settings.bodyVariables ?? [];
		if (bodyNames.length) {
			components.push({ type: 'body', parameters: bodyNames.map((name) => ({ type: 'text', text: valueOf(name) })) });
		}
		if (settings.urlButtonVariable) {
			components.push({
				type: 'button',
				sub_type: 'url',
				index: '0',
				parameters: [{ type: 'text', text: valueOf(settings.urlButtonVariable) }],
			});
		}
		if (missing.length) return missing;
		return {
			name: settings.templateName,
			language: { code: settings.templateLanguage || 'ru' },
			...(components.length ? { components } : {}),
		};
	};

	return {
		channel: 'whatsappCloud',
		label: WHATSAPP_CLOUD_LABEL,
		rateLimit: WHATSAPP_CLOUD_RATE_LIMIT,
		cannotReach,
		async send(recipient: Recipient, message: SurveyMessage): Promise<ChannelOutcome> {
			const why = cannotReach(recipient);
			if (why) return { status: 'unreachable', code: recipient.phone ? 'BAD_PHONE' : 'NO_PHONE', reason: why };
			const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to: digitsOf(recipient.phone!) };
			let json: Record<string, unknown>;
			if (settings.mode === 'template') {
				const built = template(message);
				if (Array.isArray(built)) {
					// Meta refuses empty parameters; say which value is missing instead of asking it.
					return { status: 'refused', code: 'MISSING_VARIABLE', reason: `the template needs values for: ${built.join(', ')}` };
				}
				json = { ...base, type: 'template', template: built };
			} else {
				json = { ...base, type: 'text', text: { preview_url: true, body: message.text } };
			}
			let response: HttpResponse;
			try {
				response = await http({ method: 'POST', url, json, timeoutMs });
			} catch (error) {
				return transportOutcome(error);
			}
			return whatsappCloudOutcome(response);
		},
	};
}
