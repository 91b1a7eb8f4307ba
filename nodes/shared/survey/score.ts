/**
 * NPS score answers: reading a customer's reply (a number, or text typed into a chat in Russian,
 * Ukrainian or English), averaging several questions, and sorting a score into promoter, passive
 * or detractor. Knows nothing of n8n.
 *
 * What the parser reads, and why:
 * - Digits anywhere in the answer ("Всё понравилось, 10", "Оценка: 8", "на 9", "10!", "8 баллов"),
 *   keycap emoji ("9️⃣", "🔟", "1️⃣0️⃣") and full-width digits count as numbers.
 * - "9/10", "9 из 10", "9 з 10", "9 of 10", "9 out of 10": the "/10" part is the scale, not a second
 *   number. A score out of anything but the scale's top ("4/5", "4 из 5") is refused: converting it
 *   would guess.
 * - Number words ("десять", "дев’ять", "вісім", "nine", "ноль", "десятка") count only when the answer is
 *   score-like: every other word is score vocabulary ("ставлю", "оценка", "баллов", "out of", "my
 *   score is") or a short tone word ("отлично", "great"). In a longer sentence ("ноль проблем",
 *   "one of the best", "два раза звонил") a number word is a figure of speech, and reading it as a
 *   score would route a happy customer as a detractor; such answers go to invalid instead. "9 (девять)"
 *   reads 9: the words agree with the digits.
 * - The same number said twice is one score ("10 из 10", "10, десять!"). Two different numbers are
 *   ambiguous ("7 или 8", "from 5 to 9", "9-10", "не десять, а 9") and refused rather than guessed.
 * - A whole number written with zero decimals ("8.0", "8,00") is that number; "7.5" is refused: it could
 *   mean 7 or 8, and rounding would move a customer across a threshold on our guess.
 * - Stars ("5 звёзд", "4 stars") answer a star rating, where 5 may be the best: refused, not read as 5.
 * - Dates ("10.10.2026"), phone numbers ("+7 912 555-01-01"), long digit runs (order or card numbers),
 *   digits glued to letters ("2GIS", "A4", "3D") and numbers outside the scale ("11", "-3", "0" on a
 *   1–10 scale) are refused with a reason.
 * - Case, spaces, ё/е, stress marks and apostrophe forms (' ’ ʼ `) do not matter.
 *
 * `parseScore` never throws: any input, of any type, gives a whole score inside the scale or
 * `ok: false` with a reason in plain words.
 */

export type Scale = { min: 0 | 1; max: 10 };
export type Category = 'promoter' | 'passive' | 'detractor' | 'invalid';
export type Rounding = 'half-up' | 'floor' | 'none';

/**
 * Promoter at `promoterFrom` and above, detractor at `detractorTo` and below, passive in between.
 * Standard NPS: promoterFrom 9, detractorTo 6 (7–8 passive). Two-way: detractorTo = promoterFrom - 1
 * (no passives).
 */
export interface Thresholds {
	promoterFrom: number;
	detractorTo: number;
}

export type ParseResult = { ok: true; score: number; matched: string } | { ok: false; reason: string };

export const SCALES: Record<'0-10' | '1-10', Scale> = {
	'0-10': { min: 0, max: 10 },
	'1-10': { min: 1, max: 10 },
};

export const PRESETS: Record<'standard' | 'reviewAt9' | 'reviewAt8', Thresholds> = {
	standard: { promoterFrom: 9, detractorTo: 6 },
	reviewAt9: { promoterFrom: 9, detractorTo: 8 },
	reviewAt8: { promoterFrom: 8, detractorTo: 7 },
};

/** Answers longer than this are comments, not scores: refused without reading (and cheap to refuse). */
export const MAX_ANSWER_LENGTH = 2000;

export function scaleText(scale: Scale): string {
	return `${scale.min}–${scale.max}`;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

const NUMBER_WORDS: Record<number, string[]> = {
	0: ['zero', 'nought', 'nil', 'ноль', 'нуль', 'нолик', 'нулик', 'ноля', 'нуля'],
	1: ['one', 'один', 'одна', 'одну', 'единица', 'единицу', 'единичка', 'единичку', 'одиниця', 'одиницю', 'одиничка', 'одиничку'],
	2: ['two', 'два', 'две', 'двойка', 'двойку', 'дві', 'двійка', 'двійку'],
	3: ['three', 'три', 'тройка', 'тройку', 'трійка', 'трійку'],
	4: ['four', 'четыре', 'четверка', 'четверку', 'чотири', 'четвірка', 'четвірку'],
	5: ['five', 'пять', 'пятерка', 'пятерку', 'пятерочка', 'пятерочку', "п'ять", "п'ятірка", "п'ятірку", "п'ятірочка"],
	6: ['six', 'шесть', 'шестерка', 'шестерку', 'шість', 'шістка', 'шістку', 'шісточка'],
	7: ['seven', 'семь', 'семерка', 'семерку', 'семерочка', 'сім', 'сімка', 'сімку', 'сімочка'],
	8: ['eight', 'восемь', 'восьмерка', 'восьмерку', 'восьмерочка', 'вісім', 'вісімка', 'вісімку', 'вісімочка'],
	9: ['nine', 'девять', 'девятка', 'девятку', 'девяточка', 'девяточку', "дев'ять", "дев'ятка", "дев'ятку", "дев'яточка"],
	10: ['ten', 'десять', 'десятка', 'десятку', 'десяточка', 'десяточку', 'десяти'],
};

const WORD_VALUE = new Map<string, number>();
for (const [value, words] of Object.entries(NUMBER_WORDS)) for (const word of words) WORD_VALUE.set(word, Number(value));

/** "X of Y": the words (and "/") between a score and the scale's top. */
const OF_WORDS = new Set(['/', 'из', 'з', 'із', 'зі', 'of']);

/** Words that may stand between a score and "of 10": "9 баллов из 10", "9 points out of 10". */
const STAR_WORDS = new Set(['звезда', 'звезды', 'звезд', 'звездочки', 'звездочек', 'зірка', 'зірки', 'зірок', 'star', 'stars']);
const UNIT_WORDS = new Set(['балл', 'балла', 'баллов', 'бал', 'бала', 'балов', 'бали', 'балів', 'point', 'points', 'pts', 'out', ...STAR_WORDS]);

/** Letters that may follow digits without a space: "10ка", "9ку", "из 10ти", "8баллов". */
const GLUE_SUFFIXES = new Set(['ка', 'ку', 'ки', 'ке', 'ти', 'ть', 'б', 'pts', 'pt', ...UNIT_WORDS]);

/**
 * Words that keep an answer score-like: how people say a score, and short tone words. Anything else
 * makes it a sentence, in which number words are not read (digits still are).
 */
const SCORE_VOCABULARY = new Set(
	[
		// ru
		'я', 'мы', 'бы', 'б', 'вам', 'вас', 'вы', 'тебе', 'ставлю', 'поставлю', 'поставил', 'поставила', 'поставили', 'ставим', 'даю', 'дам',
		'оценка', 'оценку', 'оценки', 'оцениваю', 'оценю', 'оценил', 'оценила', 'оцениваем', 'моя', 'мой', 'наша', 'ваша', 'твердая', 'твердую',
		'уверенная', 'уверенную', 'честная', 'честно', 'наверное', 'наверно', 'пожалуй', 'думаю', 'где', 'то', 'примерно', 'около', 'или', 'либо',
		'не', 'а', 'но', 'и', 'все', 'очень', 'отлично', 'отличный', 'отличная', 'хорошо', 'хороший', 'супер', 'класс', 'нормально', 'норм',
		'плохо', 'ужасно', 'спасибо', 'благодарю', 'понравилось', 'было', 'просто', 'конечно', 'да', 'на', 'от', 'до', 'балл', 'балла', 'баллов',
		'бал', 'балов', 'из', 'с', 'плюсом', 'минус', 'итого', 'итог', 'ответ',
		// uk
		'ми', 'би', 'ви', 'тобі', 'поставив', 'даю', 'оцінка', 'оцінку', 'оцінюю', 'оціню', 'оцінив', 'оцінила', 'мій', 'наша', 'ваша', 'мабуть',
		'десь', 'приблизно', 'або', 'чи', 'але', 'і', 'й', 'та', 'дуже', 'відмінно', 'чудово', 'добре', 'клас', 'погано', 'жахливо', 'дякую',
		'сподобалось', 'сподобалося', 'було', 'звичайно', 'так', 'від', 'бала', 'бали', 'балів', 'з', 'із', 'зі', 'відповідь',
		// en
		'i', "i'd", "i'll", 'we', 'would', 'will', 'give', 'gave', 'you', 'u', 'a', 'an', 'the', 'rate', 'rated', 'rating', 'score', 'my', 'our',
		'is', 'it', "it's", 'its', 'out', 'of', 'point', 'points', 'pts', 'star', 'stars', 'solid', 'maybe', 'probably', 'about', 'around', 'or',
		'not', 'but', 'and', 'all', 'very', 'great', 'good', 'excellent', 'perfect', 'super', 'ok', 'okay', 'fine', 'bad', 'terrible', 'awful',
		'thanks', 'thank', 'thx', 'was', 'just', 'definitely', 'yes', 'from', 'to', 'for', 'overall', 'answer', 'say', 'solid',
	].concat(...Object.values(NUMBER_WORDS), ...UNIT_WORDS),
);

// ---------------------------------------------------------------------------------------------
// Parsing

interface Token {
	kind: 'num' | 'word' | 'sym';
	text: string;
	start: number;
	end: number;
}

interface Candidate {
	value: number;
	start: number;
	end: number;
	fromWord: boolean;
}

const fail = (reason: string): ParseResult => ({ ok: false, reason });

/** Short quote of a piece of the answer for a reason. */
function quote(text: string): string {
	const t = text.length > 40 ? `${text.slice(0, 37)}…` : text;
	return `"${t}"`;
}

/** Lower case, one apostrophe, ё → е, keycap emoji and full-width digits → digits, no marks. */
function normalize(text: string): string {
	return (
		text
			.normalize('NFC')
			.replace(/\u{1F51F}/gu, ' 10 ')
			.replace(/([0-9])\uFE0F?\u20E3/g, '$1')
			.replace(/[\uFF10-\uFF19]/g, (d) => String(d.charCodeAt(0) - 0xff10))
			.toLowerCase()
			.replace(/ё/g, 'е')
			.replace(/[’‘ʼ`´′‛]/g, "'")
			// Stress marks, variation selectors, other keycaps' marks, zero-width characters.
			.replace(/[\p{M}\u200B-\u200D\u2060\uFEFF]/gu, '')
			.replace(/\s+/gu, ' ')
			.trim()
	);
}

const TOKEN = /\d+(?:[.,]\d+)*|\p{L}+(?:'\p{L}+)*|\S/gu;

function tokenize(text: string): Token[] {
	const tokens: Token[] = [];
	for (const match of text.matchAll(TOKEN)) {
		const value = match[0];
		const start = match.index ?? 0;
		const kind = /^\d/.test(value) ? 'num' : /^\p{L}/u.test(value) ? 'word' : 'sym';
		tokens.push({ kind, text: value, start, end: start + value.length });
	}
	return tokens;
}

const DATE = /(?<!\d)(?:\d{1,2}([./])\d{1,2}\1\d{2,4}|\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}-\d{1,2}-\d{4})(?!\d)/;
const PHONE = /\+?[\d(][\d\s().-]{5,}\d/g;
const TIME = /(?<!\d)\d{1,2}:\d{2}(?!\d)/;

function parseText(raw: string, scale: Scale): ParseResult {
	if (raw.length > MAX_ANSWER_LENGTH) return fail(`The answer is too long to be a score (${raw.length} characters)`);
	const text = normalize(raw);
	if (text === '') return fail('The answer is empty');

	if (DATE.test(text)) return fail(`${quote(DATE.exec(text)![0])} looks like a date, not a score`);
	if (TIME.test(text)) return fail(`${quote(TIME.exec(text)![0])} looks like a time, not a score`);
	for (const match of text.matchAll(PHONE)) {
		if ((match[0].match(/\d/g) ?? []).length >= 10) return fail(`${quote(match[0].trim())} looks like a phone number, not a score`);
	}

	const tokens = tokenize(text);
	const digits: Candidate[] = [];
	const words: Candidate[] = [];
	let sentenceWords = 0;
	const isNumber = (t: Token | undefined) => t !== undefined && (t.kind === 'num' || (t.kind === 'word' && WORD_VALUE.has(t.text)));
	const adjacent = (a: Token | undefined, b: Token | undefined) => a !== undefined && b !== undefined && a.end === b.start;

	for (let i = 0; i < tokens.length; i++) {
		const token = tokens[i];
		if (token.kind === 'sym') continue;

		if (token.kind === 'word') {
			const value = WORD_VALUE.get(token.text);
			if (value === undefined) {
				if (!SCORE_VOCABULARY.has(token.text)) sentenceWords++;
				continue;
			}
			// "one of the best", "одна из лучших": a figure of speech, not "1 out of …".
			if (OF_WORDS.has(tokens[i + 1]?.text ?? '') && !isNumber(tokens[i + 2])) {
				sentenceWords++;
				continue;
			}
			const denominator = denominatorProblem(text, tokens, i, value, scale);
			if (denominator === 'scale') continue;
			if (denominator) return fail(denominator);
			if (starsWithoutScale(tokens, i, scale)) return fail(starsReason(text, token, tokens[i + 1], scale));
			words.push({ value, start: token.start, end: token.end, fromWord: true });
			continue;
		}

		// A number glued to letters is part of a name or code ("2gis", "a4", "3d"), unless the letters are a suffix ("10ка").
		const before = text[token.start - 1];
		const next = tokens[i + 1];
		if (before !== undefined && /\p{L}/u.test(before)) continue;
		if (adjacent(token, next) && next.kind === 'word' && !GLUE_SUFFIXES.has(next.text)) continue;

		const parts = token.text.split(/[.,]/);
		if (parts.length > 2) return fail(`${quote(token.text)} is not a score`);
		if (parts[0].length >= 5) return fail(`${quote(token.text)} is a long number (a phone, order or card number?), not a score`);
		let value = Number(parts.join('.'));
		// "-3": a minus sign right before the digits, not a range "5-9" or a dash "9 - отлично".
		const sign = tokens[i - 1];
		if (sign && (sign.text === '-' || sign.text === '−') && adjacent(sign, token) && !(tokens[i - 2]?.kind === 'num' && adjacent(tokens[i - 2], sign))) {
			value = -value;
		}
		const denominator = denominatorProblem(text, tokens, i, value, scale);
		if (denominator === 'scale') continue;
		if (denominator) return fail(denominator);
		if (starsWithoutScale(tokens, i, scale)) return fail(starsReason(text, token, next, scale));
		digits.push({ value, start: sign && value < 0 ? sign.start : token.start, end: token.end, fromWord: false });
	}

	// Number words count only in a score-like answer (see the file comment).
	const candidates = sentenceWords === 0 ? [...digits, ...words] : digits;
	if (candidates.length === 0) {
		if (words.length > 0) {
			return fail(`The answer is a sentence with a number in words (${quote(text.slice(words[0].start, words[0].end))}); only a score on its own is read from words`);
		}
		return fail(`No score in the answer: no number on the ${scaleText(scale)} scale`);
	}
	candidates.sort((a, b) => a.start - b.start);
	const values = [...new Set(candidates.map((c) => c.value))];
	if (values.length > 1) {
		const shown = values.slice(0, 4).join(', ') + (values.length > 4 ? ', …' : '');
		return fail(`The answer has different numbers (${shown}): it is not clear which one is the score`);
	}
	const first = candidates[0];
	const value = values[0];
	const matched = extendToScale(text, tokens, first);
	if (!Number.isInteger(value)) {
		return fail(`${quote(matched)} is not a whole number: the score could be ${Math.floor(value)} or ${Math.ceil(value)}`);
	}
	if (value < scale.min || value > scale.max) return fail(`${value} is outside the ${scaleText(scale)} scale`);
	return { ok: true, score: value === 0 ? 0 : value, matched };
}

/** The number at `i` counts stars ("5 звёзд") without "out of 10" after them. */
function starsWithoutScale(tokens: Token[], i: number, scale: Scale): boolean {
	if (!STAR_WORDS.has(tokens[i + 1]?.text ?? '')) return false;
	const of = tokens[i + 2]?.text === 'out' ? i + 3 : i + 2;
	const top = tokens[of + 1];
	const outOfScale = OF_WORDS.has(tokens[of]?.text ?? '') && top !== undefined && (top.text === String(scale.max) || WORD_VALUE.get(top.text) === scale.max);
	return !outOfScale;
}

/** "5 звёзд" answers a 5-star rating (where 5 is the best), not this scale: reading it as 5 would guess. */
function starsReason(text: string, number: Token, star: Token, scale: Scale): string {
	return `${quote(text.slice(number.start, star.end))} counts stars (a star rating), not a score on the ${scaleText(scale)} scale`;
}

/**
 * Is the number at `i` the "10" of "9/10", "9 из 10", "9 баллов из 10", "ten out of ten"?
 * 'scale' when it is the scale's top (skip it); a reason when it is another top ("4/5"); undefined otherwise.
 */
function denominatorProblem(text: string, tokens: Token[], i: number, value: number, scale: Scale): 'scale' | string | undefined {
	let j = i - 1;
	if (!OF_WORDS.has(tokens[j]?.text ?? '')) return undefined;
	j--;
	while (j >= 0 && UNIT_WORDS.has(tokens[j].text)) j--;
	const numerator = tokens[j];
	const hasNumerator = numerator !== undefined && (numerator.kind === 'num' || (numerator.kind === 'word' && WORD_VALUE.has(numerator.text)));
	if (value === scale.max) return 'scale';
	if (!hasNumerator) return undefined;
	return `${quote(text.slice(numerator.start, tokens[i].end))} is a score out of ${value}; this survey uses ${scaleText(scale)}`;
}

/** The part of the answer the score was read from, with its "/10" or "из 10" when there is one. */
function extendToScale(text: string, tokens: Token[], candidate: Candidate): string {
	let end = candidate.end;
	let k = tokens.findIndex((t) => t.start >= candidate.end);
	if (k >= 0) {
		while (k < tokens.length && UNIT_WORDS.has(tokens[k].text) && tokens[k].text !== 'out') k++;
		if (tokens[k]?.text === 'out') k++;
		if (OF_WORDS.has(tokens[k]?.text ?? '') && tokens[k + 1] && (tokens[k + 1].text === '10' || WORD_VALUE.get(tokens[k + 1].text) === 10)) {
			end = tokens[k + 1].end;
		}
	}
	return text.slice(candidate.start, end);
}

function parseNumber(value: number, scale: Scale): ParseResult {
	if (!Number.isFinite(value)) return fail(`${String(value)} is not a score`);
	if (!Number.isInteger(value)) return fail(`${value} is not a whole number: the score could be ${Math.floor(value)} or ${Math.ceil(value)}`);
	if (value < scale.min || value > scale.max) return fail(`${value} is outside the ${scaleText(scale)} scale`);
	return { ok: true, score: value === 0 ? 0 : value, matched: String(value) };
}

/** Reads one answer. Never throws: a whole score inside the scale, or ok:false with a reason. */
export function parseScore(input: unknown, scale: Scale): ParseResult {
	try {
		if (input === undefined || input === null) return fail('The answer is empty');
		if (typeof input === 'number') return parseNumber(input, scale);
		if (typeof input === 'bigint') return parseNumber(Number(input), scale);
		if (typeof input === 'string') return parseText(input, scale);
		if (typeof input === 'boolean') return fail(`${String(input)} (yes/no) is not a score`);
		if (Array.isArray(input)) return fail(`A list of ${input.length} answers, not one score`);
		if (input instanceof Date) return fail('A date, not a score');
		if (typeof input === 'object') return fail('An object, not a score');
		return fail(`A ${typeof input}, not a score`);
	} catch {
		// A hostile object (a throwing proxy) still must not stop the workflow.
		return fail('The answer could not be read');
	}
}

// ---------------------------------------------------------------------------------------------
// Averaging and categories

/**
 * Average of several questions' scores (the arithmetic mean), rounded:
 * - 'half-up' (default): to the nearest whole number, halves up (8.5 → 9, 8.4 → 8);
 * - 'floor': down to a whole number (8.5 → 8, 8.9 → 8);
 * - 'none': the mean itself (8.5 stays 8.5; categorize then decides on it).
 * A tiny tolerance keeps floating-point noise (8.4999999…) from flipping a half. Throws on an empty list.
 */
export function combineScores(scores: number[], rounding: Rounding = 'half-up'): number {
	if (scores.length === 0) throw new RangeError('No scores to combine');
	const mean = scores.reduce((sum, s) => sum + s, 0) / scores.length;
	const EPSILON = 1e-9;
	if (rounding === 'floor') return Math.floor(mean + EPSILON);
	if (rounding === 'none') return mean;
	return Math.floor(mean + 0.5 + EPSILON);
}

/**
 * Promoter at `promoterFrom` and above, detractor at `detractorTo` and below, passive in between.
 * On a fractional average the bands are half-open: detractor below `detractorTo + 1` (6.5 is a
 * detractor in standard NPS), promoter from `promoterFrom` (8.99 is passive); with two-way
 * thresholds nothing is passive.
 */
export function categorize(score: number, thresholds: Thresholds): Exclude<Category, 'invalid'> {
	if (score >= thresholds.promoterFrom) return 'promoter';
	if (score < thresholds.detractorTo + 1) return 'detractor';
	return 'passive';
}

/** A problem with the thresholds in plain words, or undefined when they make sense on the scale. */
export function validateThresholds(t: Thresholds, scale: Scale): string | undefined {
	const range = `on the ${scaleText(scale)} scale`;
	for (const [name, value] of [
		['Promoter From', t.promoterFrom],
		['Detractor Up To', t.detractorTo],
	] as const) {
		if (typeof value !== 'number' || !Number.isInteger(value)) return `${name} must be a whole number (got ${String(value)})`;
	}
	if (t.promoterFrom <= scale.min || t.promoterFrom > scale.max) {
		return `Promoter From must be from ${scale.min + 1} to ${scale.max} ${range} (got ${t.promoterFrom})`;
	}
	if (t.detractorTo < scale.min || t.detractorTo >= scale.max) {
		return `Detractor Up To must be from ${scale.min} to ${scale.max - 1} ${range} (got ${t.detractorTo})`;
	}
	if (t.detractorTo >= t.promoterFrom) {
		return `Detractor Up To (${t.detractorTo}) must be below Promoter From (${t.promoterFrom}); for no passives use Detractor Up To = ${t.promoterFrom - 1}`;
	}
	return undefined;
}
