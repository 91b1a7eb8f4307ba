/**
 * `npm run demo` keeps working: the templates imported into a real n8n, a day of deals in three
 * cities, one survey per deal in its branch's words, answers on the page and in WhatsApp, review
 * clicks, and the list of places to look (the dashboard answers with the day's NPS).
 */

import { runDemo } from '../../scripts/demo';
import { rawRequest } from '../support/rawHttp';
import { DASHBOARD_LOGIN } from '../support/npsStack';

jest.setTimeout(15 * 60_000);

it('runs the demo: 12 deals in 3 cities surveyed once each, answered, reviews clicked, the dashboard and the inbox up', async () => {
	const lines: string[] = [];
	const demo = await runDemo({ log: (line) => lines.push(line) });
	try {
		const { portal } = demo.stack.sandbox;
		expect(demo.deals).toHaveLength(12);
		expect(new Set(demo.deals.map((d) => d.city)).size).toBe(3);
		// One survey per deal, each with its own link, in its branch's words.
		const surveys = demo.stack.surveys();
		expect(surveys.map((s) => s.dealId).sort()).toEqual(demo.deals.map((d) => d.dealId).sort());
		for (const deal of demo.deals) expect(deal.message).toContain(`«${deal.branch}»`);
		// The executions all succeeded.
		for (const file of ['01-deal-closed-survey.json', '02-answers.json', '03-review-clicks.json']) {
			expect((await demo.stack.executions(file)).filter((e) => e.status !== 'success')).toEqual([]);
		}
		// Answers: rows per deal, detractors moved, promoters who clicked in "confirm review".
		const rows = [...portal.itemStore(1032).values()];
		for (const deal of demo.deals.filter((d) => d.answeredIn)) {
			expect(rows.filter((r) => Number(r.parentId2) === deal.dealId)).toHaveLength(1);
			const stage = portal.getDeal(deal.dealId).STAGE_ID;
			if (deal.score !== undefined && deal.score <= 6) expect(stage).toBe('C2:NEW');
			if (deal.clicked) expect(stage).toBe('C1:REVIEW_CONFIRM');
		}
		expect(demo.deals.filter((d) => d.clicked).every((d) => /^https:\/\/(yandex\.ru|2gis\.ru|search\.google\.com)\//.test(d.clicked!))).toBe(true);
		// The places to look answer.
		const authorization = `Basic ${Buffer.from(`${DASHBOARD_LOGIN.user}:${DASHBOARD_LOGIN.password}`).toString('base64')}`;
		const dashboard = await rawRequest(demo.dashboardUrl, { method: 'GET', headers: { Authorization: authorization } });
		expect(dashboard.status).toBe(200);
		expect(dashboard.text).toContain(demo.nps.toFixed(1).replace('.', ','));
		const survey = await rawRequest(demo.liveSurveyLink, { method: 'GET' });
		expect(survey.status).toBe(200);
		const inbox = await rawRequest(demo.inboxUrl, { method: 'GET' });
		expect(inbox.text).toContain('WhatsApp');
		const printed = lines.join('\n');
		for (const url of [demo.stack.n8n.baseUrl, demo.dashboardUrl, demo.liveSurveyLink, demo.inboxUrl]) expect(printed).toContain(url);
	} finally {
		await demo.stop();
	}
});
