import { createHash } from 'crypto';

import {
	checkDestination,
	destinationFor,
	isLinkPreviewBot,
	PLATFORM_LABELS,
	platformLinks,
	resolveClick,
	reviewFormUrl,
	signReviewToken,
	verifyReviewToken,
	type BranchLinks,
	type ReviewClaims,
} from '../../../nodes/shared/survey/reviewLinks';
import { PayloadWriter, signCompact, signToken, verifyToken, type SigningKey, type SigningKeys } from '../../../nodes/shared/survey/token';

const HOUR = 3600;
const DAY = 86_400;
const NOW = 1_795_000_000; // 2026-11-18 08:26:40 UTC
const NOW_HOUR = NOW - (NOW % HOUR);
// Test keys derived at run time, not written into the source.
const testSecret = (seed: string) => createHash('sha256').update(`review-links-${seed}`).digest('base64url');
const k1: SigningKey = { id: 'k1', secret: testSecret('k1') };
const k2: SigningKey = { id: 'k2', secret: testSecret('k2') };
const only = (key: SigningKey): SigningKeys => ({ current: key, previous: [] });
const rotated: SigningKeys = { current: k2, previous: [k1] };

const YANDEX = 'https://yandex.ru/maps/org/shop/1234567/reviews/?add-review=true';
const GOOGLE = 'https://search.google.com/local/writereview?placeid=ChIJN1t_tDeuEmsRUsoyG83frY4';
const TWO_GIS = 'https://2gis.ru/kazan/firm/70000001006794578/tab/reviews/addreview';
const CUSTOM = 'https://reviews.example.com/kazan';
const OTZOVIK = 'https://otzovik.com/reviews/shop_kazan/';
const ALLOWED = ['reviews.example.com', '.otzovik.com'];

const BRANCHES: BranchLinks[] = [
	{ id: '3153', name: 'Казань, Победы', yandex: YANDEX, google: GOOGLE, twoGis: TWO_GIS, custom: [{ platform: 'other', label: 'Example reviews', url: CUSTOM }] },
	// Configured, but on hosts nobody allowed or that are no review pages: never a redirect there.
	{
		id: '3154',
		name: 'Самара',
		yandex: 'https://yandex.ru/maps/org/shop2/7654321/reviews/?add-review=true',
		google: 'https://yandex.ru.evil.com/maps/org/x/1/',
		twoGis: 'http://2gis.ru/samara/firm/1',
		custom: [{ platform: 'other', url: 'https://evil.example.net/phish' }],
	},
	{ id: 'msk-01', twoGis: 'https://2gis.ru/moscow/firm/70000001/tab/reviews/addreview', custom: [{ platform: 'otzovik', url: OTZOVIK }] },
];

const claims = (overrides: Partial<ReviewClaims> = {}): ReviewClaims => ({
	dealId: 123456,
	branch: '3153',
	platform: 'yandex',
	issuedAt: NOW_HOUR,
	expiresAt: NOW_HOUR + 90 * DAY,
	...overrides,
});

/** Small seeded PRNG (mulberry32), so the fuzz run is the same every time. */
function prng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

describe('reviewFormUrl', () => {
	it.each([
		['google', 'ChIJN1t_tDeuEmsRUsoyG83frY4', {}, GOOGLE],
		['yandex', '1234567', { slug: 'shop' }, YANDEX],
		['yandex', '1234567', { slug: 'shop', domain: 'yandex.kz' }, 'https://yandex.kz/maps/org/shop/1234567/reviews/?add-review=true'],
		['yandex', ' 1234567 ', {}, 'https://yandex.ru/maps/org/1234567/reviews/?add-review=true'],
		['twoGis', '70000001006794578', { city: 'kazan' }, TWO_GIS],
		['twoGis', '70000001006794578', { city: 'almaty', domain: '2gis.kz' }, 'https://2gis.kz/almaty/firm/70000001006794578/tab/reviews/addreview'],
		['twoGis', '70000001006794578', {}, 'https://2gis.ru/firm/70000001006794578/tab/reviews/addreview'],
	] as const)('%s %s %j', (platform, id, options, expected) => {
		const url = reviewFormUrl(platform, id, options);
		expect(url).toBe(expected);
		// What it builds is always a valid destination of that platform.
		expect(checkDestination(platform, url, [])).toEqual({ ok: true, url });
	});

	it.each([
		['google', 'ChIJ 123', {}, /place ID/],
		['google', '', {}, /place ID/],
		['yandex', 'shop', {}, /organisation ID/],
		['yandex', '123', { slug: 'a/b' }, /slug/],
		['yandex', '123', { domain: 'yandex.evil.com' }, /not a Yandex Maps domain/],
		['twoGis', '7000x', {}, /firm ID/],
		['twoGis', '7000', { city: '../evil' }, /city/],
		['twoGis', '7000', { domain: 'evil.com' }, /not a 2GIS domain/],
	] as const)('refuses %s %s %j', (platform, id, options, message) => {
		expect(() => reviewFormUrl(platform, id, options)).toThrow(message);
	});
});

describe('checkDestination', () => {
	it.each([
		['yandex', YANDEX, YANDEX],
		['yandex', 'https://yandex.com.tr/maps/org/kafe/1234567/reviews/', 'https://yandex.com.tr/maps/org/kafe/1234567/reviews/'],
		['yandex', 'https://yandex.by/maps/-/CDaBc4~x', 'https://yandex.by/maps/-/CDaBc4~x'],
		['yandex', 'https://maps.yandex.ru/org/1234567/', 'https://maps.yandex.ru/org/1234567/'],
		['yandex', 'HTTPS://Yandex.RU/maps/org/shop/1234567/', 'https://yandex.ru/maps/org/shop/1234567/'],
		['google', GOOGLE, GOOGLE],
		['google', 'https://search.google.com/local/reviews?placeid=ChIJ123', 'https://search.google.com/local/reviews?placeid=ChIJ123'],
		['google', 'https://www.google.com/maps/place/Shop/@55.7,49.1,17z', 'https://www.google.com/maps/place/Shop/@55.7,49.1,17z'],
		['google', 'https://maps.google.com/?cid=1234567890', 'https://maps.google.com/?cid=1234567890'],
		['google', 'https://g.page/r/CabcDEF123/review', 'https://g.page/r/CabcDEF123/review'],
		['google', 'https://maps.app.goo.gl/AbC123xyz', 'https://maps.app.goo.gl/AbC123xyz'],
		['twoGis', TWO_GIS, TWO_GIS],
		['twoGis', 'https://2gis.kz/almaty/firm/9429940000791234', 'https://2gis.kz/almaty/firm/9429940000791234'],
		['twoGis', 'https://go.2gis.com/abc12', 'https://go.2gis.com/abc12'],
		['other', CUSTOM, CUSTOM],
		// Non-ASCII path: sent percent-encoded, as checked.
		['other', 'https://reviews.example.com/казань', 'https://reviews.example.com/%D0%BA%D0%B0%D0%B7%D0%B0%D0%BD%D1%8C'],
	])('accepts %s %s', (platform, url, normalised) => {
		expect(checkDestination(platform, url, ['reviews.example.com'])).toEqual({ ok: true, url: normalised });
	});

	it.each([
		['yandex', 'http://yandex.ru/maps/org/shop/1234567/', /https/],
		['yandex', 'javascript:alert(1)//yandex.ru/maps/', /https/],
		['yandex', 'data:text/html,<script>alert(1)</script>', /https/],
		['yandex', '//evil.com/maps/', /https/],
		['yandex', 'https:evil.com/maps/', /https/],
		['yandex', 'https:///evil.com/maps/', /no host/],
		['yandex', 'https://evil.com/maps/org/shop/1234567/', /not a Yandex Maps review page/],
		['yandex', 'https://yandex.ru.evil.com/maps/org/shop/1234567/', /not a Yandex Maps review page/],
		['yandex', 'https://evil-yandex.ru/maps/', /not a Yandex Maps review page/],
		['yandex', 'https://yandex.ru/search/?text=x', /not a Yandex Maps review page/],
		['yandex', 'https://yandex.ru/mapsevil', /not a Yandex Maps review page/],
		['yandex', 'https://yandex.ru./maps/org/shop/1234567/', /no valid host/],
		['yandex', 'https://user@yandex.ru/maps/org/shop/1234567/', /user name/],
		['yandex', 'https://yandex.ru:secret@evil.com/maps/', /user name/],
		['yandex', 'https://yandex.ru\\@evil.com/maps/', /backslash/],
		['yandex', 'https://evil.com\\.yandex.ru/maps/', /backslash/],
		['yandex', 'https://yandex.ru:8443/maps/org/shop/1234567/', /port/],
		['yandex', 'https://yаndex.ru/maps/org/shop/1234567/', /xn--.*not a Yandex Maps review page/], // Cyrillic "а"
		['yandex', 'https://xn--yndex-3ve.ru/maps/org/shop/1234567/', /not a Yandex Maps review page/],
		['yandex', 'https://yandex.ru%2eevil.com/maps/', /not a Yandex Maps review page|not a valid URL/],
		['yandex', ' https://yandex.ru/maps/org/shop/1234567/', /spaces/],
		['yandex', 'https://yandex.ru/maps/org/shop/1234567/\n', /spaces/],
		['yandex', 'https://yandex\u200b.ru/maps/', /invisible/],
		['yandex', 'https://\u202emoc.live/maps/', /invisible/],
		['yandex', '', /empty/],
		['google', 'https://www.google.com/url?q=https://evil.com', /not a Google Maps review page/],
		['google', 'https://www.google.com/maps/../url?q=https://evil.com', /not a Google Maps review page/],
		['google', 'https://search.google.com/search?q=evil', /not a Google Maps review page/],
		['google', 'https://g.page.evil.com/r/x', /not a Google Maps review page/],
		['google', YANDEX, /not a Google Maps review page/],
		['twoGis', 'https://2gis.ru.evil.com/kazan/firm/1', /not a 2GIS review page/],
		['twoGis', 'https://evil.com/2gis.ru/kazan/firm/1', /not a 2GIS review page/],
		['other', 'https://evil.example.net/phish', /not in Allowed Hosts/],
		['other', 'https://reviews.example.com.evil.net/x', /not in Allowed Hosts/],
		['other', 'https://evil.reviews.example.com/x', /not in Allowed Hosts/],
		['other', YANDEX, /not in Allowed Hosts/],
		['Other Site', CUSTOM, /not a platform name/],
	])('rejects %s %s', (platform, url, reason) => {
		const check = checkDestination(platform, url, ['reviews.example.com']);
		expect(check.ok).toBe(false);
		if (!check.ok) expect(check.reason).toMatch(reason);
	});

	it('applies suffix rules to the domain and its subdomains only', () => {
		const rules = ['.otzovik.com', '*.flamp.ru', 'https://reviews.example.com/', 'отзывы.рф', '.com', 'ru', '', 'bad host'];
		const ok = (url: string) => checkDestination('site', url, rules).ok;
		expect(ok('https://otzovik.com/reviews/x/')).toBe(true);
		expect(ok('https://www.otzovik.com/reviews/x/')).toBe(true);
		expect(ok('https://kazan.flamp.ru/firm/x')).toBe(true);
		expect(ok('https://reviews.example.com/x')).toBe(true);
		expect(checkDestination('site', 'https://отзывы.рф/shop', rules)).toEqual({ ok: true, url: 'https://xn--b1ajuq0cb.xn--p1ai/shop' });
		expect(ok('https://nototzovik.com/x')).toBe(false);
		expect(ok('https://otzovik.com.evil.net/x')).toBe(false);
		// '.com' and 'ru' are too broad to be rules; they allow nothing.
		expect(ok('https://evil.com/x')).toBe(false);
		expect(ok('https://evil.ru/x')).toBe(false);
		expect(ok('https://bad/x')).toBe(false);
	});

	it('lets Allowed Hosts add a host to a known platform', () => {
		const url = 'https://yandex.ua/maps/org/shop/1234567/';
		expect(checkDestination('yandex', url, []).ok).toBe(false);
		expect(checkDestination('yandex', url, ['yandex.ua'])).toEqual({ ok: true, url });
	});
});

describe('destinationFor / platformLinks', () => {
	it('looks the destination up in the table and checks it', () => {
		expect(destinationFor(BRANCHES, claims(), ALLOWED)).toEqual({ ok: true, url: YANDEX });
		expect(destinationFor(BRANCHES, claims({ platform: 'other' }), ALLOWED)).toEqual({ ok: true, url: CUSTOM });
		expect(destinationFor(BRANCHES, claims({ branch: 'msk-01', platform: 'otzovik' }), ALLOWED)).toEqual({ ok: true, url: OTZOVIK });
		expect(destinationFor(BRANCHES, claims({ branch: '9999' }), ALLOWED)).toMatchObject({ ok: false, reason: expect.stringMatching(/not in the branch table/) });
		expect(destinationFor(BRANCHES, claims({ branch: 'msk-01' }), ALLOWED)).toMatchObject({ ok: false, reason: expect.stringMatching(/no yandex review page/) });
		expect(destinationFor(BRANCHES, claims({ branch: '3154', platform: 'other' }), ALLOWED)).toMatchObject({ ok: false, reason: expect.stringMatching(/evil\.example\.net/) });
		expect(destinationFor(BRANCHES, claims({ branch: '3154', platform: 'google' }), ALLOWED).ok).toBe(false);
		expect(destinationFor(undefined as unknown as BranchLinks[], claims(), ALLOWED).ok).toBe(false);
	});

	it('lists the valid pages of a branch in a fixed order and skips the others', () => {
		expect(platformLinks(BRANCHES[0], ALLOWED)).toEqual([
			{ platform: 'yandex', label: 'Yandex Maps', destination: YANDEX },
			{ platform: 'google', label: 'Google Maps', destination: GOOGLE },
			{ platform: 'twoGis', label: '2GIS', destination: TWO_GIS },
			{ platform: 'other', label: 'Example reviews', destination: CUSTOM },
		]);
		expect(platformLinks(BRANCHES[1], ALLOWED).map((l) => l.platform)).toEqual(['yandex']);
		expect(platformLinks(BRANCHES[2], ALLOWED)).toEqual([
			{ platform: 'twoGis', label: '2GIS', destination: 'https://2gis.ru/moscow/firm/70000001/tab/reviews/addreview' },
			{ platform: 'otzovik', label: 'otzovik.com', destination: OTZOVIK },
		]);
	});

	it('offers only what the trigger would accept: the first of repeated names, no known names as custom', () => {
		const branch: BranchLinks = {
			id: '1',
			custom: [
				{ platform: 'yandex', url: 'https://reviews.example.com/a' },
				{ platform: 'site', url: 'https://evil.example.net/b' },
				{ platform: 'site', url: 'https://reviews.example.com/c' },
				{ platform: 'Bad Name', url: 'https://reviews.example.com/d' },
				{ platform: 'flamp', label: '  ', url: 'https://reviews.example.com/e' },
			],
		};
		const links = platformLinks(branch, ALLOWED);
		expect(links).toEqual([{ platform: 'flamp', label: 'reviews.example.com', destination: 'https://reviews.example.com/e' }]);
		for (const link of links) expect(destinationFor([branch], claims({ branch: '1', platform: link.platform }), ALLOWED)).toEqual({ ok: true, url: link.destination });
		expect(destinationFor([branch], claims({ branch: '1', platform: 'site' }), ALLOWED).ok).toBe(false);
		expect(destinationFor([branch], claims({ branch: '1', platform: 'yandex' }), ALLOWED).ok).toBe(false);
	});

	it('has labels for every language and platform', () => {
		for (const language of ['ru', 'uk', 'en'] as const) {
			for (const platform of ['yandex', 'google', 'twoGis'] as const) expect(PLATFORM_LABELS[language][platform]).toMatch(/\S/);
		}
		expect(PLATFORM_LABELS.ru.yandex).toContain('Яндекс');
	});
});

describe('signReviewToken / verifyReviewToken', () => {
	it('round-trips hour-aligned claims exactly, and with rotated keys', () => {
		for (const c of [claims(), claims({ platform: 'other', branch: 'Kazan-01' }), claims({ platform: 'otzovik', dealId: 1, branch: '0' }), claims({ branch: 'Казань-центральный' })]) {
			expect(verifyReviewToken(signReviewToken(c, k1), only(k1), NOW)).toEqual({ ok: true, claims: c, keyId: 'k1' });
			expect(verifyReviewToken(signReviewToken(c, k1), rotated, NOW)).toEqual({ ok: true, claims: c, keyId: 'k1' });
			expect(verifyReviewToken(signReviewToken(c, k2), rotated, NOW)).toEqual({ ok: true, claims: c, keyId: 'k2' });
		}
	});

	it('rounds issuedAt down to the hour and expiresAt down to the minute', () => {
		const asked = NOW + 30 * DAY + 59;
		const token = signReviewToken(claims({ issuedAt: NOW, expiresAt: asked }), k1);
		const check = verifyReviewToken(token, only(k1), NOW);
		expect(check).toMatchObject({ ok: true, claims: { issuedAt: NOW_HOUR, expiresAt: asked - (asked % 60) } });
		// A one-minute link opens at once; one that ended 10 seconds ago is expired.
		expect(verifyReviewToken(signReviewToken(claims({ issuedAt: NOW, expiresAt: NOW + 60 }), k1), only(k1), NOW).ok).toBe(true);
		expect(verifyReviewToken(signReviewToken(claims({ issuedAt: NOW - 100, expiresAt: NOW - 10 }), k1), only(k1), NOW)).toMatchObject({ ok: false, reason: 'expired' });
	});

	it('stays within 48 characters for realistic claims', () => {
		const lengths: number[] = [];
		const examples: string[] = [];
		for (const dealId of [1, 127, 128, 123456, 2_147_483_647, 1_000_000_000]) {
			for (const branch of ['0', '1', '3153', '99999', 'msk', 'msk-01', 'Kazan-01', 'abcdefgh']) {
				for (const platform of ['yandex', 'google', 'twoGis', 'other']) {
					for (const lifetime of [60, DAY, 30 * DAY, 90 * DAY, 400 * DAY]) {
						for (const key of [k1, k2]) {
							const token = signReviewToken({ dealId, branch, platform, issuedAt: NOW, expiresAt: NOW + lifetime }, key);
							expect(token).toMatch(/^k[12]\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}$/);
							lengths.push(token.length);
							if (lifetime === 400 * DAY && key === k1 && ((dealId === 123456 && branch === '3153') || (dealId === 1e9 && branch === 'abcdefgh'))) {
								examples.push(`${token} (${token.length}: deal ${dealId}, branch ${branch}, ${platform})`);
							}
						}
					}
				}
			}
		}
		// Custom platform names up to 6 characters with numeric branch IDs up to 99999.
		for (const platform of ['zoon', 'flamp', 'yell', 'irecom']) {
			for (const branch of ['1', '3153', '99999']) {
				const token = signReviewToken({ dealId: 1_000_000_000, branch, platform, issuedAt: NOW, expiresAt: NOW + 400 * DAY }, k1);
				lengths.push(token.length);
			}
		}
		// eslint-disable-next-line no-console
		console.log(`review tokens: ${lengths.length}, ${Math.min(...lengths)}–${Math.max(...lengths)} characters\n${examples.join('\n')}`);
		expect(Math.max(...lengths)).toBeLessThanOrEqual(48);
	});

	it('rejects a token with any single character changed, inserted or removed', () => {
		const token = signReviewToken(claims(), k1);
		const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
		let variants = 0;
		for (let i = 0; i < token.length; i++) {
			const changed = [
				`${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`,
				`${token.slice(0, i)}${token.slice(i + 1)}`,
				`${token.slice(0, i)}${alphabet[i % alphabet.length]}${token.slice(i)}`,
			];
			for (const variant of changed) {
				if (variant === token) continue;
				variants++;
				const check = verifyReviewToken(variant, rotated, NOW);
				expect(check.ok).toBe(false);
				if (!check.ok) expect(['badSignature', 'malformed', 'unknownKey']).toContain(check.reason);
			}
		}
		expect(variants).toBeGreaterThan(100);
	});

	it('tells expired, foreign, unknown and retired keys apart', () => {
		const c = claims();
		const token = signReviewToken(c, k1);
		expect(verifyReviewToken(token, only(k1), c.expiresAt - 1).ok).toBe(true);
		const expired = verifyReviewToken(token, only(k1), c.expiresAt);
		expect(expired).toMatchObject({ ok: false, reason: 'expired' });
		if (!expired.ok) expect(expired.message).toContain('2027-02-16');
		expect(verifyReviewToken(token, only({ id: 'k1', secret: k2.secret }), NOW)).toMatchObject({ ok: false, reason: 'badSignature' });
		expect(verifyReviewToken(token, only(k2), NOW)).toMatchObject({ ok: false, reason: 'unknownKey' });
		expect(verifyReviewToken(`k2${token.slice(2)}`, rotated, NOW)).toMatchObject({ ok: false, reason: 'badSignature' });
		expect(verifyReviewToken(token, undefined as unknown as SigningKeys, NOW)).toMatchObject({ ok: false, reason: 'unknownKey' });
	});

	it('keeps survey and review tokens apart, both ways', () => {
		const survey = signToken({ kind: 's', dealId: 123456, branch: '3153', channel: 'yandex', issuedAt: NOW, expiresAt: NOW + DAY }, k1);
		expect(verifyReviewToken(survey, only(k1), NOW)).toMatchObject({ ok: false, reason: 'wrongKind', message: expect.stringContaining('"s"') });
		expect(verifyReviewToken(survey, only(k1), NOW + 2 * DAY)).toMatchObject({ ok: false, reason: 'wrongKind' });
		const fullReview = signToken({ kind: 'r', dealId: 1, branch: '3153', channel: 'yandex', issuedAt: NOW, expiresAt: NOW + DAY }, k1);
		expect(verifyReviewToken(fullReview, only(k1), NOW)).toMatchObject({ ok: false, reason: 'wrongKind' });
		expect(verifyReviewToken(survey, only({ id: 'k1', secret: k2.secret }), NOW)).toMatchObject({ ok: false, reason: 'badSignature' });
		// A survey token with its MAC cut to the compact length: the MAC domains differ.
		const [id, payload, mac] = survey.split('.');
		expect(verifyReviewToken(`${id}.${payload}.${mac.slice(0, 16)}`, only(k1), NOW)).toMatchObject({ ok: false, reason: 'badSignature' });

		const review = signReviewToken(claims(), k1);
		expect(verifyToken(review, only(k1), { now: NOW })).toMatchObject({ ok: false, reason: 'malformed' });
		expect(verifyToken(review, only(k1), { now: NOW, kind: 'r' }).ok).toBe(false);
		// The same payload under another compact domain does not verify as a review token.
		expect(verifyReviewToken(signCompact('x', Buffer.from(review.split('.')[1], 'base64url'), k1), only(k1), NOW)).toMatchObject({ ok: false, reason: 'badSignature' });
	});

	it('says malformed for signed payloads it cannot read, or that are not canonical', () => {
		const times = (w: PayloadWriter) => w.fixed(((NOW_HOUR - 1_704_067_200) / HOUR) * 2 ** 20 + 60, 5);
		const payloads: Array<[string, (w: PayloadWriter) => void]> = [
			['other layout', (w) => w.byte(0x01)],
			['unknown platform code', (w) => (w.byte(0x80 | (5 << 3)), times(w), w.uint(1), w.uint(3153))],
			['zero deal', (w) => (w.byte(0x80 | (1 << 3)), times(w), w.uint(0), w.uint(3153))],
			['decimal branch as text', (w) => (w.byte(0x80 | (1 << 3) | 4), times(w), w.uint(1), w.raw(Buffer.from('3153')))],
			['short branch with a length', (w) => (w.byte(0x80 | (1 << 3) | 7), times(w), w.uint(1), w.uint(3), w.raw(Buffer.from('msk')))],
			['known name as custom', (w) => (w.byte(0x80), times(w), w.uint(1), w.uint(3153), w.text('yandex'))],
			['bad custom name', (w) => (w.byte(0x80), times(w), w.uint(1), w.uint(3153), w.text('Bad Name'))],
			['bad UTF-8 branch', (w) => (w.byte(0x80 | (1 << 3) | 2), times(w), w.uint(1), w.raw(Buffer.from([0xc3, 0x28])))],
			['trailing bytes', (w) => (w.byte(0x80 | (1 << 3)), times(w), w.uint(1), w.uint(3153), w.byte(0))],
			['ends early', (w) => (w.byte(0x80 | (1 << 3)), times(w))],
		];
		for (const [name, write] of payloads) {
			const w = new PayloadWriter();
			write(w);
			const check = verifyReviewToken(signCompact('r', w.toBuffer(), k1), only(k1), NOW);
			expect({ name, check }).toMatchObject({ name, check: { ok: false, reason: 'malformed' } });
		}
		// The same writer with valid content does verify (the cases above differ in one thing each).
		const w = new PayloadWriter();
		w.byte(0x80 | (1 << 3));
		times(w);
		w.uint(1);
		w.uint(3153);
		expect(verifyReviewToken(signCompact('r', w.toBuffer(), k1), only(k1), NOW)).toMatchObject({ ok: true, claims: { dealId: 1, branch: '3153', platform: 'yandex' } });
	});

	it.each([
		['empty', ''],
		['dots', '..'],
		['two parts', 'k1.abc'],
		['four parts', 'k1.a.b.c'],
		['huge', `k1.${'A'.repeat(600)}.${'A'.repeat(16)}`],
		['non-base64', 'k1.%%%.***'],
		['bad key id', 'k 1.gAYq.QCAr-QqH8RjB3gf7'],
		['short mac', 'k1.gAYq.QCAr-QqH'],
		['unicode', 'к1.АБВ.ГДЕ'],
	])('says malformed for junk: %s', (_name, junk) => {
		expect(verifyReviewToken(junk, rotated, NOW)).toMatchObject({ ok: false, reason: 'malformed' });
	});

	it('never throws on odd input', () => {
		for (const junk of [undefined, null, 42, {}, [], 'k1.AAAA.AAAAAAAAAAAAAAAAAAAAAA']) {
			expect(verifyReviewToken(junk as unknown as string, rotated, NOW).ok).toBe(false);
			expect(resolveClick(junk as unknown as string, rotated, BRANCHES, ALLOWED, NOW)).toMatchObject({ ok: false, status: 404 });
		}
		expect(resolveClick(signReviewToken(claims(), k1), rotated, null as unknown as BranchLinks[], ALLOWED, NOW)).toMatchObject({ ok: false, status: 404 });
		expect(resolveClick(signReviewToken(claims(), k1), rotated, BRANCHES, null as unknown as string[], NOW)).toEqual({ ok: true, claims: claims(), destination: YANDEX });
	});

	it.each([
		['deal 0', { dealId: 0 }, /deal ID/],
		['fractional deal', { dealId: 1.5 }, /deal ID/],
		['empty branch', { branch: '' }, /branch ID is empty/],
		['long branch', { branch: 'x'.repeat(65) }, /longer than 64/],
		['bad platform', { platform: 'Yandex Maps' }, /not a platform name/],
		['long platform', { platform: 'a'.repeat(21) }, /not a platform name/],
		['expires before issue', { expiresAt: NOW_HOUR - 1 }, /expire before/],
		['issued before 2024', { issuedAt: 1_700_000_000, expiresAt: 1_700_000_100 }, /between 2024 and 2143/],
		['lives too long', { expiresAt: NOW_HOUR + 729 * DAY }, /at most 728 days/],
		['fractional time', { issuedAt: NOW + 0.5 }, /whole Unix seconds/],
	])('refuses to sign: %s', (_name, overrides, message) => {
		expect(() => signReviewToken(claims(overrides), k1)).toThrow(message);
	});

	it('refuses to sign with a bad key', () => {
		expect(() => signReviewToken(claims(), { id: 'bad id', secret: k1.secret })).toThrow(/key ID/);
		expect(() => signReviewToken(claims(), { id: 'k1', secret: 'short' })).toThrow(/shorter/);
	});
});

describe('resolveClick', () => {
	const click = (c: Partial<ReviewClaims>, key = k1, now = NOW) => resolveClick(signReviewToken(claims(c), key), rotated, BRANCHES, ALLOWED, now);

	it.each([
		['yandex', '3153', YANDEX],
		['google', '3153', GOOGLE],
		['twoGis', '3153', TWO_GIS],
		['other', '3153', CUSTOM],
		['otzovik', 'msk-01', OTZOVIK],
	])('sends a %s link of branch %s to its page', (platform, branch, destination) => {
		expect(click({ platform, branch })).toEqual({ ok: true, claims: claims({ platform, branch }), destination });
		expect(click({ platform, branch }, k2)).toMatchObject({ ok: true, destination });
	});

	it('answers 410 for an expired link and 404 for everything else', () => {
		expect(click({}, k1, NOW_HOUR + 90 * DAY)).toMatchObject({ ok: false, status: 410, reason: expect.stringMatching(/^expired/) });
		expect(click({ branch: '9999' })).toMatchObject({ ok: false, status: 404, reason: expect.stringMatching(/^destination: Branch "9999"/) });
		expect(click({ branch: 'msk-01', platform: 'google' })).toMatchObject({ ok: false, status: 404 });
		expect(click({ branch: '3154', platform: 'other' })).toMatchObject({ ok: false, status: 404 });
		expect(click({ branch: '3154', platform: 'google' })).toMatchObject({ ok: false, status: 404 });
		expect(click({ branch: '3154', platform: 'twoGis' })).toMatchObject({ ok: false, status: 404 });
		expect(click({}, { id: 'k3', secret: k1.secret })).toMatchObject({ ok: false, status: 404, reason: expect.stringMatching(/^unknownKey/) });
		expect(click({}, { id: 'k1', secret: k2.secret })).toMatchObject({ ok: false, status: 404, reason: expect.stringMatching(/^badSignature/) });
		// An expired link of a foreign key is not "expired": the signature is checked first.
		expect(click({}, { id: 'k1', secret: k2.secret }, NOW + 400 * DAY)).toMatchObject({ ok: false, status: 404 });
	});

	it('fuzz: 10,000 altered, random and misdirected tokens never redirect outside the configured pages', () => {
		const random = prng(20_261_118);
		const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
		const base64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
		const junkChars = `${base64}..%/\\ @:é\u0000\u200b=+`;
		const randomText = (length: number, chars = junkChars) => Array.from({ length }, () => pick([...chars])).join('');

		// What may ever be a destination: exactly the valid pages of the table.
		const configured = new Set(BRANCHES.flatMap((b) => platformLinks(b, ALLOWED).map((l) => l.destination)));
		const configuredHosts = new Set([...configured].map((url) => new URL(url).hostname));
		expect(configuredHosts).toEqual(new Set(['yandex.ru', 'search.google.com', '2gis.ru', 'reviews.example.com', 'otzovik.com']));
		const offered = new Set(BRANCHES.flatMap((b) => platformLinks(b, ALLOWED).map((l) => `${b.id}|${l.platform}`)));

		const branchIds = ['3153', '3154', 'msk-01', '9999', 'Kazan-01'];
		const platforms = ['yandex', 'google', 'twoGis', 'other', 'otzovik', 'flamp'];
		const foreign: SigningKey = { id: 'k1', secret: testSecret('foreign') };
		const unknown: SigningKey = { id: 'k9', secret: testSecret('k9') };
		const validToken = () => {
			const c = claims({ dealId: 1 + Math.floor(random() * 1e9), branch: pick(branchIds), platform: pick(platforms) });
			return { c, token: signReviewToken(c, pick([k1, k2])) };
		};
		const mutate = (token: string): string => {
			let out = token;
			const edits = 1 + Math.floor(random() * 3);
			for (let e = 0; e < edits; e++) {
				const at = Math.floor(random() * (out.length + 1));
				const op = random();
				if (op < 0.4) out = `${out.slice(0, at)}${pick([...junkChars])}${out.slice(at + 1)}`;
				else if (op < 0.7) out = `${out.slice(0, at)}${pick([...junkChars])}${out.slice(at)}`;
				else if (op < 0.9) out = `${out.slice(0, at)}${out.slice(at + 1)}`;
				else out = out.slice(0, at);
			}
			return out;
		};

		const counts = { total: 0, redirects: 0, status404: 0, status410: 0, outside: 0, mutatedRedirects: 0, wrongDecisions: 0 };
		const byCategory: Record<string, number> = {};
		for (let i = 0; i < 10_000; i++) {
			const category = pick(['mutated', 'mutated', 'mutated', 'random', 'shaped', 'valid', 'foreign', 'unknownKey', 'expired', 'survey', 'spliced']);
			byCategory[category] = (byCategory[category] ?? 0) + 1;
			let token: string;
			let expectRedirect = false;
			if (category === 'mutated') {
				const original = validToken().token;
				token = mutate(original);
				if (token === original) token = `${token}A`;
			} else if (category === 'random') {
				token = randomText(Math.floor(random() * 70));
			} else if (category === 'shaped') {
				token = `${pick(['k1', 'k2', 'k9'])}.${randomText(8 + Math.floor(random() * 24), base64)}.${randomText(16, base64)}`;
			} else if (category === 'valid') {
				const { c, token: t } = validToken();
				token = t;
				expectRedirect = offered.has(`${c.branch}|${c.platform}`);
			} else if (category === 'foreign' || category === 'unknownKey') {
				token = signReviewToken(claims({ branch: pick(branchIds), platform: pick(platforms) }), category === 'foreign' ? foreign : unknown);
			} else if (category === 'expired') {
				token = signReviewToken(claims({ branch: pick(branchIds), platform: pick(platforms), issuedAt: NOW_HOUR - 2 * DAY, expiresAt: NOW - 1 }), pick([k1, k2]));
			} else if (category === 'survey') {
				const survey = signToken({ kind: pick(['s', 'r']), dealId: 1, branch: pick(branchIds), channel: pick(platforms), issuedAt: NOW, expiresAt: NOW + DAY }, k1);
				token = random() < 0.5 ? survey : survey.slice(0, -6);
			} else {
				// Payload of one valid token with the MAC of another.
				const [a, b] = [validToken().token.split('.'), validToken().token.split('.')];
				token = `${a[0]}.${a[1]}.${b[2]}`;
				if (token === `${b[0]}.${b[1]}.${b[2]}`) token = `${token}A`;
			}

			const result = resolveClick(token, rotated, BRANCHES, ALLOWED, NOW);
			counts.total++;
			if (result.ok) {
				counts.redirects++;
				if (!configured.has(result.destination) || !configuredHosts.has(new URL(result.destination).hostname)) counts.outside++;
				if (category === 'mutated') counts.mutatedRedirects++;
			} else if (result.status === 410) counts.status410++;
			else counts.status404++;
			if (result.ok !== expectRedirect) counts.wrongDecisions++;
			if (category === 'expired' && (result.ok || result.status !== 410)) counts.wrongDecisions++;
		}
		// eslint-disable-next-line no-console
		console.log(`fuzz: ${JSON.stringify(counts)}\nby category: ${JSON.stringify(byCategory)}`);
		expect(counts.total).toBe(10_000);
		expect(counts.outside).toBe(0);
		expect(counts.mutatedRedirects).toBe(0);
		expect(counts.wrongDecisions).toBe(0);
		expect(counts.redirects).toBeGreaterThan(100);
		expect(counts.status410).toBe(byCategory.expired);
		expect(counts.redirects + counts.status404 + counts.status410).toBe(10_000);
	});
});

describe('isLinkPreviewBot', () => {
	it.each([
		['WhatsApp/2.23.20.0', true],
		['WhatsApp/2.2339.5 i', true],
		['TelegramBot (like TwitterBot)', true],
		['facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', true],
		['facebookexternalhit/1.1 Facebot Twitterbot/1.0', true],
		['Twitterbot/1.0', true],
		['Viber/20.9.0.8 CFNetwork/1410.0.3 Darwin/22.6.0', true],
		['Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', true],
		['Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)', true],
		['LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)', true],
		['Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com', true],
		['Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)', true],
		['Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)', true],
		['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', true],
		['Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)', true],
		['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', true],
		['Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)', true],
		['curl/8.4.0', true],
		['python-requests/2.31.0', true],
		['', true],
		['   ', true],
		[undefined, true],
		['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', false],
		['Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36', false],
		['Mozilla/5.0 (Linux; arm_64; Android 13; SM-A525F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.230 YaBrowser/24.1.5.78.00 SA/3 Mobile Safari/537.36', false],
		['Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36', false],
		['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0', false],
		[
			'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A.240405.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 Telegram-Android/10.11.1 (Google Pixel 8; Android 14; SDK 34; HIGH)',
			false,
		],
		['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/460.0.0.35.108;FBBV/583094585]', false],
		['Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36', false],
		['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.28 Safari/537.36', false],
	])('%s → bot: %s', (userAgent, bot) => {
		expect(isLinkPreviewBot(userAgent)).toBe(bot);
	});
});
