/**
 * NPS by group and period: counts, NPS, its standard error and 95% margin, thin-sample flags, the
 * score distribution, response rates and two comparisons (a group against the total of its period,
 * a group against its own previous period). Knows nothing of n8n.
 *
 * The math (see /work/shared/reference/nps.md §1.2):
 * - Every answer is +1 (promoter), 0 (passive) or −1 (detractor); NPS = 100 × mean = 100·(p − d).
 * - Variance of that ±1/0 variable: p + d − (p − d)². SE = 100·sqrt((p + d − (p − d)²)/n): the plain
 *   (maximum-likelihood, divide-by-n) estimate, as in the reference. With n = 0 everything is 0 (no
 *   NaN); with n = 1 the SE is 0 (one answer has no spread): the `thin` flag, not the SE, warns there.
 * - margin95 = 1.96 × SE.
 * - Comparing two NPS values: difference A − B, SE_diff = sqrt(SE_A² + SE_B²) (independent samples),
 *   significant when |difference| > 1.96 × SE_diff.
 *   · vsPrevious (the same group, the calendar-previous period): two different sets of answers,
 *     treated as independent samples.
 *   · vsTotal (a group against the all-answers total of the same period): the group is part of the
 *     total, so the two are not independent. With f = n_group / n_total and "rest" = the total minus
 *     the group, group − total = (1 − f)·(group − rest), and group and rest are independent, so
 *     SE_diff = (1 − f)·sqrt(SE_group² + SE_rest²): the independent-samples formula applied to group
 *     and rest. (In true variances this is sqrt(SE_group²·(1 − 2f) + SE_total²), the overlap taken
 *     out; the naive sqrt(SE_group² + SE_total²) would overstate the error and hide real differences.) A group that is the whole total has difference 0, SE 0, not
 *     significant.
 *   · These are Wald (normal-approximation) tests: with very few answers (SE 0 when all answers of a
 *     side agree) they call differences significant too easily; read them together with `thin`.
 * - Full precision everywhere; rounding is the display's job.
 *
 * Groups: values are text (trimmed; missing → ''; numbers as written; lists joined with ', ';
 * objects as JSON). Keys: values joined with ' | ', then ' @ ' + period label; without groupBy the key
 * is the period label alone (without periods too: ''); the overall total's key is '*'. Sorted by the
 * values field by field (Russian collation, numbers in numeric order, so Cyrillic before Latin), then
 * by period.
 *
 * Speed: 200,000 answers should cost about as much as n8n's Summarize node. Per answer there is no
 * luxon call: time zone offsets are cached per 32-day block of the time line (each block samples the
 * zone once a day and finds each DST change by bisection), periods are whole numbers (day number,
 * month index…) computed by arithmetic, groups live in nested maps keyed by the field values (no key
 * strings built per answer), and text scores are cached. Memory is O(groups × periods), not
 * O(answers).
 */

import { DateTime, Info, type Zone } from 'luxon';

import { categorize, parseScore, validateThresholds, type Scale } from './score';
import { timeZoneFor } from './schedule';

export type Period = 'none' | 'day' | 'isoWeek' | 'month' | 'quarter';

export interface AggregateOptions {
	/** Field paths in each answer ('branch.name', 'employee', 'city'…); dot paths and [0] supported. */
	groupBy: string[];
	/** Period of the answer time. */
	period: Period;
	/** IANA name, for periods (city names and UTC+3 are accepted too, see timeZoneFor). Empty: UTC. */
	timeZone: string;
	scale: Scale;
	promoterFrom: number;
	detractorTo: number;
	/** n below this is flagged thin. Missing or not a number: 30. */
	thinSample: number;
	/** Surveys sent per group key (the output `key`), per period total (the period label) or '*' for the total. */
	surveysSent?: Record<string, number>;
}

export interface AnswerInput {
	score: unknown;
	/** ISO text / Date / epoch ms / luxon DateTime; missing → skipped when period != 'none'. */
	at?: unknown;
	/** The item json. */
	fields: Record<string, unknown>;
}

export interface Comparison {
	difference: number;
	standardError: number;
	significant: boolean;
}

export interface GroupStats {
	/** Group values joined with ' | ', then ' @ ' + period label ('Казань | Анна @ 2026-11'); the total is '*'. */
	key: string;
	group: Record<string, string>;
	period?: string;
	n: number;
	promoters: number;
	passives: number;
	detractors: number;
	promoterShare: number;
	passiveShare: number;
	detractorShare: number;
	nps: number;
	standardError: number;
	margin95: number;
	thin: boolean;
	distribution: number[];
	mean: number;
	responseRate?: number;
	vsTotal?: Comparison;
	vsPrevious?: { period: string } & Comparison;
}

export interface AggregateResult {
	total: GroupStats;
	totalsByPeriod: GroupStats[];
	groups: GroupStats[];
	skipped: { count: number; reasons: Record<string, number> };
}

const Z95 = 1.96;
const DAY_MS = 86_400_000;
const DEFAULT_THIN_SAMPLE = 30;

// ---------------------------------------------------------------------------------------------
// The math

/** NPS, its standard error and 95% margin in NPS points; all 0 when there are no answers. */
export function npsStats(counts: { promoters: number; passives: number; detractors: number }): {
	nps: number;
	standardError: number;
	margin95: number;
} {
	const p = counts.promoters;
	const d = counts.detractors;
	const n = p + counts.passives + d;
	if (!(n > 0)) return { nps: 0, standardError: 0, margin95: 0 };
	// Whole-number numerators keep exact results exact (5 P, 2 D of 10 → 30, not 30.000000000000004)
	// and the variance numerator n(p + d) − (p − d)² ≥ 0 without clamping (exact below 2^53).
	const nps = (100 * (p - d)) / n;
	const spread = Math.max(0, n * (p + d) - (p - d) * (p - d));
	const standardError = (100 * Math.sqrt(spread)) / (n * Math.sqrt(n));
	return { nps, standardError, margin95: Z95 * standardError };
}

function compare(difference: number, standardError: number): Comparison {
	return { difference, standardError, significant: Math.abs(difference) > Z95 * standardError };
}

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic on day numbers (days since 1970-01-01 in local time); no Date objects.

/** Year, month (1–12) and day of a day number (H. Hinnant's civil_from_days). */
function civil(dayNumber: number): [number, number, number] {
	const z = dayNumber + 719468;
	const era = Math.floor(z / 146097);
	const doe = z - era * 146097;
	const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
	const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
	const mp = Math.floor((5 * doy + 2) / 153);
	const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
	const month = mp < 10 ? mp + 3 : mp - 9;
	return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** Month index (year × 12 + month − 1) of a day number, without building an array. */
function monthIndexOfDay(dayNumber: number): number {
	const z = dayNumber + 719468;
	const era = Math.floor(z / 146097);
	const doe = z - era * 146097;
	const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
	const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
	const mp = Math.floor((5 * doy + 2) / 153);
	// mp counts months from March: 0 = March … 11 = February of the next year.
	return (yoe + era * 400) * 12 + mp + 2;
}

function dayNumberOf(year: number, month: number, day: number): number {
	return Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);
}

/** 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
function weekday(dayNumber: number): number {
	return (((dayNumber + 3) % 7) + 7) % 7;
}

function daysInMonth(year: number, month: number): number {
	return month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Monday (day number) of ISO week 1 of an ISO year: the week with 4 January. */
function isoWeekOneMonday(isoYear: number): number {
	const jan4 = dayNumberOf(isoYear, 1, 4);
	return jan4 - weekday(jan4);
}

function pad(value: number, width: number): string {
	const text = String(Math.abs(value)).padStart(width, '0');
	return value < 0 ? `-${text}` : text;
}

/**
 * Periods as whole numbers: day → day number, isoWeek → day number of its Monday, month → year × 12
 * + month − 1, quarter → year × 4 + quarter − 1. The previous period is index − step.
 */
function periodIndexOfDay(dayNumber: number, period: Period): number {
	switch (period) {
		case 'day':
			return dayNumber;
		case 'isoWeek':
			return dayNumber - weekday(dayNumber);
		case 'month':
			return monthIndexOfDay(dayNumber);
		case 'quarter':
			return Math.floor(monthIndexOfDay(dayNumber) / 3);
		default:
			return 0;
	}
}

function periodStep(period: Period): number {
	return period === 'isoWeek' ? 7 : 1;
}

function periodLabel(index: number, period: Period): string {
	switch (period) {
		case 'day': {
			const [y, m, d] = civil(index);
			return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
		}
		case 'isoWeek': {
			const isoYear = civil(index + 3)[0]; // the Thursday decides the ISO year
			const week = Math.floor((index - isoWeekOneMonday(isoYear)) / 7) + 1;
			return `${pad(isoYear, 4)}-W${pad(week, 2)}`;
		}
		case 'month': {
			const y = Math.floor(index / 12);
			return `${pad(y, 4)}-${pad(index - y * 12 + 1, 2)}`;
		}
		case 'quarter': {
			const y = Math.floor(index / 4);
			return `${pad(y, 4)}-Q${index - y * 4 + 1}`;
		}
		default:
			return '';
	}
}

const LABEL_PATTERNS: Record<Exclude<Period, 'none'>, RegExp> = {
	day: /^(-?\d{4,})-(\d{2})-(\d{2})$/,
	isoWeek: /^(-?\d{4,})-W(\d{2})$/,
	month: /^(-?\d{4,})-(\d{2})$/,
	quarter: /^(-?\d{4,})-Q([1-4])$/,
};

function periodIndexOfLabel(label: string, period: Exclude<Period, 'none'>): number {
	const match = LABEL_PATTERNS[period].exec(typeof label === 'string' ? label.trim() : '');
	const bad = () => new RangeError(`"${String(label)}" is not a ${period} period label`);
	if (!match) throw bad();
	const year = Number(match[1]);
	const second = Number(match[2]);
	switch (period) {
		case 'day': {
			const day = Number(match[3]);
			if (second < 1 || second > 12 || day < 1 || day > daysInMonth(year, second)) throw bad();
			return dayNumberOf(year, second, day);
		}
		case 'isoWeek': {
			const weeks = (isoWeekOneMonday(year + 1) - isoWeekOneMonday(year)) / 7;
			if (second < 1 || second > weeks) throw bad();
			return isoWeekOneMonday(year) + 7 * (second - 1);
		}
		case 'month':
			if (second < 1 || second > 12) throw bad();
			return year * 12 + second - 1;
		default:
			return year * 4 + second - 1;
	}
}

/** The calendar-previous period's label ('2027-W01' → '2026-W53', '2027-Q1' → '2026-Q4'); '' for 'none'. */
export function previousPeriod(label: string, period: Period): string {
	if (period === 'none') return '';
	assertPeriod(period);
	return periodLabel(periodIndexOfLabel(label, period) - periodStep(period), period);
}

function assertPeriod(period: unknown): asserts period is Period {
	if (period !== 'none' && period !== 'day' && period !== 'isoWeek' && period !== 'month' && period !== 'quarter') {
		throw new RangeError(`Unknown period "${String(period)}": use none, day, isoWeek, month or quarter`);
	}
}

// ---------------------------------------------------------------------------------------------
// Time zones: offsets cached per block of the time line

const BLOCK_DAYS = 32;
const BLOCK_MS = BLOCK_DAYS * DAY_MS;
const MAX_BLOCKS = 20_000; // ~1,750 years of blocks per zone; cleared when full
const MAX_ZONES = 200;

interface OffsetBlock {
	/** Offset in minutes from the block's start. */
	first: number;
	/** Instants (ms) where the offset changes inside the block, and the offset from each. */
	changes: number[];
	offsets: number[];
}

class ZoneOffsets {
	private readonly blocks = new Map<number, OffsetBlock>();
	private readonly fixed: number | undefined;

	constructor(private readonly zone: Zone) {
		this.fixed = zone.isUniversal ? zone.offset(0) : undefined;
	}

	/** Offset in minutes at an instant. */
	offsetAt(ms: number): number {
		if (this.fixed !== undefined) return this.fixed;
		const index = Math.floor(ms / BLOCK_MS);
		let block = this.blocks.get(index);
		if (block === undefined) {
			if (this.blocks.size >= MAX_BLOCKS) this.blocks.clear();
			block = this.scan(index * BLOCK_MS);
			this.blocks.set(index, block);
		}
		const changes = block.changes;
		if (changes.length === 0) return block.first;
		let offset = block.first;
		for (let i = 0; i < changes.length && ms >= changes[i]; i++) offset = block.offsets[i];
		return offset;
	}

	/** Samples the zone once a day across the block and bisects each change to the millisecond. */
	private scan(start: number): OffsetBlock {
		const first = this.zone.offset(start);
		const changes: number[] = [];
		const offsets: number[] = [];
		let before = start;
		let beforeOffset = first;
		for (let day = 1; day <= BLOCK_DAYS; day++) {
			const at = start + day * DAY_MS;
			const offset = this.zone.offset(at);
			if (offset !== beforeOffset) {
				// The change lies in (before, at]: find the first instant with the new offset.
				let low = before;
				let high = at;
				while (high - low > 1) {
					const middle = Math.floor((low + high) / 2);
					if (this.zone.offset(middle) === beforeOffset) low = middle;
					else high = middle;
				}
				if (high < start + BLOCK_MS) {
					changes.push(high);
					offsets.push(offset);
				}
			}
			before = at;
			beforeOffset = offset;
		}
		return { first, changes, offsets };
	}
}

/** By the zone as written and by its canonical name (Москва and Europe/Moscow share one cache). */
const zoneCache = new Map<string, ZoneOffsets>();

/** The cached offsets of a zone; throws ScheduleError (from timeZoneFor) on an unknown zone. Empty → UTC. */
function zoneOffsetsFor(timeZone: string): ZoneOffsets {
	const written = typeof timeZone === 'string' ? timeZone : String(timeZone);
	const known = zoneCache.get(written);
	if (known !== undefined) return known;
	const name = timeZoneFor(timeZone, 'UTC');
	let offsets = zoneCache.get(name);
	if (offsets === undefined) {
		const zone = Info.normalizeZone(name);
		if (!zone.isValid) throw new RangeError(`Unknown time zone "${written}"`);
		offsets = new ZoneOffsets(zone);
	}
	if (zoneCache.size >= MAX_ZONES) zoneCache.clear();
	zoneCache.set(name, offsets);
	zoneCache.set(written, offsets);
	return offsets;
}

// ---------------------------------------------------------------------------------------------
// Reading times: the local day number of an answer's time, or NaN

/** 2026-11-22, 2026-11-22T10:15, 2026-11-22 10:15:30.123+03:00, …Z; 22.11.2026 [10:15[:30]]. */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const DOTTED_TIME = /^(\d{2})\.(\d{2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;
const MAX_TIME_MS = 8.64e15;

/**
 * The local day number (days since 1970-01-01 in the zone) of a time, NaN when it cannot be read.
 * Instants (epoch ms, Date, luxon DateTime, text with an offset or Z) are moved into the zone; text
 * without an offset is already local time in the zone and is read as it stands.
 */
function localDayOf(at: unknown, zone: ZoneOffsets): number {
	if (typeof at === 'string') return localDayOfText(at, zone);
	let ms = NaN;
	if (typeof at === 'number') ms = at;
	else if (at instanceof Date) ms = at.getTime();
	else if (DateTime.isDateTime(at)) ms = at.isValid ? at.toMillis() : NaN;
	if (!Number.isFinite(ms) || Math.abs(ms) > MAX_TIME_MS) return NaN;
	return Math.floor((ms + zone.offsetAt(ms) * 60_000) / DAY_MS);
}

function digitAt(text: string, index: number): number {
	return text.charCodeAt(index) - 48;
}

/** Two digits at an index as a number, or NaN. */
function twoDigits(text: string, index: number): number {
	const a = text.charCodeAt(index) - 48;
	const b = text.charCodeAt(index + 1) - 48;
	return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

/**
 * The common shapes read character by character, without a regex or substrings:
 * YYYY-MM-DD, YYYY-MM-DDTHH:mm[:ss[.fff…]] with an optional Z or ±hh[:mm]. Anything else (or an
 * impossible date) → undefined, and the regex path decides.
 */
function localDayOfIso(text: string, zone: ZoneOffsets): number | undefined {
	const length = text.length;
	if (length < 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
	const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
	const month = twoDigits(text, 5);
	const day = twoDigits(text, 8);
	if (!(month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month))) return undefined;
	if (length === 10) return dayNumberOf(year, month, day);
	const separator = text.charCodeAt(10);
	if ((separator !== 84 && separator !== 32 && separator !== 116) || length < 16 || text.charCodeAt(13) !== 58) return undefined;
	const hour = twoDigits(text, 11);
	const minute = twoDigits(text, 14);
	let second = 0;
	let millisecond = 0;
	let i = 16;
	if (i < length && text.charCodeAt(i) === 58) {
		second = twoDigits(text, 17);
		i = 19;
		if (i < length && (text.charCodeAt(i) === 46 || text.charCodeAt(i) === 44)) {
			i++;
			let scale = 100;
			const fractionStart = i;
			while (i < length) {
				const digit = text.charCodeAt(i) - 48;
				if (digit < 0 || digit > 9) break;
				millisecond += digit * scale;
				scale /= 10;
				i++;
			}
			if (i === fractionStart) return undefined;
			millisecond = Math.floor(millisecond);
		}
	}
	if (!(hour <= 23 && minute <= 59 && second <= 59)) return undefined;
	const local = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
	if (i === length) return Math.floor(local / DAY_MS);
	let offset = 0;
	const sign = text.charCodeAt(i);
	if (sign === 90 || sign === 122) {
		if (i + 1 !== length) return undefined;
	} else if (sign === 43 || sign === 45) {
		const hours = twoDigits(text, i + 1);
		let minutes = 0;
		const rest = length - i - 3;
		if (rest === 3 && text.charCodeAt(i + 3) === 58) minutes = twoDigits(text, i + 4);
		else if (rest === 2) minutes = twoDigits(text, i + 3);
		else if (rest !== 0) return undefined;
		if (!(hours <= 18 && minutes <= 59)) return undefined;
		offset = (sign === 45 ? -1 : 1) * (hours * 60 + minutes);
	} else return undefined;
	const ms = local - offset * 60_000;
	return Math.floor((ms + zone.offsetAt(ms) * 60_000) / DAY_MS);
}

function localDayOfText(text: string, zone: ZoneOffsets): number {
	const fast = localDayOfIso(text, zone);
	if (fast !== undefined) return fast;
	let match = ISO_TIME.exec(text);
	if (match === null && text.length > 0 && (text.charCodeAt(0) <= 32 || text.charCodeAt(text.length - 1) <= 32)) {
		text = text.trim();
		match = ISO_TIME.exec(text);
	}
	if (match !== null) {
		const year = Number(match[1]);
		const month = Number(match[2]);
		const day = Number(match[3]);
		const hour = match[4] === undefined ? 0 : Number(match[4]);
		const minute = match[5] === undefined ? 0 : Number(match[5]);
		const second = match[6] === undefined ? 0 : Number(match[6]);
		if (month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour <= 23 && minute <= 59 && second <= 59) {
			const fraction = match[7] === undefined ? 0 : Math.floor(Number(`0.${match[7]}`) * 1000);
			const local = Date.UTC(year, month - 1, day, hour, minute, second, fraction);
			const offsetText = match[8];
			if (offsetText === undefined) return Math.floor(local / DAY_MS);
			let offset = 0;
			if (offsetText !== 'Z' && offsetText !== 'z') {
				// ±hh, ±hhmm or ±hh:mm, read digit by digit (no substrings per answer).
				const hours = digitAt(offsetText, 1) * 10 + digitAt(offsetText, 2);
				const m = offsetText.length === 6 ? 4 : 3;
				const minutes = offsetText.length > 3 ? digitAt(offsetText, m) * 10 + digitAt(offsetText, m + 1) : 0;
				if (hours > 18 || minutes > 59) return NaN;
				offset = (offsetText.charCodeAt(0) === 45 ? -1 : 1) * (hours * 60 + minutes);
			}
			const ms = local - offset * 60_000;
			return Math.floor((ms + zone.offsetAt(ms) * 60_000) / DAY_MS);
		}
		return NaN;
	}
	const dotted = DOTTED_TIME.exec(text);
	if (dotted !== null) {
		const day = Number(dotted[1]);
		const month = Number(dotted[2]);
		const year = Number(dotted[3]);
		const hour = dotted[4] === undefined ? 0 : Number(dotted[4]);
		const minute = dotted[5] === undefined ? 0 : Number(dotted[5]);
		const second = dotted[6] === undefined ? 0 : Number(dotted[6]);
		if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
		return dayNumberOf(year, month, day);
	}
	// Anything else (ISO week dates, ordinal dates, RFC 2822, HTTP dates…): luxon, slower but rare.
	if (text.trim() === '') return NaN;
	const options = { zone: 'UTC', setZone: true };
	let moment = DateTime.fromISO(text, options);
	if (!moment.isValid) moment = DateTime.fromSQL(text, options);
	if (!moment.isValid) moment = DateTime.fromRFC2822(text, options);
	if (!moment.isValid) moment = DateTime.fromHTTP(text, options);
	if (!moment.isValid) return NaN;
	// Parsed in UTC with setZone: text with an offset kept it (an instant: move it into the zone);
	// text without one is local wall time, whose UTC reading is the local day.
	if (/(?:Z|[+-]\d{2}(?::?\d{2})?|GMT|UT|UTC|[ECMP][SD]T)\s*$/i.test(text)) {
		const ms = moment.toMillis();
		return Math.floor((ms + zone.offsetAt(ms) * 60_000) / DAY_MS);
	}
	return Math.floor((moment.toMillis() + moment.offset * 60_000) / DAY_MS);
}

/**
 * The period label of a time in a zone ('2026-11-22', '2026-W47', '2026-11', '2026-Q4'); undefined
 * when the time cannot be read; '' for period 'none' (no period, the time is not read). Throws on an
 * unknown period or time zone.
 */
export function periodOf(at: unknown, period: Period, timeZone: string): string | undefined {
	assertPeriod(period);
	if (period === 'none') return '';
	const day = localDayOf(at, zoneOffsetsFor(timeZone));
	return Number.isNaN(day) ? undefined : periodLabel(periodIndexOfDay(day, period), period);
}

// ---------------------------------------------------------------------------------------------
// Group values

type Path = { whole: string; segments: string[] };

function compilePath(path: string): Path {
	const whole = path.trim();
	const bare = whole.replace(/^\$json\./, '');
	const segments = bare
		.replace(/\[(\d+)\]/g, '.$1')
		.replace(/\[["']([^"']*)["']\]/g, '.$1')
		.split('.')
		.filter((segment) => segment !== '');
	return { whole, segments };
}

function valueAt(fields: Record<string, unknown>, path: Path): unknown {
	// An item may hold a flat key 'branch.name' (dot notation off): that wins over the nested path.
	if (path.segments.length === 1) return fields[path.segments[0]];
	if (Object.prototype.hasOwnProperty.call(fields, path.whole)) return fields[path.whole];
	let value: unknown = fields;
	for (const segment of path.segments) {
		if (value === null || typeof value !== 'object') return undefined;
		value = (value as Record<string, unknown>)[segment];
	}
	return value;
}

/** A group value as text: strings trimmed, missing → '', lists joined with ', ', objects as JSON. */
function valueText(value: unknown): string {
	if (typeof value === 'string') return value.trim();
	if (value === undefined || value === null) return '';
	if (typeof value === 'number') return Object.is(value, -0) ? '0' : String(value);
	if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
	if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
	if (Array.isArray(value)) return value.map(valueText).join(', ');
	try {
		return JSON.stringify(value) ?? '';
	} catch {
		return String(value);
	}
}

// ---------------------------------------------------------------------------------------------
// Accumulating

interface Cell {
	values: string[];
	period: number;
	promoters: number;
	passives: number;
	detractors: number;
	sum: number;
	distribution: number[];
}

type Level = Map<string, Level | Map<number, Cell>>;

const PROMOTER = 0;
const PASSIVE = 1;
const DETRACTOR = 2;

const MAX_SCORE_TEXTS = 10_000;
const MAX_CACHED_TEXT = 64;

const COLLATOR = new Intl.Collator('ru', { numeric: true, sensitivity: 'variant' });

function compareText(a: string, b: string): number {
	return COLLATOR.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The reason an unreadable score is skipped, in a few plain buckets (never the answer's own text). */
function scoreReason(input: unknown, reason: string): string {
	if (input === undefined || input === null || (typeof input === 'string' && input.trim() === '')) return 'no score';
	if (/ is outside the /.test(reason)) return 'score out of range';
	if (/ is not a whole number/.test(reason)) return 'score not whole';
	return 'score not readable';
}

/**
 * Streaming NPS: add answers one by one, read the result at any time (reading does not reset).
 * Memory is one small cell per (group, period), never a list of answers.
 */
export class NpsAccumulator {
	private readonly options: AggregateOptions;
	private readonly period: Period;
	private readonly paths: Path[];
	private readonly min: number;
	private readonly max: number;
	/** Category per score − min. */
	private readonly categories: number[];
	private readonly thinSample: number;
	private readonly zone: ZoneOffsets | undefined;
	private readonly root: Level = new Map();
	/** Without groupBy the cells hang straight off this map. */
	private readonly flat = new Map<number, Cell>();
	private readonly cells: Cell[] = [];
	private readonly total: Cell;
	private readonly periodTotals = new Map<number, Cell>();
	private readonly scoreTexts = new Map<string, number | string>();
	private readonly values: string[];
	private skippedCount = 0;
	private readonly reasons: Record<string, number> = {};

	constructor(options: AggregateOptions) {
		if (!options || typeof options !== 'object') throw new TypeError('No aggregate options given');
		assertPeriod(options.period);
		const scale = options.scale;
		if (!scale || (scale.min !== 0 && scale.min !== 1) || !Number.isInteger(scale.max) || scale.max <= scale.min) {
			throw new RangeError(`The scale must run from 0 or 1 to 10 (got ${JSON.stringify(scale)})`);
		}
		const thresholds = { promoterFrom: options.promoterFrom, detractorTo: options.detractorTo };
		const problem = validateThresholds(thresholds, scale);
		if (problem) throw new RangeError(problem);
		const groupBy = options.groupBy ?? [];
		if (!Array.isArray(groupBy) || groupBy.some((field) => typeof field !== 'string')) {
			throw new TypeError('groupBy must be a list of field paths');
		}
		this.options = options;
		this.period = options.period;
		this.paths = groupBy.filter((field) => field.trim() !== '').map(compilePath);
		this.values = new Array<string>(this.paths.length).fill('');
		this.min = scale.min;
		this.max = scale.max;
		this.categories = [];
		for (let score = scale.min; score <= scale.max; score++) {
			const category = categorize(score, thresholds);
			this.categories.push(category === 'promoter' ? PROMOTER : category === 'passive' ? PASSIVE : DETRACTOR);
		}
		const thin = Number(options.thinSample);
		this.thinSample = options.thinSample === undefined || options.thinSample === null || !Number.isFinite(thin) ? DEFAULT_THIN_SAMPLE : thin;
		this.zone = this.period === 'none' ? undefined : zoneOffsetsFor(options.timeZone);
		this.total = this.newCell([], 0);
	}

	/** How many (group, period) cells are held: the accumulator's whole memory, apart from small caches. */
	get groupCount(): number {
		return this.cells.length;
	}

	add(answer: AnswerInput): void {
		if (answer === null || typeof answer !== 'object') {
			this.skip('not an answer');
			return;
		}
		const score = this.readScore(answer.score);
		if (typeof score === 'string') {
			this.skip(score);
			return;
		}
		let periodIndex = 0;
		if (this.zone !== undefined) {
			const at = answer.at;
			if (at === undefined || at === null || at === '') {
				this.skip('no time');
				return;
			}
			const day = localDayOf(at, this.zone);
			if (Number.isNaN(day)) {
				this.skip('time not readable');
				return;
			}
			periodIndex = periodIndexOfDay(day, this.period);
		}

		let cells = this.flat;
		if (this.paths.length > 0) {
			const fields = answer.fields !== null && typeof answer.fields === 'object' ? answer.fields : {};
			let level = this.root;
			const last = this.paths.length - 1;
			for (let i = 0; i <= last; i++) {
				const value = valueText(valueAt(fields, this.paths[i]));
				this.values[i] = value;
				let next = level.get(value);
				if (next === undefined) {
					next = new Map();
					level.set(value, next);
				}
				if (i === last) cells = next as Map<number, Cell>;
				else level = next as Level;
			}
		}
		let cell = cells.get(periodIndex);
		if (cell === undefined) {
			cell = this.newCell(this.values.slice(), periodIndex);
			cells.set(periodIndex, cell);
			this.cells.push(cell);
		}
		const category = this.categories[score - this.min];
		count(cell, score, score - this.min, category);
		count(this.total, score, score - this.min, category);
		if (this.zone !== undefined) {
			let periodTotal = this.periodTotals.get(periodIndex);
			if (periodTotal === undefined) {
				periodTotal = this.newCell([], periodIndex);
				this.periodTotals.set(periodIndex, periodTotal);
			}
			count(periodTotal, score, score - this.min, category);
		}
	}

	result(): AggregateResult {
		const periodic = this.period !== 'none';
		const total = this.stats(this.total, false, '*');
		const totalsByPeriod: GroupStats[] = [];
		const periodTotalStats = new Map<number, GroupStats>();
		if (periodic) {
			const indexes = [...this.periodTotals.keys()].sort((a, b) => a - b);
			for (const index of indexes) periodTotalStats.set(index, this.stats(this.periodTotals.get(index)!, true));
			const step = periodStep(this.period);
			for (const index of indexes) {
				const current = periodTotalStats.get(index)!;
				const previous = periodTotalStats.get(index - step);
				if (previous) current.vsPrevious = { period: previous.period!, ...vsIndependent(current, previous) };
				totalsByPeriod.push(current);
			}
		}

		const sorted = this.cells.slice().sort((a, b) => {
			for (let i = 0; i < a.values.length; i++) {
				const order = compareText(a.values[i], b.values[i]);
				if (order !== 0) return order;
			}
			return a.period - b.period;
		});
		const statsOf = new Map<Cell, GroupStats>();
		for (const cell of sorted) statsOf.set(cell, this.stats(cell, periodic));
		const step = periodStep(this.period);
		const groups: GroupStats[] = [];
		for (const cell of sorted) {
			const stats = statsOf.get(cell)!;
			const whole = periodic ? this.periodTotals.get(cell.period)! : this.total;
			stats.vsTotal = vsWhole(cell, whole);
			if (periodic) {
				const previousCell = this.cellsOf(cell.values)?.get(cell.period - step);
				if (previousCell) {
					const previous = statsOf.get(previousCell)!;
					stats.vsPrevious = { period: previous.period!, ...vsIndependent(stats, previous) };
				}
			}
			groups.push(stats);
		}
		return {
			total,
			totalsByPeriod,
			groups,
			skipped: { count: this.skippedCount, reasons: { ...this.reasons } },
		};
	}

	private cellsOf(values: string[]): Map<number, Cell> | undefined {
		if (values.length === 0) return this.flat;
		let level: Level | Map<number, Cell> | undefined = this.root;
		for (const value of values) {
			level = (level as Level).get(value);
			if (level === undefined) return undefined;
		}
		return level as Map<number, Cell>;
	}

	private readScore(input: unknown): number | string {
		if (typeof input === 'number' && Number.isInteger(input) && input >= this.min && input <= this.max) return input === 0 ? 0 : input;
		const cacheable = typeof input === 'string' && input.length <= MAX_CACHED_TEXT;
		if (cacheable) {
			const cached = this.scoreTexts.get(input);
			if (cached !== undefined) return cached;
		}
		const parsed = parseScore(input, this.options.scale);
		let outcome: number | string;
		if (parsed.ok && Number.isInteger(parsed.score) && parsed.score >= this.min && parsed.score <= this.max) outcome = parsed.score;
		else outcome = scoreReason(input, parsed.ok ? ' is not a whole number' : parsed.reason);
		if (cacheable) {
			if (this.scoreTexts.size >= MAX_SCORE_TEXTS) this.scoreTexts.clear();
			this.scoreTexts.set(input, outcome);
		}
		return outcome;
	}

	private skip(reason: string): void {
		this.skippedCount++;
		this.reasons[reason] = (this.reasons[reason] ?? 0) + 1;
	}

	private newCell(values: string[], period: number): Cell {
		return {
			values,
			period,
			promoters: 0,
			passives: 0,
			detractors: 0,
			sum: 0,
			distribution: new Array<number>(this.max - this.min + 1).fill(0),
		};
	}

	private stats(cell: Cell, periodic: boolean, key?: string): GroupStats {
		const n = cell.promoters + cell.passives + cell.detractors;
		const { nps, standardError, margin95 } = npsStats(cell);
		const group: Record<string, string> = {};
		for (let i = 0; i < cell.values.length; i++) group[this.paths[i].whole] = cell.values[i];
		const period = periodic ? periodLabel(cell.period, this.period) : undefined;
		const groupText = cell.values.join(' | ');
		const textKey =
			key ?? (period === undefined ? groupText : cell.values.length === 0 ? period : `${groupText} @ ${period}`);
		const stats: GroupStats = {
			key: textKey,
			group,
			...(period === undefined ? {} : { period }),
			n,
			promoters: cell.promoters,
			passives: cell.passives,
			detractors: cell.detractors,
			promoterShare: n > 0 ? cell.promoters / n : 0,
			passiveShare: n > 0 ? cell.passives / n : 0,
			detractorShare: n > 0 ? cell.detractors / n : 0,
			nps,
			standardError,
			margin95,
			thin: n < this.thinSample,
			distribution: cell.distribution.slice(),
			mean: n > 0 ? cell.sum / n : 0,
		};
		const sentTable = this.options.surveysSent;
		if (sentTable && typeof sentTable === 'object') {
			let sent = sentTable[textKey];
			if (sent === undefined && textKey === '') sent = sentTable['*'];
			if (typeof sent === 'number' && Number.isFinite(sent) && sent > 0) stats.responseRate = n / sent;
		}
		return stats;
	}
}

function count(cell: Cell, score: number, slot: number, category: number): void {
	if (category === PROMOTER) cell.promoters++;
	else if (category === PASSIVE) cell.passives++;
	else cell.detractors++;
	cell.sum += score;
	cell.distribution[slot]++;
}

/** Two different sets of answers (periods): SE_diff = sqrt(SE_a² + SE_b²). */
function vsIndependent(a: GroupStats, b: GroupStats): Comparison {
	return compare(a.nps - b.nps, Math.sqrt(a.standardError * a.standardError + b.standardError * b.standardError));
}

/** A group against the total it belongs to: SE_diff = (1 − f)·sqrt(SE_group² + SE_rest²), f = n_group / n_total. */
function vsWhole(part: Cell, whole: Cell): Comparison {
	const groupStats = npsStats(part);
	const wholeStats = npsStats(whole);
	const n = part.promoters + part.passives + part.detractors;
	const wholeN = whole.promoters + whole.passives + whole.detractors;
	if (wholeN === 0 || n === 0) return compare(0, 0);
	const rest = npsStats({
		promoters: whole.promoters - part.promoters,
		passives: whole.passives - part.passives,
		detractors: whole.detractors - part.detractors,
	});
	const f = n / wholeN;
	const standardError = (1 - f) * Math.sqrt(groupStats.standardError ** 2 + rest.standardError ** 2);
	// With the whole group as the total, the difference is exactly 0 (no floating-point noise).
	const difference = n === wholeN ? 0 : groupStats.nps - wholeStats.nps;
	return compare(difference, standardError);
}

/** All answers at once: see NpsAccumulator. */
export function aggregate(answers: Iterable<AnswerInput>, options: AggregateOptions): AggregateResult {
	const accumulator = new NpsAccumulator(options);
	for (const answer of answers) accumulator.add(answer);
	return accumulator.result();
}
