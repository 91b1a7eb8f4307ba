import { computeSendAt, isValidTimeZone, ScheduleError, timeZoneFor } from '../../../nodes/shared/survey/schedule';

const QUIET = { start: '21:00', end: '09:00' };

describe('computeSendAt', () => {
	it('moves the same instant out of quiet hours in Vladivostok but not in Kaliningrad', () => {
		const instant = '2026-11-20T12:30:00Z';
		const vladivostok = computeSendAt(instant, { timeZone: 'Asia/Vladivostok', quietHours: QUIET });
		expect(vladivostok).toEqual({
			sendAt: '2026-11-21T09:00:00+10:00',
			sendAtUtc: '2026-11-20T23:00:00Z',
			localTime: '2026-11-21 09:00',
			shifted: true,
			reason: 'moved from 22:30 to 09:00 next day (quiet hours 21:00–09:00, Asia/Vladivostok)',
		});
		const kaliningrad = computeSendAt(instant, { timeZone: 'Europe/Kaliningrad', quietHours: QUIET });
		expect(kaliningrad).toEqual({
			sendAt: '2026-11-20T14:30:00+02:00',
			sendAtUtc: '2026-11-20T12:30:00Z',
			localTime: '2026-11-20 14:30',
			shifted: false,
		});
	});

	it('reads city names for the zone', () => {
		expect(computeSendAt('2026-11-20T12:30:00Z', { timeZone: 'Владивосток', quietHours: QUIET }).sendAtUtc).toBe('2026-11-20T23:00:00Z');
	});

	it('moves an early-morning time to the end of quiet hours the same day', () => {
		const result = computeSendAt('2026-11-20T05:10:00+03:00', { timeZone: 'Europe/Moscow', quietHours: QUIET });
		expect(result).toMatchObject({
			sendAt: '2026-11-20T09:00:00+03:00',
			shifted: true,
			reason: 'moved from 05:10 to 09:00 (quiet hours 21:00–09:00, Europe/Moscow)',
		});
	});

	it('treats the quiet period as start-inclusive and end-exclusive', () => {
		const plan = { timeZone: 'Europe/Moscow', quietHours: QUIET };
		expect(computeSendAt('2026-11-20T20:59:59+03:00', plan).shifted).toBe(false);
		expect(computeSendAt('2026-11-20T21:00:00+03:00', plan).localTime).toBe('2026-11-21 09:00');
		expect(computeSendAt('2026-11-20T09:00:00+03:00', plan).shifted).toBe(false);
		expect(computeSendAt('2026-11-20T08:59:00+03:00', plan).localTime).toBe('2026-11-20 09:00');
	});

	it('applies quiet hours that do not wrap midnight (a lunch break)', () => {
		const plan = { timeZone: 'Asia/Almaty', quietHours: { start: '13:00', end: '14:00' } };
		expect(computeSendAt('2026-11-20T13:20:00+05:00', plan)).toMatchObject({ localTime: '2026-11-20 14:00', shifted: true });
		expect(computeSendAt('2026-11-20T12:59:00+05:00', plan)).toMatchObject({ localTime: '2026-11-20 12:59', shifted: false });
		expect(computeSendAt('2026-11-20T23:30:00+05:00', plan)).toMatchObject({ localTime: '2026-11-20 23:30', shifted: false });
	});

	it('has no quiet hours when start equals end, or both are empty', () => {
		for (const quietHours of [{ start: '22:00', end: '22:00' }, { start: '', end: '' }]) {
			expect(computeSendAt('2026-11-20T22:30:00+03:00', { timeZone: 'Europe/Moscow', quietHours })).toMatchObject({
				localTime: '2026-11-20 22:30',
				shifted: false,
			});
		}
	});

	it('accepts 24:00 as the end of the day', () => {
		const plan = { timeZone: 'Europe/Moscow', quietHours: { start: '22:00', end: '24:00' } };
		expect(computeSendAt('2026-11-20T23:00:00+03:00', plan).localTime).toBe('2026-11-21 00:00');
	});

	it('adds a delay in days as calendar days across a DST change', () => {
		// Europe/Berlin leaves summer time on 2026-10-25: the day has 25 hours.
		const autumn = computeSendAt('2026-10-24T10:00:00+02:00', { timeZone: 'Europe/Berlin', delay: { amount: 1, unit: 'days' } });
		expect(autumn).toMatchObject({ sendAt: '2026-10-25T10:00:00+01:00', sendAtUtc: '2026-10-25T09:00:00Z' });
		// …and enters it on 2026-03-29: 23 hours.
		const spring = computeSendAt('2026-03-28T10:00:00+01:00', { timeZone: 'Europe/Berlin', delay: { amount: 1, unit: 'days' } });
		expect(spring).toMatchObject({ sendAt: '2026-03-29T10:00:00+02:00', sendAtUtc: '2026-03-29T08:00:00Z' });
		// Hours stay elapsed time.
		const hours = computeSendAt('2026-10-24T10:00:00+02:00', { timeZone: 'Europe/Berlin', delay: { amount: 24, unit: 'hours' } });
		expect(hours.sendAt).toBe('2026-10-25T09:00:00+01:00');
	});

	it('adds a delay in days across DST in Kyiv', () => {
		const zone = timeZoneFor('Київ', 'UTC');
		const result = computeSendAt('2026-10-24T10:00:00+03:00', { timeZone: zone, delay: { amount: 1, unit: 'days' } });
		expect(result.sendAt).toBe('2026-10-25T10:00:00+02:00');
	});

	it('applies the delay before quiet hours', () => {
		const result = computeSendAt('2026-11-20T20:30:00+03:00', {
			timeZone: 'Europe/Moscow',
			delay: { amount: 45, unit: 'minutes' },
			quietHours: QUIET,
		});
		expect(result).toMatchObject({ localTime: '2026-11-21 09:00', shifted: true });
	});

	it('takes a Date, epoch milliseconds and a time without offset (read in the branch zone)', () => {
		const plan = { timeZone: 'Asia/Vladivostok' };
		const at = Date.UTC(2026, 10, 20, 2, 0);
		expect(computeSendAt(new Date(at), plan).localTime).toBe('2026-11-20 12:00');
		expect(computeSendAt(at, plan).localTime).toBe('2026-11-20 12:00');
		expect(computeSendAt('2026-11-20T12:00:00', plan).sendAtUtc).toBe('2026-11-20T02:00:00Z');
		expect(computeSendAt('2026-11-20 12:00:00', plan).sendAtUtc).toBe('2026-11-20T02:00:00Z');
	});

	it('keeps the clock time when the quiet-hours end falls on a DST day', () => {
		// 2026-10-25 in Berlin: 09:00 is after the change, +01:00.
		const result = computeSendAt('2026-10-24T23:00:00+02:00', { timeZone: 'Europe/Berlin', quietHours: QUIET });
		expect(result.sendAt).toBe('2026-10-25T09:00:00+01:00');
	});

	it.each([
		['a bad start time', 'yesterday', { timeZone: 'Europe/Moscow' }, /start time "yesterday" cannot be read/],
		['an empty start time', '', { timeZone: 'Europe/Moscow' }, /cannot be read/],
		['NaN', Number.NaN, { timeZone: 'Europe/Moscow' }, /cannot be read/],
		['an invalid Date', new Date('x'), { timeZone: 'Europe/Moscow' }, /cannot be read/],
		['an unknown zone', '2026-11-20T12:00:00Z', { timeZone: 'Mars/Olympus' }, /Unknown time zone "Mars\/Olympus"\. Write an IANA time zone/],
		['no zone', '2026-11-20T12:00:00Z', { timeZone: '' }, /No time zone is set/],
		['a negative delay', '2026-11-20T12:00:00Z', { timeZone: 'UTC', delay: { amount: -1, unit: 'days' as const } }, /zero or more/],
		['a bad unit', '2026-11-20T12:00:00Z', { timeZone: 'UTC', delay: { amount: 1, unit: 'weeks' as 'days' } }, /minutes, hours or days/],
		['a bad HH:mm', '2026-11-20T12:00:00Z', { timeZone: 'UTC', quietHours: { start: '25:00', end: '09:00' } }, /quiet hours start "25:00" is not a time/],
		['text as HH:mm', '2026-11-20T12:00:00Z', { timeZone: 'UTC', quietHours: { start: '21:00', end: 'утро' } }, /quiet hours end "утро"/],
		['one empty end', '2026-11-20T12:00:00Z', { timeZone: 'UTC', quietHours: { start: '21:00', end: '' } }, /quiet hours end/],
	])('refuses %s', (_name, from, plan, message) => {
		expect(() => computeSendAt(from, plan)).toThrow(ScheduleError);
		expect(() => computeSendAt(from, plan)).toThrow(message);
	});
});

describe('timeZoneFor', () => {
	it.each([
		['Europe/Moscow', 'Europe/Moscow'],
		['europe/moscow', 'Europe/Moscow'],
		['Asia/Vladivostok', 'Asia/Vladivostok'],
		['UTC', 'UTC'],
		['Москва', 'Europe/Moscow'],
		['г. Москва', 'Europe/Moscow'],
		['Калининград', 'Europe/Kaliningrad'],
		['Владивосток', 'Asia/Vladivostok'],
		['Екатеринбург', 'Asia/Yekaterinburg'],
		['Новосибирск', 'Asia/Novosibirsk'],
		['Казань', 'Europe/Moscow'],
		['Самара', 'Europe/Samara'],
		['Красноярск', 'Asia/Krasnoyarsk'],
		['Иркутск', 'Asia/Irkutsk'],
		['Хабаровск', 'Asia/Vladivostok'],
		['Омск', 'Asia/Omsk'],
		['Ростов-на-Дону', 'Europe/Moscow'],
		['ростов на дону', 'Europe/Moscow'],
		['Алматы', 'Asia/Almaty'],
		['Астана', 'Asia/Almaty'],
		['Минск', 'Europe/Minsk'],
		['Орёл', 'Europe/Moscow'],
		['орел', 'Europe/Moscow'],
		['UTC+3', 'UTC+3'],
		['utc +3', 'UTC+3'],
		['GMT+03:00', 'UTC+3'],
		['+05:30', 'UTC+5:30'],
		['UTC-4', 'UTC-4'],
		['UTC+0', 'UTC'],
		['МСК', 'UTC+3'],
		['МСК+7', 'UTC+10'],
		['MSK-1', 'UTC+2'],
	])('%j → %s', (value, zone) => {
		expect(timeZoneFor(value, 'UTC')).toBe(zone);
		expect(isValidTimeZone(timeZoneFor(value, 'UTC'))).toBe(true);
	});

	it('knows Kyiv under the name this ICU accepts', () => {
		const kyiv = timeZoneFor('Київ', 'UTC');
		expect(['Europe/Kyiv', 'Europe/Kiev']).toContain(kyiv);
		expect(timeZoneFor('Киев', 'UTC')).toBe(kyiv);
		expect(timeZoneFor('Kyiv', 'UTC')).toBe(kyiv);
		expect(isValidTimeZone(kyiv)).toBe(true);
		// Node 20's ICU knows the new name.
		expect(isValidTimeZone('Europe/Kyiv')).toBe(true);
	});

	it('uses the fallback for an empty value', () => {
		expect(timeZoneFor('', 'Europe/Moscow')).toBe('Europe/Moscow');
		expect(timeZoneFor(undefined, 'Владивосток')).toBe('Asia/Vladivostok');
		expect(timeZoneFor(null, 'UTC')).toBe('UTC');
	});

	it('reads a number as a UTC offset', () => {
		expect(timeZoneFor(3, 'UTC')).toBe('UTC+3');
		expect(timeZoneFor(-5, 'UTC')).toBe('UTC-5');
	});

	it.each(['Атлантида', 'Mars/Olympus', 'UTC+15', '+03:07', 'local'])('refuses %j and says how to write it', (value) => {
		expect(() => timeZoneFor(value, 'UTC')).toThrow(ScheduleError);
		expect(() => timeZoneFor(value, 'UTC')).toThrow(/Europe\/Moscow.*Москва.*UTC\+3/);
	});

	it('refuses an empty value without a fallback', () => {
		expect(() => timeZoneFor('', '')).toThrow(/No time zone is set/);
	});
});

describe('isValidTimeZone', () => {
	it.each([
		['Europe/Moscow', true],
		['Asia/Vladivostok', true],
		['UTC', true],
		['UTC+3', true],
		['Mars/Olympus', false],
		['', false],
		['local', false],
		['system', false],
	])('%j → %s', (zone, valid) => {
		expect(isValidTimeZone(zone)).toBe(valid);
	});
});
