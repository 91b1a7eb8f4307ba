/**
 * Reads a Bitrix24 inbound-webhook URL (`https://PORTAL/rest/USER_ID/CODE/`) and says in plain
 * words what is wrong with a bad one. The code is a secret: no message ever repeats it.
 */

export interface ParsedWebhookUrl {
	/** `https://portal.bitrix24.ru` */
	origin: string;
	/** `portal.bitrix24.ru` (with a port when there is one). */
	host: string;
	userId: number;
	/** The secret part of the path. */
	code: string;
	/** `https://portal/rest/USER_ID/CODE/`: method names are appended to it. */
	restBase: string;
}

export class WebhookUrlError extends Error {
	constructor(problem: string) {
		super(`The Bitrix24 webhook URL ${problem}. Copy it from Bitrix24: Developer resources → Other → Incoming webhook. It looks like https://your-portal.bitrix24.ru/rest/1/a1b2c3d4e5f6g7h8/`);
		this.name = 'WebhookUrlError';
	}
}

function tryParseUrl(text: string): URL | undefined {
	try {
		return new URL(text);
	} catch {
		return undefined;
	}
}

const METHOD_SEGMENT = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.json|\.xml)?$/i;

export function parseWebhookUrl(input: string): ParsedWebhookUrl {
	const text = (input ?? '').trim();
	if (!text) throw new WebhookUrlError('is empty');
	const url = tryParseUrl(text);
	if (!url) throw new WebhookUrlError('is not a web address (it must start with https://)');
	if (url.protocol === 'http:') throw new WebhookUrlError('starts with http://: Bitrix24 accepts inbound webhooks over https:// only');
	if (url.protocol !== 'https:') throw new WebhookUrlError(`starts with ${url.protocol}// instead of https://`);
	if (url.username || url.password) throw new WebhookUrlError('contains a user name or password before the host');
	if (url.search || url.hash) throw new WebhookUrlError('has a "?" or "#" part; only the address up to the code is needed');
	const parts = url.pathname.split('/').filter(Boolean);
	if (parts[0] !== 'rest') throw new WebhookUrlError('has no /rest/ after the portal address');
	// A REST 3.0 address (/rest/api/USER/CODE/) names the same webhook.
	if (parts[1] === 'api') parts.splice(1, 1);
	const [, user, code, ...rest] = parts;
	if (!user) throw new WebhookUrlError('has no user ID after /rest/');
	if (!/^\d+$/.test(user) || Number(user) < 1) throw new WebhookUrlError('has something other than a user ID (a number) right after /rest/');
	if (!code) throw new WebhookUrlError('has no webhook code after the user ID');
	if (!/^[A-Za-z0-9_]{4,128}$/.test(code)) throw new WebhookUrlError('has a webhook code with characters Bitrix24 does not use (letters and digits only)');
	// People often paste the example call (…/profile.json); one method name at the end is fine.
	if (rest.length > 1 || (rest.length === 1 && !METHOD_SEGMENT.test(rest[0]))) {
		throw new WebhookUrlError('has extra parts after the webhook code');
	}
	const userId = Number(user);
	return { origin: url.origin, host: url.host, userId, code, restBase: `${url.origin}/rest/${userId}/${code}/` };
}
