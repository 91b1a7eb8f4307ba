/**
 * The survey pages the NPS Response Trigger serves from its webhook: pick a score, then a thank-you
 * (with review buttons and/or a comment box), a thank-you for the comment, and friendly error pages.
 *
 * Built for a phone on a weak mobile connection:
 * - one small self-contained HTML document per page (inline <style>, ~3–5 KB), no external requests
 *   at all (no fonts, scripts, images; `<link rel="icon" href="data:,">` stops the /favicon.ico request);
 * - no JavaScript: plain `<form method="post">`, one tap on a number submits the score;
 * - accessible: one <h1>, fieldset/legend per score group, real buttons and labels, 48px tap targets,
 *   visible focus, text contrast ≥ 4.5:1, 11 numbers fit a 360px screen as 6 + 5 (10 numbers as 5 + 5);
 * - every dynamic value is HTML-escaped; a review link is rendered only when it is an http(s) URL;
 * - `<meta name="referrer" content="no-referrer">`: the signed token in the page URL never leaks to a
 *   review site through the Referer header.
 *
 * Neutral colours for all numbers on purpose: red-to-green buttons nudge the answer.
 */

import { escapeHtml, renderTemplate, type Language } from './template';

export const MAX_COMMENT_LENGTH = 2000;

export interface PageBase {
	language: Language;
	branch?: string;
	company?: string;
}

export interface ScorePageInput extends PageBase {
	/** Form POST URL: '' for the same URL (the attribute is then left out), relative or absolute http(s). */
	action: string;
	/** Signed survey token, posted back as the hidden field `t`. */
	token: string;
	scale: { min: 0 | 1; max: 10 };
	/** Overrides the default question; may use {branch} and {company} (and the other template placeholders). */
	question?: string;
	/** When set: two radio groups (score, score2) and a Send button instead of one-tap buttons. */
	secondQuestion?: string;
	/** Shown above the form, e.g. pageTexts(language).pickScore filled in. */
	problem?: string;
	/** Preselected score (redisplay after a problem). */
	selected?: number;
}

export interface ReviewButton {
	platform: string;
	label: string;
	url: string;
}

export interface AfterScoreInput extends PageBase {
	action: string;
	token: string;
	score: number;
	/** Shown when non-empty (the node decides who gets them); buttons without an http(s) URL are dropped. */
	reviewButtons: ReviewButton[];
	/** Comment box: fields t, step=comment, score (the score just given, for context) and comment. */
	askComment: boolean;
	/** Wording: a warm thank-you for promoters, "thank you for your honesty" for everyone else. */
	promoter: boolean;
}

export type ProblemKind = 'expired' | 'invalid' | 'alreadyAnswered' | 'notFound' | 'tooMany';

type Texts = Record<string, string>;

/**
 * Placeholders in the texts: {name} (the branch, company or "us"), {min}, {max}, {score}. Values are
 * filled in before escaping, so a text and its values are escaped together.
 */
const TEXTS: Record<Language, Texts> = {
	ru: {
		docTitle: 'Оцените нас',
		question: 'Насколько вероятно, что вы порекомендуете {name} друзьям и знакомым?',
		us: 'нас',
		low: 'Точно не порекомендую',
		high: 'Обязательно порекомендую',
		send: 'Отправить',
		pickScore: 'Пожалуйста, выберите оценку от {min} до {max}.',
		yourScore: 'Ваша оценка: {score}',
		thanksPromoter: 'Спасибо! Нам очень приятно.',
		thanksOther: 'Спасибо за честность.',
		reviewPromoter: 'Будем благодарны за отзыв: он поможет другим людям выбрать нас.',
		reviewOther: 'Если хотите, вы можете оставить о нас отзыв:',
		commentPromoter: 'Что вам понравилось больше всего?',
		commentOther: 'Что нам сделать лучше?',
		commentHint: 'До {max} символов.',
		commentThanksTitle: 'Спасибо за отзыв!',
		commentThanksText: 'Мы прочитаем ваш комментарий и учтём его в работе.',
		close: 'Эту страницу можно закрыть.',
		expiredTitle: 'Срок действия ссылки истёк',
		expiredText: 'Этот опрос уже закрыт. Спасибо, что хотели поделиться мнением!',
		invalidTitle: 'Ссылка не открывается',
		invalidText: 'Похоже, ссылка скопирована не полностью. Откройте её ещё раз прямо из сообщения.',
		alreadyAnsweredTitle: 'Вы уже ответили',
		alreadyAnsweredText: 'Спасибо! Ваша оценка уже у нас.',
		notFoundTitle: 'Опрос не найден',
		notFoundText: 'Возможно, опрос уже завершён или ссылка устарела.',
		tooManyTitle: 'Слишком много попыток',
		tooManyText: 'Пожалуйста, подождите минуту и откройте ссылку снова.',
	},
	uk: {
		docTitle: 'Оцініть нас',
		question: 'Наскільки ймовірно, що ви порекомендуєте {name} друзям і знайомим?',
		us: 'нас',
		low: 'Точно не порекомендую',
		high: 'Обов’язково порекомендую',
		send: 'Надіслати',
		pickScore: 'Будь ласка, оберіть оцінку від {min} до {max}.',
		yourScore: 'Ваша оцінка: {score}',
		thanksPromoter: 'Дякуємо! Нам дуже приємно.',
		thanksOther: 'Дякуємо за чесність.',
		reviewPromoter: 'Будемо вдячні за відгук: він допоможе іншим людям обрати нас.',
		reviewOther: 'Якщо бажаєте, ви можете залишити про нас відгук:',
		commentPromoter: 'Що вам сподобалося найбільше?',
		commentOther: 'Що нам зробити краще?',
		commentHint: 'До {max} символів.',
		commentThanksTitle: 'Дякуємо за відгук!',
		commentThanksText: 'Ми прочитаємо ваш коментар і врахуємо його в роботі.',
		close: 'Цю сторінку можна закрити.',
		expiredTitle: 'Термін дії посилання минув',
		expiredText: 'Це опитування вже закрите. Дякуємо, що хотіли поділитися думкою!',
		invalidTitle: 'Посилання не відкривається',
		invalidText: 'Схоже, посилання скопійоване не повністю. Відкрийте його ще раз просто з повідомлення.',
		alreadyAnsweredTitle: 'Ви вже відповіли',
		alreadyAnsweredText: 'Дякуємо! Ваша оцінка вже в нас.',
		notFoundTitle: 'Опитування не знайдено',
		notFoundText: 'Можливо, опитування вже завершене або посилання застаріло.',
		tooManyTitle: 'Забагато спроб',
		tooManyText: 'Будь ласка, зачекайте хвилину й відкрийте посилання знову.',
	},
	en: {
		docTitle: 'Rate us',
		question: 'How likely are you to recommend {name} to a friend or colleague?',
		us: 'us',
		low: 'Not at all likely',
		high: 'Extremely likely',
		send: 'Send',
		pickScore: 'Please pick a number from {min} to {max}.',
		yourScore: 'Your score: {score}',
		thanksPromoter: 'Thank you! We are so glad to hear it.',
		thanksOther: 'Thank you for your honesty.',
		reviewPromoter: 'We would be grateful for a review: it helps other people choose us.',
		reviewOther: 'If you like, you can leave us a review:',
		commentPromoter: 'What did you like most?',
		commentOther: 'What could we do better?',
		commentHint: 'Up to {max} characters.',
		commentThanksTitle: 'Thank you for your feedback!',
		commentThanksText: 'We will read your comment and take it into account.',
		close: 'You can close this page now.',
		expiredTitle: 'This link has expired',
		expiredText: 'This survey is closed. Thank you for wanting to share your opinion!',
		invalidTitle: 'This link does not work',
		invalidText: 'It looks like the link was not copied in full. Please open it again straight from the message.',
		alreadyAnsweredTitle: 'You have already answered',
		alreadyAnsweredText: 'Thank you! We already have your score.',
		notFoundTitle: 'Survey not found',
		notFoundText: 'The survey may have ended, or the link may be out of date.',
		tooManyTitle: 'Too many attempts',
		tooManyText: 'Please wait a minute and open the link again.',
	},
};

/** The page texts for a language (unknown languages get Russian), for tests, docs and the node's problem text. */
export function pageTexts(language: Language): Record<string, string> {
	return { ...TEXTS[lang(language)] };
}

export { escapeHtml };

/** Only web links become hrefs: no javascript:, data:, relative or scheme-relative URLs. */
function webUrl(url: unknown): string | undefined {
	const text = typeof url === 'string' ? url.trim() : '';
	return /^https?:\/\/[^\s/?#]+[^\s]*$/i.test(text) ? text : undefined;
}

/** The form action attribute: left out for '' (same URL); a URL with a scheme other than http(s) is refused. */
function actionAttribute(action: unknown): string {
	const text = typeof action === 'string' ? action.trim() : '';
	if (text === '') return '';
	const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text);
	if (scheme && !/^https?$/i.test(scheme[1])) return '';
	return ` action="${escapeHtml(text)}"`;
}

function lang(language: Language): Language {
	return Object.prototype.hasOwnProperty.call(TEXTS, language) ? language : 'ru';
}

function clean(value: unknown): string {
	return typeof value === 'string' ? value.trim() : '';
}

/** Fills {name}-style slots in a built-in text (raw values; the result is escaped by the caller). */
function fill(text: string, values: Record<string, string | number>): string {
	return text.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}

/** A question from settings: template placeholders such as {branch}, {филиал}, {company} are filled. */
function customText(text: string, input: PageBase): string {
	try {
		return renderTemplate(text, { branch: clean(input.branch), company: clean(input.company) });
	} catch {
		// The node validates settings; a stray brace here is shown as written rather than losing the survey.
		return text.trim();
	}
}

function defaultQuestion(texts: Texts, language: Language, input: PageBase): string {
	const name = clean(input.branch) || clean(input.company);
	if (!name) return fill(texts.question, { name: texts.us });
	// Russian and Ukrainian name an organisation in «quotes» (no declension needed), unless it has its own.
	const quoted = language === 'en' || /[«»"„“]/.test(name) ? name : `«${name}»`;
	return fill(texts.question, { name: quoted });
}

const CSS = [
	'*{box-sizing:border-box}',
	'html{-webkit-text-size-adjust:100%}',
	'body{margin:0;background:#fff;color:#1f2328;font:18px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}',
	'main{max-width:40rem;margin:0 auto;padding:24px 16px 40px}',
	'h1{font-size:1.35rem;line-height:1.3;margin:0 0 12px}',
	'h2{font-size:1.15rem;line-height:1.3;margin:0 0 12px}',
	'p{margin:0 0 16px}',
	'.org,.hint,.ends{color:#57606a;font-size:.95rem}',
	'.org{margin-bottom:8px}',
	'.problem{border-left:4px solid #b42318;background:#fef3f2;color:#7a271a;padding:10px 12px;border-radius:4px}',
	'fieldset{border:0;padding:0;margin:0 0 24px;min-width:0}',
	'legend{padding:0;float:left;width:100%}',
	'.s{clear:both;position:relative;display:grid;grid-template-columns:repeat(6,1fr);gap:6px}',
	'.s10{grid-template-columns:repeat(5,1fr)}',
	'@media (min-width:40em){.s{grid-template-columns:repeat(11,1fr)}.s10{grid-template-columns:repeat(10,1fr)}}',
	'.s button,.s label{display:flex;align-items:center;justify-content:center;min-height:48px;padding:0;margin:0;border:2px solid #6b7280;border-radius:8px;background:#fff;color:#1f2328;font:inherit;font-weight:600;cursor:pointer}',
	'.s button:hover,.s label:hover{background:#eef2ff}',
	'.s input{position:absolute;opacity:0;width:1px;height:1px;margin:0}',
	'.s .on,.s input:checked+label{background:#1d4ed8;border-color:#1d4ed8;color:#fff}',
	'.ends{display:flex;justify-content:space-between;gap:12px;margin:8px 0 0}',
	'.ends span:last-child{text-align:right}',
	'.btn{display:block;width:100%;min-height:48px;padding:12px 16px;margin:0 0 12px;border:2px solid #1d4ed8;border-radius:8px;background:#1d4ed8;color:#fff;font:inherit;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}',
	'.alt{background:#fff;color:#1d4ed8}',
	'.gap{margin-top:28px}',
	'.quote{margin:0 0 16px;padding:10px 12px;border-left:4px solid #6b7280;background:#f6f8fa;white-space:pre-wrap;overflow-wrap:anywhere}',
	'label.l{display:block;font-weight:600;margin:0 0 4px}',
	'textarea{display:block;width:100%;min-height:8em;padding:10px;margin:0 0 16px;border:2px solid #6b7280;border-radius:8px;font:inherit;color:#1f2328;background:#fff;resize:vertical}',
	':focus{outline:3px solid #1d4ed8;outline-offset:2px}',
	'.s input:focus+label{outline:3px solid #1d4ed8;outline-offset:2px}',
].join('');

function documentHtml(language: Language, title: string, input: PageBase, body: string): string {
	const company = clean(input.company);
	const org = company ? `<p class="org">${escapeHtml(company)}</p>` : '';
	const fullTitle = company ? `${title} · ${company}` : title;
	return (
		`<!DOCTYPE html><html lang="${language}"><head><meta charset="utf-8">` +
		'<meta name="viewport" content="width=device-width,initial-scale=1">' +
		'<meta name="robots" content="noindex,nofollow"><meta name="referrer" content="no-referrer">' +
		'<meta name="color-scheme" content="light"><link rel="icon" href="data:,">' +
		`<title>${escapeHtml(fullTitle)}</title><style>${CSS}</style></head>` +
		`<body><main>${org}${body}</main></body></html>`
	);
}

function hidden(name: string, value: string | number): string {
	return `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
}

/** One score group; `radio` gives radios + labels (two questions), otherwise one-tap submit buttons. */
function scoreGroup(
	texts: Texts,
	name: 'score' | 'score2',
	legend: string,
	scale: { min: number; max: number },
	radio: boolean,
	selected: number | undefined,
): string {
	const ends = `e-${name}`;
	let cells = '';
	for (let n = scale.min; n <= scale.max; n++) {
		const on = selected === n;
		if (radio) {
			const id = `${name}-${n}`;
			cells +=
				`<input type="radio" id="${id}" name="${name}" value="${n}" required${on ? ' checked' : ''}>` +
				`<label for="${id}">${n}</label>`;
		} else {
			cells += `<button type="submit" name="${name}" value="${n}"${on ? ' class="on"' : ''}>${n}</button>`;
		}
	}
	const count = scale.max - scale.min + 1;
	return (
		`<fieldset aria-describedby="${ends}"><legend>${legend}</legend>` +
		`<div class="s${count === 10 ? ' s10' : ''}">${cells}</div>` +
		`<p class="ends" id="${ends}"><span>${scale.min} — ${escapeHtml(texts.low)}</span>` +
		`<span>${scale.max} — ${escapeHtml(texts.high)}</span></p></fieldset>`
	);
}

/** The first page: the NPS question (and an optional second one). Form fields: t, step=score, score (and score2). */
export function scorePage(input: ScorePageInput): string {
	const language = lang(input.language);
	const texts = TEXTS[language];
	const scale = { min: input.scale?.min === 1 ? 1 : 0, max: 10 };
	const custom = clean(input.question);
	const question = custom ? customText(custom, input) : defaultQuestion(texts, language, input);
	const second = clean(input.secondQuestion) ? customText(clean(input.secondQuestion), input) : '';
	const selected =
		typeof input.selected === 'number' && Number.isInteger(input.selected) && input.selected >= scale.min && input.selected <= scale.max
			? input.selected
			: undefined;
	const problem = clean(input.problem) ? `<p class="problem" role="alert">${escapeHtml(clean(input.problem))}</p>` : '';
	const radio = second !== '';
	let body = problem + `<form method="post"${actionAttribute(input.action)}>` + hidden('t', input.token ?? '') + hidden('step', 'score');
	body += scoreGroup(texts, 'score', `<h1>${escapeHtml(question)}</h1>`, scale, radio, selected);
	if (radio) {
		body += scoreGroup(texts, 'score2', `<h2>${escapeHtml(second)}</h2>`, scale, true, undefined);
		body += `<button type="submit" class="btn">${escapeHtml(texts.send)}</button>`;
	}
	body += '</form>';
	return documentHtml(language, texts.docTitle, input, body);
}

/** After the score: thank-you, review buttons (when given) and the comment box (when asked). */
export function afterScorePage(input: AfterScoreInput): string {
	const language = lang(input.language);
	const texts = TEXTS[language];
	const promoter = input.promoter === true;
	const title = promoter ? texts.thanksPromoter : texts.thanksOther;
	let body = `<h1>${escapeHtml(title)}</h1>`;
	if (typeof input.score === 'number' && Number.isFinite(input.score)) {
		body += `<p class="hint">${escapeHtml(fill(texts.yourScore, { score: input.score }))}</p>`;
	}
	const buttons = (Array.isArray(input.reviewButtons) ? input.reviewButtons : [])
		.map((button) => ({ url: webUrl(button?.url), label: clean(button?.label) || clean(button?.platform) }))
		.filter((button): button is { url: string; label: string } => button.url !== undefined && button.label !== '');
	if (buttons.length > 0) {
		body += `<p>${escapeHtml(promoter ? texts.reviewPromoter : texts.reviewOther)}</p>`;
		for (const button of buttons) {
			body += `<a class="btn${input.askComment ? ' alt' : ''}" href="${escapeHtml(button.url)}">${escapeHtml(button.label)}</a>`;
		}
	}
	if (input.askComment) {
		const hint = fill(texts.commentHint, { max: MAX_COMMENT_LENGTH });
		body +=
			`<form method="post"${actionAttribute(input.action)}${buttons.length > 0 ? ' class="gap"' : ''}>` +
			hidden('t', input.token ?? '') +
			hidden('step', 'comment') +
			(typeof input.score === 'number' && Number.isFinite(input.score) ? hidden('score', input.score) : '') +
			`<label class="l" for="comment">${escapeHtml(promoter ? texts.commentPromoter : texts.commentOther)}</label>` +
			`<p class="hint" id="comment-hint">${escapeHtml(hint)}</p>` +
			`<textarea id="comment" name="comment" rows="5" maxlength="${MAX_COMMENT_LENGTH}" required aria-describedby="comment-hint"></textarea>` +
			`<button type="submit" class="btn">${escapeHtml(texts.send)}</button></form>`;
	} else {
		body += `<p class="hint">${escapeHtml(texts.close)}</p>`;
	}
	return documentHtml(language, title, input, body);
}

/** After the comment. */
export function commentThanksPage(input: PageBase & { comment?: string }): string {
	const language = lang(input.language);
	const texts = TEXTS[language];
	// The customer sees what was received, as plain text (it is theirs, and it may hold markup).
	const quoted = input.comment ? `<blockquote class="quote">${escapeHtml(input.comment.slice(0, MAX_COMMENT_LENGTH))}</blockquote>` : '';
	const body =
		`<h1>${escapeHtml(texts.commentThanksTitle)}</h1><p>${escapeHtml(texts.commentThanksText)}</p>` +
		quoted +
		`<p class="hint">${escapeHtml(texts.close)}</p>`;
	return documentHtml(language, texts.commentThanksTitle, input, body);
}

const PROBLEM_KINDS: ProblemKind[] = ['expired', 'invalid', 'alreadyAnswered', 'notFound', 'tooMany'];

/** A friendly page for a link that cannot be answered, in the customer's language, without technical details. */
export function problemPage(input: PageBase & { kind: ProblemKind }): string {
	const language = lang(input.language);
	const texts = TEXTS[language];
	const kind: ProblemKind = PROBLEM_KINDS.includes(input.kind) ? input.kind : 'invalid';
	const title = texts[`${kind}Title`];
	const body = `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(texts[`${kind}Text`])}</p>`;
	return documentHtml(language, title, input, body);
}
