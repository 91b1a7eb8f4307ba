/**
 * The "NPS branches" table as the review nodes read it: a row → a branch's review pages, rows →
 * branches (blank IDs left out, a repeated ID keeps its first row), and the per-process cache of the
 * table read over HTTP (fresh for a while, the last good copy when a read fails, one read at a time).
 */

import { BRANCH_TABLE_COLUMNS, branchesFromRows, branchLinksFromRow, TableCache } from '../../../nodes/shared/survey/branchSettings';

const KAZAN_ROW = {
	branchId: '3153',
	city: 'Казань',
	branchName: 'Казань, Победы',
	yandexUrl: 'https://yandex.ru/maps/org/shop/1234567/reviews/?add-review=true',
	googleUrl: 'https://search.google.com/local/writereview?placeid=ChIJ123',
	twoGisUrl: 'https://2gis.ru/kazan/firm/70000001/tab/reviews/addreview',
	otherReviewUrl: 'https://reviews.example.com/kazan',
	otherReviewLabel: 'Отзыв на Example',
	managerId: 7,
};

describe('branch rows → review pages', () => {
	it('reads every review page of a row, the other page with its label', () => {
		expect(branchLinksFromRow(KAZAN_ROW)).toEqual({
			id: '3153',
			name: 'Казань, Победы',
			yandex: KAZAN_ROW.yandexUrl,
			google: KAZAN_ROW.googleUrl,
			twoGis: KAZAN_ROW.twoGisUrl,
			custom: [{ platform: 'other', label: 'Отзыв на Example', url: 'https://reviews.example.com/kazan' }],
		});
	});

	it('trims, leaves out empty pages, takes a number as the ID, and an other page without a label', () => {
		expect(branchLinksFromRow({ branchId: 3154, branchName: '  Самара  ', yandexUrl: '', googleUrl: null, twoGisUrl: '   ', otherReviewUrl: ' https://otzovik.example/samara ', otherReviewLabel: '' })).toEqual({
			id: '3154',
			name: 'Самара',
			yandex: undefined,
			google: undefined,
			twoGis: undefined,
			custom: [{ platform: 'other', label: undefined, url: 'https://otzovik.example/samara' }],
		});
		expect(branchLinksFromRow({ branchId: '9' })).toEqual({ id: '9', name: undefined, yandex: undefined, google: undefined, twoGis: undefined, custom: undefined });
		// A label without a page is no button.
		expect(branchLinksFromRow({ branchId: '9', otherReviewLabel: 'Отзыв' })?.custom).toBeUndefined();
	});

	it('has no branch for a row without a branch ID', () => {
		for (const branchId of ['', '   ', null, undefined]) expect(branchLinksFromRow({ ...KAZAN_ROW, branchId })).toBeUndefined();
	});

	it('turns rows into branches: blank IDs skipped, a repeated ID keeps its first row, the order kept', () => {
		const branches = branchesFromRows([
			{ branchId: '', branchName: 'Без ID', yandexUrl: 'https://yandex.ru/maps/org/x/1/reviews/' },
			KAZAN_ROW,
			{ branchId: ' 3155 ', branchName: 'Екатеринбург' },
			{ ...KAZAN_ROW, branchName: 'Казань (копия)', yandexUrl: 'https://yandex.ru/maps/org/copy/2/reviews/' },
			{ branchId: null, branchName: 'Пустая строка' },
			{ branchId: '3156', branchName: 'Київ', googleUrl: 'https://search.google.com/local/writereview?placeid=K' },
		]);
		expect(branches.map((b) => [b.id, b.name])).toEqual([
			['3153', 'Казань, Победы'],
			['3155', 'Екатеринбург'],
			['3156', 'Київ'],
		]);
		expect(branches[0].yandex).toBe(KAZAN_ROW.yandexUrl);
		expect(branchesFromRows([])).toEqual([]);
	});

	it('names a column for everything a row holds, branchId first', () => {
		const names = BRANCH_TABLE_COLUMNS.map((c) => c.name);
		expect(names[0]).toBe('branchId');
		expect(new Set(names).size).toBe(names.length);
		for (const key of Object.keys(KAZAN_ROW)) expect(names).toContain(key);
		for (const column of BRANCH_TABLE_COLUMNS) expect(column.what.length).toBeGreaterThan(5);
	});
});

describe('TableCache', () => {
	const TTL = 30_000;
	const STALE = 15 * 60_000;

	/** A cache on a clock the test moves, and a loader that counts its calls. */
	function setup() {
		let time = 1_000_000;
		const cache = new TableCache<string>(TTL, STALE, () => time);
		let calls = 0;
		let next: () => Promise<string> = async () => `value ${calls}`;
		const load = async () => {
			calls++;
			return await next();
		};
		return {
			cache,
			load,
			calls: () => calls,
			advance: (ms: number) => (time += ms),
			answer: (fn: () => Promise<string>) => (next = fn),
		};
	}

	it('serves what it read while it is fresh, and reads again once the time is up', async () => {
		const t = setup();
		expect(await t.cache.get('k', t.load)).toBe('value 1');
		t.advance(TTL - 1);
		expect(await t.cache.get('k', t.load)).toBe('value 1');
		expect(t.calls()).toBe(1);
		t.advance(1);
		expect(await t.cache.get('k', t.load)).toBe('value 2');
		expect(t.calls()).toBe(2);
		// Fresh again from the new read.
		t.advance(TTL - 1);
		expect(await t.cache.get('k', t.load)).toBe('value 2');
		expect(t.calls()).toBe(2);
	});

	it('keeps each key apart, and forgets everything on clear()', async () => {
		const t = setup();
		expect(await t.cache.get('a', t.load)).toBe('value 1');
		expect(await t.cache.get('b', t.load)).toBe('value 2');
		expect(await t.cache.get('a', t.load)).toBe('value 1');
		t.cache.clear();
		expect(await t.cache.get('a', t.load)).toBe('value 3');
		expect(t.calls()).toBe(3);
	});

	it('serves the last good copy when a read fails within the stale time, and tries again next time', async () => {
		const t = setup();
		expect(await t.cache.get('k', t.load)).toBe('value 1');
		t.answer(async () => await Promise.reject(new Error('n8n API unreachable')));
		t.advance(TTL);
		expect(await t.cache.get('k', t.load)).toBe('value 1');
		t.advance(STALE - TTL - 1);
		expect(await t.cache.get('k', t.load)).toBe('value 1');
		expect(t.calls()).toBe(3);
		// The API is back: a new read, fresh again.
		t.answer(async () => 'value back');
		expect(await t.cache.get('k', t.load)).toBe('value back');
		t.advance(TTL - 1);
		expect(await t.cache.get('k', t.load)).toBe('value back');
		expect(t.calls()).toBe(4);
	});

	it('throws the read\'s error once the last good copy is older than the stale time, or when there never was one', async () => {
		const t = setup();
		const failing = async () => await Promise.reject(new Error('401 unauthorized'));
		t.answer(failing);
		await expect(t.cache.get('never', t.load)).rejects.toThrow('401 unauthorized');

		t.answer(async () => 'good');
		expect(await t.cache.get('k', t.load)).toBe('good');
		t.answer(failing);
		t.advance(STALE);
		await expect(t.cache.get('k', t.load)).rejects.toThrow('401 unauthorized');
		// A failure is not remembered: the next call reads again.
		t.answer(async () => 'good again');
		expect(await t.cache.get('k', t.load)).toBe('good again');
	});

	it('lets loads of one key at the same moment share one read (and one failure)', async () => {
		const t = setup();
		let release: (value: string) => void = () => undefined;
		t.answer(async () => await new Promise<string>((resolve) => (release = resolve)));
		const together = [t.cache.get('k', t.load), t.cache.get('k', t.load), t.cache.get('k', t.load)];
		await Promise.resolve();
		expect(t.calls()).toBe(1);
		release('shared');
		expect(await Promise.all(together)).toEqual(['shared', 'shared', 'shared']);
		expect(t.calls()).toBe(1);

		// Another key is not held up by it.
		let releaseOther: (value: string) => void = () => undefined;
		t.answer(async () => await new Promise<string>((resolve) => (releaseOther = resolve)));
		t.advance(TTL);
		const k = t.cache.get('k', t.load);
		const other = t.cache.get('other', async () => 'other value');
		expect(await other).toBe('other value');
		releaseOther('k again');
		expect(await k).toBe('k again');

		let fail: (error: Error) => void = () => undefined;
		t.answer(async () => await new Promise<string>((_, reject) => (fail = reject)));
		const callsBefore = t.calls();
		const failing = [t.cache.get('new', t.load), t.cache.get('new', t.load)];
		fail(new Error('timeout'));
		const results = await Promise.allSettled(failing);
		expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : r.value))).toEqual(['timeout', 'timeout']);
		expect(t.calls()).toBe(callsBefore + 1);
	});
});
