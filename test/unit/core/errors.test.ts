import { Bitrix24Error, classifyBitrix24Error } from '../../../nodes/shared/bitrix24/errors';
import { isIdempotentMethod, isReadMethod } from '../../../nodes/shared/bitrix24/methods';
import { toTransportError } from '../../../nodes/shared/bitrix24/transport';

describe('Bitrix24Error', () => {
	it('says what went wrong in plain words, with the code, method and status', () => {
		const error = new Bitrix24Error({ code: 'NO_AUTH_FOUND', description: 'Wrong authorization data', method: 'crm.deal.get', httpStatus: 401 });
		expect(error.kind).toBe('auth');
		expect(error.message).toBe(
			'Bitrix24 crm.deal.get failed: Bitrix24 did not accept the credential: the webhook code or access token is wrong, expired or was deleted: Wrong authorization data [NO_AUTH_FOUND, HTTP 401]',
		);
	});

	it('handles CRM errors that have only a description', () => {
		const error = new Bitrix24Error({ code: '', description: 'Not found', method: 'crm.deal.get', httpStatus: 400 });
		expect(error.kind).toBe('notFound');
		expect(error.message).toContain('[no code, HTTP 400]');
	});

	it('names the batch command', () => {
		const error = new Bitrix24Error({ code: 'insufficient_scope', description: '', method: 'tasks.task.add', command: 'task' });
		expect(error.message).toMatch(/^Bitrix24 tasks\.task\.add \(batch command "task"\) failed: .*not allowed/);
		expect(error.toJSON()).toMatchObject({ error: 'insufficient_scope', command: 'task', kind: 'accessDenied' });
	});

	it('tells the operator when a limit lifts', () => {
		const error = new Bitrix24Error({ code: 'OPERATION_TIME_LIMIT', description: 'Method is blocked due to operation time limit.', method: 'crm.deal.list', httpStatus: 429, retryAt: Date.UTC(2026, 10, 22, 12, 0, 0) });
		expect(error.message).toContain('available again after 2026-11-22T12:00:00.000Z');
	});

	it('says network failures in words, since n8n replaces messages that contain a network code', () => {
		const error = new Bitrix24Error({ code: 'ECONNREFUSED', description: 'No answer', method: 'profile' }, 'network');
		expect(error.message).toBe('Bitrix24 profile failed: could not reach Bitrix24: No answer [connection refused]');
		expect(error.message).not.toMatch(/E[A-Z]{4,}/);
		expect(error.toJSON().error).toBe('ECONNREFUSED');
	});

	it('classifies by code, then by description and status', () => {
		expect(classifyBitrix24Error('QUERY_LIMIT_EXCEEDED', '', 503)).toBe('rateLimit');
		expect(classifyBitrix24Error('INVALID_CREDENTIALS', 'Invalid request credentials', 401)).toBe('auth');
		expect(classifyBitrix24Error('', 'Access denied.', 400)).toBe('accessDenied');
		expect(classifyBitrix24Error('WHATEVER', '', 502)).toBe('server');
		expect(classifyBitrix24Error('ECONNREFUSED', '')).toBe('network');
	});
});

describe('secrets', () => {
	it('keeps no trace of a transport error message, which may hold the URL', () => {
		const raw = Object.assign(new Error('connect ECONNREFUSED https://portal/rest/1/abc123secret/'), { code: 'ECONNREFUSED' });
		const error = toTransportError(raw);
		expect(error.message).not.toContain('abc123secret');
		expect(error.code).toBe('ECONNREFUSED');
		expect(error.sent).toBe(false);
		expect(toTransportError({ code: 'ECONNRESET' }).sent).toBe(true);
		expect(toTransportError({ message: 'timeout of 100ms exceeded' }).code).toBe('ETIMEDOUT');
	});
});

describe('method classes', () => {
	it('knows which calls are safe to repeat', () => {
		for (const m of ['crm.deal.get', 'crm.deal.list', 'crm.deal.update', 'user.current', 'profile', 'crm.duplicate.findbycomm', 'crm.status.entity.types']) {
			expect(isIdempotentMethod(m)).toBe(true);
		}
		for (const m of ['crm.deal.add', 'crm.item.add', 'tasks.task.add', 'im.notify.system.add', 'crm.timeline.comment.add', 'some.unknown.method']) {
			expect(isIdempotentMethod(m)).toBe(false);
		}
		expect(isReadMethod('crm.deal.update')).toBe(false);
	});
});
