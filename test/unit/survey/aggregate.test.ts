/**
 * NPS aggregation: the math against hand-computed cases and a simulation, periods in time zones,
 * groups, comparisons, skipped answers and streaming 200,000 answers.
 */

import { DateTime } from 'luxon';

import {
	aggregate,
	npsStats,
	NpsAccumulator,
	periodOf,
	previousPeriod,
	type AggregateOptions,
	type AggregateResult,
	type AnswerInput,
	type GroupStats,
} from '../../../nodes/shared/survey/aggregate';

const OPTIONS: AggregateOptions = {
	groupBy: [],
	period: 'none',
	timeZone: 'Europe/Moscow',
	scale: { min: 0, max: 10 },
	promoterFrom: 9,
	detractorTo: 6,
	thinSample: 30,
};

function options(overrides: Partial<AggregateOptions> = {}): AggregateOptions {
	return { ...OPTIONS, ...overrides };
}

function answers(scores: unknown[], fields: Record<string, unknown> = {}, at?: unknown): AnswerInput[] {
	return scores.map((score) => ({ score, at, fields }));
}

/** Every number anywhere in a value (to prove there is no NaN / Infinity). */
function numbersIn(value: unknown, out: number[] = []): number[] {
	if (typeof value === 'number') out.push(value);
	else if (Array.isArray(value)) for (const item of value) numbersIn(item, out);
	else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) numbersIn(item, out);
	return out;
}

/** Seeded PRNG (mulberry32): the simulation gives the same numbers on every run. */
function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function find(result: AggregateResult, key: string): GroupStats {
	const found = result.groups.find((group) => group.key === key);
	if (!found) throw new Error(`No group ${key}; have ${result.groups.map((g) => g.key).join(', ')}`);
	return found;
}

describe('npsStats and hand-computed cases', () => {
	it('all promoters: NPS 100, SE 0', () => {
		const { total } = aggregate(answers([9, 10, 10, 9, 10]), options());
		expect(total).toMatchObject({ n: 5, promoters: 5, passives: 0, detractors: 0, nps: 100, standardError: 0, margin95: 0 });
		expect(total.promoterShare).toBe(1);
		expect(total.distribution).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3]);
		expect(total.mean).toBeCloseTo(9.6, 12);
	});

	it('all detractors: NPS −100, SE 0', () => {
		const { total } = aggregate(answers([0, 3, 6, 6]), options());
		expect(total).toMatchObject({ n: 4, detractors: 4, nps: -100, standardError: 0, margin95: 0, detractorShare: 1 });
		expect(total.mean).toBe(3.75);
	});

	it('all passives: NPS 0, SE 0', () => {
		const { total } = aggregate(answers([7, 8, 8]), options());
		expect(total).toMatchObject({ n: 3, passives: 3, nps: 0, standardError: 0, passiveShare: 1 });
		expect(Object.is(total.nps, -0)).toBe(false);
	});

	it('n = 1: NPS ±100 and SE 0 (one answer has no spread; `thin` warns)', () => {
		expect(npsStats({ promoters: 1, passives: 0, detractors: 0 })).toEqual({ nps: 100, standardError: 0, margin95: 0 });
		expect(npsStats({ promoters: 0, passives: 1, detractors: 0 })).toEqual({ nps: 0, standardError: 0, margin95: 0 });
		expect(npsStats({ promoters: 0, passives: 0, detractors: 1 })).toEqual({ nps: -100, standardError: 0, margin95: 0 });
		const { total } = aggregate(answers([10]), options());
		expect(total).toMatchObject({ n: 1, nps: 100, standardError: 0, thin: true, mean: 10 });
	});

	it('empty input: total n 0, no groups, no NaN anywhere', () => {
		expect(npsStats({ promoters: 0, passives: 0, detractors: 0 })).toEqual({ nps: 0, standardError: 0, margin95: 0 });
		for (const period of ['none', 'month'] as const) {
			const result = aggregate([], options({ period, groupBy: ['city'], surveysSent: { '*': 10 } }));
			expect(result.total).toMatchObject({ key: '*', n: 0, nps: 0, standardError: 0, mean: 0, thin: true, responseRate: 0 });
			expect(result.groups).toEqual([]);
			expect(result.totalsByPeriod).toEqual([]);
			expect(result.skipped).toEqual({ count: 0, reasons: {} });
			expect(numbersIn(result).every(Number.isFinite)).toBe(true);
		}
	});

	it('mixed: 5 promoters, 3 passives, 2 detractors', () => {
		// p = 0.5, d = 0.2 → NPS = 100·(0.5 − 0.2) = 30.
		// Variance of the ±1/0 variable = p + d − (p − d)² = 0.5 + 0.2 − 0.09 = 0.61.
		// SE = sqrt(0.61 / 10)·100 = sqrt(0.061)·100 = 24.6981780704569…; margin = 1.96·SE = 48.4084290180955…
		// Mean = (10+10+9+9+9 + 8+7+7 + 3+0) / 10 = 72 / 10 = 7.2.
		const { total } = aggregate(answers([10, 10, 9, 9, 9, 8, 7, 7, 3, 0]), options());
		expect(total.nps).toBe(30);
		expect(total.standardError).toBeCloseTo(24.698178070456933, 10);
		expect(total.margin95).toBeCloseTo(48.40842901809559, 10);
		expect(total.mean).toBeCloseTo(7.2, 12);
		expect(total).toMatchObject({ promoterShare: 0.5, passiveShare: 0.3, detractorShare: 0.2, thin: true });
		expect(total.distribution).toEqual([1, 0, 0, 1, 0, 0, 0, 2, 1, 3, 2]);
	});

	it('the reference example: p .50, d .20, n 400 → SE ≈ 3.9, margin ≈ ±7.7', () => {
		const stats = npsStats({ promoters: 200, passives: 120, detractors: 80 });
		expect(stats.nps).toBe(30);
		expect(stats.standardError).toBeCloseTo(100 * Math.sqrt(0.61 / 400), 10);
		expect(stats.margin95).toBeCloseTo(7.65, 1);
		// Worst case p = d = .5: SE = 100/√n.
		expect(npsStats({ promoters: 50, passives: 0, detractors: 50 }).standardError).toBeCloseTo(10, 10);
	});

	it('the SE formula matches a simulation (2,000 samples of n = 200, seeded)', () => {
		const p = 0.45;
		const d = 0.2;
		const random = mulberry32(20261122);
		const samples = 2000;
		const n = 200;
		const values: number[] = [];
		let estimatedSe = 0;
		for (let s = 0; s < samples; s++) {
			const counts = { promoters: 0, passives: 0, detractors: 0 };
			for (let i = 0; i < n; i++) {
				const u = random();
				if (u < p) counts.promoters++;
				else if (u < p + d) counts.detractors++;
				else counts.passives++;
			}
			const stats = npsStats(counts);
			values.push(stats.nps);
			estimatedSe += stats.standardError / samples;
		}
		const mean = values.reduce((a, b) => a + b, 0) / samples;
		const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (samples - 1));
		const formula = 100 * Math.sqrt((p + d - (p - d) ** 2) / n); // 5.6789…
		expect(Math.abs(mean - 100 * (p - d))).toBeLessThan(0.5);
		expect(Math.abs(sd / formula - 1)).toBeLessThan(0.05);
		expect(Math.abs(estimatedSe / formula - 1)).toBeLessThan(0.05);
	});

	it('reads text scores with parseScore and honours two-way thresholds and the 1–10 scale', () => {
		const { total } = aggregate(answers(['9', 'Оценка: 10', ' 7 ', '8 из 10', '6']), options());
		expect(total).toMatchObject({ n: 5, promoters: 2, passives: 2, detractors: 1 });
		const twoWay = aggregate(answers([9, 8, 7, 10]), options({ promoterFrom: 9, detractorTo: 8 })).total;
		expect(twoWay).toMatchObject({ promoters: 2, passives: 0, detractors: 2, nps: 0 });
		const oneToTen = aggregate(answers([1, 10, 0]), options({ scale: { min: 1, max: 10 } }));
		expect(oneToTen.total.distribution).toHaveLength(10);
		expect(oneToTen.total.distribution[0]).toBe(1);
		expect(oneToTen.skipped.reasons).toEqual({ 'score out of range': 1 });
	});

	it('refuses options that make no sense', () => {
		expect(() => new NpsAccumulator(options({ promoterFrom: 6, detractorTo: 6 }))).toThrow(RangeError);
		expect(() => new NpsAccumulator(options({ period: 'year' as never }))).toThrow(/Unknown period/);
		expect(() => new NpsAccumulator(options({ period: 'month', timeZone: 'Mars/Olympus' }))).toThrow(/time zone/i);
		expect(() => new NpsAccumulator(options({ scale: { min: 0, max: 0 as never } }))).toThrow(RangeError);
		// The zone is not read without periods; empty zone → UTC.
		expect(() => new NpsAccumulator(options({ timeZone: 'Mars/Olympus' }))).not.toThrow();
		expect(periodOf('2026-11-30T23:30:00Z', 'month', '')).toBe('2026-11');
	});
});

describe('periods', () => {
	it('ISO weeks around the new year', () => {
		// 2026-01-01 is a Thursday, so 2026 has 53 ISO weeks; the week of Thu 2026-12-31 runs Mon 12-28 … Sun 2027-01-03.
		expect(periodOf('2026-12-28', 'isoWeek', 'UTC')).toBe('2026-W53');
		expect(periodOf('2026-12-31T12:00:00Z', 'isoWeek', 'UTC')).toBe('2026-W53');
		expect(periodOf('2027-01-01T12:00:00Z', 'isoWeek', 'UTC')).toBe('2026-W53');
		expect(periodOf('2027-01-03', 'isoWeek', 'UTC')).toBe('2026-W53');
		expect(periodOf('2027-01-04', 'isoWeek', 'UTC')).toBe('2027-W01');
		// Mon 2024-12-30 already belongs to 2025-W01; Sun 2021-01-03 to 2020-W53.
		expect(periodOf('2024-12-30', 'isoWeek', 'UTC')).toBe('2025-W01');
		expect(periodOf('2021-01-03', 'isoWeek', 'UTC')).toBe('2020-W53');
		expect(periodOf('2026-11-22', 'isoWeek', 'UTC')).toBe('2026-W47');
		// Sunday 23:30 UTC is Monday in Moscow: the next week.
		expect(periodOf('2026-11-22T23:30:00Z', 'isoWeek', 'Europe/Moscow')).toBe('2026-W48');
	});

	it('month, quarter and day at a time zone boundary', () => {
		// 23:30 UTC on 30 November is 02:30 on 1 December in Moscow (UTC+3).
		expect(periodOf('2026-11-30T23:30:00Z', 'month', 'UTC')).toBe('2026-11');
		expect(periodOf('2026-11-30T23:30:00Z', 'month', 'Europe/Moscow')).toBe('2026-12');
		expect(periodOf('2026-11-30T23:30:00Z', 'day', 'Europe/Moscow')).toBe('2026-12-01');
		expect(periodOf('2026-12-31T21:30:00Z', 'quarter', 'Europe/Moscow')).toBe('2027-Q1');
		expect(periodOf('2026-12-31T20:30:00Z', 'quarter', 'Europe/Moscow')).toBe('2026-Q4');
		expect(periodOf('2026-09-30T21:00:00Z', 'quarter', 'Europe/Moscow')).toBe('2026-Q4');
		// West of UTC the other way: 02:00 UTC on 1 December is still November in New York.
		expect(periodOf('2026-12-01T02:00:00Z', 'month', 'America/New_York')).toBe('2026-11');
		// The same instant as epoch ms, Date, luxon DateTime and text with another offset.
		const ms = Date.UTC(2026, 10, 30, 23, 30);
		expect(periodOf(ms, 'month', 'Europe/Moscow')).toBe('2026-12');
		expect(periodOf(new Date(ms), 'month', 'Europe/Moscow')).toBe('2026-12');
		expect(periodOf(DateTime.fromMillis(ms), 'month', 'Europe/Moscow')).toBe('2026-12');
		expect(periodOf('2026-12-01T08:30:00+09:00', 'month', 'Europe/Moscow')).toBe('2026-12');
		expect(periodOf('2026-11-30 23:30:00.000+00', 'day', 'Europe/Moscow')).toBe('2026-12-01');
		// City names and offsets are accepted as zones (timeZoneFor).
		expect(periodOf(ms, 'day', 'Москва')).toBe('2026-12-01');
		expect(periodOf(ms, 'day', 'UTC+3')).toBe('2026-12-01');
		expect(periodOf(ms, 'day', 'UTC-1')).toBe('2026-11-30');
	});

	it('text without an offset is local time in the zone', () => {
		expect(periodOf('2026-11-30T23:30:00', 'month', 'Asia/Vladivostok')).toBe('2026-11');
		expect(periodOf('2026-11-30 23:30', 'day', 'Europe/Moscow')).toBe('2026-11-30');
		expect(periodOf('30.11.2026 23:30', 'day', 'Europe/Moscow')).toBe('2026-11-30');
		expect(periodOf('2026-12-01', 'month', 'America/New_York')).toBe('2026-12');
		// Rarer formats go through luxon.
		expect(periodOf('2026-W47-1', 'day', 'UTC')).toBe('2026-11-16');
		expect(periodOf('Mon, 30 Nov 2026 23:30:00 +0000', 'day', 'Europe/Moscow')).toBe('2026-12-01');
	});

	it('unreadable times are undefined; period none is empty', () => {
		for (const bad of ['garbage', '', '2026-02-30', '2026-13-01', '31.02.2026', NaN, Infinity, 1e20, new Date('x'), {}, [], true, null, undefined]) {
			expect(periodOf(bad, 'day', 'UTC')).toBeUndefined();
		}
		expect(periodOf('garbage', 'none', 'UTC')).toBe('');
		expect(() => periodOf(0, 'week' as never, 'UTC')).toThrow(/Unknown period/);
	});

	it('agrees with luxon on random instants and at DST changes, in tricky zones', () => {
		const zones = ['Europe/Moscow', 'Europe/Berlin', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Africa/Casablanca', 'America/St_Johns', 'Pacific/Chatham', 'Asia/Vladivostok'];
		const random = mulberry32(7);
		const start = Date.UTC(2000, 0, 1);
		const span = Date.UTC(2031, 0, 1) - start;
		for (const zone of zones) {
			const instants: number[] = [];
			for (let i = 0; i < 400; i++) instants.push(start + Math.floor(random() * span));
			// Around each offset change in 2011–2026 (found week by week, then bisected with luxon to the ms):
			// the last ms before and the first ms after.
			const offsetAt = (t: number) => DateTime.fromMillis(t, { zone }).offset;
			const week = 7 * 86_400_000;
			for (let t = Date.UTC(2011, 0, 1); t < Date.UTC(2027, 0, 1); t += week) {
				if (offsetAt(t) === offsetAt(t + week)) continue;
				let low = t;
				let high = t + week;
				while (high - low > 1) {
					const middle = Math.floor((low + high) / 2);
					if (offsetAt(middle) === offsetAt(t)) low = middle;
					else high = middle;
				}
				instants.push(high - 1, high, high + 1, high + 30 * 60_000, high - 30 * 60_000);
			}
			for (const ms of instants) {
				const local = DateTime.fromMillis(ms, { zone });
				expect([zone, ms, periodOf(ms, 'day', zone)]).toEqual([zone, ms, local.toFormat('yyyy-MM-dd')]);
				expect(periodOf(ms, 'isoWeek', zone)).toBe(local.toFormat("kkkk-'W'WW"));
				expect(periodOf(ms, 'quarter', zone)).toBe(local.toFormat("yyyy-'Q'q"));
			}
		}
	});

	it('previousPeriod for every period type, across year boundaries', () => {
		expect(previousPeriod('2026-11-22', 'day')).toBe('2026-11-21');
		expect(previousPeriod('2027-01-01', 'day')).toBe('2026-12-31');
		expect(previousPeriod('2024-03-01', 'day')).toBe('2024-02-29');
		expect(previousPeriod('2026-03-01', 'day')).toBe('2026-02-28');
		expect(previousPeriod('2026-W47', 'isoWeek')).toBe('2026-W46');
		expect(previousPeriod('2027-W01', 'isoWeek')).toBe('2026-W53');
		expect(previousPeriod('2026-W01', 'isoWeek')).toBe('2025-W52');
		expect(previousPeriod('2021-W01', 'isoWeek')).toBe('2020-W53');
		expect(previousPeriod('2026-11', 'month')).toBe('2026-10');
		expect(previousPeriod('2027-01', 'month')).toBe('2026-12');
		expect(previousPeriod('2026-Q4', 'quarter')).toBe('2026-Q3');
		expect(previousPeriod('2027-Q1', 'quarter')).toBe('2026-Q4');
		expect(previousPeriod('anything', 'none')).toBe('');
		for (const [label, period] of [
			['2026-13', 'month'],
			['2026-11', 'day'],
			['2025-W53', 'isoWeek'],
			['2026-Q5', 'quarter'],
			['2026-02-29', 'day'],
		] as const) {
			expect(() => previousPeriod(label, period)).toThrow(RangeError);
		}
	});
});

describe('groups and comparisons', () => {
	const at = '2026-11-10T12:00:00+03:00';

	it('groups by two fields with dot paths, sorted, with stable keys', () => {
		const input: AnswerInput[] = [
			...answers([10, 9], { branch: { name: 'Казань' }, employee: 'Анна' }, at),
			...answers([3], { branch: { name: 'Казань' }, employee: 'Борис' }, at),
			...answers([8], { branch: { name: 'Астрахань ' }, employee: 'Анна' }, '2026-10-05T12:00:00+03:00'),
			...answers([7], { 'branch.name': 'Flat', employee: 5 }, at),
			...answers([6], {}, at),
		];
		const result = aggregate(input, options({ groupBy: ['branch.name', 'employee'], period: 'month' }));
		expect(result.groups.map((g) => g.key)).toEqual([
			' |  @ 2026-11',
			'Астрахань | Анна @ 2026-10',
			'Казань | Анна @ 2026-11',
			'Казань | Борис @ 2026-11',
			'Flat | 5 @ 2026-11', // Russian collation: Cyrillic before Latin
		]);
		const anna = find(result, 'Казань | Анна @ 2026-11');
		expect(anna).toMatchObject({ group: { 'branch.name': 'Казань', employee: 'Анна' }, period: '2026-11', n: 2, nps: 100 });
		expect(find(result, ' |  @ 2026-11').group).toEqual({ 'branch.name': '', employee: '' });
		expect(result.totalsByPeriod.map((t) => [t.key, t.period, t.n])).toEqual([
			['2026-10', '2026-10', 1],
			['2026-11', '2026-11', 5],
		]);
		expect(result.total).toMatchObject({ key: '*', n: 6, group: {} });
		expect(result.total.period).toBeUndefined();
		expect('period' in result.total).toBe(false);
		// Without periods the key is the values alone; without groupBy it is the period label.
		const byCity = aggregate(answers([9], { city: 'Казань' }), options({ groupBy: ['$json.city'] }));
		expect(byCity.groups.map((g) => [g.key, g.group, g.period])).toEqual([['Казань', { '$json.city': 'Казань' }, undefined]]);
		const byMonth = aggregate(answers([9], {}, at), options({ period: 'month' }));
		expect(byMonth.groups.map((g) => [g.key, g.group])).toEqual([['2026-11', {}]]);
		const arrays = aggregate(answers([9], { tags: ['a', 'b'], items: [{ name: 'x' }] }), options({ groupBy: ['tags', 'items[0].name'] }));
		expect(arrays.groups[0].key).toBe('a, b | x');
	});

	it('vsPrevious: the calendar-previous period of the same group, absent across a gap', () => {
		const group = { city: 'Казань' };
		const input = [
			...answers([10, 10, 9, 3], group, '2026-09-10T12:00:00Z'),
			// October: only another group; Казань has no answers, so Казань's November has no vsPrevious.
			...answers([9], { city: 'Омск' }, '2026-10-10T12:00:00Z'),
			...answers([10, 3], group, '2026-11-10T12:00:00Z'),
			...answers([10, 7, 7, 6], group, '2026-12-10T12:00:00Z'),
		];
		const result = aggregate(input, options({ groupBy: ['city'], period: 'month' }));
		expect(find(result, 'Казань @ 2026-09').vsPrevious).toBeUndefined();
		expect(find(result, 'Казань @ 2026-11').vsPrevious).toBeUndefined();
		const december = find(result, 'Казань @ 2026-12');
		const november = find(result, 'Казань @ 2026-11');
		// December: 1 P, 2 passives, 1 D → NPS 0, SE = 100·sqrt((0.5 − 0)/4) = 35.355…
		// November: 1 P, 1 D → NPS 0, SE = 100·sqrt((1 − 0)/2) = 70.710…
		expect(december.nps).toBe(0);
		expect(december.standardError).toBeCloseTo(35.35533905932738, 10);
		expect(december.vsPrevious?.period).toBe('2026-11');
		expect(december.vsPrevious?.difference).toBe(0);
		expect(december.vsPrevious?.standardError).toBeCloseTo(Math.hypot(december.standardError, november.standardError), 10);
		expect(december.vsPrevious?.significant).toBe(false);
		// Period totals compare with the previous period's total (October exists there).
		expect(result.totalsByPeriod.find((t) => t.period === '2026-11')?.vsPrevious?.period).toBe('2026-10');
		expect(result.totalsByPeriod[0].vsPrevious).toBeUndefined();
	});

	it('vsTotal: significant for a clearly better branch, not for an average one', () => {
		// Per period total: A = 300 P, 100 passives, 0 D (NPS 75); B = 100 P, 100 passives, 200 D (NPS −25);
		// C = 20 P, 10 passives, 10 D (NPS 25, n 40).
		const input = [
			...answers([...Array(300).fill(10), ...Array(100).fill(8)], { b: 'A' }, '2026-11-10T12:00:00Z'),
			...answers([...Array(100).fill(9), ...Array(100).fill(7), ...Array(200).fill(2)], { b: 'B' }, '2026-11-11T12:00:00Z'),
			...answers([...Array(20).fill(9), ...Array(10).fill(7), ...Array(10).fill(2)], { b: 'C' }, '2026-11-12T12:00:00Z'),
		];
		const result = aggregate(input, options({ groupBy: ['b'], period: 'month' }));
		const month = result.totalsByPeriod[0];
		// Total: 420 P, 210 passives, 210 D of 840 → NPS = 100·210/840 = 25.
		expect(month).toMatchObject({ n: 840, nps: 25 });
		const a = find(result, 'A @ 2026-11');
		const c = find(result, 'C @ 2026-11');
		expect(a.vsTotal?.difference).toBe(50);
		expect(a.vsTotal?.significant).toBe(true);
		expect(c.vsTotal?.difference).toBe(0);
		expect(c.vsTotal?.significant).toBe(false);
		// The group is part of the total: A − total = (1 − f)·(A − rest), f = n_A / n_total = 400/840, and A and
		// the rest are independent, so SE_diff = (1 − f)·sqrt(SE_A² + SE_rest²).
		// SE_A = 100·sqrt((0.75 − 0.5625)/400) = 2.1650…; rest = 120 P, 110 passives, 210 D of 440 (NPS −20.45…).
		const f = 400 / 840;
		const rest = npsStats({ promoters: 120, passives: 110, detractors: 210 });
		expect(a.standardError).toBeCloseTo(100 * Math.sqrt((0.75 - 0.5625) / 400), 10);
		const expected = (1 - f) * Math.hypot(a.standardError, rest.standardError);
		expect(a.vsTotal?.standardError).toBeCloseTo(expected, 10);
		expect(a.vsTotal?.difference).toBeCloseTo((1 - f) * (a.nps - rest.nps), 10);
		// Smaller than the naive independent formula, which would count the group twice.
		expect(a.vsTotal!.standardError).toBeLessThan(Math.hypot(a.standardError, month.standardError));
		// Without periods the comparison is with the overall total; a group that is everything differs by 0.
		const single = aggregate(answers([10, 3, 8], { b: 'only' }), options({ groupBy: ['b'] }));
		expect(single.groups[0].vsTotal).toEqual({ difference: 0, standardError: 0, significant: false });
	});

	it('response rate from surveys sent per key, per period total and "*"', () => {
		const input = [...answers([10, 9, 3], { city: 'Казань' }, '2026-11-10T12:00:00Z'), ...answers([8], { city: 'Омск' }, '2026-11-10T12:00:00Z')];
		const result = aggregate(
			input,
			options({ groupBy: ['city'], period: 'month', surveysSent: { 'Казань @ 2026-11': 12, '2026-11': 40, '*': 50, 'Омск @ 2026-11': 0 } }),
		);
		expect(find(result, 'Казань @ 2026-11').responseRate).toBe(0.25);
		expect(find(result, 'Омск @ 2026-11').responseRate).toBeUndefined();
		expect(result.totalsByPeriod[0].responseRate).toBe(0.1);
		expect(result.total.responseRate).toBe(0.08);
		expect(aggregate(input, options()).total.responseRate).toBeUndefined();
	});

	it('counts every skipped answer with a reason', () => {
		const input: unknown[] = [
			{ score: null, at: '2026-11-10', fields: {} },
			{ score: '', at: '2026-11-10', fields: {} },
			{ fields: {} },
			{ score: 11, at: '2026-11-10', fields: {} },
			{ score: '11', at: '2026-11-10', fields: {} },
			{ score: 7.5, at: '2026-11-10', fields: {} },
			{ score: 'hello', at: '2026-11-10', fields: {} },
			{ score: 'hello', at: '2026-11-10', fields: {} },
			{ score: 9, fields: {} },
			{ score: 9, at: '', fields: {} },
			{ score: 9, at: 'next tuesday', fields: {} },
			null,
			{ score: 9, at: '2026-11-10', fields: null },
		];
		const result = aggregate(input as AnswerInput[], options({ period: 'month', groupBy: ['city'] }));
		expect(result.skipped).toEqual({
			count: 12,
			reasons: {
				'no score': 3,
				'score out of range': 2,
				'score not whole': 1,
				'score not readable': 2,
				'no time': 2,
				'time not readable': 1,
				'not an answer': 1,
			},
		});
		expect(result.total.n).toBe(1);
		expect(result.groups.map((g) => g.key)).toEqual([' @ 2026-11']);
		// Without periods the time is not needed.
		expect(aggregate([{ score: 9, fields: {} }], options()).skipped.count).toBe(0);
	});

	it('result() can be read while adding', () => {
		const accumulator = new NpsAccumulator(options({ groupBy: ['c'] }));
		accumulator.add({ score: 10, fields: { c: 'x' } });
		expect(accumulator.result().total.n).toBe(1);
		accumulator.add({ score: 0, fields: { c: 'x' } });
		const result = accumulator.result();
		expect(result.total).toMatchObject({ n: 2, nps: 0 });
		expect(result.groups).toHaveLength(1);
		expect(accumulator.groupCount).toBe(1);
	});
});

describe('streaming', () => {
	/** How many array elements and map entries an object graph holds (a per-answer list would show). */
	function heldEntries(root: unknown): number {
		const seen = new Set<unknown>();
		let entries = 0;
		const visit = (value: unknown) => {
			if (value === null || typeof value !== 'object' || seen.has(value)) return;
			seen.add(value);
			if (Array.isArray(value)) {
				entries += value.length;
				value.forEach(visit);
			} else if (value instanceof Map) {
				entries += value.size;
				for (const [key, item] of value) {
					visit(key);
					visit(item);
				}
			} else if (value instanceof Set) {
				entries += value.size;
				value.forEach(visit);
			} else {
				for (const key of Object.getOwnPropertyNames(value)) visit((value as Record<string, unknown>)[key]);
			}
		};
		visit(root);
		return entries;
	}

	it('200,000 answers in 3 groups: bounded memory, quick', () => {
		const branches = [{ branch: { name: 'Казань' } }, { branch: { name: 'Омск' } }, { branch: { name: 'Тверь' } }];
		// Times inside November 2026 (Moscow), as Bitrix24 writes them: ISO text with an offset.
		const times = Array.from({ length: 1000 }, (_, i) => {
			const ms = Date.UTC(2026, 10, 1, 0, 0) + i * 2_500_000;
			return DateTime.fromMillis(ms, { zone: 'Europe/Moscow' }).toISO()!;
		});
		const accumulator = new NpsAccumulator(options({ groupBy: ['branch.name'], period: 'month' }));
		const total = 200_000;
		const started = performance.now();
		for (let i = 0; i < total; i++) {
			accumulator.add({ score: i % 11, at: times[i % 1000], fields: branches[i % 3] });
		}
		const result = accumulator.result();
		const elapsed = performance.now() - started;
		// Epoch ms spread over a year, for comparison (36 cells).
		const spread = new NpsAccumulator(options({ groupBy: ['branch.name'], period: 'isoWeek' }));
		const spreadStarted = performance.now();
		for (let i = 0; i < total; i++) spread.add({ score: String(i % 11), at: Date.UTC(2026, 0, 1) + i * 157_000, fields: branches[i % 3] });
		const spreadResult = spread.result();
		const spreadElapsed = performance.now() - spreadStarted;
		// eslint-disable-next-line no-console
		console.log(
			`200,000 answers: ${elapsed.toFixed(0)} ms (ISO text times, month, 3 groups); ` +
				`${spreadElapsed.toFixed(0)} ms (epoch ms over a year, text scores, ISO weeks, ${spread.groupCount} cells)`,
		);

		expect(result.total.n).toBe(total);
		expect(result.skipped.count).toBe(0);
		expect(result.groups.map((g) => g.key)).toEqual(['Казань @ 2026-11', 'Омск @ 2026-11', 'Тверь @ 2026-11']);
		expect(accumulator.groupCount).toBe(3);
		expect(heldEntries(accumulator)).toBeLessThan(2000);
		expect(spreadResult.total.n).toBe(total);
		expect(heldEntries(spread)).toBeLessThan(5000);
		// Scores cycle 0…10: 9–10 promote, 7–8 are passive, 0–6 detract; 200,000 = 18,181 × 11 + 9 (scores 0–8 once more).
		expect(result.total).toMatchObject({ promoters: 2 * 18_181, passives: 2 * 18_182, detractors: 7 * 18_182 });
		expect(result.total.distribution.reduce((a, b) => a + b, 0)).toBe(total);
	});
});
