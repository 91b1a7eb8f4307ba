import {
	categorize,
	combineScores,
	MAX_ANSWER_LENGTH,
	parseScore,
	PRESETS,
	SCALES,
	validateThresholds,
	type ParseResult,
	type Scale,
} from '../../../nodes/shared/survey/score';

const ZERO_TO_TEN: Scale = SCALES['0-10'];
const ONE_TO_TEN: Scale = SCALES['1-10'];

/** Real-looking answers (chat replies, survey fields) in ru/uk/en that give one clear score. */
const READ: Array<[string, number]> = [
	['9', 9],
	[' 9 ', 9],
	['  10\n', 10],
	['0', 0],
	['9/10', 9],
	['9 / 10', 9],
	['10/10', 10],
	['9 из 10', 9],
	['10 из 10', 10],
	['9 з 10', 9],
	['8 із 10', 8],
	['9 of 10', 9],
	['10!', 10],
	['10!!!', 10],
	['5+', 5],
	['Оценка: 8', 8],
	['ставлю 7', 7],
	['на 9', 9],
	['8 баллов', 8],
	['8.0', 8],
	['8,0', 8],
	['9 – отлично', 9],
	['9 - отлично', 9],
	['десять', 10],
	['ДЕСЯТЬ', 10],
	['девять', 9],
	["дев'ять", 9],
	['дев’ять', 9],
	['девʼять', 9],
	['вісім', 8],
	['шість', 6],
	['сім', 7],
	['п’ять', 5],
	['ten', 10],
	['Nine', 9],
	['zero', 0],
	['ноль', 0],
	['нуль', 0],
	['нуль, жахливо', 0],
	['9️⃣', 9],
	['🔟', 10],
	['1️⃣0️⃣', 10],
	['８', 8],
	['１０', 10],
	['10ка', 10],
	['9 (девять)', 9],
	['10, десять!', 10],
	['Всё понравилось, 10', 10],
	['Все отлично, спасибо! 10 баллов', 10],
	['Ставлю 10, всё супер', 10],
	['Менеджер Анна молодец, 10', 10],
	['8/10 долго ждали доставку', 8],
	['Оцениваю на 8 из 10', 8],
	['9 баллов из 10', 9],
	['Из 10 ставлю 9', 9],
	['Десять из десяти!', 10],
	['Ставлю десятку', 10],
	['Ставлю твёрдую восьмёрку', 8],
	['Наверное 7', 7],
	['Семь', 7],
	['Оцінка: 7', 7],
	['Дякую, 9', 9],
	['Ставлю дев’ять з десяти', 9],
	['Nine out of ten', 9],
	['ten out of ten!', 10],
	["I'd give it a 9", 9],
	["I'd give it a nine", 9],
	['My score is 8', 8],
	['Thanks, 9 out of 10', 9],
	['Great service! 10/10', 10],
	['10/10 would recommend', 10],
	['всё хорошо 8', 8],
	['Нашли вас в 2ГИС, ставлю 10', 10],
	['«9»', 9],
	['оценка - 6', 6],
	['деся́ть', 10],
	['10 звёзд из 10', 10],
	['9 stars out of 10', 9],
	['0/10', 0],
];

/** Answers that must not give a score, with what the reason says. */
const REFUSED: Array<[string, RegExp]> = [
	['', /empty/],
	['   ', /empty/],
	['\uFE0F', /empty/],
	['7 или 8', /different numbers \(7, 8\)/],
	['from 5 to 9', /different numbers \(5, 9\)/],
	['от 5 до 9', /different numbers/],
	['9-10', /different numbers \(9, 10\)/],
	['8–9', /different numbers/],
	['9 або 10', /different numbers/],
	['не десять, а 9', /different numbers \(10, 9\)/],
	['Был 2 раза, всё понравилось, 9', /different numbers \(2, 9\)/],
	['9\n10', /different numbers/],
	['11', /11 is outside the 0–10 scale/],
	['-3', /-3 is outside/],
	['100', /100 is outside/],
	['на все 100', /100 is outside/],
	['2026', /outside/],
	['спасибо', /No score/],
	['ok', /No score/],
	['👍', /No score/],
	['⭐⭐⭐⭐⭐', /No score/],
	['Не знаю', /No score/],
	['Нашли вас в 2ГИС', /No score/],
	['7.5', /not a whole number: the score could be 7 or 8/],
	['7,5', /not a whole number/],
	['+7 912 555-01-01', /phone number/],
	['8 (912) 555-01-01', /phone number/],
	['89125550101', /phone number/],
	['12345', /long number/],
	['10.10.2026', /date/],
	['10/10/2026', /date/],
	['2026-10-10', /date/],
	['10:30', /time/],
	['ноль проблем, всё супер', /sentence with a number in words/],
	['one of the best', /No score/],
	['одна из лучших', /No score/],
	['Two thumbs up', /sentence with a number in words/],
	['4/5', /out of 5; this survey uses 0–10/],
	['4 из 5', /out of 5/],
	['1.2.3', /not a score/],
	['5 звёзд', /counts stars/],
	['пять звёзд', /counts stars/],
	['4 stars', /counts stars/],
	['5 звезд из 5', /counts stars|out of 5/],
	['9.5/10', /not a whole number: the score could be 9 or 10/],
	['x'.repeat(MAX_ANSWER_LENGTH + 1), /too long/],
];

describe('parseScore: real answers', () => {
	it.each(READ)('reads %j as %i', (answer, score) => {
		const result = parseScore(answer, ZERO_TO_TEN);
		expect(result).toMatchObject({ ok: true, score });
	});

	it.each(REFUSED)('refuses %j with a reason', (answer, reason) => {
		const result = parseScore(answer, ZERO_TO_TEN);
		expect(result.ok).toBe(false);
		expect((result as { reason: string }).reason).toMatch(reason);
	});

	it('has a table of at least 60 answers', () => {
		expect(READ.length + REFUSED.length).toBeGreaterThanOrEqual(60);
	});

	it('says which part of the answer it read', () => {
		expect(parseScore('9/10', ZERO_TO_TEN)).toEqual({ ok: true, score: 9, matched: '9/10' });
		expect(parseScore('Всё понравилось, 10', ZERO_TO_TEN)).toEqual({ ok: true, score: 10, matched: '10' });
		expect(parseScore('Ставлю 9 баллов из 10', ZERO_TO_TEN)).toEqual({ ok: true, score: 9, matched: '9 баллов из 10' });
		expect(parseScore('Nine out of ten', ZERO_TO_TEN)).toEqual({ ok: true, score: 9, matched: 'nine out of ten' });
		expect(parseScore('дев’ять', ZERO_TO_TEN)).toEqual({ ok: true, score: 9, matched: "дев'ять" });
	});

	it('reads the 1–10 scale: 0 and "ноль" are out of range', () => {
		expect(parseScore('0', ONE_TO_TEN)).toEqual({ ok: false, reason: '0 is outside the 1–10 scale' });
		expect(parseScore('ноль', ONE_TO_TEN)).toEqual({ ok: false, reason: '0 is outside the 1–10 scale' });
		expect(parseScore(0, ONE_TO_TEN).ok).toBe(false);
		expect(parseScore('1', ONE_TO_TEN)).toMatchObject({ ok: true, score: 1 });
		expect(parseScore('10 из 10', ONE_TO_TEN)).toMatchObject({ ok: true, score: 10 });
	});

	it('reads every score on the scale, in digits and in several wordings', () => {
		const wordings = ['{n}', 'Оценка: {n}', 'ставлю {n}', '{n}/10', '{n} из 10', '{n} з 10', '{n} of 10', 'на {n}!', '{n} баллов', 'Всё понравилось, {n}', '{n} 👍'];
		for (const scale of [ZERO_TO_TEN, ONE_TO_TEN]) {
			for (let n = scale.min; n <= scale.max; n++) {
				for (const wording of wordings) expect(parseScore(wording.replace('{n}', String(n)), scale)).toMatchObject({ ok: true, score: n });
			}
		}
	});
});

describe('parseScore: inputs that are not text', () => {
	it.each<[string, unknown, number | undefined]>([
		['a whole number', 9, 9],
		['a number with .0', 8.0, 8],
		['zero', 0, 0],
		['a bigint', 10n, 10],
		['a fraction', 8.5, undefined],
		['NaN', NaN, undefined],
		['Infinity', Infinity, undefined],
		['a negative number', -1, undefined],
		['a number over the scale', 11, undefined],
		['null', null, undefined],
		['undefined', undefined, undefined],
		['true', true, undefined],
		['an object', { score: 9 }, undefined],
		['a list', [9], undefined],
		['a date', new Date(), undefined],
		['a symbol', Symbol('9'), undefined],
		['a function', () => 9, undefined],
	])('%s', (_, input, score) => {
		const result = parseScore(input, ZERO_TO_TEN);
		if (score === undefined) {
			expect(result.ok).toBe(false);
			expect((result as { reason: string }).reason.length).toBeGreaterThan(0);
		} else {
			expect(result).toEqual({ ok: true, score, matched: String(score) });
		}
	});

	it('gives 0, not -0', () => {
		const result = parseScore(-0, ZERO_TO_TEN) as { ok: true; score: number };
		expect(Object.is(result.score, 0)).toBe(true);
	});

	it('does not throw on a hostile object', () => {
		const hostile = new Proxy(
			{},
			{
				getPrototypeOf() {
					throw new Error('boom');
				},
				get() {
					throw new Error('boom');
				},
			},
		);
		expect(parseScore(hostile, ZERO_TO_TEN)).toEqual({ ok: false, reason: expect.any(String) });
	});
});

describe('parseScore: random input never throws and stays in range', () => {
	/** mulberry32: a small seeded PRNG, so a failure reproduces. */
	function prng(seed: number) {
		let a = seed >>> 0;
		return () => {
			a = (a + 0x6d2b79f5) >>> 0;
			let t = a;
			t = Math.imul(t ^ (t >>> 15), t | 1);
			t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
			return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
		};
	}
	const random = prng(20261120);
	const int = (n: number) => Math.floor(random() * n);
	const pick = <T>(list: readonly T[]): T => list[int(list.length)];

	const PIECES = [
		...'0123456789',
		...'абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗ',
		...'іїєґІЇЄҐ',
		...'abcdefghijklmnopqrstuvwxyzXYZ',
		...' \t\n\u00A0./,-–—−:;+()!?«»"\'’ʼ`#*%@/\\',
		'\uFE0F',
		'\u20E3',
		'\u0301',
		'\u200B',
		'🔟',
		'👍',
		'⭐',
		'9️⃣',
		'1️⃣0️⃣',
		'０',
		'９',
		'\uD800',
		'\uDFFF',
		'٩',
		'десять',
		'дев’ять',
		'ноль',
		'nine',
		'one',
		'из',
		'of',
		'out',
		'баллов',
		'ставлю',
		'10',
		'100',
		'7.5',
		'10.10.2026',
		'+7 912 555 01 01',
	];
	/** A random code point anywhere in Unicode (a few land in the surrogate range: lone halves). */
	const anyChar = () => String.fromCodePoint(int(0x10ffff));

	function randomString(): string {
		const roll = random();
		const length = roll < 0.6 ? int(12) : roll < 0.9 ? int(200) : int(MAX_ANSWER_LENGTH);
		let text = '';
		for (let i = 0; i < length; i++) text += random() < 0.8 ? pick(PIECES) : anyChar();
		// Now and then a very long one (a pasted document): repeated, which is cheap to build.
		return random() < 0.03 ? text.repeat(2 + int(200)) + '10' : text;
	}

	function check(result: ParseResult, scale: Scale) {
		if (result.ok) {
			expect(Number.isInteger(result.score)).toBe(true);
			expect(result.score).toBeGreaterThanOrEqual(scale.min);
			expect(result.score).toBeLessThanOrEqual(scale.max);
			expect(typeof result.matched).toBe('string');
		} else {
			expect(typeof result.reason).toBe('string');
			expect(result.reason.length).toBeGreaterThan(0);
		}
	}

	it('10,000 random strings', () => {
		let read = 0;
		const threw: string[] = [];
		for (let i = 0; i < 10_000; i++) {
			const text = randomString();
			const scale = i % 2 === 0 ? ZERO_TO_TEN : ONE_TO_TEN;
			let result: ParseResult;
			try {
				result = parseScore(text, scale);
			} catch {
				threw.push(text.slice(0, 200));
				continue;
			}
			check(result, scale);
			if (result.ok) read++;
		}
		expect(threw).toEqual([]);
		// The generator makes both kinds: some strings give a score, most do not.
		expect(read).toBeGreaterThan(100);
		expect(read).toBeLessThan(10_000);
	});

	it('random values of other types', () => {
		const makers: Array<() => unknown> = [
			() => random() * 40 - 20,
			() => int(30) - 10,
			() => pick([NaN, Infinity, -Infinity, -0, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, 1e308]),
			() => BigInt(int(1000) - 500),
			() => random() < 0.5,
			() => null,
			() => undefined,
			() => ({ score: int(11) }),
			() => [int(11), randomString()],
			() => new Date(int(2 ** 40)),
			() => Symbol(randomString()),
			() => () => int(11),
			() => new Map([[1, 2]]),
			() => Object.create(null),
		];
		for (let i = 0; i < 2_000; i++) {
			const scale = i % 2 === 0 ? ZERO_TO_TEN : ONE_TO_TEN;
			check(parseScore(pick(makers)(), scale), scale);
		}
	});
});

describe('combineScores', () => {
	it.each<[number[], number, number, number]>([
		// scores, half-up, floor, none
		[[9, 8], 9, 8, 8.5],
		[[6, 7], 7, 6, 6.5],
		[[9, 9, 8], 9, 8, 26 / 3],
		[[7, 8, 8], 8, 7, 23 / 3],
		[[8, 8, 9], 8, 8, 25 / 3],
		[[10], 10, 10, 10],
		[[0, 1], 1, 0, 0.5],
		[[10, 10, 10, 9], 10, 9, 9.75],
	])('%j → half up %d, floor %d, none %d', (scores, halfUp, floor, none) => {
		expect(combineScores(scores, 'half-up')).toBe(halfUp);
		expect(combineScores(scores, 'floor')).toBe(floor);
		expect(combineScores(scores, 'none')).toBeCloseTo(none, 10);
	});

	it('rounds half up by default', () => {
		expect(combineScores([8, 9])).toBe(9);
	});

	it('is not tipped by floating-point noise', () => {
		// 0.1 + 0.2 style noise just under a half or a whole number.
		expect(combineScores([8.5 - 1e-12], 'half-up')).toBe(9);
		expect(combineScores([9 - 1e-12], 'floor')).toBe(9);
	});

	it('refuses an empty list', () => {
		expect(() => combineScores([], 'half-up')).toThrow('No scores to combine');
	});
});

describe('categorize and presets', () => {
	/** Scores 0..10 as letters: D detractor, P passive, R promoter. */
	const bands = (t: { promoterFrom: number; detractorTo: number }) =>
		Array.from({ length: 11 }, (_, score) => ({ detractor: 'D', passive: 'P', promoter: 'R' })[categorize(score, t)]).join('');

	it('standard NPS: 0–6 detractor, 7–8 passive, 9–10 promoter', () => {
		expect(bands(PRESETS.standard)).toBe('DDDDDDDPPRR');
		expect(bands(PRESETS.reviewAt9)).toBe('DDDDDDDDDRR');
		expect(bands(PRESETS.reviewAt8)).toBe('DDDDDDDDRRR');
		expect(bands({ promoterFrom: 10, detractorTo: 5 })).toBe('DDDDDDPPPPR');
	});

	it('two-way presets have no passives', () => {
		for (const preset of [PRESETS.reviewAt9, PRESETS.reviewAt8]) {
			for (let score = 0; score <= 10; score += 0.25) expect(categorize(score, preset)).not.toBe('passive');
		}
		expect([7, 8, 9].map((s) => categorize(s, PRESETS.reviewAt9))).toEqual(['detractor', 'detractor', 'promoter']);
		expect([7, 8, 9].map((s) => categorize(s, PRESETS.reviewAt8))).toEqual(['detractor', 'promoter', 'promoter']);
	});

	it('puts a fractional average in half-open bands', () => {
		expect(categorize(6.5, PRESETS.standard)).toBe('detractor');
		expect(categorize(7, PRESETS.standard)).toBe('passive');
		expect(categorize(8.5, PRESETS.standard)).toBe('passive');
		expect(categorize(8.99, PRESETS.standard)).toBe('passive');
		expect(categorize(8.5, PRESETS.reviewAt9)).toBe('detractor');
		expect(categorize(7.5, PRESETS.reviewAt8)).toBe('detractor');
	});

	it('has the presets the flow needs', () => {
		expect(PRESETS).toEqual({
			standard: { promoterFrom: 9, detractorTo: 6 },
			reviewAt9: { promoterFrom: 9, detractorTo: 8 },
			reviewAt8: { promoterFrom: 8, detractorTo: 7 },
		});
	});
});

describe('validateThresholds', () => {
	it('accepts every preset on both scales', () => {
		for (const preset of Object.values(PRESETS)) {
			expect(validateThresholds(preset, ZERO_TO_TEN)).toBeUndefined();
			expect(validateThresholds(preset, ONE_TO_TEN)).toBeUndefined();
		}
		expect(validateThresholds({ promoterFrom: 10, detractorTo: 0 }, ZERO_TO_TEN)).toBeUndefined();
		expect(validateThresholds({ promoterFrom: 2, detractorTo: 1 }, ONE_TO_TEN)).toBeUndefined();
	});

	it.each<[number, number, Scale, string]>([
		[11, 6, ZERO_TO_TEN, 'Promoter From must be from 1 to 10 on the 0–10 scale (got 11)'],
		[0, -1, ZERO_TO_TEN, 'Promoter From must be from 1 to 10 on the 0–10 scale (got 0)'],
		[1, 0, ONE_TO_TEN, 'Promoter From must be from 2 to 10 on the 1–10 scale (got 1)'],
		[9, -1, ZERO_TO_TEN, 'Detractor Up To must be from 0 to 9 on the 0–10 scale (got -1)'],
		[9, 0, ONE_TO_TEN, 'Detractor Up To must be from 1 to 9 on the 1–10 scale (got 0)'],
		[9, 10, ZERO_TO_TEN, 'Detractor Up To must be from 0 to 9 on the 0–10 scale (got 10)'],
		[8, 8, ZERO_TO_TEN, 'Detractor Up To (8) must be below Promoter From (8); for no passives use Detractor Up To = 7'],
		[7, 8, ZERO_TO_TEN, 'Detractor Up To (8) must be below Promoter From (7); for no passives use Detractor Up To = 6'],
		[8.5, 6, ZERO_TO_TEN, 'Promoter From must be a whole number (got 8.5)'],
		[9, NaN, ZERO_TO_TEN, 'Detractor Up To must be a whole number (got NaN)'],
	])('promoterFrom %d, detractorTo %d: says what is wrong', (promoterFrom, detractorTo, scale, message) => {
		expect(validateThresholds({ promoterFrom, detractorTo }, scale)).toBe(message);
	});
});
