import { normalizePhone, phoneSearchForms } from '../../../nodes/shared/phone';

describe('normalizePhone', () => {
	it.each([
		['8 (912) 345-67-89', '+79123456789', 'RU'],
		['+7 912 345 67 89', '+79123456789', 'RU'],
		['89123456789', '+79123456789', 'RU'],
		['9123456789', '+79123456789', 'RU'],
		['7 (912) 345-67-89', '+79123456789', 'RU'],
		['8-10-7-912-345-67-89', '+79123456789', 'RU'],
		['+7 (701) 123-45-67', '+77011234567', 'KZ'],
		['8 701 123 45 67', '+77011234567', 'KZ'],
		['+380 67 123 45 67', '+380671234567', 'UA'],
		['380671234567', '+380671234567', 'UA'],
		['+375 29 123-45-67', '+375291234567', 'BY'],
		['00 380 67 1234567', '+380671234567', 'UA'],
		['+7 912 345-67-89 доб. 12', '+79123456789', 'RU'],
		['+44 20 7946 0958', '+442079460958', 'OTHER'],
	])('%s → %s', (input, e164, country) => {
		expect(normalizePhone(input)).toEqual({ ok: true, e164, country });
	});

	it('reads national forms by the default country', () => {
		expect(normalizePhone('067 123 45 67', 'UA')).toEqual({ ok: true, e164: '+380671234567', country: 'UA' });
		expect(normalizePhone('8 029 123 45 67', 'BY')).toEqual({ ok: true, e164: '+375291234567', country: 'BY' });
	});

	it.each([
		['', 'no phone number'],
		['не звонить', 'is not a phone number'],
		['12345', 'too few digits'],
		['+7 912 345 67 890', 'too many digits for a +7 number'],
		['+380 67 123 45', 'not a Ukrainian number'],
	])('refuses %j with a reason', (input, reason) => {
		const result = normalizePhone(input);
		expect(result.ok).toBe(false);
		expect(result.ok ? '' : result.reason).toContain(reason);
	});
});

describe('phoneSearchForms', () => {
	it('lists the forms a CRM may store', () => {
		expect(phoneSearchForms('8 912 345-67-89')).toEqual(['+79123456789', '79123456789', '89123456789']);
		expect(phoneSearchForms('+380671234567')).toEqual(['+380671234567', '380671234567', '0671234567']);
		expect(phoneSearchForms('garbage')).toEqual([]);
	});
});
