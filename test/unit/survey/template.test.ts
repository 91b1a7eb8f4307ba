import {
	checkEmailHtml,
	checkTemplate,
	defaultTemplates,
	LANGUAGES,
	languageOf,
	PLACEHOLDER_ALIASES,
	PLACEHOLDERS,
	renderEmailHtml,
	renderTemplate,
	smsSegments,
	TemplateError,
	templateError,
	usedPlaceholders,
	type TemplateValues,
} from '../../../nodes/shared/survey/template';

const LINK = 'https://n8n.example.ru/webhook/nps?t=k1.AQcBc8DEB8CN9tcGgJqeAfH3JwQzMTUzBndhenp1cA.DeP3jG2KQGs33bGp6kakPw';

const values: TemplateValues = {
	firstName: 'Анна',
	lastName: 'Петренко',
	fullName: 'Анна Петренко',
	branch: 'Аккумуляторы на Ленина',
	branchAddress: 'ул. Ленина, 5',
	city: 'Владивосток',
	employee: 'Иван Сидоров',
	company: 'АКБ-Маркет',
	dealId: 123456,
	link: LINK,
};

describe('renderTemplate', () => {
	it('renders the example from the branch table', () => {
		expect(renderTemplate('Здравствуйте, {firstName}! Спасибо за покупку в {branch}. Оцените нас от 0 до 10: {link}', values)).toBe(
			`Здравствуйте, Анна! Спасибо за покупку в Аккумуляторы на Ленина. Оцените нас от 0 до 10: ${LINK}`,
		);
	});

	it.each(Object.keys(PLACEHOLDERS))('renders {%s}', (name) => {
		expect(renderTemplate(`[{${name}}]`, values)).toBe(`[${String(values[name])}]`);
	});

	it.each(Object.entries(PLACEHOLDER_ALIASES))('renders the alias {%s} as {%s}', (alias, name) => {
		expect(renderTemplate(`[{${alias}}]`, values)).toBe(`[${String(values[name])}]`);
	});

	it('reads names loosely: case, spaces, _ and apostrophe forms', () => {
		expect(renderTemplate('{FirstName} {first_name} { first name } {ИМЯ} {ім’я} {імʼя} {Посилання}', values)).toBe(
			`Анна Анна Анна Анна Анна Анна ${LINK}`,
		);
	});

	it('uses the default when the value is empty', () => {
		expect(renderTemplate('Здравствуйте, {firstName|клиент}!', {})).toBe('Здравствуйте, клиент!');
		expect(renderTemplate('Здравствуйте, {имя|клиент}!', { firstName: '  ' })).toBe('Здравствуйте, клиент!');
		expect(renderTemplate('Здравствуйте, {firstName|клиент}!', { firstName: 'Анна' })).toBe('Здравствуйте, Анна!');
		expect(renderTemplate('Сделка {dealId|?}', { dealId: 0 })).toBe('Сделка 0');
	});

	it.each([
		['Здравствуйте, {firstName}!', 'Здравствуйте!'],
		['Hello {firstName}, thanks', 'Hello, thanks'],
		['Спасибо, {firstName}, за покупку', 'Спасибо за покупку'],
		['{firstName}, добрый день!', 'Добрый день!'],
		['Привет {firstName} {lastName}!', 'Привет!'],
		['Филиал ({branch}) ждёт вас', 'Филиал ждёт вас'],
		['Магазин «{branch}» ждёт вас', 'Магазин ждёт вас'],
		['в {branch} магазине', 'в магазине'],
		['Ссылка: {link}\nС уважением,\n{company}', 'Ссылка:\nС уважением,'],
	])('removes an empty value tidily: %j', (template, expected) => {
		expect(renderTemplate(template, {})).toBe(expected);
	});

	it('writes literal braces for {{ and }}', () => {
		expect(renderTemplate('Код {{A}} и {{ $json.x }}: {{{firstName}}}', values)).toBe('Код {A} и { $json.x }: {Анна}');
		expect(renderTemplate('}} {{', {})).toBe('} {');
	});

	it('reads {{firstName}} around a known name as the placeholder', () => {
		expect(renderTemplate('Здравствуйте, {{firstName}}! {{ ссылка }}', values)).toBe(`Здравствуйте, Анна! ${LINK}`);
	});

	it('accepts names given in the values (custom columns)', () => {
		expect(renderTemplate('Бонус: {bonus}', { bonus: 300 })).toBe('Бонус: 300');
		expect(checkTemplate('Бонус: {bonus}', ['bonus'])).toEqual([]);
	});

	it('refuses unknown placeholders before rendering anything, listing the known ones', () => {
		let error: unknown;
		try {
			renderTemplate('Здравствуйте, {firstName}! {fisrtName} {foo} {foo}', values);
		} catch (e) {
			error = e;
		}
		expect(error).toBeInstanceOf(TemplateError);
		const templateError = error as TemplateError;
		expect(templateError.unknown).toEqual(['fisrtName', 'foo']);
		expect(templateError.known).toEqual(Object.keys(PLACEHOLDERS));
		expect(templateError.message).toMatch(/^Unknown placeholders \{fisrtName\}, \{foo\} in the message template\. Known placeholders: \{firstName\}, \{lastName\}, /);
		expect(templateError.message).toContain('{link}');
		expect(templateError.message).toContain('{имя}');
	});

	it('refuses stray braces', () => {
		expect(() => renderTemplate('Оцените нас {link', values)).toThrow(/"\{" without a closing "\}".*write \{\{ and \}\} for literal braces/);
		expect(() => renderTemplate('Оцените нас link}', values)).toThrow(TemplateError);
	});
});

describe('checkTemplate', () => {
	it('is empty for good templates', () => {
		expect(checkTemplate('Здравствуйте, {имя|клиент}! {{literal}} {link}')).toEqual([]);
		for (const language of LANGUAGES) {
			for (const text of Object.values(defaultTemplates(language))) expect(checkTemplate(text)).toEqual([]);
		}
	});

	it('lists unknown names and stray braces', () => {
		const problems = checkTemplate('a {foo} {} } { b');
		expect(problems[0]).toBe('foo');
		expect(problems[1]).toBe('');
		expect(problems[2]).toMatch(/"\}" without an opening "\{"/);
		expect(problems[3]).toMatch(/"\{" without a closing "\}"/);
		expect(problems).toHaveLength(4);
	});

	it('checks HTML templates with CSS in them', () => {
		const html = '<style>p { color: red; }</style><p>{firstName}</p>';
		expect(checkEmailHtml(html)).toEqual([]);
		expect(checkTemplate(html)).not.toEqual([]);
		expect(checkEmailHtml('<p>{foo}</p>')).toEqual(['foo']);
	});

	it('gives the error with its full message', () => {
		expect(templateError('{link}')).toBeUndefined();
		expect(templateError('<style>p { color: red; }</style>{link}', { html: true })).toBeUndefined();
		expect(templateError('{bonus}', { extraNames: ['bonus'] })).toBeUndefined();
		const error = templateError('{foo} {');
		expect(error).toBeInstanceOf(TemplateError);
		expect(error?.unknown).toEqual(['foo']);
		expect(error?.message).toMatch(/^Unknown placeholder \{foo\} in the message template\. The message template has a "\{" without a closing "\}"/);
	});

	it('lists the placeholders a template uses', () => {
		expect(usedPlaceholders('{имя}, {firstName}! {ссылка}')).toEqual(['firstName', 'link']);
	});
});

describe('defaultTemplates', () => {
	it.each(LANGUAGES)('%s: every text renders, the link is in each body', (language) => {
		const texts = defaultTemplates(language);
		for (const key of ['message', 'sms', 'emailText'] as const) {
			expect(renderTemplate(texts[key], values)).toContain(LINK);
			expect(renderTemplate(texts[key], { link: LINK })).toContain(LINK);
		}
		expect(renderEmailHtml(texts.emailHtml, values)).toContain(`href="${LINK}"`);
		expect(renderTemplate(texts.emailSubject, values).length).toBeGreaterThan(5);
	});

	it('keeps the SMS text before the link within one Cyrillic SMS', () => {
		for (const language of ['ru', 'uk'] as const) {
			const before = defaultTemplates(language).sms.split('{link}')[0];
			expect(before.length).toBeLessThanOrEqual(70);
		}
	});

	it('reads well without a name', () => {
		expect(renderTemplate(defaultTemplates('ru').message, { link: LINK })).toMatch(/^Здравствуйте! Спасибо, что выбрали нас\./);
		expect(renderTemplate(defaultTemplates('uk').message, { link: LINK })).toMatch(/^Доброго дня! Дякуємо, що обрали нас\./);
		expect(renderTemplate(defaultTemplates('en').message, { link: LINK })).toMatch(/^Hello, thank you for choosing us!/);
	});

	it('gives a copy', () => {
		defaultTemplates('ru').sms = 'changed';
		expect(defaultTemplates('ru').sms).not.toBe('changed');
	});
});

describe('renderEmailHtml', () => {
	it('escapes values', () => {
		expect(renderEmailHtml('<p>Здравствуйте, {firstName}!</p>', { firstName: '<script>alert("x")</script>' })).toBe(
			'<p>Здравствуйте, &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;!</p>',
		);
	});

	it('puts only http(s) links into href', () => {
		const html = '<a href="{link}">{link}</a>';
		expect(renderEmailHtml(html, { link: 'https://a.example/nps?x=1&t=k1.a.b' })).toBe(
			'<a href="https://a.example/nps?x=1&amp;t=k1.a.b">https://a.example/nps?x=1&amp;t=k1.a.b</a>',
		);
		expect(renderEmailHtml(html, { link: 'javascript:alert(1)' })).toBe('<a href="#">javascript:alert(1)</a>');
		expect(renderEmailHtml("<a href='{link}'>x</a>", { link: '' })).toBe("<a href='#'>x</a>");
	});

	it('leaves CSS braces alone', () => {
		const html = '<style>p { color: red; }</style><p style="margin:{0}">{firstName}</p>';
		expect(renderEmailHtml(html, { firstName: 'Анна' })).toBe('<style>p { color: red; }</style><p style="margin:{0}">Анна</p>');
	});

	it('keeps attribute quotes when a value is empty', () => {
		expect(renderEmailHtml('<img alt="{branch}" src="{link}">', {})).toBe('<img alt="" src="#">');
	});

	it('still refuses unknown placeholders', () => {
		expect(() => renderEmailHtml('<p>{foo}</p>', {})).toThrow(TemplateError);
	});
});

describe('smsSegments', () => {
	it.each([
		['', 'GSM-7', 0, 0],
		['Hello', 'GSM-7', 1, 5],
		['a'.repeat(160), 'GSM-7', 1, 160],
		['a'.repeat(161), 'GSM-7', 2, 161],
		['a'.repeat(306), 'GSM-7', 2, 306],
		['a'.repeat(307), 'GSM-7', 3, 307],
		['{€}', 'GSM-7', 1, 6],
		['Привет', 'UCS-2', 1, 6],
		['я'.repeat(70), 'UCS-2', 1, 70],
		['я'.repeat(71), 'UCS-2', 2, 71],
		['я'.repeat(134), 'UCS-2', 2, 134],
		['я'.repeat(135), 'UCS-2', 3, 135],
		['Thanks 👍', 'UCS-2', 1, 9],
	] as const)('%j → %s, %d', (text, encoding, segments, length) => {
		expect(smsSegments(text)).toEqual({ encoding, segments, length });
	});

	it('counts a Latin survey SMS as GSM-7 and a Cyrillic one as UCS-2', () => {
		expect(smsSegments(renderTemplate(defaultTemplates('en').sms, { link: LINK }))).toMatchObject({ encoding: 'GSM-7', segments: 2 });
		expect(smsSegments(renderTemplate(defaultTemplates('ru').sms, { link: LINK }))).toMatchObject({ encoding: 'UCS-2', segments: 3 });
	});
});

describe('languageOf', () => {
	it.each([
		['ru', 'ru'],
		['RU', 'ru'],
		['ru-RU', 'ru'],
		['русский', 'ru'],
		['Русский', 'ru'],
		['uk', 'uk'],
		['ua', 'uk'],
		['uk_UA', 'uk'],
		['українська', 'uk'],
		['Українська', 'uk'],
		['en', 'en'],
		['en-US', 'en'],
		['English', 'en'],
		[' english ', 'en'],
	])('%j → %s', (value, language) => {
		expect(languageOf(value, 'ru')).toBe(language);
		expect(languageOf(value, 'en')).toBe(language);
	});

	it.each([undefined, null, '', 'de', 'deutsch', 42])('falls back for %j', (value) => {
		expect(languageOf(value, 'uk')).toBe('uk');
	});
});
