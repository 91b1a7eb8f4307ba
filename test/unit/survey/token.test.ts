import { createHash, createHmac } from 'crypto';

import {
	numericId,
	signingCredentialTest,
	signingKeysFrom,
	signToken,
	surveyIdempotencyKey,
	tokenFromUrl,
	verifyToken,
	withToken,
	type SigningKey,
	type SigningKeys,
	type TokenClaims,
} from '../../../nodes/shared/survey/token';

const NOW = 1_795_000_000; // 2026-11-18
const DAY = 86_400;
// Test keys derived at run time (43 characters each), not written into the source.
const testSecret = (seed: string) => createHash('sha256').update(seed).digest('base64url');
const k1: SigningKey = { id: 'k1', secret: testSecret('k1') };
const k2: SigningKey = { id: 'k2', secret: testSecret('k2') };
const only = (key: SigningKey): SigningKeys => ({ current: key, previous: [] });

const typical: TokenClaims = {
	kind: 's',
	dealId: 123456,
	contactId: 654321,
	branch: '3153',
	channel: 'wazzup',
	issuedAt: NOW,
	expiresAt: NOW + 30 * DAY,
};

function flip(char: string): string {
	return char === 'A' ? 'B' : 'A';
}

describe('signToken / verifyToken', () => {
	it('round-trips all claims', () => {
		const claims: TokenClaims = {
			...typical,
			extra: { survey: 'main', question: 2, score: -1, ratio: 0.5, 'ключ': 'значение' },
		};
		const token = signToken(claims, k1);
		expect(verifyToken(token, only(k1), { now: NOW, kind: 's' })).toEqual({ ok: true, claims, keyId: 'k1' });
	});

	it('round-trips the minimum', () => {
		const claims: TokenClaims = { kind: 'r', dealId: 1, issuedAt: NOW, expiresAt: NOW };
		const check = verifyToken(signToken(claims, k1), only(k1), { now: NOW - 1 });
		expect(check).toEqual({ ok: true, claims, keyId: 'k1' });
	});

	it('keeps a typical survey token short enough for an SMS', () => {
		const token = signToken(typical, k1);
		expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
		// eslint-disable-next-line no-console
		console.log(`typical survey token: ${token} (${token.length} chars)`);
		expect(token.length).toBeLessThanOrEqual(90);
		expect(withToken('https://n8n.example.ru/webhook/nps', token)).toBe(`https://n8n.example.ru/webhook/nps?t=${token}`);
	});

	it('is deterministic', () => {
		expect(signToken(typical, k1)).toBe(signToken(typical, k1));
	});

	it('rejects a token with any single character changed', () => {
		const token = signToken(typical, k1);
		const [keyId, payload, mac] = token.split('.');
		const keys: SigningKeys = { current: k1, previous: [{ id: 'k2', secret: k2.secret }] };
		for (let i = 0; i < payload.length; i++) {
			const changed = `${keyId}.${payload.slice(0, i)}${flip(payload[i])}${payload.slice(i + 1)}.${mac}`;
			const check = verifyToken(changed, keys, { now: NOW });
			expect(check.ok).toBe(false);
			if (!check.ok) expect(['badSignature', 'malformed']).toContain(check.reason);
		}
		for (let i = 0; i < mac.length; i++) {
			const changed = `${keyId}.${payload}.${mac.slice(0, i)}${flip(mac[i])}${mac.slice(i + 1)}`;
			const check = verifyToken(changed, keys, { now: NOW });
			expect(check.ok).toBe(false);
			if (!check.ok) expect(['badSignature', 'malformed']).toContain(check.reason);
		}
		// k1 → k2: a key that exists, so the signature decides.
		const otherKey = verifyToken(`k2.${payload}.${mac}`, keys, { now: NOW });
		expect(otherKey).toMatchObject({ ok: false, reason: 'badSignature' });
	});

	it('rejects the last base64 character changed only in its unused bits', () => {
		const token = signToken(typical, k1);
		const [keyId, payload, mac] = token.split('.');
		// 16 bytes → 22 characters; the last one carries 2 bits, so 'A'..'P' share a value with 'A'.
		const last = mac[mac.length - 1];
		const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
		const twin = alphabet[(alphabet.indexOf(last) & ~15) | ((alphabet.indexOf(last) + 1) & 15)];
		const check = verifyToken(`${keyId}.${payload}.${mac.slice(0, -1)}${twin}`, only(k1), { now: NOW });
		expect(check).toMatchObject({ ok: false, reason: 'malformed' });
	});

	it('says expired after expiresAt', () => {
		const token = signToken(typical, k1);
		expect(verifyToken(token, only(k1), { now: typical.expiresAt - 1 }).ok).toBe(true);
		const check = verifyToken(token, only(k1), { now: typical.expiresAt });
		expect(check).toMatchObject({ ok: false, reason: 'expired' });
		if (!check.ok) expect(check.message).toContain('2026-12-18');
	});

	it('says notYetValid for a token from the future, with leeway', () => {
		const token = signToken({ ...typical, issuedAt: NOW + 600, expiresAt: NOW + DAY }, k1);
		expect(verifyToken(token, only(k1), { now: NOW })).toMatchObject({ ok: false, reason: 'notYetValid' });
		expect(verifyToken(token, only(k1), { now: NOW + 301 }).ok).toBe(true);
		expect(verifyToken(token, only(k1), { now: NOW, leewaySeconds: 600 }).ok).toBe(true);
	});

	it('says badSignature for the same key ID with another secret', () => {
		const token = signToken(typical, k1);
		const check = verifyToken(token, only({ id: 'k1', secret: k2.secret }), { now: NOW });
		expect(check).toMatchObject({ ok: false, reason: 'badSignature' });
	});

	it('says unknownKey for a key ID not configured', () => {
		const token = signToken(typical, k2);
		expect(verifyToken(token, only(k1), { now: NOW })).toMatchObject({ ok: false, reason: 'unknownKey' });
	});

	it('accepts links signed with a rotated-out key until it is dropped', () => {
		const old = signToken(typical, k1);
		const fresh = signToken(typical, k2);
		const rotated: SigningKeys = { current: k2, previous: [k1] };
		expect(verifyToken(old, rotated, { now: NOW })).toMatchObject({ ok: true, keyId: 'k1' });
		expect(verifyToken(fresh, rotated, { now: NOW })).toMatchObject({ ok: true, keyId: 'k2' });
		expect(verifyToken(old, only(k2), { now: NOW })).toMatchObject({ ok: false, reason: 'unknownKey' });
	});

	it('says wrongKind for a link of another kind', () => {
		const token = signToken({ ...typical, kind: 'r' }, k1);
		expect(verifyToken(token, only(k1), { now: NOW, kind: 's' })).toMatchObject({ ok: false, reason: 'wrongKind' });
		expect(verifyToken(token, only(k1), { now: NOW, kind: 'r' }).ok).toBe(true);
	});

	it.each([
		['empty', ''],
		['dots', '...'],
		['two parts', 'k1.abc'],
		['four parts', 'k1.a.b.c'],
		['huge', `k1.${'A'.repeat(600)}.${'A'.repeat(22)}`],
		['non-base64', 'k1.%%%.***'],
		['padding', 'k1.AQcB==.eWVZ8jp5TITS_goetF8-KQ'],
		['bad key id', 'k 1.AQcB.eWVZ8jp5TITS_goetF8-KQ'],
		['long key id', `${'k'.repeat(17)}.AQcB.eWVZ8jp5TITS_goetF8-KQ`],
		['short mac', 'k1.AQcB.eWVZ8jp5'],
		['unicode', 'к1.АБВ.ГДЕ'],
	])('says malformed for junk: %s', (_name, junk) => {
		expect(verifyToken(junk, only(k1), { now: NOW })).toMatchObject({ ok: false, reason: 'malformed' });
	});

	it('never throws on non-string input', () => {
		for (const junk of [undefined, null, 42, {}, []]) {
			expect(verifyToken(junk as unknown as string, only(k1), { now: NOW })).toMatchObject({ ok: false, reason: 'malformed' });
		}
	});

	it('says malformed for a correctly signed payload it cannot read', () => {
		// A signed but garbage payload (as from a newer format version).
		const payload = Buffer.from([9, 0, 1]).toString('base64url');
		const mac = createHmac('sha256', k1.secret).update(`k1.${payload}`).digest().subarray(0, 16).toString('base64url');
		expect(verifyToken(`k1.${payload}.${mac}`, only(k1), { now: NOW })).toMatchObject({ ok: false, reason: 'malformed' });
	});

	it('refuses to sign bad claims or with a bad key', () => {
		expect(() => signToken({ ...typical, dealId: 0 }, k1)).toThrow(/deal ID/);
		expect(() => signToken({ ...typical, dealId: 1.5 }, k1)).toThrow(/deal ID/);
		expect(() => signToken({ ...typical, contactId: -3 }, k1)).toThrow(/contact ID/);
		expect(() => signToken({ ...typical, expiresAt: NOW - 1 }, k1)).toThrow(/expire/);
		expect(() => signToken({ ...typical, kind: '' }, k1)).toThrow(/kind/);
		expect(() => signToken(typical, { id: 'bad id', secret: k1.secret })).toThrow(/key ID/);
		expect(() => signToken(typical, { id: 'k1', secret: 'short' })).toThrow(/shorter/);
		expect(() => signToken({ ...typical, extra: { big: 'x'.repeat(600) } }, k1)).toThrow(/at most 512/);
	});
});

describe('withToken / tokenFromUrl', () => {
	it.each([
		['https://a.example/nps', 'https://a.example/nps?t=T1.a.b'],
		['https://a.example/nps?lang=ru', 'https://a.example/nps?lang=ru&t=T1.a.b'],
		['https://a.example/nps?', 'https://a.example/nps?t=T1.a.b'],
		['https://a.example/nps?t=old&x=1', 'https://a.example/nps?x=1&t=T1.a.b'],
		['https://a.example/nps#top', 'https://a.example/nps?t=T1.a.b#top'],
	])('%s', (base, expected) => {
		expect(withToken(base, 'T1.a.b')).toBe(expected);
		expect(tokenFromUrl(expected)).toBe('T1.a.b');
	});

	it('reads the token from relative URLs and query strings', () => {
		expect(tokenFromUrl('/webhook/nps?x=1&t=k1.abc.def')).toBe('k1.abc.def');
		expect(tokenFromUrl('t=k1.abc.def')).toBe('k1.abc.def');
		expect(tokenFromUrl('https://a.example/nps?t=k1.a%2Eb.c')).toBe('k1.a.b.c');
		expect(tokenFromUrl('https://a.example/nps?at=1&tt=2')).toBeUndefined();
		expect(tokenFromUrl('https://a.example/nps?t=')).toBeUndefined();
		expect(tokenFromUrl('https://a.example/nps?t=%E0%A4%A')).toBe('%E0%A4%A');
		expect(tokenFromUrl('https://a.example/nps')).toBeUndefined();
		expect(tokenFromUrl(undefined as unknown as string)).toBeUndefined();
	});
});

describe('signingKeysFrom', () => {
	it('reads current and previous keys', () => {
		expect(
			signingKeysFrom({
				keyId: ' k3 ',
				secret: `${k1.secret}\n`,
				previousKeys: `k2:${k2.secret}\n\n# retired in March\n  k0 : ${k1.secret}==  \r\n`,
			}),
		).toEqual({
			current: { id: 'k3', secret: k1.secret },
			previous: [
				{ id: 'k2', secret: k2.secret },
				{ id: 'k0', secret: `${k1.secret}==` },
			],
		});
	});

	it('defaults the key ID to k1', () => {
		expect(signingKeysFrom({ secret: k1.secret })).toEqual({ current: k1, previous: [] });
	});

	it.each([
		['empty secret', { secret: '' }, /secret is empty/],
		['short secret', { secret: 'abc123-secret!' }, /too short/],
		['bad key id', { keyId: 'k 1', secret: k1.secret }, /key ID/],
		['duplicate ids', { keyId: 'k1', secret: k1.secret, previousKeys: `k1:${k2.secret}` }, /used twice/],
		['duplicate previous ids', { secret: k1.secret, previousKeys: `k2:${k2.secret}\nk2:${k1.secret}` }, /line 2.*used twice/],
		['no colon', { secret: k1.secret, previousKeys: k2.secret }, /line 1 is not in the form keyId:secret/],
		['short previous', { secret: k1.secret, previousKeys: 'k0:tooShortSecret' }, /line 1 \(key "k0"\).*too short/],
	])('throws a clear error without the secret: %s', (_name, credential, message) => {
		let error: Error | undefined;
		try {
			signingKeysFrom(credential);
		} catch (e) {
			error = e as Error;
		}
		expect(error?.message).toMatch(message);
		for (const secret of [k1.secret, k2.secret, 'abc123-secret!', 'tooShortSecret']) {
			expect(error?.message).not.toContain(secret);
		}
	});

	it('backs the credential test', () => {
		expect(signingCredentialTest({ keyId: 'k2', secret: k2.secret, previousKeys: `k1:${k1.secret}` })).toEqual({
			status: 'OK',
			message: 'Key "k2" signs links; 1 previous key still accepted',
		});
		const failed = signingCredentialTest({ secret: 'abc123-secret!' });
		expect(failed.status).toBe('Error');
		expect(failed.message).not.toContain('abc123-secret!');
	});
});

describe('surveyIdempotencyKey / numericId', () => {
	it('builds short stable keys', () => {
		expect(surveyIdempotencyKey(123456, 'main')).toBe('nps-123456-main');
		expect(surveyIdempotencyKey(123456, 'main')).toBe(surveyIdempotencyKey(123456, 'main'));
		const cyrillic = surveyIdempotencyKey(123456, 'основной опрос');
		expect(cyrillic).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
		expect(cyrillic).not.toBe(surveyIdempotencyKey(123456, 'другой опрос'));
		const long = surveyIdempotencyKey(123456, 'a-very-long-survey-name-that-goes-on-and-on');
		expect(long.length).toBeLessThanOrEqual(40);
		expect(long).not.toBe(surveyIdempotencyKey(123456, 'a-very-long-survey-name-that-goes-on-and-on-2'));
	});

	it('gives a stable integer in 1..2147483647', () => {
		const ids = ['nps-1-main', 'nps-2-main', '', 'ж'].map(numericId);
		for (const id of ids) {
			expect(Number.isInteger(id)).toBe(true);
			expect(id).toBeGreaterThanOrEqual(1);
			expect(id).toBeLessThanOrEqual(2147483647);
		}
		expect(numericId('nps-1-main')).toBe(ids[0]);
		expect(new Set(ids).size).toBe(ids.length);
	});
});
