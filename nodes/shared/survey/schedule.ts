/**
 * When to send a survey: a delay after the deal closed, then out of the branch's quiet hours, in
 * the branch's own time zone (a chain may have shops from Kaliningrad to Vladivostok).
 */

import { DateTime } from 'luxon';

export interface SendPlan {
	delay?: { amount: number; unit: 'minutes' | 'hours' | 'days' };
	/** Local 'HH:mm'; may wrap midnight (21:00–09:00). Equal start and end: no quiet hours. */
	quietHours?: { start: string; end: string };
	/** IANA name (Asia/Vladivostok); city names and UTC+3 are accepted too (see timeZoneFor). */
	timeZone: string;
}

export interface SendTime {
	/** ISO 8601 with the branch's offset. */
	sendAt: string;
	sendAtUtc: string;
	/** 'yyyy-MM-dd HH:mm' in the branch's zone. */
	localTime: string;
	/** Whether the time was moved out of quiet hours. */
	shifted: boolean;
	reason?: string;
}

export class ScheduleError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ScheduleError';
	}
}

const HOW_TO_WRITE_ZONE =
	'Write an IANA time zone such as Europe/Moscow or Asia/Vladivostok, a city such as Москва, Владивосток or Алматы, or an offset such as UTC+3 (МСК+7 works too)';

// The server's own zone means nothing for a branch: refuse luxon's 'local'/'system'.
const NOT_ZONES = new Set(['local', 'system', 'default']);

export function isValidTimeZone(zone: string): boolean {
	if (typeof zone !== 'string') return false;
	const name = zone.trim();
	if (name === '' || NOT_ZONES.has(name.toLowerCase())) return false;
	return DateTime.fromMillis(0).setZone(name).isValid;
}

/** Ukraine's capital is 'Europe/Kyiv' since tzdata 2022b; older ICU builds only know 'Europe/Kiev'. */
const KYIV = isValidTimeZone('Europe/Kyiv') ? 'Europe/Kyiv' : 'Europe/Kiev';

const CITY_ZONES: Record<string, string> = {};
function cities(zone: string, names: string[]): void {
	for (const name of names) CITY_ZONES[cityKey(name)] = zone;
}

function cityKey(name: string): string {
	return name
		.trim()
		.toLowerCase()
		.replace(/ё/g, 'е')
		.replace(/^(?:г\.|город|м\.|місто)\s*/u, '')
		.replace(/[’ʼ'`]/g, '')
		.replace(/[\s.-]+/g, ' ')
		.trim();
}

// Russia
cities('Europe/Kaliningrad', ['Калининград', 'Kaliningrad']);
cities('Europe/Moscow', [
	'Москва', 'Moscow', 'Moskva', 'Санкт-Петербург', 'Петербург', 'Питер', 'СПб', 'Saint Petersburg', 'St Petersburg',
	'Нижний Новгород', 'Казань', 'Kazan', 'Ростов-на-Дону', 'Краснодар', 'Воронеж', 'Ярославль', 'Тула', 'Рязань', 'Тверь',
	'Владимир', 'Иваново', 'Калуга', 'Брянск', 'Смоленск', 'Курск', 'Белгород', 'Липецк', 'Тамбов', 'Орёл', 'Мурманск',
	'Архангельск', 'Вологда', 'Петрозаводск', 'Великий Новгород', 'Псков', 'Сочи', 'Ставрополь', 'Махачкала', 'Пенза',
	'Чебоксары', 'Йошкар-Ола', 'Киров', 'Сыктывкар',
]);
cities('Europe/Samara', ['Самара', 'Samara', 'Тольятти', 'Ижевск']);
cities('Europe/Volgograd', ['Волгоград', 'Volgograd']);
cities('Europe/Saratov', ['Саратов', 'Saratov']);
cities('Europe/Ulyanovsk', ['Ульяновск', 'Ulyanovsk']);
cities('Europe/Astrakhan', ['Астрахань', 'Astrakhan']);
cities('Asia/Yekaterinburg', [
	'Екатеринбург', 'Yekaterinburg', 'Ekaterinburg', 'Челябинск', 'Уфа', 'Пермь', 'Тюмень', 'Оренбург', 'Курган',
	'Магнитогорск', 'Сургут', 'Ханты-Мансийск', 'Нижневартовск',
]);
cities('Asia/Omsk', ['Омск', 'Omsk']);
cities('Asia/Novosibirsk', ['Новосибирск', 'Novosibirsk']);
cities('Asia/Barnaul', ['Барнаул', 'Barnaul']);
cities('Asia/Tomsk', ['Томск', 'Tomsk']);
cities('Asia/Novokuznetsk', ['Кемерово', 'Новокузнецк', 'Kemerovo', 'Novokuznetsk']);
cities('Asia/Krasnoyarsk', ['Красноярск', 'Krasnoyarsk', 'Абакан', 'Норильск']);
cities('Asia/Irkutsk', ['Иркутск', 'Irkutsk', 'Улан-Удэ', 'Братск']);
cities('Asia/Chita', ['Чита', 'Chita']);
cities('Asia/Yakutsk', ['Якутск', 'Yakutsk', 'Благовещенск']);
cities('Asia/Vladivostok', ['Владивосток', 'Vladivostok', 'Хабаровск', 'Khabarovsk', 'Уссурийск', 'Находка', 'Комсомольск-на-Амуре']);
cities('Asia/Sakhalin', ['Южно-Сахалинск', 'Yuzhno-Sakhalinsk']);
cities('Asia/Magadan', ['Магадан', 'Magadan']);
cities('Asia/Kamchatka', ['Петропавловск-Камчатский', 'Petropavlovsk-Kamchatsky']);
cities('Europe/Simferopol', ['Симферополь', 'Севастополь']);
// Kazakhstan
cities('Asia/Almaty', [
	'Алматы', 'Алма-Ата', 'Almaty', 'Астана', 'Нур-Султан', 'Astana', 'Шымкент', 'Караганда', 'Қарағанды', 'Павлодар',
	'Усть-Каменогорск', 'Өскемен', 'Семей', 'Тараз', 'Кызылорда', 'Петропавловск', 'Кокшетау', 'Талдыкорган', 'Туркестан',
]);
cities('Asia/Aqtobe', ['Актобе', 'Ақтөбе', 'Aktobe']);
cities('Asia/Atyrau', ['Атырау', 'Atyrau']);
cities('Asia/Aqtau', ['Актау', 'Ақтау', 'Aktau']);
cities('Asia/Oral', ['Уральск', 'Орал', 'Oral', 'Uralsk']);
cities('Asia/Qostanay', ['Костанай', 'Қостанай', 'Kostanay']);
// Ukraine
cities(KYIV, [
	'Киев', 'Київ', 'Kyiv', 'Kiev', 'Харьков', 'Харків', 'Kharkiv', 'Одесса', 'Одеса', 'Odesa', 'Днепр', 'Дніпро', 'Dnipro',
	'Львов', 'Львів', 'Lviv', 'Запорожье', 'Запоріжжя', 'Винница', 'Вінниця', 'Полтава', 'Чернигов', 'Чернігів', 'Черкассы',
	'Черкаси', 'Житомир', 'Сумы', 'Суми', 'Ровно', 'Рівне', 'Ивано-Франковск', 'Івано-Франківськ', 'Тернополь', 'Тернопіль',
	'Луцк', 'Луцьк', 'Ужгород', 'Хмельницкий', 'Хмельницький', 'Николаев', 'Миколаїв', 'Херсон', 'Кропивницкий', 'Кропивницький',
]);
// Belarus and neighbours
cities('Europe/Minsk', ['Минск', 'Мінск', 'Minsk', 'Гомель', 'Брест', 'Гродно', 'Витебск', 'Могилёв']);
cities('Asia/Tashkent', ['Ташкент', 'Tashkent', 'Самарканд']);
cities('Asia/Bishkek', ['Бишкек', 'Bishkek']);
cities('Asia/Tbilisi', ['Тбилиси', 'Tbilisi']);
cities('Asia/Yerevan', ['Ереван', 'Yerevan']);
cities('Asia/Baku', ['Баку', 'Baku']);
cities('Europe/Chisinau', ['Кишинёв', 'Кишинев', 'Chisinau']);

/** 'UTC+3', 'GMT+03:00', '+3', 'МСК', 'МСК+7' → luxon's fixed-offset zone 'UTC+3' / 'UTC+5:30'. */
function offsetZone(text: string): string | undefined {
	const compact = text.replace(/\s+/g, '').toUpperCase();
	const msk = /^(?:МСК|MSK)(?:([+-])(\d{1,2}))?$/u.exec(compact);
	if (msk) {
		const hours = 3 + (msk[1] === '-' ? -1 : 1) * Number(msk[2] ?? 0);
		return hours === 0 ? 'UTC' : `UTC${hours > 0 ? '+' : '-'}${Math.abs(hours)}`;
	}
	const offset = /^(?:UTC|GMT|UTС)?([+-])(\d{1,2})(?::?(\d{2}))?$/u.exec(compact);
	if (!offset) return undefined;
	const hours = Number(offset[2]);
	const minutes = Number(offset[3] ?? 0);
	if (hours > 14 || minutes >= 60 || (minutes !== 0 && minutes % 15 !== 0)) return undefined;
	if (hours === 0 && minutes === 0) return 'UTC';
	return `UTC${offset[1]}${hours}${minutes ? `:${String(minutes).padStart(2, '0')}` : ''}`;
}

/**
 * A time zone from a branch setting: an IANA name, a city name (Москва, Київ, Алматы…) or an
 * offset (UTC+3, МСК+7). Empty → `fallback`. Unknown → ScheduleError saying how to write it.
 */
export function timeZoneFor(value: unknown, fallback: string): string {
	const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? `UTC${value >= 0 ? '+' : ''}${value}` : '';
	if (text === '') {
		if (fallback === undefined || String(fallback).trim() === '') throw new ScheduleError(`No time zone is set. ${HOW_TO_WRITE_ZONE}.`);
		return timeZoneFor(fallback, '');
	}
	if (text.includes('/') || /^(?:utc|gmt|etc\/.*)$/i.test(text)) {
		if (isValidTimeZone(text)) return canonicalZone(text);
	}
	const city = CITY_ZONES[cityKey(text)];
	if (city) return city;
	const offset = offsetZone(text);
	if (offset) return offset;
	if (isValidTimeZone(text) && !/^utc[+-]/i.test(text)) return canonicalZone(text);
	throw new ScheduleError(`Unknown time zone "${text.slice(0, 60)}". ${HOW_TO_WRITE_ZONE}.`);
}

/** 'europe/moscow' → 'Europe/Moscow'; keeps the spelling when ICU would rename it (Kyiv → Kiev). */
function canonicalZone(zone: string): string {
	try {
		const resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
		return resolved.toLowerCase() === zone.toLowerCase() ? resolved : zone;
	} catch {
		return zone;
	}
}

/** 'HH:mm' (or 'H:mm', 'HH.mm', '24:00') → minutes after midnight. */
function minutesOf(text: unknown, what: string): number {
	const match = typeof text === 'string' ? /^\s*(\d{1,2})[:.](\d{2})\s*$/.exec(text) : null;
	const hours = match ? Number(match[1]) : NaN;
	const minutes = match ? Number(match[2]) : NaN;
	if (!match || minutes > 59 || hours > 24 || (hours === 24 && minutes !== 0)) {
		throw new ScheduleError(`The quiet hours ${what} "${String(text)}" is not a time: write it as HH:mm, e.g. 21:00`);
	}
	return hours * 60 + minutes;
}

function clock(minutes: number): string {
	const m = minutes % 1440;
	return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

function parseFrom(from: string | Date | number, zone: string): DateTime {
	let moment: DateTime;
	if (from instanceof Date) moment = DateTime.fromJSDate(from);
	else if (typeof from === 'number') moment = Number.isFinite(from) ? DateTime.fromMillis(from) : DateTime.invalid('not finite');
	else if (typeof from === 'string' && from.trim() !== '') {
		// A time without an offset is read in the branch's zone.
		const text = from.trim();
		moment = DateTime.fromISO(text, { zone, setZone: true });
		if (!moment.isValid) moment = DateTime.fromSQL(text, { zone, setZone: true });
		if (!moment.isValid) moment = DateTime.fromRFC2822(text, { zone, setZone: true });
	} else moment = DateTime.invalid('empty');
	if (!moment.isValid) {
		throw new ScheduleError(
			`The start time "${String(from).slice(0, 60)}" cannot be read: give an ISO 8601 date and time (2026-11-20T15:30:00+03:00), a Date or milliseconds since 1970`,
		);
	}
	return moment.setZone(zone);
}

/**
 * When to send: `from` plus the delay (days are calendar days in the branch's zone, so a DST change
 * keeps the clock time), then moved to the end of quiet hours if it falls inside them.
 */
export function computeSendAt(from: string | Date | number, plan: SendPlan): SendTime {
	if (!plan || typeof plan !== 'object') throw new ScheduleError('No send plan given');
	const zone = timeZoneFor(plan.timeZone, '');
	let at = parseFrom(from, zone);

	if (plan.delay) {
		const { amount, unit } = plan.delay;
		if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
			throw new ScheduleError(`The delay "${String(amount)}" must be a number of ${String(unit)}, zero or more`);
		}
		if (unit !== 'minutes' && unit !== 'hours' && unit !== 'days') {
			throw new ScheduleError(`The delay unit "${String(unit)}" must be minutes, hours or days`);
		}
		// luxon adds days in calendar terms in the zone, hours and minutes as elapsed time.
		at = at.plus({ [unit]: amount });
	}

	let shifted = false;
	let reason: string | undefined;
	const quiet = plan.quietHours;
	const quietGiven = quiet && !(String(quiet.start ?? '').trim() === '' && String(quiet.end ?? '').trim() === '');
	if (quiet && quietGiven) {
		const start = minutesOf(quiet.start, 'start');
		const end = minutesOf(quiet.end, 'end');
		if (start % 1440 !== end % 1440) {
			const now = at.hour * 60 + at.minute + (at.second + at.millisecond / 1000) / 60;
			let daysAhead: number | undefined;
			if (start < end) {
				if (now >= start && now < end) daysAhead = 0;
			} else if (now >= start) daysAhead = 1;
			else if (now < end) daysAhead = 0;
			if (daysAhead !== undefined) {
				const before = at;
				at = at
					.startOf('day')
					.plus({ days: daysAhead })
					.set({ hour: Math.floor(end / 60) % 24, minute: end % 60, second: 0, millisecond: 0 });
				if (end === 1440) at = at.plus({ days: 1 });
				shifted = true;
				const nextDay = at.toISODate() !== before.toISODate() ? ' next day' : '';
				reason = `moved from ${before.toFormat('HH:mm')} to ${at.toFormat('HH:mm')}${nextDay} (quiet hours ${clock(start)}–${clock(end)}, ${zone})`;
			}
		}
	}

	const sendAt = at.toISO({ suppressMilliseconds: true });
	const sendAtUtc = at.toUTC().toISO({ suppressMilliseconds: true });
	if (!sendAt || !sendAtUtc) throw new ScheduleError('The send time is out of range');
	return { sendAt, sendAtUtc, localTime: at.toFormat('yyyy-MM-dd HH:mm'), shifted, ...(reason ? { reason } : {}) };
}
