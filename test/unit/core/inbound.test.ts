import { readDealEvent, readInboundBody, readRobotCall, secretsMatch } from '../../../nodes/shared/bitrix24/inbound';

// The body exactly as Bitrix24's queue server posts an outgoing-webhook event.
const EVENT_BODY =
	'event=ONCRMDEALUPDATE&event_handler_id=975&data%5BFIELDS%5D%5BID%5D=7405&ts=1766047124' +
	'&auth%5Bdomain%5D=some-domain.bitrix24.com&auth%5Bclient_endpoint%5D=https%3A%2F%2Fsome-domain.bitrix24.com%2Frest%2F' +
	'&auth%5Bserver_endpoint%5D=https%3A%2F%2Foauth.bitrix.info%2Frest%2F&auth%5Bmember_id%5D=d897063e1ce7c5eb9f04b9751eef5915' +
	'&auth%5Bapplication_token%5D=jvh9y1ulvt2m6k5or90v9mg8nn32ozas';
const TOKEN = ['jvh9y1ulvt2m6k5or', '90v9mg8nn32ozas'].join('');

describe('readInboundBody', () => {
	it('rebuilds the nesting from the raw body', () => {
		expect(readInboundBody(EVENT_BODY, {})).toMatchObject({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: '7405' } }, auth: { application_token: TOKEN } });
	});

	it('rebuilds it from n8n\'s flat keys when there is no raw body', () => {
		const flat = { event: 'ONCRMDEALUPDATE', 'data[FIELDS][ID]': '7405', 'auth[application_token]': TOKEN };
		expect(readInboundBody(undefined, flat)).toEqual({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: '7405' } }, auth: { application_token: TOKEN } });
	});

	it('drops prototype keys from every shape', () => {
		expect(readInboundBody('__proto__[x]=1&constructor[prototype][y]=2&event=E', {})).toEqual({ event: 'E' });
		expect(readInboundBody(undefined, JSON.parse('{"__proto__": {"x": 1}, "event": "E"}'))).toEqual({ event: 'E' });
		expect(({} as Record<string, unknown>).x).toBeUndefined();
	});
});

describe('readDealEvent', () => {
	it('accepts a deal event with the right token', () => {
		expect(readDealEvent(readInboundBody(EVENT_BODY, {}), TOKEN)).toEqual({ kind: 'deal', dealId: 7405, event: 'ONCRMDEALUPDATE', ts: 1766047124, domain: 'some-domain.bitrix24.com', memberId: 'd897063e1ce7c5eb9f04b9751eef5915' });
	});

	it('refuses a forged, missing or unconfigured token', () => {
		const body = readInboundBody(EVENT_BODY, {});
		expect(readDealEvent(body, `${TOKEN}x`)).toMatchObject({ kind: 'refuse', status: 401 });
		expect(readDealEvent(body, 'short')).toMatchObject({ kind: 'refuse', status: 401 });
		expect(readDealEvent(readInboundBody(EVENT_BODY.replace(/&auth%5Bapplication_token%5D=[^&]+/, ''), {}), TOKEN)).toMatchObject({ kind: 'refuse', status: 401, reason: expect.stringContaining('no auth[application_token]') });
		expect(readDealEvent(body, '')).toMatchObject({ kind: 'refuse', status: 403 });
	});

	it('ignores events for other entities, and refuses a deal event without a valid ID', () => {
		expect(readDealEvent(readInboundBody(EVENT_BODY.replace('ONCRMDEALUPDATE', 'ONCRMCONTACTUPDATE'), {}), TOKEN)).toMatchObject({ kind: 'ignore' });
		expect(readDealEvent(readInboundBody(EVENT_BODY.replace('%5D=7405', '%5D=7405x'), {}), TOKEN)).toMatchObject({ kind: 'refuse', status: 400 });
	});
});

describe('readRobotCall', () => {
	it('reads the Webhook robot\'s document_id, or a deal in the URL query', () => {
		expect(readRobotCall(readInboundBody('document_id%5B0%5D=crm&document_id%5B1%5D=CCrmDocumentDeal&document_id%5B2%5D=DEAL_123', {}))).toEqual({ kind: 'deal', dealId: 123, event: 'ROBOT' });
		expect(readRobotCall({}, { deal: '77' })).toEqual({ kind: 'deal', dealId: 77, event: 'ROBOT' });
		expect(readRobotCall(readInboundBody('document_id[0]=crm&document_id[1]=CCrmDocumentLead&document_id[2]=LEAD_5', {}))).toMatchObject({ kind: 'ignore' });
		expect(readRobotCall({}, {})).toMatchObject({ kind: 'refuse', status: 400 });
	});
});

describe('secretsMatch', () => {
	it('compares in constant time and never matches empty secrets', () => {
		expect(secretsMatch('abc', 'abc')).toBe(true);
		expect(secretsMatch('abc', 'abd')).toBe(false);
		expect(secretsMatch('abc', 'abcd')).toBe(false);
		expect(secretsMatch('', '')).toBe(false);
		expect(secretsMatch(undefined, 'x')).toBe(false);
	});
});
