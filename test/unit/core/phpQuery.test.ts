import { buildPhpQuery, nestFlatPhpKeys, parsePhpQuery, splitPhpKey } from '../../../nodes/shared/bitrix24/phpQuery';

describe('buildPhpQuery', () => {
	it('writes nested parameters the way PHP http_build_query does', () => {
		const query = buildPhpQuery({ filter: { '>ID': 5, STAGE_ID: 'WON' }, select: ['ID', 'TITLE'], start: -1 });
		expect(decodeURIComponent(query)).toBe('filter[>ID]=5&filter[STAGE_ID]=WON&select[0]=ID&select[1]=TITLE&start=-1');
	});

	it('encodes values so "&", "=", "?" and non-ASCII text survive inside a batch command', () => {
		const query = buildPhpQuery({ fields: { COMMENT: 'a&b=c?d Привет' } });
		expect(parsePhpQuery(query)).toEqual({ fields: { COMMENT: 'a&b=c?d Привет' } });
	});

	it('drops null and undefined, writes booleans as 1/0 and dates as ISO', () => {
		const date = new Date('2026-01-02T03:04:05.000Z');
		expect(decodeURIComponent(buildPhpQuery({ a: null, b: undefined, c: true, d: false, e: date }))).toBe('c=1&d=0&e=2026-01-02T03:04:05.000Z');
	});

	it('round-trips through parsePhpQuery', () => {
		const params = { fields: { TITLE: 'Deal', UF_CRM_1: ['3', '4'] }, params: { REGISTER_SONET_EVENT: 'N' }, id: '7' };
		expect(parsePhpQuery(buildPhpQuery(params))).toEqual(params);
	});
});

describe('parsePhpQuery', () => {
	it('rebuilds a Bitrix24 outgoing event body', () => {
		const body =
			'event=ONCRMDEALUPDATE&event_handler_id=975&data%5BFIELDS%5D%5BID%5D=7405&ts=1766047124' +
			'&auth%5Bdomain%5D=some-domain.bitrix24.com&auth%5Bapplication_token%5D=exampletoken';
		expect(parsePhpQuery(body)).toEqual({
			event: 'ONCRMDEALUPDATE',
			event_handler_id: '975',
			data: { FIELDS: { ID: '7405' } },
			ts: '1766047124',
			auth: { domain: 'some-domain.bitrix24.com', application_token: 'exampletoken' },
		});
	});

	it('turns document_id[0..2] of the Webhook robot into a list', () => {
		expect(parsePhpQuery('document_id[0]=crm&document_id[1]=CCrmDocumentDeal&document_id[2]=DEAL_123')).toEqual({
			document_id: ['crm', 'CCrmDocumentDeal', 'DEAL_123'],
		});
	});

	it('appends with [] and decodes + as space', () => {
		expect(parsePhpQuery('a[]=x&a[]=y+z')).toEqual({ a: ['x', 'y z'] });
	});

	it('never writes prototype keys', () => {
		const parsed = parsePhpQuery('__proto__[polluted]=1&a[constructor][prototype][polluted]=1&b[prototype]=1&ok=1');
		expect(parsed).toEqual({ ok: '1' });
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
	});

	it('bounds the work a hostile body can cause', () => {
		const many = Array.from({ length: 20_000 }, (_, i) => `k${i}=v`).join('&');
		expect(Object.keys(parsePhpQuery(many, { maxPairs: 100 }))).toHaveLength(100);
		const deep = `a${'[x]'.repeat(50)}=1&b=2`;
		expect(parsePhpQuery(deep, { maxDepth: 10 })).toEqual({ b: '2' });
	});

	it('keeps malformed percent-encoding as text instead of throwing', () => {
		expect(parsePhpQuery('a=%E0%A4%A&b=100%')).toEqual({ a: '%E0%A4%A', b: '100%' });
	});

	it('reads a key with an unclosed bracket as PHP does', () => {
		expect(splitPhpKey('a[b')).toEqual(['a_b']);
		expect(splitPhpKey('a[b][c')).toEqual(['a', 'b']);
		expect(splitPhpKey('data[FIELDS][ID]')).toEqual(['data', 'FIELDS', 'ID']);
	});
});

describe('nestFlatPhpKeys', () => {
	it('nests the flat object n8n produces from a form body', () => {
		const flat = { event: 'ONCRMDEALADD', 'data[FIELDS][ID]': '12', 'auth[member_id]': 'm1', 'select[]': ['A', 'B'] };
		expect(nestFlatPhpKeys(flat)).toEqual({ event: 'ONCRMDEALADD', data: { FIELDS: { ID: '12' } }, auth: { member_id: 'm1' }, select: ['A', 'B'] });
	});

	it('ignores prototype keys in flat input too', () => {
		expect(nestFlatPhpKeys({ '__proto__[x]': '1', 'constructor[prototype][y]': '1', z: '1' })).toEqual({ z: '1' });
		expect(({} as Record<string, unknown>).x).toBeUndefined();
	});
});
