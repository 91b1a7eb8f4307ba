/**
 * `npm run demo` keeps working: the sandbox portal's deal events reach a published workflow in
 * a real n8n; the Bitrix24 Trigger reads each won deal with its contact, employee and branch in
 * one request, and the Bitrix24 node writes back field, comment and result row in one request.
 */

import { runDemo } from '../../scripts/demo';

jest.setTimeout(15 * 60_000);

it('runs the demo: three won deals, each read in one request and written back in one more, surveyed once, answered on the page', async () => {
	const demo = await runDemo({ log: () => undefined });
	try {
		expect(demo.deals).toHaveLength(3);
		expect(demo.executions).toBe(3);
		for (const deal of demo.deals) {
			const stored = demo.sandbox.portal.getDeal(deal.dealId);
			const contact = demo.sandbox.portal.getContact(Number(stored.CONTACT_ID));
			expect(deal.customer).toBe(`${contact.NAME} ${contact.LAST_NAME}`);
			expect(deal.branch).not.toBe('');
			expect(stored).toMatchObject({ STAGE_ID: 'WON', UF_CRM_1700000000002: expect.stringMatching(new RegExp(`^survey queued ${deal.dealId}\\|WON\\|`)) });
			expect(demo.sandbox.portal.timelineComments.find((c) => c.ID === deal.commentId)?.ENTITY_ID).toBe(deal.dealId);
			expect(demo.sandbox.portal.itemStore(1032).get(deal.rowId)).toMatchObject({ parentId2: deal.dealId, UF_CRM_7_BRANCH: deal.branch });
		}
		// Per deal: the trigger's read, the row look-up, the write-back, and the trigger's read of the
		// event the write-back caused (needed to tell it is no new stage entry).
		expect(demo.sandbox.log.filter((entry) => entry.method === 'batch')).toHaveLength(12);
		// One survey per deal, in the branch's words, with a link to the survey page.
		expect(demo.surveys.map((m) => m.dealId).sort()).toEqual(demo.deals.map((d) => d.dealId).sort());
		for (const m of demo.surveys) {
			const deal = demo.deals.find((d) => d.dealId === m.dealId)!;
			expect(m.text).toContain(`«${deal.branch}»`);
			expect(m.link).toMatch(/\/webhook\/demo-nps-answers\/s\?t=k1\./);
		}
		// The answers went through the page and Score Branch: a 10, a 3 and an 8.
		expect(demo.answers.map((a) => `${a.score}:${a.category}`).sort()).toEqual(['10:promoter', '3:detractor', '8:passive']);
		expect(demo.liveSurveyLink).toMatch(/\/webhook\/demo-nps-answers\/s\?t=/);
		// The workflow's own writes made the portal post again; those started nothing.
		expect(demo.sandbox.events.deliveries.length).toBe(6);
		expect(demo.sandbox.events.deliveries.every((d) => d.status === 200)).toBe(true);
	} finally {
		await demo.stop();
	}
});
