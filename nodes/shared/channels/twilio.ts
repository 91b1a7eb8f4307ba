/**
 * SMS through Twilio Programmable Messaging (`POST /2010-04-01/Accounts/{sid}/Messages.json`, form
 * body). n8n-free: the HttpFunction adds HTTP Basic `AccountSid:AuthToken` from the credential.
 *
 * Twilio has no client idempotency key: a request that got no answer (timeout, reset, 5xx) may have
 * created the message, so an `unknown` outcome must never be resent, here or by the caller.
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

export const TWILIO_BASE_URL = 'https://api.twilio.com';

export interface TwilioSettings {
	/** Defaults to https://api.twilio.com; a sandbox may go here. */
	baseUrl?: string;
	/** `AC…`: goes into the request path (the credential's username). */
	accountSid: string;
	/** A Twilio number in E.164 (or an alphanumeric sender ID); one of `from` / `messagingServiceSid`. */
	from?: string;
	/** `MG…`: Twilio picks the sender from the service's pool; wins over `from`. */
	messagingServiceSid?: string;
	/** Where Twilio POSTs delivery statuses. */
	statusCallback?: string;
	/** Per request; default 30000. */
	timeoutMs?: number;
}

/** Twilio answers 20429 without a Retry-After header; a second is its suggested back-off. */
const DEFAULT_RETRY_MS = 1000;

/** Error codes that say this number cannot get an SMS from us. */
const UNREACHABLE: Record<number, string> = {
	21211: "the 'To' number is not a valid phone number",
	21614: "the 'To' number is not a mobile number that can receive SMS",
	21635: "the 'To' number is a landline",
};

export function createTwilioAdapter(http: HttpFunction, settings: TwilioSettings): ChannelAdapter {
	const baseUrl = (settings.baseUrl || TWILIO_BASE_URL).replace(/\/+$/, '');
	const timeoutMs = settings.timeoutMs ?? 30_000;

	return {
		channel: 'twilio',
		label: 'SMS (Twilio)',
		// Twilio queues messages per sender itself and answers 20429 only to bursts of API calls;
		// 10 a second stays well inside the account's API concurrency.
		rateLimit: { requests: 10, windowMs: 1000 },

		cannotReach(recipient: Recipient): string | undefined {
			if (!recipient.phone) return 'no phone number';
			if (!/\d/.test(recipient.phone)) return 'the phone number has no digits';
			return undefined;
		},

		async send(recipient: Recipient, message: SurveyMessage): Promise<ChannelOutcome> {
			if (!recipient.phone) return { status: 'unreachable', code: 'NO_PHONE', reason: 'no phone number' };
			if (!settings.accountSid) {
				return { status: 'refused', code: 'NO_ACCOUNT_SID', reason: 'the Twilio Account SID is not set' };
			}
			if (!settings.messagingServiceSid && !settings.from) {
				return {
					status: 'refused',
					code: 'NO_SENDER',
					reason: 'neither a Twilio sender number (From) nor a Messaging Service SID is set',
				};
			}
			const form: Record<string, string> = { To: toE164(recipient.phone), Body: message.text };
			if (settings.messagingServiceSid) form.MessagingServiceSid = settings.messagingServiceSid;
			else if (settings.from) form.From = settings.from;
			if (settings.statusCallback) form.StatusCallback = settings.statusCallback;

			let response: HttpResponse;
			try {
				response = await http({
					method: 'POST',
					url: `${baseUrl}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}/Messages.json`,
					form,
					timeoutMs,
				});
			} catch (error) {
				return transportOutcome(error);
			}
			return readAnswer(response);
		},
	};
}

function toE164(phone: string): string {
	return `+${phone.replace(/\D/g, '')}`;
}

function readAnswer(response: HttpResponse): ChannelOutcome {
	const { status, body } = response;
	if (status >= 200 && status < 300) {
		const sid = field(body, 'sid');
		if (typeof sid === 'string' && sid) return { status: 'sent', messageId: sid };
		return {
			status: 'unknown',
			code: 'NO_SID',
			reason: `Twilio answered HTTP ${status} without a message SID; the message may have been sent, so it is not sent again`,
		};
	}
	if (status >= 500) {
		return {
			status: 'unknown',
			code: `HTTP_${status}`,
			reason: `Twilio answered HTTP ${status}; the message may have been sent (Twilio has no idempotency key), so it is not sent again`,
		};
	}
	const rawCode = Number(field(body, 'code'));
	const code = Number.isInteger(rawCode) && rawCode > 0 ? rawCode : undefined;
	const rawText = field(body, 'message');
	const said = typeof rawText === 'string' && rawText ? ` (Twilio said "${rawText.slice(0, 200)}")` : '';
	const label = code ? `Twilio error ${code}` : `Twilio answered HTTP ${status}`;

	if (code === 20429 || status === 429) {
		return {
			status: 'throttled',
			code: 'TWILIO_20429',
			reason: `${label}: too many requests${said}`,
			retryAfterMs: retryAfterMs(response.headers, DEFAULT_RETRY_MS),
		};
	}
	if (code === 21610) {
		return {
			status: 'unreachable',
			code: 'OPTED_OUT',
			reason: `the customer opted out of SMS from this sender (replied STOP; Twilio error 21610)${said}`,
		};
	}
	if (code !== undefined && UNREACHABLE[code]) {
		return { status: 'unreachable', code: `TWILIO_${code}`, reason: `${label}: ${UNREACHABLE[code]}${said}` };
	}
	if (code === 20003 || status === 401) {
		return {
			status: 'refused',
			code: 'TWILIO_20003',
			reason: `${label}: Twilio refused the Account SID or Auth Token; check the credential`,
		};
	}
	if (code === 21408) {
		return {
			status: 'refused',
			code: 'TWILIO_21408',
			reason: `${label}: SMS to this country is not enabled in the Twilio geo permissions${said}`,
		};
	}
	return { status: 'refused', code: code ? `TWILIO_${code}` : `HTTP_${status}`, reason: `${label}${said}` };
}
