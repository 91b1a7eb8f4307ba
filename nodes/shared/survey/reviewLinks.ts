/**
 * Tracked review links: a happy customer gets, per review site of their branch, a short signed link
 * `<trigger URL>/r/<token>`; the Review Link Tracker Trigger checks the token, answers 302 to the
 * branch's configured review page at once, and records the click.
 *
 * - The destination is never taken from the request or the token: the token names only the branch
 *   and the platform, and the URL comes from the company's own branch table (branch ID → platform →
 *   URL), checked again on every click (https, known review hosts or hosts the company allowed).
 *   A forged or altered link can therefore at most reach one of the company's own review pages.
 * - The token is a compact token of token.ts (same keys, same rotation, 96-bit MAC) with a binary
 *   payload laid out below, at most 48 characters for realistic claims, so links stay short in SMS.
 *
 * Which sites can be checked for a posted review: see channels.md §5 — for Yandex Maps and 2GIS only
 * the click can be tracked; the "write a review" URL shapes are widely used but not documented.
 *
 * No n8n imports here: the nodes wrap this module.
 */

import { openCompact, PayloadReader, PayloadWriter, signCompact, verifyToken, type SigningKey, type SigningKeys } from './token';

export type Platform = 'yandex' | 'google' | 'twoGis' | string;
export type KnownPlatform = 'yandex' | 'google' | 'twoGis';

export interface BranchLinks {
	id: string;
	name?: string;
	yandex?: string;
	google?: string;
	twoGis?: string;
	custom?: Array<{ platform: string; label?: string; url: string }>;
}

/** Times are Unix seconds. */
export interface ReviewClaims {
	dealId: number;
	branch: string;
	platform: string;
	issuedAt: number;
	expiresAt: number;
}

export type ReviewTokenFailure = 'malformed' | 'unknownKey' | 'badSignature' | 'expired' | 'wrongKind';

export type ReviewTokenCheck =
	| { ok: true; claims: ReviewClaims; keyId: string }
	| { ok: false; reason: ReviewTokenFailure; message: string };

export type DestinationCheck = { ok: true; url: string } | { ok: false; reason: string };

export type ClickDecision = { ok: true; claims: ReviewClaims; destination: string } | { ok: false; status: 404 | 410; reason: string };

export const KNOWN_PLATFORMS: readonly KnownPlatform[] = ['yandex', 'google', 'twoGis'];

/** Button labels per language. */
export const PLATFORM_LABELS: Record<'ru' | 'uk' | 'en', Record<KnownPlatform, string>> = {
	ru: { yandex: 'Яндекс Карты', google: 'Google Карты', twoGis: '2ГИС' },
	uk: { yandex: 'Яндекс Карти', google: 'Google Карти', twoGis: '2ГІС' },
	en: { yandex: 'Yandex Maps', google: 'Google Maps', twoGis: '2GIS' },
};

/** Custom platform names, e.g. 'other' (the branch table's "Other Review Page") or 'otzovik'. */
const CUSTOM_PLATFORM = /^[a-z0-9_-]{1,20}$/;

function isKnownPlatform(platform: unknown): platform is KnownPlatform {
	return platform === 'yandex' || platform === 'google' || platform === 'twoGis';
}

function isPlatformName(platform: unknown): platform is string {
	return typeof platform === 'string' && (isKnownPlatform(platform) || CUSTOM_PLATFORM.test(platform));
}

// ---------------------------------------------------------------------------------------------
// Destinations
// ---------------------------------------------------------------------------------------------

const YANDEX_DOMAINS = ['yandex.ru', 'yandex.com', 'yandex.by', 'yandex.kz', 'yandex.uz', 'yandex.com.tr'];
const TWO_GIS_DOMAINS = ['2gis.ru', '2gis.kz', '2gis.uz', '2gis.kg', '2gis.by', '2gis.am', '2gis.az', '2gis.ge', '2gis.ae', '2gis.com', '2gis.com.cy'];
const MAX_URL_LENGTH = 2048;

function isMapsPath(path: string): boolean {
	return path === '/maps' || path.startsWith('/maps/');
}

/** Whether `host` + `path` is a page of the known platform (hosts are exact, lowercase, punycode). */
function knownPlatformPage(platform: KnownPlatform, host: string, path: string): boolean {
	switch (platform) {
		case 'yandex':
			// yandex.ru/maps/org/<slug>/<id>/reviews/…, yandex.ru/maps/-/<short>; maps.yandex.ru/…
			return YANDEX_DOMAINS.some(
				(domain) => ((host === domain || host === `www.${domain}`) && isMapsPath(path)) || host === `maps.${domain}`,
			);
		case 'google':
			return (
				(host === 'search.google.com' && (path === '/local/writereview' || path === '/local/reviews')) ||
				((host === 'www.google.com' || host === 'google.com') && isMapsPath(path)) ||
				host === 'maps.google.com' ||
				host === 'g.page' ||
				host === 'maps.app.goo.gl'
			);
		case 'twoGis':
			return host === 'go.2gis.com' || TWO_GIS_DOMAINS.some((domain) => host === domain || host === `www.${domain}`);
	}
}

/**
 * One Allowed Hosts entry as a rule: an exact host, or `.example.com` for example.com and its
 * subdomains (`*.example.com` means the same). Lowercase, IDN as punycode; a pasted URL counts as
 * its host. A rule needs at least two labels: `.com` or `ru` would allow far too much.
 */
function hostRule(entry: unknown): { host: string; subdomains: boolean } | undefined {
	if (typeof entry !== 'string') return undefined;
	let text = entry.trim().toLowerCase();
	if (text.includes('://')) {
		try {
			text = new URL(text).hostname;
		} catch {
			return undefined;
		}
	}
	if (text.startsWith('*.')) text = text.slice(1);
	const subdomains = text.startsWith('.');
	const bare = subdomains ? text.slice(1) : text;
	if (bare === '' || /[\s/\\@:?#%]/.test(bare)) return undefined;
	let host: string;
	try {
		host = new URL(`https://${bare}/`).hostname;
	} catch {
		return undefined;
	}
	if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(host)) return undefined;
	return { host, subdomains };
}

function hostAllowed(host: string, allowedHosts: string[]): boolean {
	if (!Array.isArray(allowedHosts)) return false;
	return allowedHosts.some((entry) => {
		const rule = hostRule(entry);
		if (!rule) return false;
		return host === rule.host || (rule.subdomains && host.endsWith(`.${rule.host}`));
	});
}

/**
 * Whether `url` may be a redirect target for `platform`; on success `url` is the normalised URL
 * (WHATWG serialisation: lowercase host, punycode, percent-encoded path) — what was checked is what
 * is sent. Rules:
 * - https only; no user name or password, no port, no whitespace or control/format characters
 *   (zero-width, bidi), no backslashes (browsers read `\` as `/`), no trailing dot in the host;
 * - yandex/google/twoGis: the host (and for some hosts the path) must be one of the platform's
 *   review pages (see knownPlatformPage), or a host listed in `allowedHosts`;
 * - any other platform: the host must be listed in `allowedHosts` (exact, or `.example.com`).
 * Look-alike hosts (IDN homographs) end up as `xn--…` and match nothing unless allowed as such.
 */
export function checkDestination(platform: string, url: string, allowedHosts: string[]): DestinationCheck {
	const fail = (reason: string): DestinationCheck => ({ ok: false, reason });
	if (!isPlatformName(platform)) return fail(`"${String(platform).slice(0, 40)}" is not a platform name (a–z, 0–9, "_", "-", up to 20)`);
	if (typeof url !== 'string' || url === '') return fail(`The ${platform} review URL is empty`);
	if (url.length > MAX_URL_LENGTH) return fail(`The ${platform} review URL is longer than ${MAX_URL_LENGTH} characters`);
	if (/[\s\p{C}]/u.test(url)) return fail(`The ${platform} review URL contains spaces or invisible characters`);
	if (url.includes('\\')) return fail(`The ${platform} review URL contains a backslash`);
	if (!/^https:\/\//i.test(url)) return fail(`The ${platform} review URL must start with https://`);
	const authority = url.slice('https://'.length).split(/[/?#]/)[0];
	if (authority === '') return fail(`The ${platform} review URL has no host after https://`);
	if (authority.includes('@')) return fail(`The ${platform} review URL must not contain a user name or password`);
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return fail(`The ${platform} review URL is not a valid URL`);
	}
	if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') {
		return fail(`The ${platform} review URL must be a plain https:// address`);
	}
	if (parsed.port !== '') return fail(`The ${platform} review URL must not name a port`);
	const host = parsed.hostname;
	if (host === '' || host.endsWith('.')) return fail(`The ${platform} review URL has no valid host`);
	const allowed = isKnownPlatform(platform) ? knownPlatformPage(platform, host, parsed.pathname) || hostAllowed(host, allowedHosts) : hostAllowed(host, allowedHosts);
	if (!allowed) {
		return fail(
			isKnownPlatform(platform)
				? `${host}${parsed.pathname} is not a ${PLATFORM_LABELS.en[platform]} review page (add the host to Allowed Hosts if it really is one)`
				: `The host ${host} of the ${platform} review page is not in Allowed Hosts`,
		);
	}
	return { ok: true, url: parsed.href };
}

function branchUrl(branch: BranchLinks, platform: string): string | undefined {
	if (isKnownPlatform(platform)) {
		const url = branch[platform];
		return typeof url === 'string' && url !== '' ? url : undefined;
	}
	// The first entry of a platform wins, here and in platformLinks.
	const entry = Array.isArray(branch.custom) ? branch.custom.find((c) => c?.platform === platform) : undefined;
	return entry && typeof entry.url === 'string' && entry.url !== '' ? entry.url : undefined;
}

/** The checked destination of a click: the claims' branch and platform looked up in the table. */
export function destinationFor(branches: BranchLinks[], claims: ReviewClaims, allowedHosts: string[]): DestinationCheck {
	if (!Array.isArray(branches)) return { ok: false, reason: 'No branch table is configured' };
	const branch = branches.find((b) => b && typeof b === 'object' && b.id === claims.branch);
	if (!branch) return { ok: false, reason: `Branch "${claims.branch}" is not in the branch table` };
	if (!isPlatformName(claims.platform)) return { ok: false, reason: `"${claims.platform}" is not a platform name` };
	const url = branchUrl(branch, claims.platform);
	if (url === undefined) return { ok: false, reason: `Branch "${claims.branch}" has no ${claims.platform} review page` };
	return checkDestination(claims.platform, url, allowedHosts);
}

/**
 * The configured and valid review pages of a branch, in the order yandex, google, twoGis, then the
 * custom ones; invalid or disallowed pages, and repeated custom platform names, are left out (the
 * trigger would refuse them). `label`: English name for known platforms (the nodes translate with
 * PLATFORM_LABELS), the custom label or else the page's host.
 */
export function platformLinks(branch: BranchLinks, allowedHosts: string[]): Array<{ platform: string; label: string; destination: string }> {
	const links: Array<{ platform: string; label: string; destination: string }> = [];
	if (!branch || typeof branch !== 'object') return links;
	for (const platform of KNOWN_PLATFORMS) {
		const url = branchUrl(branch, platform);
		if (url === undefined) continue;
		const check = checkDestination(platform, url, allowedHosts);
		if (check.ok) links.push({ platform, label: PLATFORM_LABELS.en[platform], destination: check.url });
	}
	const seen = new Set<string>(KNOWN_PLATFORMS);
	for (const entry of Array.isArray(branch.custom) ? branch.custom : []) {
		if (!entry || !isPlatformName(entry.platform) || seen.has(entry.platform)) continue;
		seen.add(entry.platform);
		const check = checkDestination(entry.platform, entry.url, allowedHosts);
		if (!check.ok) continue;
		const label = typeof entry.label === 'string' && entry.label.trim() !== '' ? entry.label.trim() : new URL(check.url).hostname;
		links.push({ platform: entry.platform, label, destination: check.url });
	}
	return links;
}

/**
 * The "write a review" page of a place from its platform ID (shapes from channels.md §5):
 * - google: place ID → https://search.google.com/local/writereview?placeid=<id> (options ignored);
 * - yandex: organisation ID (+ slug from its URL) → https://yandex.ru/maps/org/<slug>/<id>/reviews/?add-review=true;
 *   without a slug …/maps/org/<id>/reviews/?add-review=true (Yandex is expected to add the slug;
 *   not verified — pass the slug for the documented shape); `domain`: yandex.ru, .com, .by, .kz, .uz, .com.tr;
 * - twoGis: firm ID (+ city from its URL) → https://2gis.ru/<city>/firm/<id>/tab/reviews/addreview;
 *   `domain`: 2gis.ru, .kz, .uz, … (without a city: …/firm/<id>/tab/reviews/addreview).
 * Throws on an ID, slug, city or domain of the wrong shape.
 */
export function reviewFormUrl(platform: KnownPlatform, id: string, options: { slug?: string; city?: string; domain?: string } = {}): string {
	const value = typeof id === 'string' || typeof id === 'number' ? String(id).trim() : '';
	const domainOf = (allowed: string[], fallback: string): string => {
		const domain = (options.domain ?? '').trim().toLowerCase() || fallback;
		if (!allowed.includes(domain)) throw new Error(`"${domain}" is not a ${PLATFORM_LABELS.en[platform]} domain (one of ${allowed.join(', ')})`);
		return domain;
	};
	const part = (name: string, text: string | undefined): string => {
		const trimmed = (text ?? '').trim();
		if (trimmed !== '' && !/^[A-Za-z0-9_-]{1,100}$/.test(trimmed)) throw new Error(`The ${name} "${trimmed.slice(0, 40)}" must be letters, digits, "_" or "-" as in the page's URL`);
		return trimmed;
	};
	switch (platform) {
		case 'google':
			if (!/^[A-Za-z0-9_-]{1,512}$/.test(value)) throw new Error('A Google place ID is letters, digits, "_" and "-", e.g. ChIJN1t_tDeuEmsRUsoyG83frY4');
			return `https://search.google.com/local/writereview?placeid=${value}`;
		case 'yandex': {
			if (!/^[0-9]{1,20}$/.test(value)) throw new Error('A Yandex Maps organisation ID is digits, e.g. 1234567890 from yandex.ru/maps/org/<slug>/1234567890/');
			const slug = part('slug', options.slug);
			return `https://${domainOf(YANDEX_DOMAINS, 'yandex.ru')}/maps/org/${slug ? `${slug}/` : ''}${value}/reviews/?add-review=true`;
		}
		case 'twoGis': {
			if (!/^[0-9]{1,20}$/.test(value)) throw new Error('A 2GIS firm ID is digits, e.g. 70000001006794578 from 2gis.ru/<city>/firm/70000001006794578');
			const city = part('city', options.city);
			return `https://${domainOf(TWO_GIS_DOMAINS, '2gis.ru')}/${city ? `${city}/` : ''}firm/${value}/tab/reviews/addreview`;
		}
		default:
			throw new Error(`Cannot build a review form link for platform "${String(platform)}"`);
	}
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

/*
 * A review token is a compact token of token.ts (`<keyId>.<payload>.<mac>`, MAC domain 'r', 12-byte
 * MAC = 16 characters). Payload bytes:
 *   0      header: bits 7–6 = 0b10 (this layout); bits 5–3 = platform: 0 custom (name follows),
 *          1 yandex, 2 google, 3 twoGis, 4 other; bits 2–0 = branch: 0 decimal number (varint),
 *          1–6 text of that many UTF-8 bytes, 7 text with a varint length (≥ 7) first;
 *   1–5    times, 40 bits big-endian: issue hour since 2024-01-01 UTC (20 bits, until 2143) and
 *          lifetime in minutes from that hour (20 bits, up to 728 days);
 *   then   deal ID (varint), the branch (as the header says), the custom name (varint length + ASCII).
 * Times are coarse to save bytes: issuedAt is rounded down to the hour, expiresAt down to the minute
 * (a link never lives longer than asked). Every claims object has exactly one encoding; anything
 * else (other header, unknown platform code, trailing bytes, a decimal branch written as text…) is
 * refused as malformed.
 *
 * Length with key ID "k1": 20 + ceil(4 × payload bytes / 3) characters. Deal ≤ 10^9 (5 bytes),
 * branch of 8 ASCII characters (9 bytes), yandex/google/twoGis/other: 20 bytes → 47 characters;
 * deal 123456 and branch "3153": 11 bytes → 35. A custom name adds 1 + its length bytes
 * ("otzovik" with branch "3153" and deal 10^9: 48). Every key ID character beyond two adds one.
 */

const REVIEW_DOMAIN = 'r';
const HEADER_TAG = 0x80;
const PLATFORM_CODES: readonly string[] = ['', 'yandex', 'google', 'twoGis', 'other'];
const TIME_EPOCH = 1_704_067_200; // 2024-01-01T00:00:00Z
const MAX_FIELD = 2 ** 20 - 1;
const DECIMAL_BRANCH = /^(?:0|[1-9][0-9]{0,14})$/;
const INLINE_BRANCH_BYTES = 6;
const MAX_BRANCH_BYTES = 64;
const MAX_LIFETIME_DAYS = Math.floor((MAX_FIELD * 60 - 3600) / 86_400);

function encodeReviewClaims(claims: ReviewClaims): Buffer {
	const fail = (what: string): never => {
		throw new Error(`Cannot sign the review link: ${what}`);
	};
	if (!claims || typeof claims !== 'object') fail('no claims');
	const { dealId, branch, platform, issuedAt, expiresAt } = claims;
	if (!Number.isSafeInteger(dealId) || dealId <= 0) fail(`the deal ID ${String(dealId)} is not a positive whole number`);
	if (typeof branch !== 'string' || branch === '') fail('the branch ID is empty');
	const branchBytes = Buffer.from(branch, 'utf8');
	if (branchBytes.length > MAX_BRANCH_BYTES) fail(`the branch ID is longer than ${MAX_BRANCH_BYTES} bytes`);
	if (!isPlatformName(platform)) fail(`"${String(platform).slice(0, 40)}" is not a platform name (a–z, 0–9, "_", "-", up to 20)`);
	if (!Number.isSafeInteger(issuedAt) || !Number.isSafeInteger(expiresAt)) fail('the issue and expiry times must be whole Unix seconds');
	if (expiresAt < issuedAt) fail('it would expire before it is issued');
	const hour = Math.floor((issuedAt - TIME_EPOCH) / 3600);
	if (hour < 0 || hour > MAX_FIELD) fail('the issue time must be between 2024 and 2143');
	const lifetime = Math.floor((expiresAt - (TIME_EPOCH + hour * 3600)) / 60);
	if (lifetime > MAX_FIELD) fail(`a review link lives at most ${MAX_LIFETIME_DAYS} days`);

	const platformCode = PLATFORM_CODES.indexOf(platform);
	const numericBranch = DECIMAL_BRANCH.test(branch);
	const branchForm = numericBranch ? 0 : branchBytes.length <= INLINE_BRANCH_BYTES ? branchBytes.length : 7;
	const w = new PayloadWriter();
	w.byte(HEADER_TAG | (Math.max(platformCode, 0) << 3) | branchForm);
	w.fixed(hour * 2 ** 20 + lifetime, 5);
	w.uint(dealId);
	if (numericBranch) w.uint(Number(branch));
	else {
		if (branchForm === 7) w.uint(branchBytes.length);
		w.raw(branchBytes);
	}
	if (platformCode <= 0) w.text(platform);
	return w.toBuffer();
}

function decodeReviewClaims(payload: Buffer): ReviewClaims {
	const r = new PayloadReader(payload);
	const header = r.byte();
	if ((header & 0xc0) !== HEADER_TAG) throw new Error('unknown layout');
	const platformCode = (header >> 3) & 7;
	const branchForm = header & 7;
	if (platformCode >= PLATFORM_CODES.length) throw new Error('unknown platform code');
	const times = r.fixed(5);
	const hour = Math.floor(times / 2 ** 20);
	const issuedAt = TIME_EPOCH + hour * 3600;
	const expiresAt = issuedAt + (times % 2 ** 20) * 60;
	const dealId = r.uint();
	if (dealId <= 0) throw new Error('bad deal ID');
	let branch: string;
	if (branchForm === 0) {
		const n = r.uint();
		branch = String(n);
		if (!DECIMAL_BRANCH.test(branch)) throw new Error('bad branch number');
	} else {
		const length = branchForm === 7 ? r.uint() : branchForm;
		if (branchForm === 7 && (length <= INLINE_BRANCH_BYTES || length > MAX_BRANCH_BYTES)) throw new Error('bad branch length');
		branch = r.rawText(length);
		if (DECIMAL_BRANCH.test(branch)) throw new Error('decimal branch written as text');
	}
	let platform = PLATFORM_CODES[platformCode];
	if (platformCode === 0) {
		platform = r.text();
		if (!CUSTOM_PLATFORM.test(platform) || PLATFORM_CODES.includes(platform)) throw new Error('bad platform name');
	}
	if (!r.done) throw new Error('trailing bytes');
	return { dealId, branch, platform, issuedAt, expiresAt };
}

/**
 * Signs a review link token, at most 48 characters for realistic claims (see the layout above).
 * Throws on bad claims or a bad key. issuedAt/expiresAt come back rounded (hour/minute, down).
 */
export function signReviewToken(claims: ReviewClaims, key: SigningKey): string {
	return signCompact(REVIEW_DOMAIN, encodeReviewClaims(claims), key);
}

/** Checks a review token: envelope, key (current or previous), MAC, layout, expiry. Never throws. */
export function verifyReviewToken(token: string, keys: SigningKeys, now: number): ReviewTokenCheck {
	const failure = (reason: ReviewTokenFailure, message: string): ReviewTokenCheck => ({ ok: false, reason, message });
	try {
		if (!keys || typeof keys !== 'object' || !keys.current) return failure('unknownKey', 'No link signing key is configured');
		const opened = openCompact(REVIEW_DOMAIN, token, keys);
		if (!opened.ok) {
			if (opened.reason !== 'malformed') return opened;
			// A full-size token of this package (a survey link…) is well formed there: say so.
			const full = verifyToken(token, keys, { now });
			if (full.ok) return failure('wrongKind', `The link is a "${full.claims.kind}" link (e.g. a survey link), not a review link`);
			if (full.reason === 'expired' || full.reason === 'notYetValid' || full.reason === 'wrongKind') {
				return failure('wrongKind', 'The link is another kind of link (e.g. a survey link), not a review link');
			}
			if (full.reason === 'unknownKey' || full.reason === 'badSignature') return failure(full.reason, full.message);
			return opened;
		}
		let claims: ReviewClaims;
		try {
			claims = decodeReviewClaims(opened.payload);
		} catch {
			return failure('malformed', 'The review link is signed but its content cannot be read (written by a newer version?)');
		}
		if (typeof now !== 'number' || !Number.isFinite(now)) return failure('malformed', 'The review link cannot be checked without the current time');
		if (claims.expiresAt <= now) {
			const date = new Date(claims.expiresAt * 1000).toISOString();
			return failure('expired', `The review link expired on ${date.slice(0, 16).replace('T', ' ')} UTC`);
		}
		return { ok: true, claims, keyId: opened.keyId };
	} catch (error) {
		return failure('malformed', `The review link could not be checked: ${error instanceof Error ? error.message : String(error)}`);
	}
}

/**
 * Everything the trigger decides for a click: 410 for a genuine but expired link, 404 for anything
 * else that fails (bad token, unknown branch or platform, a destination that fails checkDestination);
 * otherwise the destination from the table. `reason` is for logs. Never throws.
 */
export function resolveClick(token: string, keys: SigningKeys, branches: BranchLinks[], allowedHosts: string[], now: number): ClickDecision {
	try {
		const check = verifyReviewToken(token, keys, now);
		if (!check.ok) return { ok: false, status: check.reason === 'expired' ? 410 : 404, reason: `${check.reason}: ${check.message}` };
		const destination = destinationFor(branches, check.claims, allowedHosts);
		if (!destination.ok) return { ok: false, status: 404, reason: `destination: ${destination.reason}` };
		return { ok: true, claims: check.claims, destination: destination.url };
	} catch (error) {
		return { ok: false, status: 404, reason: `error: ${error instanceof Error ? error.message : String(error)}` };
	}
}

// ---------------------------------------------------------------------------------------------
// Link-preview bots
// ---------------------------------------------------------------------------------------------

/*
 * Messengers fetch a link as soon as it is sent, to draw a preview; those fetches must be redirected
 * (the preview then shows the review site) but must not count as the customer's click. Matched:
 * - messenger and social previews: WhatsApp ("WhatsApp/2.23.20.0 A"), TelegramBot ("TelegramBot
 *   (like TwitterBot)"), facebookexternalhit / Facebot / meta-externalagent (Facebook, Instagram,
 *   Messenger; Apple iMessage sends "facebookexternalhit/1.1 Facebot Twitterbot/1.0"), Twitterbot,
 *   Slackbot (incl. Slackbot-LinkExpanding), Discordbot, LinkedInBot, SkypeUriPreview (Skype, Teams),
 *   vkShare (VK), Viber's own fetcher ("Viber/20.9.0.8 CFNetwork/… Darwin/…", i.e. starting with
 *   "Viber/"), redditbot, Iframely, Embedly, Mastodon;
 * - search engines and other crawlers: a word ending in "bot" (Googlebot, YandexBot, bingbot,
 *   Applebot, PetalBot…), "crawl", "spider", "preview", "slurp"; "CUBOT" (a phone brand) is not a bot;
 * - HTTP libraries and tools (curl, Wget, python-requests, Go-http-client, axios, okhttp, Java…);
 * - no user agent at all: every browser sends one.
 * Not matched, on purpose: in-app browsers where a person reads the page (Telegram-Android/…,
 * FBAN/FBAV, Instagram, a "Viber" token after "Mozilla/", LinkedInApp, Pinterest), and
 * HeadlessChrome, which can be a person's automation or our own browser tests — when in doubt a
 * browser is a human, so a real click is never lost; a bot counted twice is the smaller error.
 */
const PREVIEW_AGENTS: RegExp[] = [
	/whatsapp\//i,
	/telegrambot/i,
	/facebookexternalhit|facebot|facebookcatalog|meta-externalagent|meta-externalfetcher/i,
	/twitterbot|slackbot|slack-imgproxy|discordbot|linkedinbot|skypeuripreview|vkshare|redditbot|iframely|embedly/i,
	/^viber\//i,
	/^mastodon\//i,
	/bot(?![a-z])|crawl|spider|preview|slurp/i,
	/^(?:curl|wget|python-requests|python-urllib|python-httpx|aiohttp|go-http-client|java|okhttp|axios|node-fetch|undici|got|libwww-perl|httpie|postmanruntime|apache-httpclient)\b/i,
];

/** Whether a request is a link preview or another robot rather than a person (see the list above). */
export function isLinkPreviewBot(userAgent: string | undefined): boolean {
	if (typeof userAgent !== 'string') return true;
	const ua = userAgent.trim().replace(/cubot/gi, '');
	if (userAgent.trim() === '') return true;
	return PREVIEW_AGENTS.some((pattern) => pattern.test(ua));
}

/** A tracked link: `<base>/<token>` for the trigger's own URL (ending in /r), else `<base>?t=<token>`. */
export function trackedUrl(base: string, token: string): string {
	const trimmed = base.replace(/\/+$/, '');
	if (/\/r$/.test(new URL(trimmed).pathname)) return `${trimmed}/${token}`;
	return `${trimmed}${trimmed.includes('?') ? '&' : '?'}t=${token}`;
}
