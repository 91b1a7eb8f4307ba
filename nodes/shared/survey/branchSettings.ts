/**
 * The "NPS branches" table: one row per branch with everything that differs per city or branch.
 * Non-developers edit it in n8n (Overview → Data tables); the templates read it with n8n's Data
 * Table node, and the webhook nodes (survey page, review redirects) read the same rows through
 * n8n's API. Adding a city is adding a row.
 */

import type { BranchLinks } from './reviewLinks';

export const BRANCH_TABLE_NAME = 'NPS branches';

export type BranchColumnType = 'string' | 'number' | 'boolean' | 'date';

/** The columns, in the order a person fills them in; `what` is what the README and notes say. */
export const BRANCH_TABLE_COLUMNS: ReadonlyArray<{ name: string; type: BranchColumnType; what: string }> = [
	{ name: 'branchId', type: 'string', what: 'The branch as the deal has it: the list item ID of the deal\'s branch field in Bitrix24' },
	{ name: 'city', type: 'string', what: 'City, for the texts ({city}) and the dashboard' },
	{ name: 'branchName', type: 'string', what: 'Name the customer sees ({branch}), e.g. "Казань, Победы"' },
	{ name: 'address', type: 'string', what: 'Address ({branchAddress})' },
	{ name: 'timeZone', type: 'string', what: 'IANA time zone of the branch, e.g. Europe/Moscow, Asia/Yekaterinburg, Europe/Kyiv' },
	{ name: 'language', type: 'string', what: 'ru, uk or en: the survey page and the built-in texts' },
	{ name: 'channels', type: 'string', what: 'Channels in the order to try, comma-separated: wazzup, chat2desk, whatsappCloud, smsc, twilio, telegram' },
	{ name: 'messageText', type: 'string', what: 'WhatsApp/Telegram text with placeholders ({firstName}, {branch}, {link}…); empty: the built-in text' },
	{ name: 'smsText', type: 'string', what: 'SMS text (short; must contain {link}); empty: the built-in text' },
	{ name: 'yandexUrl', type: 'string', what: 'The branch\'s "write a review" page on Yandex Maps' },
	{ name: 'googleUrl', type: 'string', what: 'The branch\'s review page on Google Maps' },
	{ name: 'twoGisUrl', type: 'string', what: 'The branch\'s review page on 2GIS' },
	{ name: 'otherReviewUrl', type: 'string', what: 'Another review site (its host must be in the nodes\' Allowed Hosts)' },
	{ name: 'otherReviewLabel', type: 'string', what: 'The button text for that site' },
	{ name: 'managerId', type: 'number', what: 'Bitrix24 user ID of the branch manager: unhappy customers and review checks go to them' },
	{ name: 'delayHours', type: 'number', what: 'Hours after the deal closed before the survey goes out (0: at once)' },
	{ name: 'quietStart', type: 'string', what: 'No messages from this local time, e.g. 21:00 (empty: no quiet hours)' },
	{ name: 'quietEnd', type: 'string', what: 'until this local time, e.g. 09:00' },
];

const text = (value: unknown): string => (value === undefined || value === null ? '' : String(value).trim());

/** The row's review pages as the review nodes read them; undefined for a row without a branch ID. */
export function branchLinksFromRow(row: Record<string, unknown>): BranchLinks | undefined {
	const id = text(row.branchId);
	if (!id) return undefined;
	const other = text(row.otherReviewUrl);
	return {
		id,
		name: text(row.branchName) || undefined,
		yandex: text(row.yandexUrl) || undefined,
		google: text(row.googleUrl) || undefined,
		twoGis: text(row.twoGisUrl) || undefined,
		custom: other ? [{ platform: 'other', label: text(row.otherReviewLabel) || undefined, url: other }] : undefined,
	};
}

/** Rows → branches; a branch ID given twice keeps its first row (what a lookup by ID would find). */
export function branchesFromRows(rows: ReadonlyArray<Record<string, unknown>>): BranchLinks[] {
	const seen = new Set<string>();
	const branches: BranchLinks[] = [];
	for (const row of rows) {
		const branch = branchLinksFromRow(row);
		if (!branch || seen.has(branch.id)) continue;
		seen.add(branch.id);
		branches.push(branch);
	}
	return branches;
}

/**
 * A per-process cache of a table read over HTTP: fresh for `ttlMs`, and when a read fails, the last
 * good copy (up to `staleMs` old) rather than no review buttons or a broken redirect. Loads of the
 * same key at the same moment share one request.
 */
export class TableCache<T> {
	private readonly entries = new Map<string, { value: T; at: number }>();
	private readonly loading = new Map<string, Promise<T>>();

	constructor(
		private readonly ttlMs = 30_000,
		private readonly staleMs = 15 * 60_000,
		private readonly now: () => number = Date.now,
	) {}

	async get(key: string, load: () => Promise<T>): Promise<T> {
		const entry = this.entries.get(key);
		if (entry && this.now() - entry.at < this.ttlMs) return entry.value;
		const pending = this.loading.get(key);
		if (pending) return await pending;
		const attempt = load()
			.then(
				(value) => {
					this.entries.set(key, { value, at: this.now() });
					return value;
				},
				async (error: unknown) => (entry && this.now() - entry.at < this.staleMs ? entry.value : await Promise.reject(error)),
			)
			.finally(() => this.loading.delete(key));
		this.loading.set(key, attempt);
		return await attempt;
	}

	clear(): void {
		this.entries.clear();
	}
}
