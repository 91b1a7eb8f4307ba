/**
 * The NPS dashboard the NPS Aggregate node can return: one self-contained HTML page for the owner
 * (company NPS, trend per branch, branches against the company, employee ranking, the 0–10
 * distribution, the latest detractor comments with links to their deals).
 *
 * - One document: inline <style>, inline SVG, no <script>, no external requests at all (no fonts,
 *   images; `<link rel="icon" href="data:,">`). Works when opened from a file or an e-mail attachment.
 * - Phone first (360px): cards wrap, SVG charts scale with their viewBox at width 100%, the branch
 *   bars are HTML with text that wraps, wide tables scroll sideways inside their own box.
 * - Accessible: one <h1>, an <h2> per section, table headers with scope, every chart has its numbers
 *   in text (an SVG <title>/aria-label, the bar rows, a data table under the trend), markers never
 *   rely on colour alone ("few answers", "▲ above average" are words).
 * - Every value that comes from data (branch, employee, comment, period, reasons) is HTML-escaped,
 *   in SVG <text> and <title> too. Deal links only for an https portal URL and an integer deal ID.
 * - Numbers follow the language (decimal comma and a no-break-space thousands separator for ru/uk)
 *   and a missing or non-finite number is shown as "—", never NaN.
 */

import type { AggregateResult, GroupStats } from './aggregate';
import { escapeHtml, type Language } from './template';

export interface DetractorComment {
	dealId: number;
	score: number;
	comment: string;
	branch?: string;
	/** ISO date-time of the answer. */
	at?: string;
}

export interface DashboardInput {
	language: Language;
	/** Default: "NPS · <company>" (or "NPS"). */
	title?: string;
	company?: string;
	scale: { min: 0 | 1; max: 10 };
	/** The category thresholds the answers were counted with (default 9 and 6): labels and distribution colours. */
	thresholds?: { promoterFrom: number; detractorTo: number };
	/** groupBy [branchField], no period: the branches against the company (its `total` is the company). */
	byBranch: AggregateResult;
	/** groupBy [branchField], period month: the trend per branch, and `totalsByPeriod` for the company line. */
	byBranchMonth: AggregateResult;
	/** groupBy [employeeField], no period: the ranking. */
	byEmployee: AggregateResult;
	branchField: string;
	employeeField: string;
	/** Latest first, already limited (e.g. 20). */
	detractorComments: DetractorComment[];
	/** 'https://company.bitrix24.ru' → deal links https://company.bitrix24.ru/crm/deal/details/<id>/ */
	portalUrl?: string;
	/** ISO date-time the dashboard was made. */
	generatedAt: string;
}

/** Lines on the trend chart besides the company line; the other branches are in the table under it. */
export const MAX_TREND_LINES = 8;

const MAX_COMMENTS = 100;
const MAX_COMMENT_CHARS = 2000;

type Texts = Record<string, string>;

const MONTHS: Record<Language, string[]> = {
	ru: ['янв', 'фев', 'мар', 'апр', 'май', 'июн', 'июл', 'авг', 'сен', 'окт', 'ноя', 'дек'],
	uk: ['січ', 'лют', 'бер', 'кві', 'тра', 'чер', 'лип', 'сер', 'вер', 'жов', 'лис', 'гру'],
	en: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
};

/** Placeholders: {n}, {count}, {period}, {previous}, {difference}, {nps}, {shown}, {more}, {id}, {at}, {min}. */
const TEXTS: Record<Language, Texts> = {
	ru: {
		docTitle: 'NPS',
		generated: 'Сформировано {at}',
		summary: 'Итоги',
		companyNps: 'NPS компании',
		marginHint: '± — погрешность (95 %)',
		answers: 'Ответов',
		responseRate: 'Доля ответивших',
		promoters: 'Промоутеры ({promoters})',
		passives: 'Нейтральные ({passives})',
		detractors: 'Критики ({detractors})',
		sharesLabel: 'Промоутеры {promoters}, нейтральные {passives}, критики {detractors}',
		noAnswersTitle: 'Ответов пока нет',
		noAnswersText: 'Когда клиенты начнут отвечать на опрос, здесь появятся NPS компании, филиалов и сотрудников.',
		skipped: 'Не учтено ответов: {count}',
		trendTitle: 'NPS по месяцам',
		trendChart: 'График NPS по месяцам',
		trendCompany: 'NPS компании по месяцам: {values}.',
		company: 'Вся компания',
		trendNote: 'На графике {shown} филиалов с наибольшим числом ответов, ещё {more} — только в таблице.',
		hollowPoint: 'Пустой кружок — мало ответов за месяц.',
		latest: 'Последний месяц, {period}: NPS {nps}.',
		change: 'К {previous}: {difference} ({significance}).',
		significant: 'разница значима',
		notSignificant: 'в пределах погрешности',
		showTable: 'Таблица по месяцам',
		noTrend: 'Данных по месяцам пока нет.',
		branch: 'Филиал',
		branchesTitle: 'Филиалы и среднее по компании',
		branchesHint: 'Полоса — NPS филиала, тонкая линия — погрешность (95 %), вертикальная черта — NPS компании ({nps}).',
		noBranches: 'Данных по филиалам пока нет.',
		answersN: 'ответов: {n}',
		fewAnswers: 'мало ответов',
		fewAnswersHint: 'Мало ответов — оценка может сильно измениться.',
		above: '▲ выше среднего',
		below: '▼ ниже среднего',
		significanceHint: '▲/▼ — отличие от компании больше погрешности (95 %).',
		employeesTitle: 'Рейтинг сотрудников',
		employeesCaption: 'Сотрудники по NPS, от высшего к низшему; ± — погрешность (95 %)',
		thinNotRanked: 'Сотрудники с малым числом ответов — в конце списка, без места в рейтинге.',
		rank: '№',
		employee: 'Сотрудник',
		npsMargin: 'NPS ±',
		vsCompany: 'К компании',
		noEmployees: 'Данных по сотрудникам пока нет.',
		distributionTitle: 'Распределение оценок',
		distributionChart: 'Оценки от {min} до 10, число ответов: {values}.',
		score: 'Оценка',
		commentsTitle: 'Последние комментарии критиков',
		noComments: 'Комментариев от критиков пока нет.',
		deal: 'Сделка {id}',
		notSet: '(не указан)',
	},
	uk: {
		docTitle: 'NPS',
		generated: 'Сформовано {at}',
		summary: 'Підсумки',
		companyNps: 'NPS компанії',
		marginHint: '± — похибка (95 %)',
		answers: 'Відповідей',
		responseRate: 'Частка тих, хто відповів',
		promoters: 'Промоутери ({promoters})',
		passives: 'Нейтральні ({passives})',
		detractors: 'Критики ({detractors})',
		sharesLabel: 'Промоутери {promoters}, нейтральні {passives}, критики {detractors}',
		noAnswersTitle: 'Відповідей поки немає',
		noAnswersText: 'Коли клієнти почнуть відповідати на опитування, тут з’являться NPS компанії, філій і працівників.',
		skipped: 'Не враховано відповідей: {count}',
		trendTitle: 'NPS за місяцями',
		trendChart: 'Графік NPS за місяцями',
		trendCompany: 'NPS компанії за місяцями: {values}.',
		company: 'Уся компанія',
		trendNote: 'На графіку {shown} філій з найбільшою кількістю відповідей, ще {more} — лише в таблиці.',
		hollowPoint: 'Порожнє коло — мало відповідей за місяць.',
		latest: 'Останній місяць, {period}: NPS {nps}.',
		change: 'До {previous}: {difference} ({significance}).',
		significant: 'різниця значуща',
		notSignificant: 'у межах похибки',
		showTable: 'Таблиця за місяцями',
		noTrend: 'Даних за місяцями поки немає.',
		branch: 'Філія',
		branchesTitle: 'Філії та середнє по компанії',
		branchesHint: 'Смуга — NPS філії, тонка лінія — похибка (95 %), вертикальна риска — NPS компанії ({nps}).',
		noBranches: 'Даних по філіях поки немає.',
		answersN: 'відповідей: {n}',
		fewAnswers: 'мало відповідей',
		fewAnswersHint: 'Мало відповідей — оцінка може сильно змінитися.',
		above: '▲ вище середнього',
		below: '▼ нижче середнього',
		significanceHint: '▲/▼ — відмінність від компанії більша за похибку (95 %).',
		employeesTitle: 'Рейтинг працівників',
		employeesCaption: 'Працівники за NPS, від вищого до нижчого; ± — похибка (95 %)',
		thinNotRanked: 'Працівники з малою кількістю відповідей — наприкінці списку, без місця в рейтингу.',
		rank: '№',
		employee: 'Працівник',
		npsMargin: 'NPS ±',
		vsCompany: 'До компанії',
		noEmployees: 'Даних по працівниках поки немає.',
		distributionTitle: 'Розподіл оцінок',
		distributionChart: 'Оцінки від {min} до 10, кількість відповідей: {values}.',
		score: 'Оцінка',
		commentsTitle: 'Останні коментарі критиків',
		noComments: 'Коментарів від критиків поки немає.',
		deal: 'Угода {id}',
		notSet: '(не вказано)',
	},
	en: {
		docTitle: 'NPS',
		generated: 'Generated {at}',
		summary: 'Summary',
		companyNps: 'Company NPS',
		marginHint: '± is the margin of error (95%)',
		answers: 'Answers',
		responseRate: 'Response rate',
		promoters: 'Promoters ({promoters})',
		passives: 'Passives ({passives})',
		detractors: 'Detractors ({detractors})',
		sharesLabel: 'Promoters {promoters}, passives {passives}, detractors {detractors}',
		noAnswersTitle: 'No answers yet',
		noAnswersText: 'Once customers start answering the survey, the NPS of the company, its branches and employees will appear here.',
		skipped: 'Answers not counted: {count}',
		trendTitle: 'NPS by month',
		trendChart: 'NPS by month chart',
		trendCompany: 'Company NPS by month: {values}.',
		company: 'Whole company',
		trendNote: 'The chart shows the {shown} branches with the most answers; {more} more are only in the table.',
		hollowPoint: 'A hollow dot means few answers that month.',
		latest: 'Latest month, {period}: NPS {nps}.',
		change: 'Against {previous}: {difference} ({significance}).',
		significant: 'a real difference',
		notSignificant: 'within the margin of error',
		showTable: 'Table by month',
		noTrend: 'No monthly data yet.',
		branch: 'Branch',
		branchesTitle: 'Branches against the company average',
		branchesHint: "The bar is the branch's NPS, the thin line its margin of error (95%), the vertical mark the company NPS ({nps}).",
		noBranches: 'No branch data yet.',
		answersN: 'answers: {n}',
		fewAnswers: 'few answers',
		fewAnswersHint: 'Few answers: the score may still change a lot.',
		above: '▲ above average',
		below: '▼ below average',
		significanceHint: '▲/▼: differs from the company by more than the margin of error (95%).',
		employeesTitle: 'Employee ranking',
		employeesCaption: 'Employees by NPS, highest first; ± is the margin of error (95%)',
		thinNotRanked: 'Employees with few answers are listed last, without a rank.',
		rank: '#',
		employee: 'Employee',
		npsMargin: 'NPS ±',
		vsCompany: 'Against company',
		noEmployees: 'No employee data yet.',
		distributionTitle: 'Score distribution',
		distributionChart: 'Scores {min} to 10, number of answers: {values}.',
		score: 'Score',
		commentsTitle: 'Latest detractor comments',
		noComments: 'No detractor comments yet.',
		deal: 'Deal {id}',
		notSet: '(not set)',
	},
};

function lang(language: unknown): Language {
	return typeof language === 'string' && Object.prototype.hasOwnProperty.call(TEXTS, language) ? (language as Language) : 'ru';
}

/** The dashboard texts for a language (unknown languages get Russian). */
export function dashboardTexts(language: Language): Record<string, string> {
	return { ...TEXTS[lang(language)] };
}

function fill(text: string, values: Record<string, string | number>): string {
	return text.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}

function finite(value: unknown): value is number {
	return typeof value === 'number' && Number.isFinite(value);
}

function clean(value: unknown): string {
	return typeof value === 'string' ? value.trim() : '';
}

// ---------------------------------------------------------------------------------------------
// Numbers

const MINUS = '\u2212';
const NBSP = '\u00a0';

class Format {
	constructor(readonly language: Language) {}

	/** Fixed decimals, language separators, "−" for negatives, no "−0"; "—" for a missing number. */
	number(value: unknown, digits = 1): string {
		if (!finite(value)) return '—';
		const text = Math.abs(value).toFixed(digits);
		const negative = value < 0 && Number(text) !== 0;
		const [whole, fraction] = text.split('.');
		const group = this.language === 'en' ? ',' : NBSP;
		const grouped = whole.length > 4 ? whole.replace(/\B(?=(\d{3})+(?!\d))/g, group) : whole;
		const decimal = this.language === 'en' ? '.' : ',';
		return (negative ? MINUS : '') + grouped + (fraction !== undefined ? decimal + fraction : '');
	}

	count(value: unknown): string {
		return this.number(finite(value) ? Math.round(value) : value, 0);
	}

	signed(value: unknown, digits = 1): string {
		if (!finite(value)) return '—';
		const text = this.number(value, digits);
		return value > 0 && Number(Math.abs(value).toFixed(digits)) !== 0 ? `+${text}` : text;
	}

	/** A share 0…1 as a percentage. */
	percent(share: unknown, digits = 0): string {
		if (!finite(share)) return '—';
		return this.number(share * 100, digits) + (this.language === 'en' ? '%' : `${NBSP}%`);
	}

	npsWithMargin(stats: GroupStats): string {
		const nps = this.number(stats.nps);
		return finite(stats.margin95) && finite(stats.nps) ? `${nps}${NBSP}±${NBSP}${this.number(stats.margin95)}` : nps;
	}

	/** "2026-03" → "мар 2026"; anything else as written. */
	period(period: unknown): string {
		const text = clean(period);
		const month = /^(\d{4})-(\d{2})$/.exec(text);
		if (month) {
			const index = Number(month[2]) - 1;
			if (index >= 0 && index < 12) return `${MONTHS[this.language][index]}${NBSP}${month[1]}`;
		}
		return text;
	}

	/** An ISO date-time as written (the recorded local time): "05.03.2026 14:20" (ru/uk), "2026-03-05 14:20" (en). */
	dateTime(iso: unknown): string {
		const text = clean(iso);
		const parts = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
		if (!parts) return text;
		const [, year, month, day, hour, minute, zone] = parts;
		const date = this.language === 'en' ? `${year}-${month}-${day}` : `${day}.${month}.${year}`;
		if (hour === undefined) return date;
		return `${date} ${hour}:${minute}${zone === 'Z' ? ' UTC' : ''}`;
	}
}

// ---------------------------------------------------------------------------------------------
// Data helpers

interface Stats extends GroupStats {
	name: string;
}

function answersOf(stats: GroupStats | undefined): number {
	return stats && finite(stats.n) && stats.n > 0 ? Math.round(stats.n) : 0;
}

/** A group with answers and a finite NPS; NPS without answers is meaningless. */
function usable(stats: GroupStats | undefined): stats is GroupStats {
	return answersOf(stats) > 0 && finite(stats?.nps);
}

function groupName(stats: GroupStats, field: string, texts: Texts): string {
	const group = stats.group && typeof stats.group === 'object' ? stats.group : {};
	const value = Object.prototype.hasOwnProperty.call(group, field) ? group[field] : Object.values(group)[0];
	const name = value === undefined || value === null ? clean(stats.key) : String(value).trim();
	return name === '' ? texts.notSet : name;
}

function named(list: GroupStats[] | undefined, field: string, texts: Texts): Stats[] {
	return (Array.isArray(list) ? list : []).filter(usable).map((stats) => ({ ...stats, name: groupName(stats, field, texts) }));
}

function byNps(a: Stats, b: Stats): number {
	return b.nps - a.nps || answersOf(b) - answersOf(a) || a.name.localeCompare(b.name);
}

/** Shares from the counts (so they always agree with n), 0…1. */
function shares(stats: GroupStats): { promoters: number; passives: number; detractors: number } {
	const n = answersOf(stats);
	const part = (value: unknown): number => (n > 0 && finite(value) && value > 0 ? Math.min(value / n, 1) : 0);
	return { promoters: part(stats.promoters), passives: part(stats.passives), detractors: part(stats.detractors) };
}

/** 'https://x.bitrix24.ru/anything' → 'https://x.bitrix24.ru'; anything but a plain https URL → undefined. */
function portalOrigin(url: unknown): string | undefined {
	const text = clean(url);
	if (!/^https:\/\/[^\s/?#@]+(?:[/?#]\S*)?$/i.test(text)) return undefined;
	try {
		const parsed = new URL(text);
		return parsed.protocol === 'https:' && parsed.username === '' && parsed.password === '' ? parsed.origin : undefined;
	} catch {
		return undefined;
	}
}

/** A name cut for a tooltip (the legend and the table have it whole). */
function short(name: string, max = 24): string {
	const characters = [...name];
	return characters.length > max ? `${characters.slice(0, max - 1).join('')}…` : name;
}

/** Coordinates with one decimal keep the SVG small. */
function c(value: number): string {
	return String(Math.round(value * 10) / 10);
}

function pct(value: number): string {
	return `${Math.round(Math.min(Math.max(value, 0), 100) * 100) / 100}%`;
}

/** A scale over NPS values: steps of 25 (or 50), always including 0, inside −100…100. */
function npsRange(values: number[], minSpan = 50): { lo: number; hi: number; step: number } {
	let lo = Math.min(0, ...values);
	let hi = Math.max(0, ...values);
	const step = hi - lo > 100 ? 50 : 25;
	lo = Math.max(-100, Math.floor(lo / step) * step);
	hi = Math.min(100, Math.ceil(hi / step) * step);
	if (hi - lo < minSpan) {
		if (hi + step <= 100) hi += step;
		else lo -= step;
	}
	return { lo, hi, step };
}

// ---------------------------------------------------------------------------------------------
// Page

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#e07b00', '#8c564b', '#d6409f', '#0f8a9d'];
const DASHES = ['', '', '', '', '6 3', '6 3', '2 3', '2 3'];
const COMPANY_COLOR = '#1f2328';
const CATEGORY = { detractor: '#cf222e', passive: '#9a6700', promoter: '#1a7f37' };

const CSS = [
	'*{box-sizing:border-box}',
	'html{-webkit-text-size-adjust:100%}',
	'body{margin:0;background:#f6f8fa;color:#1f2328;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}',
	'main{max-width:60rem;margin:0 auto;padding:16px 12px 40px}',
	'h1{font-size:1.5rem;line-height:1.25;margin:0 0 4px}',
	'h2{font-size:1.15rem;line-height:1.3;margin:0 0 10px}',
	'p{margin:0 0 10px}',
	'section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:14px 12px;margin:0 0 14px}',
	'.muted,.hint{color:#57606a;font-size:.9rem}',
	'.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
	'.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(8.5rem,1fr));gap:8px;margin:0 0 10px}',
	'.card{border:1px solid #d0d7de;border-radius:8px;padding:8px 10px;min-width:0}',
	'.card dt{color:#57606a;font-size:.85rem}',
	'.nw{white-space:nowrap}',
	'.card dd{margin:0;font-size:1.45rem;font-weight:700;line-height:1.2;overflow-wrap:anywhere}',
	'.card dd small{font-size:.95rem;font-weight:600;color:#57606a}',
	'.card.main dd{font-size:2rem}',
	'.p{color:#1a7f37}.a{color:#9a6700}.d{color:#cf222e}',
	'.stack{display:flex;height:12px;border-radius:6px;overflow:hidden;background:#eaeef2;margin:0 0 6px}',
	'.stack span{display:block;height:100%}',
	'.note{border-left:4px solid #9a6700;background:#fff8c5;padding:8px 10px;border-radius:4px}',
	'svg{display:block;width:100%;height:auto}',
	'.chart{max-width:38rem;margin:0 0 4px}',
	// Phones: the charts shrink with their viewBox, so their text is drawn larger to stay ~11px.
	'.emp small{font-size:.9em}',
	'@media (max-width:30em){.chart{font-size:14px}.emp th:last-child,.emp td:last-child{display:none}.emp small{display:block}}',
	'svg text{font-family:inherit}',
	'.legend{list-style:none;padding:0;margin:6px 0 10px;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.9rem}',
	'.legend li{display:flex;align-items:center;gap:6px;min-width:0;overflow-wrap:anywhere}',
	'.legend svg{width:26px;flex:none}',
	'details{margin:8px 0 0}',
	'summary{cursor:pointer;color:#0969da;min-height:32px;padding:4px 0}',
	'.scroll{position:relative;overflow-x:auto;max-width:100%}',
	'table{border-collapse:collapse;font-size:.9rem;min-width:100%}',
	'caption{text-align:left;color:#57606a;font-size:.85rem;padding:0 0 4px}',
	'th,td{padding:5px 6px;border-bottom:1px solid #d0d7de;text-align:right;white-space:nowrap}',
	'th[scope=row],.t{text-align:left;white-space:normal;overflow-wrap:anywhere;min-width:5rem}',
	'thead th{background:#f6f8fa;white-space:normal;vertical-align:bottom}',
	'tr.thin td,tr.thin th,td.q{color:#6e7781;font-style:italic}',
	'.tag{display:inline-block;font-size:.75rem;font-style:normal;font-weight:600;line-height:1.3;padding:0 6px;border-radius:10px;border:1px solid #d0d7de;background:#f6f8fa;color:#57606a;white-space:nowrap}',
	'.tag.up{border-color:#1a7f37;color:#1a7f37;background:#dafbe1}',
	'.tag.down{border-color:#cf222e;color:#a40e26;background:#ffebe9}',
	'.rows{list-style:none;padding:0;margin:0}',
	'.rows li{padding:6px 0;border-bottom:1px solid #eaeef2}',
	'.rl{display:flex;flex-wrap:wrap;align-items:baseline;gap:2px 8px;margin:0 0 4px}',
	'.nm{font-weight:600;overflow-wrap:anywhere}',
	'.val{font-weight:700;white-space:nowrap}',
	'.track{position:relative;height:16px;background:#f6f8fa;border-radius:3px}',
	'.track span{position:absolute;display:block}',
	'.zero{top:0;bottom:0;width:1px;background:#8c959f}',
	'.bar{top:3px;bottom:3px;background:#0969da;border-radius:2px}',
	'.bar.up{background:#1a7f37}.bar.down{background:#cf222e}',
	'.bar.thin{background:repeating-linear-gradient(135deg,#8cb4ea 0 3px,#fff 3px 6px);border:1px solid #8cb4ea}',
	'.wh{top:7px;height:2px;background:#1f2328}',
	'.wh::before{content:"";position:absolute;left:-2px;right:-2px;top:-4px;bottom:-4px;border-left:2px solid #1f2328;border-right:2px solid #1f2328}',
	'.avg{top:-3px;bottom:-3px;width:3px;margin-left:-1px;background:#d4a72c}',
	'.axis{position:relative;height:1.3em;font-size:.75rem;color:#57606a;margin:0 0 2px}',
	'.axis span{position:absolute;transform:translateX(-50%);white-space:nowrap}',
	'.axis span:first-child{transform:none}.axis span:last-child{transform:translateX(-100%)}',
	'.comments{list-style:none;padding:0;margin:0}',
	'.comments li{padding:8px 0;border-bottom:1px solid #eaeef2}',
	'.comments blockquote{margin:4px 0;white-space:pre-wrap;overflow-wrap:anywhere}',
	'.score{display:inline-block;min-width:1.8em;text-align:center;font-weight:700;color:#fff;background:#cf222e;border-radius:4px;padding:0 4px}',
	'a{color:#0969da}',
	'a:focus,summary:focus{outline:3px solid #0969da;outline-offset:2px}',
	'footer{color:#57606a;font-size:.85rem}',
	'@media (min-width:40em){main{padding:24px 20px 48px}section{padding:18px 20px}}',
].join('');

interface Context {
	language: Language;
	texts: Texts;
	f: Format;
	input: DashboardInput;
	scaleMin: 0 | 1;
	promoterFrom: number;
	detractorTo: number;
	/** "Promoters (9–10)" etc. for the thresholds in use. */
	labels: { promoters: string; passives: string; detractors: string };
}

function span(from: number, to: number): string {
	return from === to ? String(from) : from < to ? `${from}–${to}` : '—';
}

function context(input: DashboardInput): Context {
	const language = lang(input?.language);
	const texts = TEXTS[language];
	const scaleMin: 0 | 1 = input?.scale?.min === 1 ? 1 : 0;
	let promoterFrom = 9;
	let detractorTo = 6;
	const given = input?.thresholds;
	if (
		given &&
		Number.isInteger(given.promoterFrom) &&
		Number.isInteger(given.detractorTo) &&
		given.detractorTo >= scaleMin &&
		given.detractorTo < given.promoterFrom &&
		given.promoterFrom <= 10
	) {
		promoterFrom = given.promoterFrom;
		detractorTo = given.detractorTo;
	}
	const ranges = { promoters: span(promoterFrom, 10), passives: span(detractorTo + 1, promoterFrom - 1), detractors: span(scaleMin, detractorTo) };
	return {
		language,
		texts,
		f: new Format(language),
		input,
		scaleMin,
		promoterFrom,
		detractorTo,
		labels: {
			promoters: fill(texts.promoters, ranges),
			passives: fill(texts.passives, ranges),
			detractors: fill(texts.detractors, ranges),
		},
	};
}

/** The aggregate's skip reasons in the reader's language (unknown reasons as written). */
const REASONS: Record<Language, Record<string, string>> = {
	ru: {
		'no score': 'нет оценки',
		'score out of range': 'оценка вне шкалы',
		'score not whole': 'дробная оценка',
		'score not readable': 'оценку не удалось прочитать',
		'not an answer': 'не ответ',
		'no time': 'нет времени ответа',
		'time not readable': 'время ответа не прочитано',
	},
	uk: {
		'no score': 'немає оцінки',
		'score out of range': 'оцінка поза шкалою',
		'score not whole': 'дробова оцінка',
		'score not readable': 'оцінку не вдалося прочитати',
		'not an answer': 'не відповідь',
		'no time': 'немає часу відповіді',
		'time not readable': 'час відповіді не прочитано',
	},
	en: {},
};

function section(id: string, title: string, body: string): string {
	return `<section aria-labelledby="${id}"><h2 id="${id}">${escapeHtml(title)}</h2>${body}</section>`;
}

function thinTag(ctx: Context): string {
	return `<span class="tag">${escapeHtml(ctx.texts.fewAnswers)}</span>`;
}

/** ▲/▼ against the company, only when the difference is significant. */
function significance(ctx: Context, stats: GroupStats, withDifference = true): { tag: string; css: '' | 'up' | 'down' } {
	const vs = stats.vsTotal;
	if (!vs || vs.significant !== true || !finite(vs.difference) || vs.difference === 0) return { tag: '', css: '' };
	const up = vs.difference > 0;
	const text = up ? ctx.texts.above : ctx.texts.below;
	const label = withDifference ? `${text} (${ctx.f.signed(vs.difference)})` : text;
	return { tag: `<span class="tag ${up ? 'up' : 'down'}">${escapeHtml(label)}</span>`, css: up ? 'up' : 'down' };
}

function headline(ctx: Context, total: GroupStats): string {
	const { texts, f } = ctx;
	const share = shares(total);
	const rate = total.responseRate;
	// "(9–10)" stays on one line when a narrow card wraps its label.
	const card = (label: string, value: string, extra = ''): string =>
		`<div class="card${extra}"><dt>${escapeHtml(label).replace(/\([^()]*\)$/, '<span class="nw">$&</span>')}</dt><dd>${value}</dd></div>`;
	let cards = card(
		texts.companyNps,
		`${escapeHtml(f.number(total.nps))}${finite(total.margin95) ? ` <small>±${NBSP}${escapeHtml(f.number(total.margin95))}</small>` : ''}`,
		' main',
	);
	cards += card(texts.answers, escapeHtml(f.count(total.n)));
	if (finite(rate) && rate >= 0) cards += card(texts.responseRate, escapeHtml(f.percent(rate)));
	cards += card(ctx.labels.promoters, `<span class="p">${escapeHtml(f.percent(share.promoters))}</span>`);
	cards += card(ctx.labels.passives, `<span class="a">${escapeHtml(f.percent(share.passives))}</span>`);
	cards += card(ctx.labels.detractors, `<span class="d">${escapeHtml(f.percent(share.detractors))}</span>`);
	const label = fill(texts.sharesLabel, {
		promoters: f.percent(share.promoters),
		passives: f.percent(share.passives),
		detractors: f.percent(share.detractors),
	});
	const stack =
		`<div class="stack" role="img" aria-label="${escapeHtml(label)}">` +
		`<span style="width:${pct(share.promoters * 100)};background:${CATEGORY.promoter}"></span>` +
		`<span style="width:${pct(share.passives * 100)};background:#d4a72c"></span>` +
		`<span style="width:${pct(share.detractors * 100)};background:${CATEGORY.detractor}"></span></div>`;
	const thin = total.thin === true ? ` ${thinTag(ctx)}` : '';
	return (
		`<section aria-labelledby="s-sum"><h2 id="s-sum" class="sr">${escapeHtml(texts.summary)}</h2>` +
		`<dl class="cards">${cards}</dl>${stack}<p class="hint">${escapeHtml(texts.marginHint)}${thin}</p></section>`
	);
}

function skippedNote(ctx: Context, skipped: AggregateResult['skipped'] | undefined): string {
	if (!skipped || !finite(skipped.count) || skipped.count <= 0) return '';
	const reasons = Object.entries(skipped.reasons && typeof skipped.reasons === 'object' ? skipped.reasons : {})
		.filter(([, count]) => finite(count) && count > 0)
		.map(([reason, count]) => `${REASONS[ctx.language][reason] ?? reason}: ${ctx.f.count(count)}`)
		.join('; ');
	return `<p class="note" role="note">${escapeHtml(`${fill(ctx.texts.skipped, { count: ctx.f.count(skipped.count) })}${reasons ? ` (${reasons})` : ''}.`)}</p>`;
}

// --- trend -------------------------------------------------------------------------------------

interface Line {
	name: string;
	points: Map<string, GroupStats>;
	n: number;
}

function trend(ctx: Context): string {
	const { texts, f, input } = ctx;
	const source = input.byBranchMonth;
	const periodOf = (stats: GroupStats): string => clean(stats.period);
	const company: Line = { name: texts.company, points: new Map(), n: 0 };
	for (const stats of Array.isArray(source?.totalsByPeriod) ? source.totalsByPeriod : []) {
		if (usable(stats) && periodOf(stats)) company.points.set(periodOf(stats), stats);
	}
	const branches = new Map<string, Line>();
	for (const stats of named(source?.groups, input.branchField, texts)) {
		const period = periodOf(stats);
		if (!period) continue;
		// One line per group value: a periodic group's key also holds its period ('Казань @ 2026-11').
		const key = stats.name;
		let line = branches.get(key);
		if (!line) {
			line = { name: stats.name, points: new Map(), n: 0 };
			branches.set(key, line);
		}
		line.points.set(period, stats);
		line.n += answersOf(stats);
	}
	const periods = [...new Set([...company.points.keys(), ...[...branches.values()].flatMap((line) => [...line.points.keys()])])].sort();
	if (periods.length === 0) return section('s-trend', texts.trendTitle, `<p class="muted">${escapeHtml(texts.noTrend)}</p>`);

	const all = [...branches.values()].sort((a, b) => b.n - a.n || a.name.localeCompare(b.name));
	const shown = all.slice(0, MAX_TREND_LINES);
	const branchLines: Array<{ line: Line; color: string; dash: string; width: number }> = shown.map((line, index) => ({
		line,
		color: PALETTE[index % PALETTE.length],
		dash: DASHES[index % DASHES.length],
		width: 2,
	}));
	const companyLine = company.points.size > 0 ? [{ line: company, color: COMPANY_COLOR, dash: '', width: 3.5 }] : [];
	// The company line is drawn last (on top) and listed first.
	const drawn = [...branchLines, ...companyLine];

	// Geometry (viewBox units; at 360px wide 1 unit ≈ 0.8px, so 11-unit text stays readable).
	const W = 400;
	const H = 230;
	const left = 40;
	const right = 10;
	const top = 10;
	const bottom = 36;
	const plotW = W - left - right;
	const plotH = H - top - bottom;
	const values = drawn.flatMap(({ line }) => [...line.points.values()].map((stats) => stats.nps));
	const { lo, hi, step } = npsRange(values);
	const x = (index: number): number => left + (periods.length === 1 ? plotW / 2 : (index * plotW) / (periods.length - 1));
	const y = (value: number): number => top + ((hi - Math.min(Math.max(value, lo), hi)) / (hi - lo)) * plotH;

	let grid = '';
	for (let value = lo; value <= hi; value += step) {
		grid +=
			`<line x1="${left}" x2="${W - right}" y1="${c(y(value))}" y2="${c(y(value))}" stroke="${value === 0 ? '#8c959f' : '#d0d7de'}"/>` +
			`<text x="${left - 4}" y="${c(y(value) + 4)}" text-anchor="end">${escapeHtml(f.number(value, 0))}</text>`;
	}
	const labelEvery = Math.max(1, Math.ceil(periods.length / 7));
	let lastYear = '';
	periods.forEach((period, index) => {
		// Every labelEvery-th month, and the last one unless it would crowd the label before it.
		const gap = index % labelEvery;
		if (gap !== 0 && (index !== periods.length - 1 || gap < labelEvery / 2 + 0.5)) return;
		const month = /^(\d{4})-(\d{2})$/.exec(period);
		const px = c(x(index));
		const anchor = periods.length === 1 ? 'middle' : index === 0 ? 'start' : index === periods.length - 1 ? 'end' : 'middle';
		grid += `<line x1="${px}" x2="${px}" y1="${H - bottom}" y2="${H - bottom + 4}" stroke="#8c959f"/>`;
		if (month) {
			const monthName = MONTHS[ctx.language][Number(month[2]) - 1] ?? month[2];
			grid += `<text x="${px}" y="${H - bottom + 15}" text-anchor="${anchor}">${escapeHtml(monthName)}</text>`;
			if (month[1] !== lastYear) grid += `<text x="${px}" y="${H - bottom + 28}" text-anchor="${anchor}" fill="#57606a">${month[1]}</text>`;
			lastYear = month[1];
		} else {
			grid += `<text x="${px}" y="${H - bottom + 15}" text-anchor="${anchor}">${escapeHtml(short(period, 12))}</text>`;
		}
	});

	let lines = '';
	let anyThin = false;
	for (const { line, color, dash, width } of drawn) {
		let path = '';
		let previous = false;
		let dots = '';
		const radius = width > 2 ? 3.5 : 2.8;
		periods.forEach((period, index) => {
			const stats = line.points.get(period);
			if (!stats) {
				previous = false;
				return;
			}
			const px = c(x(index));
			const py = c(y(stats.nps));
			path += `${previous ? 'L' : 'M'}${px} ${py}`;
			previous = true;
			const thin = stats.thin === true;
			anyThin ||= thin;
			const label = `${short(line.name)} · ${f.period(period)}: NPS ${f.npsWithMargin(stats)}, ${fill(texts.answersN, { n: f.count(stats.n) })}`;
			dots += `<circle cx="${px}" cy="${py}" r="${radius}"${thin ? ' fill="#fff"' : ''}><title>${escapeHtml(label)}</title></circle>`;
		});
		lines +=
			`<g fill="${color}" stroke="${color}" stroke-width="1.5"><path d="${path}" fill="none" stroke-width="${width}" stroke-linejoin="round"${dash ? ` stroke-dasharray="${dash}"` : ''}/>` +
			`${dots}</g>`;
	}

	const companyValues = periods
		.filter((period) => company.points.has(period))
		.map((period) => `${f.period(period)} ${f.number(company.points.get(period)?.nps)}`)
		.join('; ');
	const description = companyValues ? fill(texts.trendCompany, { values: companyValues }) : texts.trendChart;
	const svg =
		`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="trend-t trend-d" font-size="11" fill="#1f2328">` +
		`<title id="trend-t">${escapeHtml(texts.trendChart)}</title><desc id="trend-d">${escapeHtml(description)}</desc>` +
		`${grid}${lines}</svg>`;

	const legend =
		'<ul class="legend">' +
		[...companyLine, ...branchLines]
			.map(
				({ line, color, dash, width }) =>
					`<li><svg viewBox="0 0 26 10" aria-hidden="true"><line x1="1" x2="25" y1="5" y2="5" stroke="${color}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''}/></svg>` +
					`${escapeHtml(line.name)}</li>`,
			)
			.join('') +
		'</ul>';

	let notes = '';
	let latestText = '';
	const latest = [...company.points.values()].sort((a, b) => periodOf(a).localeCompare(periodOf(b))).pop();
	if (latest) {
		let text = fill(texts.latest, { period: f.period(latest.period), nps: f.npsWithMargin(latest) });
		const vs = latest.vsPrevious;
		if (vs && finite(vs.difference)) {
			text +=
				' ' +
				fill(texts.change, {
					previous: f.period(vs.period),
					difference: f.signed(vs.difference),
					significance: vs.significant === true ? texts.significant : texts.notSignificant,
				});
		}
		latestText = `<p>${escapeHtml(text)}</p>`;
	}
	if (all.length > shown.length) {
		notes += `<p class="note" role="note">${escapeHtml(fill(texts.trendNote, { shown: shown.length, more: all.length - shown.length }))}</p>`;
	}
	if (anyThin) notes += `<p class="hint">${escapeHtml(texts.hollowPoint)}</p>`;

	// The numbers behind the chart, for every branch (also those not drawn) and screen readers.
	const head = periods.map((period) => `<th scope="col">${escapeHtml(f.period(period))}</th>`).join('');
	const row = (line: Line): string =>
		`<tr><th scope="row">${escapeHtml(line.name)}</th>` +
		periods
			.map((period) => {
				const stats = line.points.get(period);
				if (!stats) return '<td>—</td>';
				return `<td${stats.thin === true ? ' class="q"' : ''}>${escapeHtml(f.number(stats.nps))} (${escapeHtml(f.count(stats.n))})</td>`;
			})
			.join('') +
		'</tr>';
	const rows = (company.points.size > 0 ? row(company) : '') + all.map(row).join('');
	const table =
		`<details><summary>${escapeHtml(texts.showTable)}</summary><div class="scroll"><table>` +
		`<caption>NPS (${escapeHtml(texts.answersN.replace(/[:\s]*\{n\}/, ''))})</caption>` +
		`<thead><tr><th scope="col">${escapeHtml(texts.branch)}</th>${head}</tr></thead><tbody>${rows}</tbody></table></div></details>`;

	return section('s-trend', texts.trendTitle, latestText + svg + legend + notes + table);
}

// --- branches against the company ---------------------------------------------------------------

function branchBars(ctx: Context, total: GroupStats): string {
	const { texts, f, input } = ctx;
	const branches = named(input.byBranch?.groups, input.branchField, texts).sort(byNps);
	if (branches.length === 0) return section('s-branches', texts.branchesTitle, `<p class="muted">${escapeHtml(texts.noBranches)}</p>`);
	const margin = (stats: GroupStats): number => (finite(stats.margin95) && stats.margin95 > 0 ? stats.margin95 : 0);
	const companyNps = usable(total) ? total.nps : undefined;
	const { lo, hi, step } = npsRange([
		...branches.flatMap((stats) => [stats.nps - margin(stats), stats.nps + margin(stats)]),
		...(companyNps !== undefined ? [companyNps] : []),
	]);
	const pos = (value: number): number => ((Math.min(Math.max(value, lo), hi) - lo) / (hi - lo)) * 100;
	const zero = pos(0);

	let axis = '<div class="axis" aria-hidden="true">';
	for (let value = lo; value <= hi; value += step) axis += `<span style="left:${pct(pos(value))}">${escapeHtml(f.number(value, 0))}</span>`;
	axis += '</div>';

	let anyThin = false;
	let anySignificant = false;
	const rows = branches
		.map((stats) => {
			const thin = stats.thin === true;
			anyThin ||= thin;
			const sig = significance(ctx, stats);
			anySignificant ||= sig.css !== '';
			const at = pos(stats.nps);
			const barLeft = Math.min(at, zero);
			const barWidth = Math.abs(at - zero);
			const m = margin(stats);
			const whisker =
				m > 0
					? `<span class="wh" style="left:${pct(pos(stats.nps - m))};width:${pct(pos(stats.nps + m) - pos(stats.nps - m))}"></span>`
					: '';
			const average = companyNps !== undefined ? `<span class="avg" style="left:${pct(pos(companyNps))}"></span>` : '';
			return (
				'<li>' +
				`<div class="rl"><span class="nm">${escapeHtml(stats.name)}</span>` +
				`<span class="val">NPS ${escapeHtml(f.npsWithMargin(stats))}</span>` +
				`<span class="muted">${escapeHtml(fill(texts.answersN, { n: f.count(stats.n) }))}</span>` +
				(thin ? thinTag(ctx) : '') +
				sig.tag +
				'</div>' +
				`<div class="track" aria-hidden="true"><span class="zero" style="left:${pct(zero)}"></span>` +
				`<span class="bar${thin ? ' thin' : sig.css ? ` ${sig.css}` : ''}" style="left:${pct(barLeft)};width:${pct(Math.max(barWidth, 0.4))}"></span>` +
				`${whisker}${average}</div>` +
				'</li>'
			);
		})
		.join('');
	const hints = [fill(texts.branchesHint, { nps: f.npsWithMargin(total) }), anySignificant ? texts.significanceHint : '', anyThin ? texts.fewAnswersHint : '']
		.filter((hint) => hint !== '')
		.join(' ');
	return section('s-branches', texts.branchesTitle, `<p class="hint">${escapeHtml(hints)}</p>${axis}<ul class="rows">${rows}</ul>`);
}

// --- employees ---------------------------------------------------------------------------------------

function employees(ctx: Context): string {
	const { texts, f, input } = ctx;
	const all = named(input.byEmployee?.groups, input.employeeField, texts).sort(byNps);
	if (all.length === 0) return section('s-employees', texts.employeesTitle, `<p class="muted">${escapeHtml(texts.noEmployees)}</p>`);
	// A handful of answers says little: those employees follow the ranked ones, without a place.
	const ranked = all.filter((stats) => stats.thin !== true);
	const unranked = all.filter((stats) => stats.thin === true);
	let anySignificant = false;
	const rows = [...ranked, ...unranked]
		.map((stats, index) => {
			const thin = stats.thin === true;
			const vs = stats.vsTotal;
			let mark = '';
			if (vs && vs.significant === true && finite(vs.difference) && vs.difference !== 0) {
				anySignificant = true;
				const up = vs.difference > 0;
				const [arrow, ...words] = (up ? texts.above : texts.below).split(' ');
				mark = `<span class="${up ? 'p' : 'd'}">${escapeHtml(arrow)}<span class="sr"> ${escapeHtml(words.join(' '))}</span></span>`;
			}
			// Phones: the margin (and ▲/▼) go under the NPS, the difference column is hidden.
			const margin = finite(stats.margin95) ? escapeHtml(`±${NBSP}${f.number(stats.margin95)}`) : '';
			const difference = vs && finite(vs.difference) ? f.signed(vs.difference) : '—';
			return (
				`<tr${thin ? ' class="thin"' : ''}><td>${thin ? '—' : index + 1}</td>` +
				`<th scope="row">${escapeHtml(stats.name)}${thin ? ` ${thinTag(ctx)}` : ''}</th>` +
				`<td>${escapeHtml(f.number(stats.nps))}${margin || mark ? ` <small>${[margin, mark].filter(Boolean).join(' ')}</small>` : ''}</td>` +
				`<td>${escapeHtml(f.count(stats.n))}</td><td>${escapeHtml(difference)}</td></tr>`
			);
		})
		.join('');
	const table =
		`<div class="scroll"><table class="emp"><caption>${escapeHtml(texts.employeesCaption)}</caption><thead><tr>` +
		`<th scope="col">${escapeHtml(texts.rank)}</th><th scope="col" class="t">${escapeHtml(texts.employee)}</th>` +
		`<th scope="col">${escapeHtml(texts.npsMargin)}</th><th scope="col">${escapeHtml(texts.answers)}</th>` +
		`<th scope="col">${escapeHtml(texts.vsCompany)}</th></tr></thead><tbody>${rows}</tbody></table></div>`;
	const hints = [anySignificant ? texts.significanceHint : '', unranked.length > 0 ? texts.thinNotRanked : '']
		.filter((hint) => hint !== '')
		.join(' ');
	return section('s-employees', texts.employeesTitle, table + (hints ? `<p class="hint">${escapeHtml(hints)}</p>` : ''));
}

// --- distribution ----------------------------------------------------------------------------------

function distributionCounts(ctx: Context, total: GroupStats): Array<{ score: number; count: number }> {
	const source = Array.isArray(total.distribution) ? total.distribution : [];
	// Indexed by score (0…10); a 1–10 list of ten counts is indexed from 1.
	const offset = source.length === 10 && ctx.scaleMin === 1 ? 1 : 0;
	const result: Array<{ score: number; count: number }> = [];
	for (let score = ctx.scaleMin; score <= 10; score++) {
		const value = source[score - offset];
		result.push({ score, count: finite(value) && value > 0 ? Math.round(value) : 0 });
	}
	return result;
}

function distribution(ctx: Context, total: GroupStats): string {
	const { texts, f } = ctx;
	const counts = distributionCounts(ctx, total);
	const max = Math.max(1, ...counts.map((item) => item.count));
	const sum = counts.reduce((acc, item) => acc + item.count, 0);
	const W = 400;
	const H = 180;
	const top = 18;
	const bottom = 22;
	const left = 6;
	const slot = (W - 2 * left) / counts.length;
	const plotH = H - top - bottom;
	let bars = `<line x1="${left}" x2="${W - left}" y1="${H - bottom}" y2="${H - bottom}" stroke="#8c959f"/>`;
	for (const [index, { score, count }] of counts.entries()) {
		const color = score >= ctx.promoterFrom ? CATEGORY.promoter : score > ctx.detractorTo ? CATEGORY.passive : CATEGORY.detractor;
		const height = (count / max) * plotH;
		const bx = left + index * slot + slot * 0.12;
		const share = sum > 0 ? ` (${f.percent(count / sum)})` : '';
		bars +=
			`<g><title>${escapeHtml(`${texts.score} ${score}: ${f.count(count)}${share}`)}</title>` +
			`<rect x="${c(bx)}" y="${c(H - bottom - height)}" width="${c(slot * 0.76)}" height="${c(height)}" fill="${color}"/>` +
			`<text x="${c(bx + slot * 0.38)}" y="${c(H - bottom - height - 4)}" text-anchor="middle">${escapeHtml(f.count(count))}</text>` +
			`<text x="${c(bx + slot * 0.38)}" y="${H - 6}" text-anchor="middle" font-weight="700" fill="${color}">${score}</text></g>`;
	}
	const label = fill(texts.distributionChart, {
		min: ctx.scaleMin,
		values: counts.map(({ score, count }) => `${score}: ${f.count(count)}`).join(', '),
	});
	const svg =
		`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(label)}" font-size="11" fill="#1f2328">` +
		`<title>${escapeHtml(label)}</title>${bars}</svg>`;
	const legend =
		'<ul class="legend">' +
		[
			[CATEGORY.detractor, ctx.labels.detractors],
			[CATEGORY.passive, ctx.labels.passives],
			[CATEGORY.promoter, ctx.labels.promoters],
		]
			.map(
				([color, text]) =>
					`<li><svg viewBox="0 0 26 10" aria-hidden="true"><rect x="1" y="0" width="24" height="10" fill="${color}"/></svg>${escapeHtml(text)}</li>`,
			)
			.join('') +
		'</ul>';
	return section('s-distribution', texts.distributionTitle, svg + legend);
}

// --- comments ----------------------------------------------------------------------------------------

function comments(ctx: Context): string {
	const { texts, f, input } = ctx;
	const origin = portalOrigin(input.portalUrl);
	const list = (Array.isArray(input.detractorComments) ? input.detractorComments : [])
		.filter((item) => item && typeof item === 'object' && clean(item.comment) !== '')
		.slice(0, MAX_COMMENTS);
	if (list.length === 0) return section('s-comments', texts.commentsTitle, `<p class="muted">${escapeHtml(texts.noComments)}</p>`);
	const items = list
		.map((item) => {
			const dealId = Number.isSafeInteger(item.dealId) && item.dealId > 0 ? item.dealId : undefined;
			let meta = finite(item.score) ? `<span class="score" title="${escapeHtml(texts.score)}">${escapeHtml(f.count(item.score))}</span> ` : '';
			if (clean(item.branch)) meta += `<span class="nm">${escapeHtml(clean(item.branch))}</span> `;
			if (clean(item.at)) meta += `<time class="muted" datetime="${escapeHtml(clean(item.at))}">${escapeHtml(f.dateTime(item.at))}</time> `;
			if (dealId !== undefined) {
				const text = escapeHtml(fill(texts.deal, { id: `#${dealId}` }));
				meta += origin
					? `<a href="${escapeHtml(`${origin}/crm/deal/details/${dealId}/`)}" target="_blank" rel="noopener noreferrer">${text}</a>`
					: `<span class="muted">${text}</span>`;
			}
			const comment = clean(item.comment);
			const clipped = comment.length > MAX_COMMENT_CHARS ? `${comment.slice(0, MAX_COMMENT_CHARS)}…` : comment;
			return `<li><div>${meta}</div><blockquote>${escapeHtml(clipped)}</blockquote></li>`;
		})
		.join('');
	return section('s-comments', texts.commentsTitle, `<ul class="comments">${items}</ul>`);
}

// --- document ---------------------------------------------------------------------------------------

/** The whole dashboard: one HTML document, no scripts, no external requests. */
export function dashboardHtml(input: DashboardInput): string {
	const ctx = context(input);
	const { language, texts } = ctx;
	const company = clean(input.company);
	const title = clean(input.title) || (company ? `${texts.docTitle} · ${company}` : texts.docTitle);
	const total = input.byBranch?.total;
	const generated = clean(input.generatedAt)
		? `<p class="muted">${escapeHtml(fill(texts.generated, { at: ctx.f.dateTime(input.generatedAt) }))}</p>`
		: '';
	let body = `<header><h1>${escapeHtml(title)}</h1>${company && clean(input.title) ? `<p class="muted">${escapeHtml(company)}</p>` : ''}${generated}</header>`;
	const skipped = skippedNote(ctx, input.byBranch?.skipped);
	if (!usable(total)) {
		body += section('s-empty', texts.noAnswersTitle, `<p>${escapeHtml(texts.noAnswersText)}</p>${skipped}`);
	} else {
		body += headline(ctx, total);
		if (skipped) body += `<section aria-label="${escapeHtml(texts.skipped.replace(/[:\s]*\{count\}/, ''))}">${skipped}</section>`;
		body += trend(ctx);
		body += branchBars(ctx, total);
		body += employees(ctx);
		body += distribution(ctx, total);
		body += comments(ctx);
	}
	return (
		`<!DOCTYPE html><html lang="${language}"><head><meta charset="utf-8">` +
		'<meta name="viewport" content="width=device-width,initial-scale=1">' +
		'<meta name="robots" content="noindex,nofollow"><meta name="referrer" content="no-referrer">' +
		'<meta name="color-scheme" content="light"><link rel="icon" href="data:,">' +
		`<title>${escapeHtml(title)}</title><style>${CSS}</style></head>` +
		`<body><main>${body}</main></body></html>`
	);
}
