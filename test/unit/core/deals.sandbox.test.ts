import { Bitrix24Client } from '../../../nodes/shared/bitrix24/client';
import { enrichDeals, dealsPerCall } from '../../../nodes/shared/bitrix24/deals';
import { Bitrix24Sandbox, startBitrix24Sandbox } from '../../sandbox/bitrix24';
import { httpTransport, realClock } from '../../support/httpTransport';

jest.setTimeout(30_000);

describe('enrichDeals', () => {
	let sandbox: Bitrix24Sandbox;
	let client: Bitrix24Client;
	beforeAll(async () => {
		sandbox = await startBitrix24Sandbox({ seed: { deals: 40 } });
		client = new Bitrix24Client({ transport: httpTransport({ baseUrl: sandbox.createWebhook().url, insecure: true }), clock: realClock });
	});
	afterAll(() => sandbox.stop());

	it('reads a deal with contact, employee, department, stage, pipeline and branch in one HTTP call', async () => {
		const before = sandbox.log.length;
		const { deals, failures, httpCalls } = await enrichDeals(client, [7], { branchField: sandbox.seeded.branchField });
		expect(httpCalls).toBe(1);
		expect(sandbox.log.length - before).toBe(1);
		expect(failures.size).toBe(0);
		const enriched = deals.get(7);
		const raw = sandbox.portal.getDeal(7);
		const contact = sandbox.portal.getContact(Number(raw.CONTACT_ID));
		const user = sandbox.portal.users.get(Number(raw.ASSIGNED_BY_ID));
		const branch = sandbox.seeded.branches.find((b) => b.id === raw.UF_CRM_1700000000001);
		expect(enriched).toMatchObject({
			deal: { id: 7, stageId: raw.STAGE_ID, categoryId: Number(raw.CATEGORY_ID), contactId: Number(raw.CONTACT_ID) },
			contact: { id: Number(contact.ID), fullName: `${contact.NAME} ${contact.LAST_NAME}` },
			responsible: { id: Number(user?.ID), fullName: `${user?.NAME} ${user?.LAST_NAME}`, departmentId: branch?.departmentId, department: `Филиал ${branch?.name}` },
			branch: { field: 'UF_CRM_1700000000001', value: branch?.id, name: branch?.name },
			stage: { id: raw.STAGE_ID, categoryName: raw.CATEGORY_ID === '0' ? 'Продажи' : 'Сервис' },
			eventKey: `7|${raw.STAGE_ID}|${raw.MOVED_TIME}`,
		});
		expect(enriched?.stage.name).not.toBe(raw.STAGE_ID);
	});

	it('does not take contact #1 for a deal without a contact (Bitrix24 resolves the dangling reference to the deal)', async () => {
		const id = sandbox.portal.addDeal({ TITLE: 'No contact', CATEGORY_ID: 0 }, { userId: 1, via: 'ui' });
		const { deals } = await enrichDeals(client, [id]);
		expect(deals.get(id)?.contact).toBeNull();
		expect(deals.get(id)?.branch).toBeNull();
	});

	it('reports deals that do not exist, and reads many deals in few calls', async () => {
		const ids = [...Array.from({ length: 25 }, (_, i) => i + 1), 99_999];
		const before = sandbox.log.length;
		const { deals, failures, httpCalls } = await enrichDeals(client, ids, { branchField: 'UF_CRM_1700000000001' });
		expect(deals.size).toBe(25);
		expect(failures.get(99_999)?.kind).toBe('notFound');
		expect(dealsPerCall({ branchField: 'x' })).toBe(9);
		expect(httpCalls).toBe(Math.ceil(26 / 9));
		expect(sandbox.log.length - before).toBe(3);
	});
});
