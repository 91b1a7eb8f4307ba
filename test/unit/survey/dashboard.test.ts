import type { AggregateResult, GroupStats } from '../../../nodes/shared/survey/aggregate';
import { dashboardHtml, dashboardTexts, MAX_TREND_LINES, type DashboardInput } from '../../../nodes/shared/survey/dashboard';
import { LANGUAGES, type Language } from '../../../nodes/shared/survey/template';

const BRANCH = 'branch.name';
const EMPLOYEE = 'employee';
const XSS_SCRIPT = '<script>alert(1)</script>';
const XSS_IMG = '"><img src=x onerror=alert(1)>';
const PORTAL = 'https://company.bitrix24.ru';

/** GroupStats from counts, with the reference's formulas (nps.md §1.2); `scores` spreads each category over one score. */
function stats(
	counts: { p: number; a: number; d: number },
	extra: Partial<GroupStats> & { field?: string; value?: string } = {},
): GroupStats {
	const { field, value, ...rest } = extra;
	const n = counts.p + counts.a + counts.d;
	const p = n > 0 ? counts.p / n : 0;
	const d = n > 0 ? counts.d / n : 0;
	const standardError = n > 0 ? 100 * Math.sqrt((p + d - (p - d) ** 2) / n) : 0;
	const distribution = new Array<number>(11).fill(0);
	distribution[10] = counts.p;
	distribution[8] = counts.a;
	distribution[3] = counts.d;
	const group: Record<string, string> = field ? { [field]: value ?? '' } : {};
	return {
		key: field ? `${value ?? ''}${rest.period ? ` @ ${rest.period}` : ''}` : '*',
		group,
		n,
		promoters: counts.p,
		passives: counts.a,
		detractors: counts.d,
		promoterShare: p,
		passiveShare: n > 0 ? counts.a / n : 0,
		detractorShare: d,
		nps: 100 * (p - d),
		standardError,
		margin95: 1.96 * standardError,
		thin: n < 30,
		distribution,
		mean: n > 0 ? (10 * counts.p + 8 * counts.a + 3 * counts.d) / n : 0,
		...rest,
	};
}

function result(total: GroupStats, groups: GroupStats[] = [], totalsByPeriod: GroupStats[] = [], skipped = { count: 0, reasons: {} }): AggregateResult {
	return { total, groups, totalsByPeriod, skipped };
}

// The company: 120 answers, 60 promoters, 36 passives, 24 detractors → NPS 30.0, margin ±14.6.
const TOTAL = stats({ p: 60, a: 36, d: 24 }, { responseRate: 0.4 });
const KAZAN = stats({ p: 50, a: 20, d: 10 }, { field: BRANCH, value: 'Казань, Победы', vsTotal: { difference: 20, standardError: 5, significant: true } });
const SAMARA = stats({ p: 8, a: 14, d: 12 }, { field: BRANCH, value: 'Самара', vsTotal: { difference: -41.8, standardError: 12, significant: true } });
const TINY = stats({ p: 2, a: 2, d: 2 }, { field: BRANCH, value: XSS_SCRIPT, vsTotal: { difference: -30, standardError: 30, significant: false } });

function months(value: string, list: Array<[string, { p: number; a: number; d: number }]>): GroupStats[] {
	return list.map(([period, counts]) => stats(counts, { field: BRANCH, value, period }));
}

function input(extra: Partial<DashboardInput> = {}): DashboardInput {
	return {
		language: 'ru',
		company: 'АКБ-Маркет',
		scale: { min: 0, max: 10 },
		byBranch: result(TOTAL, [KAZAN, SAMARA, TINY], [], { count: 3, reasons: { 'no score': 2, 'score out of range': 1 } }),
		byBranchMonth: result(
			TOTAL,
			[
				...months('Казань, Победы', [
					['2026-01', { p: 20, a: 10, d: 5 }],
					['2026-02', { p: 30, a: 10, d: 5 }],
				]),
				...months('Самара', [
					['2026-01', { p: 4, a: 8, d: 6 }],
					['2026-02', { p: 4, a: 6, d: 6 }],
				]),
				...months(XSS_SCRIPT, [['2026-02', { p: 2, a: 2, d: 2 }]]),
			],
			[
				stats({ p: 24, a: 18, d: 11 }, { period: '2026-01', key: '2026-01' }),
				stats(
					{ p: 36, a: 18, d: 13 },
					{ period: '2026-02', key: '2026-02', vsPrevious: { period: '2026-01', difference: 12.3, standardError: 8, significant: false } },
				),
			],
		),
		byEmployee: result(TOTAL, [
			stats({ p: 40, a: 10, d: 5 }, { field: EMPLOYEE, value: 'Анна', vsTotal: { difference: 34.5, standardError: 8, significant: true } }),
			stats({ p: 18, a: 24, d: 16 }, { field: EMPLOYEE, value: 'Борис' }),
			stats({ p: 2, a: 2, d: 3 }, { field: EMPLOYEE, value: XSS_IMG }),
		]),
		branchField: BRANCH,
		employeeField: EMPLOYEE,
		detractorComments: [
			{ dealId: 4711, score: 3, comment: `Долго ждали ${XSS_IMG}`, branch: XSS_SCRIPT, at: '2026-02-20T10:15:00+03:00' },
			{ dealId: 4700, score: 5, comment: 'Грубый продавец', branch: 'Самара', at: '2026-02-18T09:00:00Z' },
		],
		portalUrl: PORTAL,
		generatedAt: '2026-02-21T08:00:00Z',
		...extra,
	};
}

function empty(): AggregateResult {
	return result(stats({ p: 0, a: 0, d: 0 }));
}

/** Text content without tags (entities left as they are), spaces and line breaks collapsed (no-break spaces kept). */
function text(html: string): string {
	return html
		.replace(/<style>[\s\S]*?<\/style>/, '')
		.replace(/<[^>]+>/g, ' ')
		.replace(/[ \t\r\n]+/g, ' ');
}

/** All URLs that look like links or resources in the markup. */
function urls(html: string): string[] {
	return [...html.matchAll(/https?:\/\/[^\s"'<>)]+/gi)].map((match) => match[0]);
}

function assertClean(html: string): void {
	for (const bad of ['NaN', 'undefined', 'Infinity', '[object Object]', 'null']) expect(html).not.toContain(bad);
	expect(html).not.toMatch(/<script/i);
	expect(html).not.toMatch(/<img/i);
	// Data is escaped, so every "<" opens a tag of ours: none with src or an event handler.
	expect(html).not.toMatch(/<[a-z][^>]*\s(?:src|on[a-z]+)=/i);
	expect(html).not.toMatch(/@import|url\(/i);
	expect(html).not.toMatch(/<(?:iframe|object|embed|link(?! rel="icon" href="data:,">))/i);
	for (const url of urls(html)) expect(url).toMatch(/^https:\/\/company\.bitrix24\.ru\/crm\/deal\/details\/\d+\/$/);
	expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
	expect(html.match(/<h1>/g)).toHaveLength(1);
}

describe('dashboardHtml', () => {
	it('shows the headline numbers: NPS ± margin with one decimal, answers, response rate, category shares', () => {
		const html = dashboardHtml(input());
		const body = text(html);
		// NPS 30, SE = 100·sqrt((0.5 + 0.2 − 0.09)/120) = 7.13, margin 13.97.
		expect(body).toContain('NPS компании');
		expect(body).toMatch(/30,0 ±\u00a014,0/);
		expect(body).toContain('Ответов 120');
		expect(body).toContain('Доля ответивших 40\u00a0%');
		expect(body).toContain('Промоутеры (9–10) 50\u00a0%');
		expect(body).toContain('Нейтральные (7–8) 30\u00a0%');
		expect(body).toContain('Критики (0–6) 20\u00a0%');
		expect(html).toContain('<title>NPS · АКБ-Маркет</title>');
		expect(html).toContain('<h1>NPS · АКБ-Маркет</h1>');
		assertClean(html);
	});

	it('formats numbers per language: decimal comma for ru and uk, point for en; minus sign, no "−0"', () => {
		const negative = stats({ p: 1, a: 2, d: 30 }, { responseRate: 0.1234 });
		for (const language of LANGUAGES) {
			const html = dashboardHtml(input({ language, byBranch: result(negative, [KAZAN]) }));
			const nps = (100 * (1 - 30)) / 33;
			const expected = Math.abs(nps).toFixed(1);
			if (language === 'en') {
				expect(html).toContain(`\u2212${expected}`);
				expect(html).toContain('12%');
			} else {
				expect(html).toContain(`\u2212${expected.replace('.', ',')}`);
				expect(html).toContain('12\u00a0%');
			}
			expect(html).not.toMatch(/[\u2212-]0[.,]0\b/);
		}
		const big = stats({ p: 6000, a: 3000, d: 3345 });
		expect(text(dashboardHtml(input({ language: 'en', byBranch: result(big, [KAZAN]) })))).toContain('Answers 12,345');
		expect(text(dashboardHtml(input({ language: 'ru', byBranch: result(big, [KAZAN]) })))).toContain('Ответов 12\u00a0345');
	});

	it.each(LANGUAGES)('speaks %s: every section heading and the html lang', (language: Language) => {
		const texts = dashboardTexts(language);
		const html = dashboardHtml(input({ language }));
		expect(html).toContain(`<html lang="${language}">`);
		for (const key of ['companyNps', 'trendTitle', 'branchesTitle', 'employeesTitle', 'distributionTitle', 'commentsTitle']) {
			expect(html).toContain(texts[key].replace(/'/g, '&#39;'));
		}
		expect(Object.keys(texts).sort()).toEqual(Object.keys(dashboardTexts('ru')).sort());
		assertClean(html);
	});

	it('gives unknown languages Russian', () => {
		const html = dashboardHtml(input({ language: 'de' as Language }));
		expect(html).toContain('<html lang="ru">');
		expect(dashboardTexts('xx' as Language).companyNps).toBe('NPS компании');
	});

	it('months in the language of the page', () => {
		expect(text(dashboardHtml(input({ language: 'ru' })))).toContain('фев\u00a02026');
		expect(text(dashboardHtml(input({ language: 'uk' })))).toContain('лют\u00a02026');
		expect(text(dashboardHtml(input({ language: 'en' })))).toContain('Feb\u00a02026');
	});

	it('shows hostile branch, employee and comment texts as text, in HTML and in SVG', () => {
		const html = dashboardHtml(input());
		assertClean(html);
		const escapedScript = '&lt;script&gt;alert(1)&lt;/script&gt;';
		expect(html).toContain(escapedScript);
		expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
		// The branch's points on the trend chart carry its name (cut to 24 characters) in their SVG <title>.
		const start = html.indexOf('<svg class="chart" viewBox="0 0 400 230"');
		const svg = html.slice(start, html.indexOf('</svg>', start));
		expect(svg).toContain('<title>&lt;script&gt;alert(1)&lt;/scrip… · фев\u00a02026: NPS 0,0');
		expect(svg).not.toMatch(/<script|<img/i);
		// Long names are cut before escaping, never inside an entity.
		const long = dashboardHtml(input({ byBranchMonth: result(TOTAL, months('&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&', [['2026-01', { p: 1, a: 0, d: 0 }]])) }));
		expect(long).toContain('<title>&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;…');
	});

	it('escapes the title, company, periods and skip reasons too', () => {
		const hostile = dashboardHtml(
			input({
				title: XSS_SCRIPT,
				company: XSS_IMG,
				byBranch: result(TOTAL, [KAZAN], [], { count: 1, reasons: { [XSS_SCRIPT]: 1 } }),
				byBranchMonth: result(TOTAL, [], [stats({ p: 3, a: 0, d: 0 }, { period: XSS_IMG })]),
			}),
		);
		assertClean(hostile);
		expect(hostile).toContain('<title>&lt;script&gt;');
	});

	it('links comments to deal cards only for an https portal URL', () => {
		const withLinks = dashboardHtml(input());
		expect(withLinks).toContain('href="https://company.bitrix24.ru/crm/deal/details/4711/"');
		expect(withLinks).toContain('href="https://company.bitrix24.ru/crm/deal/details/4700/"');
		expect(withLinks).toContain('rel="noopener noreferrer"');
		// A path or trailing slash on the portal URL is dropped.
		expect(dashboardHtml(input({ portalUrl: 'https://company.bitrix24.ru/crm/deal/' }))).toContain(
			'href="https://company.bitrix24.ru/crm/deal/details/4711/"',
		);
		for (const portalUrl of [
			undefined,
			'',
			'http://company.bitrix24.ru',
			'javascript:alert(1)',
			'//company.bitrix24.ru',
			'company.bitrix24.ru',
			'https://user:pass@company.bitrix24.ru',
			'data:text/html,x',
		]) {
			const html = dashboardHtml(input({ portalUrl }));
			expect(html).not.toContain('<a ');
			expect(html).not.toMatch(/https?:\/\//);
			// The deal is still named, as text.
			expect(text(html)).toContain('Сделка #4711');
		}
		// A deal without a usable ID gets no link.
		const noId = dashboardHtml(input({ detractorComments: [{ dealId: 0, score: 2, comment: 'Плохо' }, { dealId: 1.5, score: 2, comment: 'Ужасно' }] }));
		expect(noId).not.toContain('<a ');
		expect(noId).toContain('Плохо');
	});

	it('marks thin samples: hatched bar, lighter row and a "few answers" label', () => {
		const html = dashboardHtml(input());
		const branches = html.slice(html.indexOf('id="s-branches"'), html.indexOf('id="s-employees"'));
		const tinyRow = branches.slice(branches.indexOf('&lt;script&gt;'));
		expect(tinyRow.slice(0, tinyRow.indexOf('</li>'))).toContain('мало ответов');
		expect(tinyRow.slice(0, tinyRow.indexOf('</li>'))).toContain('class="bar thin"');
		const kazanRow = branches.slice(branches.indexOf('Казань, Победы'));
		expect(kazanRow.slice(0, kazanRow.indexOf('</li>'))).not.toContain('мало ответов');
		const employees = html.slice(html.indexOf('id="s-employees"'), html.indexOf('id="s-distribution"'));
		expect(employees).toMatch(/<tr class="thin"><td>—<\/td><th scope="row">&quot;&gt;&lt;img[^<]*<span class="tag">мало ответов/);
		// A thin month is a hollow point on the trend.
		expect(html).toContain('fill="#fff"');
		expect(text(html)).toContain('Пустой кружок');
	});

	it('marks significant differences from the company, in words, and draws the company line on every bar', () => {
		const html = dashboardHtml(input({ language: 'en' }));
		const branches = html.slice(html.indexOf('id="s-branches"'), html.indexOf('id="s-employees"'));
		expect(branches).toContain('▲ above average (+20.0)');
		expect(branches).toContain('▼ below average (\u221241.8)');
		// Not significant: no marker.
		const tinyRow = branches.slice(branches.indexOf('&lt;script&gt;'));
		expect(tinyRow.slice(0, tinyRow.indexOf('</li>'))).not.toMatch(/above|below/);
		expect(branches.match(/class="avg"/g)).toHaveLength(3);
		expect(branches.match(/class="wh"/g)).toHaveLength(3);
		// Highest NPS first.
		expect(branches.indexOf('Kazan') === -1 ? branches.indexOf('Казань') : 0).toBeLessThan(branches.indexOf('Самара'));
	});

	it('ranks employees by NPS with answers and margin; few answers last, without a rank', () => {
		const lucky = stats({ p: 3, a: 0, d: 0 }, { field: EMPLOYEE, value: 'Везунчик' });
		const base = input({ language: 'en' });
		const html = dashboardHtml({ ...base, byEmployee: result(TOTAL, [lucky, ...base.byEmployee.groups]) });
		const employees = html.slice(html.indexOf('id="s-employees"'), html.indexOf('id="s-distribution"'));
		expect(employees).toContain('<th scope="col">NPS ±</th>');
		expect(employees).toContain('<caption>Employees by NPS, highest first; ± is the margin of error (95%)</caption>');
		const anna = employees.indexOf('Анна');
		const boris = employees.indexOf('Борис');
		const hostile = employees.indexOf('&quot;&gt;&lt;img');
		expect(anna).toBeGreaterThan(-1);
		expect(anna).toBeLessThan(boris);
		expect(boris).toBeLessThan(hostile);
		// 3 answers of 10 make NPS 100 but no first place: listed after the ranked ones.
		expect(employees.indexOf('Везунчик')).toBeGreaterThan(boris);
		expect(employees).toMatch(/<tr><td>1<\/td><th scope="row">Анна<\/th><td>63\.6 <small>±\u00a017\.0 <span class="p">▲<span class="sr"> above average<\/span><\/span><\/small><\/td><td>55<\/td><td>\+34\.5<\/td><\/tr>/);
		expect(employees).toContain('<tr><td>2</td><th scope="row">Борис</th>');
		expect(employees).toMatch(/<tr class="thin"><td>—<\/td><th scope="row">Везунчик <span class="tag">few answers<\/span><\/th><td>100\.0 <small>±\u00a00\.0<\/small><\/td>/);
		expect(text(employees)).toContain('Employees with few answers are listed last, without a rank.');
	});

	it('draws the trend with one line per branch plus the company, a legend and the numbers in text', () => {
		const html = dashboardHtml(input({ language: 'en' }));
		const trend = html.slice(html.indexOf('id="s-trend"'), html.indexOf('id="s-branches"'));
		expect(trend.match(/<path /g)).toHaveLength(4);
		expect(trend).toContain('Whole company');
		expect(trend).toContain('<desc id="trend-d">Company NPS by month: Jan\u00a02026 24.5; Feb\u00a02026 34.3.</desc>');
		expect(trend).toContain('Latest month, Feb\u00a02026: NPS 34.3');
		expect(trend).toContain('Against Jan\u00a02026: +12.3 (within the margin of error)');
		expect(trend).toContain('<th scope="row">Whole company</th>');
		expect(trend).not.toContain('only in the table');
	});

	it('draws at most 8 branch lines and says so when there are more', () => {
		const groups: GroupStats[] = [];
		for (let branch = 0; branch < 11; branch++) {
			groups.push(...months(`Филиал ${branch}`, [['2026-01', { p: 10 + branch, a: 5, d: 3 }]]));
		}
		const html = dashboardHtml(input({ byBranchMonth: result(TOTAL, groups, [stats({ p: 165, a: 55, d: 33 }, { period: '2026-01' })]) }));
		const trend = html.slice(html.indexOf('id="s-trend"'), html.indexOf('id="s-branches"'));
		expect(MAX_TREND_LINES).toBe(8);
		expect(trend.match(/<path /g)).toHaveLength(9);
		expect(text(trend)).toContain('На графике 8 филиалов с наибольшим числом ответов, ещё 3 — только в таблице.');
		// The three with the fewest answers are not drawn but are in the table.
		expect(trend).toContain('<th scope="row">Филиал 0</th>');
		expect(trend.match(/Филиал 0/g)).toHaveLength(1);
		expect(trend.match(/Филиал 10/g)!.length).toBeGreaterThan(1);
	});

	it('shows the 0–10 distribution as SVG bars coloured by category, with the counts in its label', () => {
		const html = dashboardHtml(input({ language: 'en' }));
		const section = html.slice(html.indexOf('id="s-distribution"'), html.indexOf('id="s-comments"'));
		expect(section).toContain('aria-label="Scores 0 to 10, number of answers: 0: 0, 1: 0, 2: 0, 3: 24, 4: 0, 5: 0, 6: 0, 7: 0, 8: 36, 9: 0, 10: 60."');
		expect(section.match(/<rect /g)!.length).toBe(11 + 3);
		expect(section).toContain('fill="#cf222e"');
		expect(section).toContain('fill="#9a6700"');
		expect(section).toContain('fill="#1a7f37"');
		// A 1–10 scale: ten bars, indexed from 1, and the detractor label says 1–6.
		const one = stats({ p: 5, a: 3, d: 2 });
		one.distribution = [2, 0, 0, 0, 0, 0, 1, 2, 0, 5];
		const oneHtml = dashboardHtml(input({ language: 'en', scale: { min: 1, max: 10 }, byBranch: result(one, [KAZAN]) }));
		expect(oneHtml).toContain('Scores 1 to 10, number of answers: 1: 2, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 1, 8: 2, 9: 0, 10: 5.');
		expect(oneHtml).toContain('Detractors (1–6)');
		// Other thresholds: promoters from 8.
		expect(dashboardHtml(input({ language: 'en', thresholds: { promoterFrom: 8, detractorTo: 6 } }))).toContain('Promoters (8–10)');
	});

	it('notes skipped answers, with reasons in the language', () => {
		const html = dashboardHtml(input());
		expect(text(html)).toContain('Не учтено ответов: 3 (нет оценки: 2; оценка вне шкалы: 1).');
		expect(dashboardHtml(input({ byBranch: result(TOTAL, [KAZAN]) }))).not.toContain('Не учтено');
	});

	it.each(LANGUAGES)('renders a friendly empty state without NaN (%s)', (language: Language) => {
		const texts = dashboardTexts(language);
		const html = dashboardHtml(
			input({ language, byBranch: empty(), byBranchMonth: empty(), byEmployee: empty(), detractorComments: [], portalUrl: undefined, company: undefined }),
		);
		expect(html).toContain(texts.noAnswersTitle);
		expect(html).toContain('<h1>NPS</h1>');
		expect(html).not.toContain('<svg');
		assertClean(html);
		// Skipped answers are still explained when nothing could be counted.
		const skipped = dashboardHtml(input({ language, byBranch: result(stats({ p: 0, a: 0, d: 0 }), [], [], { count: 5, reasons: { 'no score': 5 } }) }));
		expect(skipped).toContain(texts.noAnswersTitle);
		expect(skipped).toContain(texts.skipped.replace('{count}', '5'));
		assertClean(skipped);
	});

	it('survives broken numbers and missing sections without NaN', () => {
		const broken = stats({ p: 3, a: 1, d: 1 }, { margin95: NaN, responseRate: Infinity });
		const odd = stats({ p: 1, a: 0, d: 0 }, { field: BRANCH, value: '', nps: NaN });
		const html = dashboardHtml(
			input({
				byBranch: result(broken, [odd, stats({ p: 2, a: 1, d: 0 }, { field: BRANCH, value: 'X', margin95: Infinity })]),
				byBranchMonth: result(broken, []),
				byEmployee: result(broken, [stats({ p: 0, a: 0, d: 0 }, { field: EMPLOYEE, value: 'Никто' })]),
				detractorComments: [{ dealId: 1, score: NaN, comment: 'Текст', at: 'вчера' }],
			}),
		);
		assertClean(html);
		expect(text(html)).toContain('Данных по месяцам пока нет.');
		expect(text(html)).toContain('Данных по сотрудникам пока нет.');
		expect(text(html)).toContain('вчера');
		// Missing branch value: "(не указан)".
		const unnamed = dashboardHtml(input({ byBranch: result(TOTAL, [stats({ p: 5, a: 0, d: 0 }, { field: BRANCH, value: '' })]) }));
		expect(unnamed).toContain('(не указан)');
	});

	it('is one self-contained page: no scripts, no external resources, a data: favicon, phone viewport', () => {
		const html = dashboardHtml(input());
		assertClean(html);
		expect(html).toContain('<link rel="icon" href="data:,">');
		expect(html).toContain('<meta name="viewport" content="width=device-width,initial-scale=1">');
		expect(html).toContain('<meta name="referrer" content="no-referrer">');
		expect(html.match(/<html/g)).toHaveLength(1);
		// Charts scale with the screen.
		expect(html).toContain('svg{display:block;width:100%;height:auto');
		const charts = html.match(/<svg class="chart"[^>]*>/g) ?? [];
		expect(charts).toHaveLength(2);
		for (const svg of charts) expect(svg).toContain('role="img"');
		// The small legend swatches are decoration.
		for (const svg of html.match(/<svg viewBox="0 0 26 10"[^>]*>/g) ?? []) expect(svg).toContain('aria-hidden="true"');
		// No SVG namespace URL needed inline; no xlink.
		expect(html).not.toContain('xmlns');
		// Every chart has its numbers for screen readers.
		expect(html).toMatch(/<svg class="chart" viewBox="0 0 400 230" role="img" aria-labelledby="trend-t trend-d"/);
		// Table headers.
		expect(html).toContain('<th scope="col">');
		expect(html).toContain('<th scope="row">');
	});

	it('stays under 200 KB for 50 branches × 24 months and 200 employees, and lists them all', () => {
		const branches: GroupStats[] = [];
		const monthly: GroupStats[] = [];
		const totals: GroupStats[] = [];
		const periods = Array.from({ length: 24 }, (_, i) => `${2025 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
		const name = (i: number) => `Филиал «Аккумуляторы» №${i} на улице Длинное Название`;
		for (let b = 0; b < 50; b++) {
			branches.push(stats({ p: 100 + b * 7, a: 60 + (b % 9) * 5, d: 40 + (b % 13) * 6 }, { field: BRANCH, value: name(b), vsTotal: { difference: b - 25, standardError: 6, significant: Math.abs(b - 25) > 12 } }));
			for (const period of periods) monthly.push(stats({ p: 5 + ((b * 3) % 17), a: 4 + (b % 5), d: 2 + (b % 7) }, { field: BRANCH, value: name(b), period }));
		}
		for (const period of periods) totals.push(stats({ p: 600, a: 300, d: 200 }, { period }));
		const employees = Array.from({ length: 200 }, (_, i) =>
			stats({ p: 5 + (i % 40), a: 3 + (i % 7), d: 1 + (i % 11) }, { field: EMPLOYEE, value: `Сотрудник Иванов-Петров ${i}`, vsTotal: { difference: (i % 30) - 15, standardError: 9, significant: i % 5 === 0 } }),
		);
		const comments = Array.from({ length: 20 }, (_, i) => ({ dealId: 10000 + i, score: i % 7, comment: 'Очень долго ждали ответа менеджера, никто не перезвонил. '.repeat(4), branch: name(i), at: '2026-02-20T10:15:00Z' }));
		const html = dashboardHtml(
			input({
				byBranch: result(stats({ p: 14400, a: 7200, d: 4800 }), branches),
				byBranchMonth: result(stats({ p: 14400, a: 7200, d: 4800 }), monthly, totals),
				byEmployee: result(stats({ p: 14400, a: 7200, d: 4800 }), employees),
				detractorComments: comments,
			}),
		);
		const bytes = Buffer.byteLength(html);
		expect(bytes).toBeLessThan(200_000);
		assertClean(html);
		expect(html.match(/<li><div class="rl">/g)).toHaveLength(50);
		expect(html.match(/<tr( class="thin")?><td>(?:\d+|—)<\/td>/g)).toHaveLength(200);
		expect(text(html)).toContain('ещё 42 — только в таблице');
	});
});
