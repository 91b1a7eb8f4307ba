/**
 * Phone numbers as people type them into a CRM, turned into E.164 (+79121234567) for Russia,
 * Kazakhstan (both +7), Ukraine (+380) and Belarus (+375), and the forms a CRM search may hold.
 * A number that cannot be read says why, so a channel can be skipped with a reason.
 */

export type PhoneCountry = 'RU' | 'KZ' | 'UA' | 'BY';

export type PhoneResult = { ok: true; e164: string; country: PhoneCountry | 'OTHER' } | { ok: false; reason: string };

/** Kazakh numbers share +7 with Russia; their area codes start with 6 or 7 (700–778 mobile). */
function sevenCountry(national: string): PhoneCountry {
	return /^[67]/.test(national) ? 'KZ' : 'RU';
}

/**
 * Reads a phone number. `defaultCountry` decides how a number without a country code is read
 * (a bare 10-digit Russian mobile, a Ukrainian 0XX XXX XX XX, a Belarusian 8 0XX…).
 */
export function normalizePhone(input: string, defaultCountry: PhoneCountry = 'RU'): PhoneResult {
	const raw = (input ?? '').trim();
	if (!raw) return { ok: false, reason: 'no phone number' };
	// An extension ("доб. 123", "ext 5") cannot be dialled by a messenger: drop it. (No \b: it
	// does not see Cyrillic letters as word characters.)
	const withoutExtension = raw.replace(/\s*(?:ext|доб)\.?\s*\d+\s*$/iu, '');
	if (/[a-zа-яё]/iu.test(withoutExtension)) return { ok: false, reason: `"${raw}" is not a phone number` };
	const plus = withoutExtension.startsWith('+');
	let digits = withoutExtension.replace(/\D/g, '');
	if (digits.startsWith('00')) digits = digits.slice(2);
	else if (!plus && digits.startsWith('810')) digits = digits.slice(3); // the old Russian international prefix

	const tooShort = () => ({ ok: false as const, reason: `"${raw}" has too few digits for a phone number` });
	if (plus || digits.length > 11 || (digits.length === 11 && /^[78]/.test(digits) === false)) {
		// International form.
		if (digits.startsWith('7')) {
			if (digits.length !== 11) return digits.length < 11 ? tooShort() : { ok: false, reason: `"${raw}" has too many digits for a +7 number` };
			return { ok: true, e164: `+${digits}`, country: sevenCountry(digits.slice(1)) };
		}
		if (digits.startsWith('380')) {
			if (digits.length !== 12) return { ok: false, reason: `"${raw}" is not a Ukrainian number (+380 and 9 digits)` };
			return { ok: true, e164: `+${digits}`, country: 'UA' };
		}
		if (digits.startsWith('375')) {
			if (digits.length !== 12) return { ok: false, reason: `"${raw}" is not a Belarusian number (+375 and 9 digits)` };
			return { ok: true, e164: `+${digits}`, country: 'BY' };
		}
		if (digits.length < 8) return tooShort();
		if (digits.length > 15) return { ok: false, reason: `"${raw}" has too many digits for a phone number` };
		return { ok: true, e164: `+${digits}`, country: 'OTHER' };
	}
	// National forms.
	if (digits.length === 11 && digits.startsWith('8') && (defaultCountry === 'RU' || defaultCountry === 'KZ')) {
		return { ok: true, e164: `+7${digits.slice(1)}`, country: sevenCountry(digits.slice(1)) };
	}
	if (digits.length === 11 && digits.startsWith('7')) return { ok: true, e164: `+${digits}`, country: sevenCountry(digits.slice(1)) };
	if (digits.length === 11 && digits.startsWith('80') && defaultCountry === 'BY') return { ok: true, e164: `+375${digits.slice(2)}`, country: 'BY' };
	if (digits.length === 10 && digits.startsWith('0') && defaultCountry === 'UA') return { ok: true, e164: `+38${digits}`, country: 'UA' };
	if (digits.length === 10 && /^[3-9]/.test(digits) && (defaultCountry === 'RU' || defaultCountry === 'KZ')) {
		return { ok: true, e164: `+7${digits}`, country: sevenCountry(digits) };
	}
	if (digits.length === 9 && defaultCountry === 'UA') return { ok: true, e164: `+380${digits}`, country: 'UA' };
	if (digits.length === 9 && defaultCountry === 'BY') return { ok: true, e164: `+375${digits}`, country: 'BY' };
	if (digits.length < 9) return tooShort();
	return { ok: false, reason: `"${raw}" is not a number for ${defaultCountry} and has no country code` };
}

/**
 * The ways the same number may be stored in a CRM, for a duplicate search that compares text:
 * +79121234567, 79121234567, 89121234567 (Russia/Kazakhstan), 0671234567 (Ukraine)…
 */
export function phoneSearchForms(input: string, defaultCountry: PhoneCountry = 'RU'): string[] {
	const parsed = normalizePhone(input, defaultCountry);
	if (!parsed.ok) return [];
	const digits = parsed.e164.slice(1);
	const forms = new Set([parsed.e164, digits]);
	if (parsed.country === 'RU' || parsed.country === 'KZ') forms.add(`8${digits.slice(1)}`);
	if (parsed.country === 'UA') forms.add(`0${digits.slice(3)}`);
	if (parsed.country === 'BY') forms.add(`80${digits.slice(3)}`);
	return [...forms];
}
