/**
 * Message templates that non-developers write in a branch-settings table:
 * "Здравствуйте, {firstName}! Оцените нас от 0 до 10: {link}".
 *
 * Syntax:
 * - `{name}` inserts a value; `{name|text}` uses `text` when the value is empty. Single braces, so
 *   n8n's `{{ expressions }}` are evaluated first and never collide with placeholders.
 * - Names are case-insensitive and have Russian and Ukrainian aliases ({имя}, {ім'я}…).
 * - `{{` and `}}` write a literal `{` and `}`. One exception for people used to other tools:
 *   `{{firstName}}` around a known placeholder name works as `{firstName}`.
 * - An unknown name or a stray brace is an error before anything is rendered, so a typo never
 *   reaches a customer.
 * - An empty value without a default is removed and the punctuation around it tidied:
 *   "Здравствуйте, {firstName}!" → "Здравствуйте!".
 */

export type Language = 'ru' | 'uk' | 'en';

export const LANGUAGES: Language[] = ['ru', 'uk', 'en'];

export interface TemplateValues {
	[placeholder: string]: string | number | undefined;
}

/** The placeholders templates may use, with what each one holds. */
export const PLACEHOLDERS: Record<string, string> = {
	firstName: "The customer's first name",
	lastName: "The customer's last name",
	fullName: "The customer's full name",
	branch: 'The branch (shop, service centre) the customer visited',
	branchAddress: "The branch's address",
	city: "The branch's city",
	employee: 'The employee responsible for the deal',
	company: 'Your company name',
	dealId: 'The Bitrix24 deal ID',
	link: 'The survey link (signed, personal to this deal)',
};

/** Russian and Ukrainian names for the same placeholders. */
export const PLACEHOLDER_ALIASES: Record<string, string> = {
	// ru
	имя: 'firstName',
	фамилия: 'lastName',
	фио: 'fullName',
	филиал: 'branch',
	адрес: 'branchAddress',
	город: 'city',
	сотрудник: 'employee',
	менеджер: 'employee',
	компания: 'company',
	сделка: 'dealId',
	ссылка: 'link',
	// uk
	"ім'я": 'firstName',
	прізвище: 'lastName',
	піб: 'fullName',
	філія: 'branch',
	адреса: 'branchAddress',
	місто: 'city',
	працівник: 'employee',
	угода: 'dealId',
	посилання: 'link',
};

/** Lower case, apostrophes unified, spaces, "_" and "-" dropped: {First Name}, {first_name}, {ім’я}. */
function nameKey(name: string): string {
	return name
		.trim()
		.toLowerCase()
		.replace(/[’ʼ`´‘]/g, "'")
		.replace(/[\s_-]+/g, '');
}

const NAME_INDEX = new Map<string, string>();
for (const key of Object.keys(PLACEHOLDERS)) NAME_INDEX.set(nameKey(key), key);
for (const [alias, key] of Object.entries(PLACEHOLDER_ALIASES)) NAME_INDEX.set(nameKey(alias), key);

function canonicalName(name: string, extra: ReadonlySet<string>): string | undefined {
	const known = NAME_INDEX.get(nameKey(name));
	if (known) return known;
	const trimmed = name.trim();
	return extra.has(trimmed) ? trimmed : undefined;
}

const KNOWN_LIST = Object.keys(PLACEHOLDERS);

export class TemplateError extends Error {
	/** Unknown placeholder names as written. */
	unknown: string[];

	/** The canonical placeholder names. */
	known: string[];

	/** Everything wrong: unknown names and stray braces, as checkTemplate reports them. */
	problems: string[];

	constructor(problems: string[], unknown: string[]) {
		const knownText = KNOWN_LIST.map((name) => `{${name}}`).join(', ');
		const parts: string[] = [];
		if (unknown.length > 0) {
			const names = unknown.map((name) => `{${name}}`).join(', ');
			parts.push(`Unknown placeholder${unknown.length > 1 ? 's' : ''} ${names} in the message template.`);
		}
		const braces = problems.filter((p) => !unknown.includes(p));
		if (braces.length > 0) {
			parts.push(`The message template has ${braces.join('; ')}; write {{ and }} for literal braces.`);
		}
		parts.push(`Known placeholders: ${knownText} (Russian and Ukrainian names such as {имя}, {ссылка}, {ім'я} work too).`);
		super(parts.join(' '));
		this.name = 'TemplateError';
		this.unknown = unknown;
		this.known = [...KNOWN_LIST];
		this.problems = problems;
	}
}

type Part =
	| { type: 'text'; text: string }
	| { type: 'placeholder'; name: string; fallback?: string; url: boolean };

interface Parsed {
	parts: Part[];
	unknown: string[];
	problems: string[];
}

function excerpt(text: string, at: number): string {
	return text
		.slice(Math.max(0, at - 10), at + 10)
		.replace(/\s+/g, ' ')
		.trim();
}

/** Splits a template into text and placeholders; `url` marks placeholders inside href/src. */
function parse(template: string, extra: ReadonlySet<string>, parsed: Parsed, url = false): void {
	let text = '';
	const flush = () => {
		if (text !== '') parsed.parts.push({ type: 'text', text });
		text = '';
	};
	const placeholder = (content: string) => {
		const bar = content.indexOf('|');
		const written = (bar >= 0 ? content.slice(0, bar) : content).trim();
		const name = canonicalName(written, extra);
		if (!name) {
			if (!parsed.unknown.includes(written)) {
				parsed.unknown.push(written);
				parsed.problems.push(written);
			}
			return;
		}
		flush();
		parsed.parts.push({ type: 'placeholder', name, fallback: bar >= 0 ? content.slice(bar + 1).trim() : undefined, url });
	};

	let i = 0;
	while (i < template.length) {
		const c = template[i];
		if (c === '{' && template[i + 1] === '{') {
			const double = /^\{\{([^{}]*)\}\}/.exec(template.slice(i));
			const content = double?.[1];
			if (content !== undefined && canonicalName(content.split('|')[0], extra)) {
				placeholder(content);
				i += double![0].length;
			} else {
				text += '{';
				i += 2;
			}
		} else if (c === '{') {
			const close = template.indexOf('}', i + 1);
			const nextOpen = template.indexOf('{', i + 1);
			if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
				parsed.problems.push(`a "{" without a closing "}" near "${excerpt(template, i)}"`);
				i += 1;
			} else {
				placeholder(template.slice(i + 1, close));
				i = close + 1;
			}
		} else if (c === '}') {
			if (template[i + 1] === '}') {
				text += '}';
				i += 2;
			} else {
				parsed.problems.push(`a "}" without an opening "{" near "${excerpt(template, i)}"`);
				i += 1;
			}
		} else {
			text += c;
			i += 1;
		}
	}
	flush();
}

/** HTML: <style> blocks and style="" attributes are CSS (braces!), href/src hold URLs. */
function parseHtml(html: string, extra: ReadonlySet<string>, parsed: Parsed): void {
	const special = /<style\b[^>]*>[\s\S]*?<\/style\s*>|\sstyle\s*=\s*("[^"]*"|'[^']*')|(\s(?:href|src)\s*=\s*)("[^"]*"|'[^']*')/gi;
	let last = 0;
	for (const match of html.matchAll(special)) {
		const at = match.index ?? 0;
		parse(html.slice(last, at), extra, parsed);
		if (match[2] !== undefined && match[3] !== undefined) {
			parsed.parts.push({ type: 'text', text: match[2] + match[3][0] });
			parse(match[3].slice(1, -1), extra, parsed, true);
			parsed.parts.push({ type: 'text', text: match[3][0] });
		} else {
			parsed.parts.push({ type: 'text', text: match[0] });
		}
		last = at + match[0].length;
	}
	parse(html.slice(last), extra, parsed);
}

function parsed(template: string, extraNames: Iterable<string>, html: boolean): Parsed {
	const result: Parsed = { parts: [], unknown: [], problems: [] };
	const extra = new Set(extraNames);
	if (html) parseHtml(String(template ?? ''), extra, result);
	else parse(String(template ?? ''), extra, result);
	return result;
}

/**
 * What is wrong with a template: unknown placeholder names as written, and entries describing
 * stray braces. Empty means the template is fine. `extraNames` are further accepted names.
 */
export function checkTemplate(template: string, extraNames: Iterable<string> = []): string[] {
	return parsed(template, extraNames, false).problems;
}

/** checkTemplate for an HTML template: braces in <style> and style="" are CSS, not placeholders. */
export function checkEmailHtml(html: string, extraNames: Iterable<string> = []): string[] {
	return parsed(html, extraNames, true).problems;
}

/**
 * The error renderTemplate (or renderEmailHtml, with `html`) would throw for this template, with
 * its full plain-words message, or undefined when the template is fine.
 */
export function templateError(template: string, options: { html?: boolean; extraNames?: Iterable<string> } = {}): TemplateError | undefined {
	const result = parsed(template, options.extraNames ?? [], options.html === true);
	return result.problems.length > 0 ? new TemplateError(result.problems, result.unknown) : undefined;
}

/** The canonical names a template uses, e.g. to check that it has a {link}. */
export function usedPlaceholders(template: string): string[] {
	const names = new Set<string>();
	for (const part of parsed(template, [], false).parts) if (part.type === 'placeholder') names.add(part.name);
	return [...names];
}

// Marks where an empty value was removed, so only the text around it is tidied.
const GAP = '\uE000';

function valueText(value: string | number | undefined): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
	return String(value).replace(/\uE000/g, '').trim();
}

function tidy(text: string, html: boolean): string {
	if (!text.includes(GAP)) return text;
	let out = text.replace(/\uE000(?:[ \t]*\uE000)+/g, GAP);
	// Empty brackets and quotes: (…), «…», "…" — straight quotes not in HTML, where they delimit attributes.
	out = out.replace(/[ \t]*(?:\([ \t]*\uE000[ \t]*\)|«[ \t]*\uE000[ \t]*»|„[ \t]*\uE000[ \t]*“)/g, GAP);
	if (!html) out = out.replace(/[ \t]*(?:"[ \t]*\uE000[ \t]*"|'[ \t]*\uE000[ \t]*')/g, GAP);
	return (
		out
			// "Спасибо, {name}, за покупку" → "Спасибо за покупку"
			.replace(/[ \t]*,[ \t]*\uE000[ \t]*,[ \t]*/g, ' ')
			// "{name}, добрый день" at the start of a line → "Добрый день"
			.replace(/(^|\n)[ \t]*\uE000[ \t]*[,;:]?[ \t]*(\p{Ll})?/gu, (_m, start: string, letter?: string) => start + (letter ?? '').toUpperCase())
			// "Здравствуйте, {name}!" → "Здравствуйте!"
			.replace(/[ \t]*[,;:]?[ \t]*\uE000[ \t]*(?=[.!?,;:…)])/g, '')
			// at the end of a line
			.replace(/[ \t]*\uE000[ \t]*(?=\r?\n|$)/g, '')
			.replace(/[ \t]+\uE000[ \t]+/g, ' ')
			.replace(/\uE000/g, '')
	);
}

/** Escapes text for HTML text nodes and quoted attribute values (the one escaper: pages use it too). */
export function escapeHtml(text: unknown): string {
	return String(text ?? '')
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&#39;');
}

function render(template: string, values: TemplateValues, html: boolean): string {
	const result = parsed(template, Object.keys(values ?? {}), html);
	if (result.problems.length > 0) throw new TemplateError(result.problems, result.unknown);
	let out = '';
	for (const part of result.parts) {
		if (part.type === 'text') {
			out += part.text;
			continue;
		}
		let value = valueText(values?.[part.name]);
		if (value === '' && part.fallback !== undefined) value = part.fallback;
		if (value === '' && part.url) {
			out += '#';
		} else if (value === '') {
			out += GAP;
		} else if (!html) {
			out += value;
		} else if (part.url) {
			// Only web links go into href/src: a "javascript:" value must not become a live link.
			out += /^https?:\/\//i.test(value) ? escapeHtml(value) : '#';
		} else {
			out += escapeHtml(value);
		}
	}
	return tidy(out, html).replace(/[ \t]+$/gm, '').trim();
}

/** Fills a template; throws TemplateError (before rendering anything) for unknown names or stray braces. */
export function renderTemplate(template: string, values: TemplateValues): string {
	return render(template, values, false);
}

/**
 * Fills an HTML template: values are HTML-escaped; a value inside href or src is used only when it
 * is an http(s) URL (otherwise "#"). <style> blocks and style attributes are left alone.
 */
export function renderEmailHtml(html: string, values: TemplateValues): string {
	return render(html, values, true);
}

export interface DefaultTemplates {
	message: string;
	sms: string;
	emailSubject: string;
	emailText: string;
	emailHtml: string;
}

function emailHtml(lang: string, greeting: string, body: string, button: string, fallback: string, regards: string): string {
	return [
		`<!DOCTYPE html><html lang="${lang}"><body style="margin:0;padding:24px;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1f2328;">`,
		'<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">',
		'<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-radius:8px;padding:32px;">',
		`<tr><td style="font-size:16px;line-height:24px;"><p style="margin:0 0 16px;">${greeting}</p>`,
		`<p style="margin:0 0 24px;">${body}</p>`,
		`<p style="margin:0 0 24px;text-align:center;"><a href="{link}" style="display:inline-block;padding:12px 28px;background:#2f6fed;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold;">${button}</a></p>`,
		`<p style="margin:0 0 24px;font-size:13px;line-height:20px;color:#57606a;">${fallback}<br><a href="{link}" style="color:#2f6fed;">{link}</a></p>`,
		`<p style="margin:0;">${regards}<br>{company}</p>`,
		'</td></tr></table></td></tr></table></body></html>',
	].join('\n');
}

const DEFAULTS: Record<Language, DefaultTemplates> = {
	ru: {
		message:
			'Здравствуйте, {firstName}! Спасибо, что выбрали {company|нас}. Насколько вероятно, что вы порекомендуете нас друзьям? Оцените от 0 до 10: {link}',
		sms: 'Спасибо за покупку! Порекомендуете нас друзьям? Оцените от 0 до 10: {link}',
		emailSubject: 'Оцените, пожалуйста, нашу работу',
		emailText:
			'Здравствуйте, {firstName}!\n\nСпасибо, что выбрали {company|нас}. Нам важно ваше мнение: насколько вероятно, что вы порекомендуете нас друзьям или коллегам? Оцените от 0 до 10 — это займёт меньше минуты:\n{link}\n\nС уважением,\n{company}',
		emailHtml: emailHtml(
			'ru',
			'Здравствуйте, {firstName}!',
			'Спасибо, что выбрали {company|нас}. Нам важно ваше мнение: насколько вероятно, что вы порекомендуете нас друзьям или коллегам? Оцените от 0 до 10 — это займёт меньше минуты.',
			'Оценить',
			'Если кнопка не открывается, скопируйте ссылку:',
			'С уважением,',
		),
	},
	uk: {
		message:
			'Доброго дня, {firstName}! Дякуємо, що обрали {company|нас}. Наскільки ймовірно, що ви порекомендуєте нас друзям? Оцініть від 0 до 10: {link}',
		sms: 'Дякуємо за покупку! Порадите нас друзям? Оцініть від 0 до 10: {link}',
		emailSubject: 'Оцініть, будь ласка, нашу роботу',
		emailText:
			'Доброго дня, {firstName}!\n\nДякуємо, що обрали {company|нас}. Нам важлива ваша думка: наскільки ймовірно, що ви порекомендуєте нас друзям або колегам? Оцініть від 0 до 10 — це займе менше хвилини:\n{link}\n\nЗ повагою,\n{company}',
		emailHtml: emailHtml(
			'uk',
			'Доброго дня, {firstName}!',
			'Дякуємо, що обрали {company|нас}. Нам важлива ваша думка: наскільки ймовірно, що ви порекомендуєте нас друзям або колегам? Оцініть від 0 до 10 — це займе менше хвилини.',
			'Оцінити',
			'Якщо кнопка не відкривається, скопіюйте посилання:',
			'З повагою,',
		),
	},
	en: {
		message:
			'Hello {firstName}, thank you for choosing {company|us}! How likely are you to recommend us to a friend? Rate us from 0 to 10: {link}',
		sms: 'Thanks for your purchase! Would you recommend us? Rate us 0-10: {link}',
		emailSubject: 'How did we do? Rate us from 0 to 10',
		emailText:
			'Hello {firstName},\n\nThank you for choosing {company|us}. How likely are you to recommend us to a friend or colleague? Rate us from 0 to 10; it takes less than a minute:\n{link}\n\nKind regards,\n{company}',
		emailHtml: emailHtml(
			'en',
			'Hello {firstName},',
			'Thank you for choosing {company|us}. How likely are you to recommend us to a friend or colleague? Rate us from 0 to 10; it takes less than a minute.',
			'Rate us',
			'If the button does not open, copy this link:',
			'Kind regards,',
		),
	},
};

/** Polite, short default texts with {link}, used when a branch has no texts of its own. */
export function defaultTemplates(language: Language): DefaultTemplates {
	return { ...(DEFAULTS[language] ?? DEFAULTS.ru) };
}

// GSM 03.38: the basic set costs one septet, the extension set two (escape + char).
const GSM_BASIC = new Set(
	"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
const GSM_EXTENDED = new Set('^{}\\[~]|€\f');

/**
 * How an SMS of this text is billed: GSM-7 (160 per SMS, 153 per part) or UCS-2 (70, 67 per part)
 * for anything outside GSM-7, e.g. Cyrillic. `length` counts septets for GSM-7 and UTF-16 units
 * for UCS-2 (an emoji is 2). Providers may split slightly differently at part boundaries.
 */
export function smsSegments(text: string): { encoding: 'GSM-7' | 'UCS-2'; segments: number; length: number } {
	const value = String(text ?? '');
	let septets = 0;
	let gsm = true;
	for (const char of value) {
		if (GSM_BASIC.has(char)) septets += 1;
		else if (GSM_EXTENDED.has(char)) septets += 2;
		else {
			gsm = false;
			break;
		}
	}
	if (gsm) {
		return { encoding: 'GSM-7', length: septets, segments: septets === 0 ? 0 : septets <= 160 ? 1 : Math.ceil(septets / 153) };
	}
	const units = value.length;
	return { encoding: 'UCS-2', length: units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}

const LANGUAGE_NAMES: Record<string, Language> = {
	ru: 'ru',
	rus: 'ru',
	russian: 'ru',
	русский: 'ru',
	рус: 'ru',
	ру: 'ru',
	російська: 'ru',
	uk: 'uk',
	ua: 'uk',
	ukr: 'uk',
	ukrainian: 'uk',
	українська: 'uk',
	укр: 'uk',
	украинский: 'uk',
	en: 'en',
	eng: 'en',
	english: 'en',
	английский: 'en',
	англійська: 'en',
	англ: 'en',
};

/** Reads a language setting: 'ru', 'RU', 'ru-RU', 'русский', 'uk', 'ua', 'українська', 'en', 'English'… */
export function languageOf(value: unknown, fallback: Language): Language {
	if (typeof value !== 'string') return fallback;
	const text = value.trim().toLowerCase();
	if (text === '') return fallback;
	return LANGUAGE_NAMES[text] ?? LANGUAGE_NAMES[text.split(/[-_\s]/)[0]] ?? fallback;
}
