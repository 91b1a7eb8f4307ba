/**
 * `npm run demo` keeps working: the sandbox portal's deal events reach a published workflow in
 * a real n8n, whose Bitrix24 node reads each deal with its contact and employee in one request.
 */

import { runDemo } from '../../scripts/demo';

jest.setTimeout(15 * 60_000);

it('runs the demo: three won deals, each read in one batch request', async () => {
	const demo = await runDemo({ log: () => undefined });
	try {
		expect(demo.deals).toHaveLength(3);
		for (const deal of demo.deals) {
			const stored = demo.sandbox.portal.getDeal(Number(deal.dealId));
			const contact = demo.sandbox.portal.getContact(Number(stored.CONTACT_ID));
			expect(deal.customer).toBe(`${contact.NAME} ${contact.LAST_NAME}`);
			expect(deal.branch).not.toBe('');
			expect(stored.STAGE_ID).toBe('WON');
		}
		expect(demo.sandbox.log.filter((entry) => entry.method === 'batch')).toHaveLength(3);
		expect(demo.sandbox.events.deliveries.every((d) => d.status === 200)).toBe(true);
	} finally {
		await demo.stop();
	}
});
