/* eslint-disable no-console, @n8n/community-nodes/no-restricted-globals -- test tooling: runs in Node test processes, never inside n8n */
/**
 * The whole product in a real n8n, as shipped: the six templates from `workflows/` imported and
 * published, the "NPS branches" data table, the credentials. The Bitrix24 sandbox closes 50 deals
 * in 3 cities → its events reach n8n → exactly 50 surveys in the channel sandboxes, each in its
 * city's words with its city's link → real Chromium answers them (promoters, passives, detractors
 * with comments) and one customer replies in WhatsApp with something that is not a score →
 * promoters click their review buttons → the portal shows the stage moves, tasks, comments and 50
 * answer rows → the dashboard shows the NPS this test computes itself. A forged event and tampered
 * links start nothing; the same event three times gives one survey; a deal of a branch missing
 * from the table reaches the operator through the Errors workflow.
 */

import { chromium, type Browser } from 'playwright-core';

import { normalizePhone } from '../../nodes/shared/phone';
import { BRANCH_TABLE_NAME } from '../../nodes/shared/survey/branchSettings';
import { tokenFromUrl } from '../../nodes/shared/survey/token';
import { rawRequest } from '../support/rawHttp';
import { DASHBOARD_LOGIN, OWNER_CHAT_ID, startNpsStack, type NpsStack } from '../support/npsStack';

jest.setTimeout(15 * 60_000);

const CITIES = ['Москва', 'Казань', 'Київ'];
const OPENING: Record<string, string> = { Москва: 'Здравствуйте', Казань: 'Добрый день', Київ: 'Вітаємо' };
/** Scores by position: 5 promoters, 2 passives, 3 detractors in every 10. */
const SCORE_PLAN = [10, 9, 3, 8, 10, 0, 7, 9, 5, 10];
const DEALS = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('The whole flow: templates in a real n8n, 50 deals in 3 cities', () => {
	let stack: NpsStack;
	let browser: Browser;
	let chosen: Array<{ dealId: number; city: string; branchId: string; branchName: string; managerId: number; phone: string }> = [];
	const surveyLinks = new Map<number, string>();
	const scores = new Map<number, number>();
	let chatDeal = 0;
	let chatPromoter = 0;

	const executions = (file: string) => stack.executions(file);
	const settle = (file: string, count: number) => stack.settle(file, count, 300_000);
	const surveys = () => stack.surveys();
	const chatIdOf = (phone: string) => {
		const normalized = normalizePhone(phone);
		return normalized.ok ? normalized.e164.replace(/^\+/, '') : phone;
	};
	const eventBody = (dealId: number, token = stack.applicationToken) =>
		`event=ONCRMDEALUPDATE&data%5BFIELDS%5D%5BID%5D=${dealId}&ts=${Math.floor(Date.now() / 1000)}&auth%5Bdomain%5D=sandbox.bitrix24.test&auth%5Bapplication_token%5D=${token}`;
	const postEvent = (body: string) => rawRequest(stack.url('events'), { body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });

	beforeAll(async () => {
		stack = await startNpsStack({ deals: 600 });
		browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
		const { portal, seeded } = stack.sandbox;
		const branchById = new Map(seeded.branches.map((b) => [b.id, b]));
		const usedContacts = new Set<string>();
		for (const deal of portal.deals.values()) {
			const branch = branchById.get(String(deal.UF_CRM_1700000000001 ?? ''));
			if (deal.CATEGORY_ID !== '0' || deal.STAGE_SEMANTIC_ID !== 'P' || !branch || !CITIES.includes(branch.city)) continue;
			const contact = portal.contacts.get(Number(deal.CONTACT_ID));
			const phone = String((contact?.PHONE as Array<{ VALUE: string }> | undefined)?.[0]?.VALUE ?? '');
			if (!contact || !phone || usedContacts.has(String(deal.CONTACT_ID))) continue;
			usedContacts.add(String(deal.CONTACT_ID));
			chosen.push({ dealId: Number(deal.ID), city: branch.city, branchId: branch.id, branchName: branch.name, managerId: branch.managerId, phone });
		}
		if (chosen.length < DEALS + 1) throw new Error(`The seeded portal has only ${chosen.length} open deals with distinct reachable contacts in ${CITIES.join(', ')}`);
		chosen = chosen.slice(0, DEALS + 1);
	});

	afterAll(async () => {
		await browser?.close();
		await stack?.stop();
	});

	it('imports the templates: six workflows published, the branch table filled', async () => {
		expect(Object.keys(stack.workflows)).toHaveLength(6);
		const tables = await stack.n8n.api<{ data: Array<{ name: string }> }>('GET', '/data-tables');
		expect(tables.body.data.map((t) => t.name)).toContain(BRANCH_TABLE_NAME);
		for (const id of Object.values(stack.workflows)) {
			const workflow = await stack.n8n.api<{ active: boolean }>('GET', `/workflows/${id}`);
			expect(workflow.body.active).toBe(true);
		}
	});

	it('50 deals closed in 3 cities → exactly 50 surveys, each in its city\'s words with its own signed link', async () => {
		const deals = chosen.slice(0, DEALS);
		for (const deal of deals) stack.sandbox.moveDealInUi(deal.dealId, 'WON');
		const list = await settle('01-deal-closed-survey.json', DEALS);
		expect(list.filter((e) => e.status !== 'success')).toEqual([]);
		const sent = surveys();
		expect(sent).toHaveLength(DEALS);
		const byDeal = new Map(sent.map((s) => [s.dealId, s]));
		expect([...byDeal.keys()].sort()).toEqual(deals.map((d) => d.dealId).sort());
		for (const deal of deals) {
			const survey = byDeal.get(deal.dealId)!;
			expect(survey.text.startsWith(OPENING[deal.city]) || survey.channel === 'smsc').toBe(true);
			expect(survey.text).toContain(deal.branchName);
			expect(survey.link.startsWith(`${stack.url('surveyPage')}?t=`)).toBe(true);
			expect(survey.branch).toBe(deal.branchId);
			surveyLinks.set(deal.dealId, survey.link);
			// The write-back: the survey-status field (queued when the run started, sent when it finished).
			expect(String(stack.sandbox.portal.getDeal(deal.dealId).UF_CRM_1700000000002)).toMatch(/^survey sent \d+\|WON\|/);
		}
		expect(new Set(deals.map((d) => d.city)).size).toBe(3);
	});

	it('the same event three times gives one survey; a forged event starts nothing', async () => {
		const before = surveys().length;
		const runsBefore = (await executions('01-deal-closed-survey.json')).length;
		const forged = await postEvent(eventBody(chosen[0].dealId, 'not-the-application-token'));
		expect(forged.status).toBe(401);

		const repeated = chosen[DEALS];
		// The portal holds its own delivery back while the same event arrives three times at once.
		stack.sandbox.events.pause();
		stack.sandbox.moveDealInUi(repeated.dealId, 'WON');
		const body = eventBody(repeated.dealId);
		const answers = await Promise.all([postEvent(body), postEvent(body), postEvent(body)]);
		expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
		stack.sandbox.events.resume();
		await settle('01-deal-closed-survey.json', runsBefore + 1);
		expect(surveys()).toHaveLength(before + 1);
		expect(surveys().filter((s) => s.dealId === repeated.dealId)).toHaveLength(1);
		const runs = await executions('01-deal-closed-survey.json');
		expect(runs.filter((e) => e.status !== 'success')).toEqual([]);
	});

	it('a deal of a branch missing from the table fails visibly and reaches the operator through the Errors workflow', async () => {
		const { portal, seeded } = stack.sandbox;
		const missing = seeded.branches.find((b) => !stack.rows.some((r) => r.branchId === b.id))!;
		const deal = [...portal.deals.values()].find((d) => d.CATEGORY_ID === '0' && d.STAGE_SEMANTIC_ID === 'P' && String(d.UF_CRM_1700000000001) === missing.id)!;
		const before = surveys().length;
		stack.sandbox.moveDealInUi(Number(deal.ID), 'WON');
		await settle('06-errors.json', 1);
		expect(surveys().length).toBe(before);
		const failed = (await executions('01-deal-closed-survey.json')).filter((e) => e.status === 'error');
		expect(failed).toHaveLength(1);
		// Marked failed: neither the catch-up nor the resume poll starts it again.
		expect(String(portal.getDeal(Number(deal.ID)).UF_CRM_1700000000002)).toMatch(/^survey failed /);
		const message = stack.telegram.deliveries.find((d) => d.to === OWNER_CHAT_ID);
		expect(message?.text).toContain(`Deal ${deal.ID}`);
		expect(message?.text).toContain('NPS 1');
		expect(message?.text).toContain('not in the NPS branches data table');
	});

	it('customers answer in Chromium; promoters click their review buttons; one replies in WhatsApp with no score', async () => {
		const deals = chosen.slice(0, DEALS);
		chatDeal = deals[DEALS - 1].dealId;
		chatPromoter = deals[DEALS - 2].dealId;
		const context = await browser.newContext();
		// The review sites, as a stub page: no internet here, and a failing navigation to them would
		// land late (chrome-error) and interrupt the next customer's page.
		await context.route((url) => !url.href.startsWith(stack.n8n.baseUrl), (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<p>review page</p>' }));
		const page = await context.newPage();
		const destinations: string[] = [];
		for (const [i, deal] of deals.slice(0, DEALS - 2).entries()) {
			const score = SCORE_PLAN[i % SCORE_PLAN.length];
			scores.set(deal.dealId, score);
			await page.goto(surveyLinks.get(deal.dealId)!);
			await page.locator(`button[name="score"][value="${score}"]`).click();
			await page.waitForLoadState();
			if (score >= 9) {
				const buttons = page.locator('a[href*="/webhook/nps-review-clicks/r/"]');
				expect(await buttons.count()).toBeGreaterThan(0);
				const [request] = await Promise.all([
					page.waitForRequest((r) => !r.url().startsWith(stack.n8n.baseUrl)),
					buttons.first().click().catch(() => undefined),
				]);
				await page.waitForURL(request.url());
				destinations.push(request.url());
				// The review page of this deal's own branch, from its row in the table.
				const row = stack.rows.find((r) => r.branchId === deal.branchId)!;
				expect([row.yandexUrl, row.googleUrl, row.twoGisUrl].filter(Boolean)).toContain(request.url());
			} else {
				expect(await page.locator('a[href*="/webhook/nps-review-clicks/"]').count()).toBe(0);
				if (score <= 6) {
					await page.locator('textarea[name="comment"]').fill(`Оценка ${score}: долго ждали выдачи, сделка ${deal.dealId}`);
					await page.locator('form:has(textarea) button[type="submit"], form:has(textarea) button:not([name])').first().click();
					await page.waitForLoadState();
				}
			}
		}
		await context.close();
		expect(destinations.length).toBe([...scores.values()].filter((s) => s >= 9).length);
		expect(destinations.every((url) => /^https:\/\/(yandex\.ru|2gis\.ru|search\.google\.com)\//.test(url))).toBe(true);

		// Two customers answer the WhatsApp message: one with a 10, one in words.
		const whatsapp = async (deal: (typeof deals)[number], text: string) =>
			await rawRequest(`${stack.url('wazzupReplies')}?token=${stack.wazzupSecret}`, {
				body: JSON.stringify({
					messages: [
						{ messageId: `in-${deal.dealId}`, channelId: stack.wazzup.channelId, chatType: 'whatsapp', chatId: chatIdOf(deal.phone), type: 'text', status: 'inbound', isEcho: false, text, dateTime: new Date().toISOString() },
					],
				}),
				headers: { 'Content-Type': 'application/json' },
			});
		expect((await whatsapp(deals[DEALS - 2], '10')).status).toBe(200);
		expect((await whatsapp(deals[DEALS - 1], 'Спасибо, всё понравилось!')).status).toBe(200);

		const detractorComments = [...scores.values()].filter((s) => s <= 6).length;
		const answers = await settle('02-answers.json', DEALS - 2 + detractorComments + 2);
		expect(answers.filter((e) => e.status !== 'success')).toEqual([]);
		const clicks = await settle('03-review-clicks.json', destinations.length);
		expect(clicks.filter((e) => e.status !== 'success')).toEqual([]);
	});

	it('the portal shows it all: 50 answer rows, unhappy deals moved with tasks for their branch managers, review checks, the unclear reply', () => {
		const { portal, seeded } = stack.sandbox;
		const deals = chosen.slice(0, DEALS);
		const rows = [...portal.itemStore(seeded.npsSmartProcess.entityTypeId).values()].filter((row) => deals.some((d) => d.dealId === Number(row.parentId2)));
		expect(rows).toHaveLength(DEALS);
		expect(new Set(rows.map((r) => Number(r.parentId2))).size).toBe(DEALS);
		const tasks = [...portal.tasks.values()];
		// A figure for the README: every REST request of the day (events, answers, clicks, the dashboard aside).
		const requests = stack.sandbox.log.filter((entry) => entry.transport === 'webhook').length;
		console.log(`whole_flow_bitrix24_requests=${requests} per_deal=${(requests / (DEALS + 2)).toFixed(1)}`);
		for (const deal of deals) {
			const row = rows.find((r) => Number(r.parentId2) === deal.dealId)!;
			const current = portal.getDeal(deal.dealId);
			const dealTasks = tasks.filter((t) => (t.ufCrmTask as string[]).includes(`D_${deal.dealId}`));
			if (deal.dealId === chatPromoter) {
				// A 10 in WhatsApp: the row, and the review links sent back in WhatsApp.
				expect(row.UF_CRM_7_NPS_CATEGORY).toBe('promoter');
				expect(Number(row.UF_CRM_7_NPS_SCORE)).toBe(10);
				const back = stack.wazzup.deliveries.filter((d) => d.to === chatIdOf(deal.phone) && d.text.includes('/webhook/nps-review-clicks/r/'));
				expect(back).toHaveLength(1);
				continue;
			}
			if (deal.dealId === chatDeal) {
				expect(row.UF_CRM_7_NPS_CATEGORY).toBe('invalid');
				expect(dealTasks.map((t) => t.title)).toEqual([expect.stringContaining('непонятный ответ')]);
				continue;
			}
			const score = scores.get(deal.dealId)!;
			expect(Number(row.UF_CRM_7_NPS_SCORE)).toBe(score);
			expect(row.UF_CRM_7_BRANCH).toBe(deal.branchName);
			expect(row.UF_CRM_7_CITY).toBe(deal.city);
			if (score <= 6) {
				expect(row.UF_CRM_7_NPS_CATEGORY).toBe('detractor');
				expect(String(row.UF_CRM_7_COMMENT)).toContain(`сделка ${deal.dealId}`);
				expect(current.STAGE_ID).toBe('C2:NEW');
				expect(dealTasks).toHaveLength(1);
				expect(String(dealTasks[0].title)).toContain('Недовольный клиент');
				expect(Number(dealTasks[0].responsibleId)).toBe(deal.managerId);
			} else if (score >= 9) {
				expect(row.UF_CRM_7_NPS_CATEGORY).toBe('promoter');
				expect(current.STAGE_ID).toBe('C1:REVIEW_CONFIRM');
				expect(dealTasks).toHaveLength(1);
				expect(String(dealTasks[0].title)).toContain('Проверить отзыв');
				expect(Number(dealTasks[0].responsibleId)).toBe(deal.managerId);
			} else {
				expect(row.UF_CRM_7_NPS_CATEGORY).toBe('passive');
				expect(current.STAGE_ID).toBe('WON');
				expect(dealTasks).toHaveLength(0);
			}
			expect(portal.timelineComments.some((c) => c.ENTITY_ID === deal.dealId && c.COMMENT.startsWith('NPS:'))).toBe(true);
		}
	});

	it('the dashboard shows the NPS this test computes from the answers it gave', async () => {
		// The page answers and the 10 given in WhatsApp; the unclear reply has no score.
		const given = [...scores.values(), 10];
		const all = [...stack.sandbox.portal.itemStore(stack.sandbox.seeded.npsSmartProcess.entityTypeId).values()]
			.map((row) => row.UF_CRM_7_NPS_SCORE)
			.filter((s) => s !== null && s !== undefined && s !== '')
			.map(Number);
		expect(all.sort()).toEqual([...given].sort());
		const nps = ((given.filter((s) => s >= 9).length - given.filter((s) => s <= 6).length) / given.length) * 100;
		const context = await browser.newContext({ httpCredentials: { username: DASHBOARD_LOGIN.user, password: DASHBOARD_LOGIN.password } });
		const page = await context.newPage();
		const response = await page.goto(stack.url('dashboard'));
		expect(response?.status()).toBe(200);
		const text = await page.locator('body').innerText();
		// Russian figures: a decimal comma.
		expect(text).toContain((Math.round(nps * 10) / 10).toFixed(1).replace('.', ','));
		expect(text.replace(/\s/g, '')).toContain(String(given.length));
		await context.close();
		const anonymous = await rawRequest(stack.url('dashboard'), { method: 'GET' });
		expect(anonymous.status).toBe(401);
	});

	it('tampered survey and review links get an error page and start nothing', async () => {
		const answersBefore = (await executions('02-answers.json')).length;
		const clicksBefore = (await executions('03-review-clicks.json')).length;
		const link = surveyLinks.get(chosen[0].dealId)!;
		const flip = (s: string) => s.slice(0, -3) + (s.at(-3) === 'A' ? 'B' : 'A') + s.slice(-2);
		const survey = await rawRequest(flip(link), { method: 'GET' });
		expect(survey.status).toBe(404);
		const posted = await rawRequest(flip(link), { body: `t=${encodeURIComponent(flip(tokenFromUrl(link)!))}&step=score&score=10`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
		expect(posted.status).toBe(404);
		const click = await rawRequest(`${stack.url('reviewClicks')}/${'A'.repeat(40)}`, { method: 'GET' });
		expect(click.status).toBeGreaterThanOrEqual(400);
		expect(click.headers.location).toBeUndefined();
		await sleep(1500);
		expect((await executions('02-answers.json')).length).toBe(answersBefore);
		expect((await executions('03-review-clicks.json')).length).toBe(clicksBefore);
	});
});
