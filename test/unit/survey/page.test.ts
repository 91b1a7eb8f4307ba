import {
	afterScorePage,
	commentThanksPage,
	escapeHtml,
	MAX_COMMENT_LENGTH,
	pageTexts,
	problemPage,
	scorePage,
	type AfterScoreInput,
	type ProblemKind,
	type ScorePageInput,
} from '../../../nodes/shared/survey/page';
import { LANGUAGES, type Language } from '../../../nodes/shared/survey/template';

const LINK_T = 'k1.AQcBc8DEB8CN9tcGgJqeAfH3JwQzMTUzBndhenp1cA.DeP3jG2KQGs33bGp6kakPw';
const ACTION = 'https://n8n.example.ru/webhook/nps-response/survey';
const XSS_SCRIPT = '<script>alert(1)</script>';
const XSS_IMG = '"><img src=x onerror=alert(1)>';
const MAX_BYTES = 15_000;

const REVIEWS = [
	{ platform: 'yandex', label: 'Яндекс Карты', url: 'https://n8n.example.ru/webhook/r/y?t=abc&p=yandex' },
	{ platform: 'google', label: 'Google Maps', url: 'https://n8n.example.ru/webhook/r/g?t=abc&p=google' },
	{ platform: '2gis', label: '2ГИС', url: 'https://n8n.example.ru/webhook/r/d?t=abc&p=2gis' },
];

const PROBLEMS: ProblemKind[] = ['expired', 'invalid', 'alreadyAnswered', 'notFound', 'tooMany'];

function scoreInput(language: Language, extra: Partial<ScorePageInput> = {}): ScorePageInput {
	return { language, branch: 'Аккумуляторы на Ленина', company: 'АКБ-Маркет', action: ACTION, token: LINK_T, scale: { min: 0, max: 10 }, ...extra };
}

function afterInput(language: Language, extra: Partial<AfterScoreInput> = {}): AfterScoreInput {
	return {
		language,
		branch: 'Аккумуляторы на Ленина',
		company: 'АКБ-Маркет',
		action: ACTION,
		token: LINK_T,
		score: 10,
		reviewButtons: REVIEWS,
		askComment: true,
		promoter: true,
		...extra,
	};
}

/** Every page in every state, with whether it carries a form. */
function allPages(language: Language, base: { branch?: string; company?: string } = {}): Array<{ state: string; html: string; form: boolean }> {
	return [
		{ state: 'score', html: scorePage({ ...scoreInput(language), ...base }), form: true },
		{ state: 'score 1-10', html: scorePage({ ...scoreInput(language, { scale: { min: 1, max: 10 } }), ...base }), form: true },
		{
			state: 'score problem',
			html: scorePage({ ...scoreInput(language, { problem: pageTexts(language).pickScore, selected: 7 }), ...base }),
			form: true,
		},
		{
			state: 'two questions',
			html: scorePage({ ...scoreInput(language, { secondQuestion: 'Как вы оцениваете качество обслуживания в {branch}?' }), ...base }),
			form: true,
		},
		{ state: 'promoter', html: afterScorePage({ ...afterInput(language), ...base }), form: true },
		{ state: 'promoter, no comment', html: afterScorePage({ ...afterInput(language, { askComment: false }), ...base }), form: false },
		{ state: 'passive', html: afterScorePage({ ...afterInput(language, { score: 8, promoter: false, reviewButtons: [] }), ...base }), form: true },
		{
			state: 'detractor',
			html: afterScorePage({ ...afterInput(language, { score: 2, promoter: false, reviewButtons: [] }), ...base }),
			form: true,
		},
		{ state: 'comment thanks', html: commentThanksPage({ language, company: 'АКБ-Маркет', ...base }), form: false },
		...PROBLEMS.map((kind) => ({ state: `problem ${kind}`, html: problemPage({ language, kind, company: 'АКБ-Маркет', ...base }), form: false })),
	];
}

function count(html: string, pattern: RegExp): number {
	return (html.match(pattern) ?? []).length;
}

function bytes(html: string): number {
	return Buffer.byteLength(html, 'utf8');
}

const decode = (value: string) => value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

describe('every page, in every language', () => {
	const sizes: string[] = [];
	afterAll(() => {
		// Sizes for the report and the docs.
		// eslint-disable-next-line no-console -- the brief asks for the sizes to be printed
		console.log(`Survey page sizes (bytes, UTF-8):\n${sizes.join('\n')}`);
	});

	for (const language of LANGUAGES) {
		for (const { state, html, form } of allPages(language)) {
			it(`${language} ${state}: a complete, small, self-contained document`, () => {
				sizes.push(`${language.padEnd(3)}${state.padEnd(26)}${bytes(html)}`);
				expect(bytes(html)).toBeLessThan(MAX_BYTES);
				expect(html.startsWith('<!DOCTYPE html><html lang="')).toBe(true);
				expect(html).toContain(`<html lang="${language}">`);
				expect(html).toContain('<meta charset="utf-8">');
				expect(html).toContain('<meta name="viewport" content="width=device-width,initial-scale=1">');
				expect(html).toContain('<link rel="icon" href="data:,">');
				expect(html.endsWith('</main></body></html>')).toBe(true);
				expect(count(html, /<h1[\s>]/g)).toBe(1);
				expect(count(html, /<\/h1>/g)).toBe(1);
				expect(count(html, /<title>/g)).toBe(1);
				expect(count(html, /<style>/g)).toBe(1);
				// No JavaScript, no external requests.
				expect(html).not.toMatch(/<script/i);
				expect(html).not.toMatch(/\son\w+=/i);
				expect(html).not.toMatch(/\ssrc=/i);
				expect(html).not.toMatch(/<link(?![^>]*href="data:,")/i);
				expect(html).not.toMatch(/@import|url\(/i);
				// The only http(s) URLs are the form action and the review buttons.
				const allowed = new Set<string>([ACTION, ...REVIEWS.map((review) => review.url)]);
				for (const url of html.match(/https?:[^\s"'<>)]*/gi) ?? []) expect(allowed).toContain(decode(url));
				for (const match of html.matchAll(/href="([^"]*)"/g)) {
					if (match[1] !== 'data:,') expect(REVIEWS.map((review) => review.url)).toContain(decode(match[1]));
				}
				if (form) {
					expect(html).toMatch(/<form method="post" action="https:\/\/n8n\.example\.ru\/webhook\/nps-response\/survey"[ >]/);
					expect(html).toContain(`<input type="hidden" name="t" value="${LINK_T}">`);
					expect(count(html, /<form /g)).toBe(1);
					expect(count(html, /<\/form>/g)).toBe(1);
				} else {
					expect(html).not.toContain('<form');
				}
			});
		}
	}

	it('aims well below the limit: every page under 6 KB', () => {
		for (const language of LANGUAGES) for (const { html } of allPages(language)) expect(bytes(html)).toBeLessThan(6_000);
	});
});

describe('escaping', () => {
	it.each([XSS_SCRIPT, XSS_IMG])('a hostile branch and company appear only escaped on every page: %s', (hostile) => {
		for (const language of LANGUAGES) {
			for (const { html } of allPages(language, { branch: hostile, company: hostile })) {
				expect(html).not.toMatch(/<script/i);
				expect(html).not.toMatch(/<img/i);
				expect(html).not.toMatch(/<[^>]*\sonerror=/i);
			}
		}
		const html = scorePage(scoreInput('ru', { branch: hostile, company: hostile }));
		expect(html).toContain(escapeHtml(hostile));
	});

	it('escapes the question, the second question, the problem text, the token and the action', () => {
		const html = scorePage(
			scoreInput('en', {
				question: `Rate ${XSS_SCRIPT}`,
				secondQuestion: `And ${XSS_IMG}`,
				problem: `Oops ${XSS_IMG}`,
				token: `"><script>x</script>`,
				action: `/webhook/nps?a=1&b="><img src=x>`,
			}),
		);
		expect(html).not.toMatch(/<script|<img/i);
		expect(html).toContain('Rate &lt;script&gt;alert(1)&lt;/script&gt;');
		expect(html).toContain('And &quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
		expect(html).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
		expect(html).toContain('action="/webhook/nps?a=1&amp;b=&quot;&gt;&lt;img src=x&gt;"');
	});

	it('escapes review button labels and URLs', () => {
		const html = afterScorePage(
			afterInput('ru', { reviewButtons: [{ platform: 'x', label: XSS_SCRIPT, url: 'https://example.com/r?a=1&b="><img/src=x>' }] }),
		);
		expect(html).not.toMatch(/<script|<img/i);
		expect(html).toContain('href="https://example.com/r?a=1&amp;b=&quot;&gt;&lt;img/src=x&gt;"');
		expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;</a>');
	});

	it('renders only http(s) review links', () => {
		const html = afterScorePage(
			afterInput('ru', {
				reviewButtons: [
					{ platform: 'a', label: 'JS', url: 'javascript:alert(1)' },
					{ platform: 'b', label: 'JS2', url: ' JaVaScRiPt:alert(1)' },
					{ platform: 'c', label: 'Data', url: 'data:text/html,<script>alert(1)</script>' },
					{ platform: 'd', label: 'Relative', url: '/r/1' },
					{ platform: 'e', label: 'Scheme-relative', url: '//evil.example/r' },
					{ platform: 'f', label: 'Empty', url: '' },
					{ platform: 'g', label: 'Ftp', url: 'ftp://example.com/' },
					{ platform: '2gis', label: '', url: 'https://2gis.ru/vladivostok/firm/1/tab/reviews/addreview' },
				],
			}),
		);
		expect(html).not.toMatch(/javascript:|data:text|ftp:|evil\.example|href="\/r/i);
		for (const label of ['>JS<', '>JS2<', '>Data<', '>Relative<', '>Scheme-relative<', '>Empty<', '>Ftp<']) expect(html).not.toContain(label);
		// A button without a label falls back to its platform name.
		expect(html).toContain('<a class="btn alt" href="https://2gis.ru/vladivostok/firm/1/tab/reviews/addreview">2gis</a>');
	});

	it('drops a form action with a scheme other than http(s), and leaves it out for the same URL', () => {
		expect(scorePage(scoreInput('ru', { action: 'javascript:alert(1)' }))).toContain('<form method="post">');
		expect(scorePage(scoreInput('ru', { action: '' }))).toContain('<form method="post">');
		expect(scorePage(scoreInput('ru', { action: '?t=abc' }))).toContain('<form method="post" action="?t=abc">');
	});

	it('escapeHtml escapes the five characters', () => {
		expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
	});
});

describe('score page', () => {
	it('0–10 gives 11 one-tap submit buttons named score; 1–10 gives 10', () => {
		const eleven = scorePage(scoreInput('ru'));
		expect(count(eleven, /<button type="submit" name="score" value="\d+"/g)).toBe(11);
		for (let n = 0; n <= 10; n++) expect(eleven).toContain(`name="score" value="${n}">${n}</button>`);
		expect(eleven).toContain('<input type="hidden" name="step" value="score">');
		expect(eleven).not.toContain('type="radio"');

		const ten = scorePage(scoreInput('ru', { scale: { min: 1, max: 10 } }));
		expect(count(ten, /<button type="submit" name="score" value="\d+"/g)).toBe(10);
		expect(ten).not.toContain('value="0"');
		expect(ten).toContain('class="s s10"');
		expect(ten).toContain('<span>1 — Точно не порекомендую</span>');
	});

	it('has a fieldset with the question as legend and heading, and the scale end labels', () => {
		const html = scorePage(scoreInput('ru'));
		expect(html).toContain(
			'<fieldset aria-describedby="e-score"><legend><h1>Насколько вероятно, что вы порекомендуете «Аккумуляторы на Ленина» друзьям и знакомым?</h1></legend>',
		);
		expect(html).toContain('<p class="ends" id="e-score"><span>0 — Точно не порекомендую</span><span>10 — Обязательно порекомендую</span></p>');
	});

	it.each<[Language, string, string, string]>([
		['ru', 'Насколько вероятно, что вы порекомендуете нас друзьям и знакомым?', 'Точно не порекомендую', 'Обязательно порекомендую'],
		['uk', 'Наскільки ймовірно, що ви порекомендуєте нас друзям і знайомим?', 'Точно не порекомендую', 'Обов’язково порекомендую'],
		['en', 'How likely are you to recommend us to a friend or colleague?', 'Not at all likely', 'Extremely likely'],
	])('%s: the default question without a branch or company', (language, question, low, high) => {
		const html = scorePage({ language, action: '', token: LINK_T, scale: { min: 0, max: 10 } });
		expect(html).toContain(`<h1>${escapeHtml(question)}</h1>`);
		expect(html).toContain(escapeHtml(low));
		expect(html).toContain(escapeHtml(high));
		expect(html).not.toContain('class="org"');
	});

	it('names the company when there is no branch; no double quotes around a name with its own', () => {
		expect(scorePage(scoreInput('uk', { branch: undefined }))).toContain('порекомендуєте «АКБ-Маркет» друзям');
		expect(scorePage(scoreInput('ru', { branch: 'ООО «Ромашка»' }))).toContain('порекомендуете ООО «Ромашка» друзьям');
		expect(scorePage(scoreInput('en', { branch: 'Tyre Centre North' }))).toContain('recommend Tyre Centre North to a friend');
	});

	it('uses a question from settings, with {branch} and {company} placeholders filled', () => {
		const html = scorePage(scoreInput('ru', { question: 'Оцените {филиал} компании {company}, пожалуйста' }));
		expect(html).toContain('<h1>Оцените Аккумуляторы на Ленина компании АКБ-Маркет, пожалуйста</h1>');
		// An empty value is tidied away; a stray brace is shown as written rather than failing the page.
		expect(scorePage(scoreInput('ru', { branch: '', question: 'Порекомендуете нас, {firstName}?' }))).toContain('<h1>Порекомендуете нас?</h1>');
		expect(scorePage(scoreInput('ru', { question: 'Оценка {oops' }))).toContain('<h1>Оценка {oops</h1>');
	});

	it('a second question gives two required radio groups with labels and a Send button', () => {
		const html = scorePage(scoreInput('en', { secondQuestion: 'How would you rate the service at {branch}?' }));
		expect(count(html, /<fieldset /g)).toBe(2);
		expect(count(html, /<input type="radio" id="score-\d+" name="score" value="\d+" required>/g)).toBe(11);
		expect(count(html, /<input type="radio" id="score2-\d+" name="score2" value="\d+" required>/g)).toBe(11);
		for (let n = 0; n <= 10; n++) {
			expect(html).toContain(`<label for="score-${n}">${n}</label>`);
			expect(html).toContain(`<label for="score2-${n}">${n}</label>`);
		}
		expect(html).toContain('<legend><h2>How would you rate the service at Аккумуляторы на Ленина?</h2></legend>');
		expect(html).toContain('<button type="submit" class="btn">Send</button>');
		expect(html).not.toContain('<button type="submit" name="score"');
		expect(count(html, /<h1[\s>]/g)).toBe(1);
	});

	it('shows the problem above the form and preselects the score', () => {
		const texts = pageTexts('ru');
		const problem = texts.pickScore.replace('{min}', '0').replace('{max}', '10');
		const html = scorePage(scoreInput('ru', { problem, selected: 7 }));
		expect(html).toContain(`<main><p class="org">АКБ-Маркет</p><p class="problem" role="alert">${problem}</p><form `);
		expect(html).toContain('<button type="submit" name="score" value="7" class="on">7</button>');

		const radios = scorePage(scoreInput('ru', { problem, selected: 3, secondQuestion: 'Второй вопрос' }));
		expect(radios).toContain('<input type="radio" id="score-3" name="score" value="3" required checked>');
		expect(count(radios, / checked/g)).toBe(1);

		// A selection outside the scale is ignored.
		expect(scorePage(scoreInput('ru', { scale: { min: 1, max: 10 }, selected: 0 }))).not.toMatch(/class="on"| checked>/);
		expect(scorePage(scoreInput('ru', { selected: 11 }))).not.toMatch(/class="on"| checked>/);
	});

	it('unknown languages fall back to Russian', () => {
		const html = scorePage(scoreInput('de' as Language));
		expect(html).toContain('<html lang="ru">');
		expect(html).toContain('Насколько вероятно');
	});
});

describe('after-score page', () => {
	it('promoters: warm thanks, review buttons, an optional comment box', () => {
		const html = afterScorePage(afterInput('ru'));
		expect(html).toContain('<h1>Спасибо! Нам очень приятно.</h1>');
		expect(html).toContain('Ваша оценка: 10');
		for (const review of REVIEWS) expect(html).toContain(`href="${escapeHtml(review.url)}">${review.label}</a>`);
		expect(html).toContain('Что вам понравилось больше всего?');
	});

	it('others: thanks for the honesty and "what could we do better?"', () => {
		const html = afterScorePage(afterInput('ru', { score: 3, promoter: false, reviewButtons: [] }));
		expect(html).toContain('<h1>Спасибо за честность.</h1>');
		expect(html).toContain('<label class="l" for="comment">Что нам сделать лучше?</label>');
		expect(html).not.toContain('<a ');
	});

	it.each(LANGUAGES)('%s: the comment box has a label, maxlength=2000 and the comment step', (language) => {
		const html = afterScorePage(afterInput(language, { score: 5, promoter: false, reviewButtons: [] }));
		expect(MAX_COMMENT_LENGTH).toBe(2000);
		expect(html).toMatch(/<label class="l" for="comment">[^<]+<\/label>/);
		expect(html).toContain('<textarea id="comment" name="comment" rows="5" maxlength="2000" required aria-describedby="comment-hint"></textarea>');
		expect(html).toContain('<input type="hidden" name="step" value="comment">');
		expect(html).toContain('<input type="hidden" name="score" value="5">');
		expect(html).toContain(`<input type="hidden" name="t" value="${LINK_T}">`);
		expect(html).toContain(`${pageTexts(language).send}</button></form>`);
	});

	it('without a comment box: no form, a "you can close this page" line; buttons stay', () => {
		const html = afterScorePage(afterInput('en', { askComment: false }));
		expect(html).not.toContain('<form');
		expect(html).not.toContain('<textarea');
		expect(html).toContain('You can close this page now.');
		expect(html).toContain('<a class="btn" href=');
	});

	it('review buttons for a non-promoter use neutral wording (the node decides who gets them)', () => {
		const html = afterScorePage(afterInput('en', { score: 6, promoter: false }));
		expect(html).toContain('If you like, you can leave us a review:');
		expect(html).not.toContain('We would be grateful');
	});

	it('no review buttons, no comment box: just the thanks', () => {
		const html = afterScorePage(afterInput('uk', { askComment: false, reviewButtons: [] }));
		expect(html).toContain('<h1>Дякуємо! Нам дуже приємно.</h1>');
		expect(html).not.toMatch(/<a |<form/);
	});
});

describe('comment thanks and problem pages', () => {
	it.each(LANGUAGES)('%s: comment thanks', (language) => {
		const html = commentThanksPage({ language });
		expect(html).toContain(`<h1>${escapeHtml(pageTexts(language).commentThanksTitle)}</h1>`);
	});

	it.each(LANGUAGES)('%s: every problem kind has its own friendly title and text', (language) => {
		const texts = pageTexts(language);
		const titles = new Set<string>();
		for (const kind of PROBLEMS) {
			const html = problemPage({ language, kind });
			expect(html).toContain(`<h1>${escapeHtml(texts[`${kind}Title`])}</h1>`);
			expect(html).toContain(escapeHtml(texts[`${kind}Text`]));
			expect(html).not.toMatch(/token|error|exception|signature|undefined|null/i);
			titles.add(texts[`${kind}Title`]);
		}
		expect(titles.size).toBe(PROBLEMS.length);
	});

	it('an unknown kind gets the "invalid link" page', () => {
		expect(problemPage({ language: 'en', kind: 'weird' as ProblemKind })).toContain('<h1>This link does not work</h1>');
	});
});

describe('pageTexts', () => {
	it('has the same keys in every language, none empty', () => {
		const keys = Object.keys(pageTexts('ru')).sort();
		for (const language of LANGUAGES) {
			const texts = pageTexts(language);
			expect(Object.keys(texts).sort()).toEqual(keys);
			for (const value of Object.values(texts)) expect(value.trim()).not.toBe('');
		}
	});

	it('returns a copy', () => {
		pageTexts('ru').send = 'changed';
		expect(pageTexts('ru').send).toBe('Отправить');
	});
});

describe('commentThanksPage with the comment', () => {
	it('shows the received comment escaped, never as markup', () => {
		const html = commentThanksPage({ language: 'ru', comment: '<script>alert(1)</script> "><img src=x onerror=alert(2)>' });
		expect(html).toContain('<blockquote class="quote">&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(2)&gt;</blockquote>');
		expect(html).not.toMatch(/<script|<img/);
	});
});
