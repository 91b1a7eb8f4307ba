/**
 * The REST methods the sandbox portal answers, with Bitrix24's result shapes and errors.
 * Legacy CRM methods (crm.deal.*, crm.contact.*) speak UPPER_CASE strings; D7 methods
 * (crm.item.*, crm.category.list, crm.stagehistory.list) speak camelCase numbers.
 */

import {
	CONTACT_ENTITY_TYPE_ID,
	DEAL_ENTITY_TYPE_ID,
	type ChangeSource,
	type Fields,
	type Portal,
	type PortalStage,
} from './portal';
import { buildFilter, FieldTypes, listRecords, PAGE_SIZE, pageLegacy, phpInt, selectFields, sortRecords } from './query';
import { crmError, RestError } from './restError';

export interface AuthInfo {
	type: 'webhook' | 'oauth';
	userId: number;
	scopes: Set<string>;
	/** OAuth client id, or the webhook's id: the operating limit is kept per app or webhook. */
	clientKey: string;
	clientId?: string;
	accessToken?: string;
}

export interface MethodContext {
	portal: Portal;
	auth: AuthInfo;
	/** `start`, taken out of the parameters and read with intval (absent: 0). */
	start: number;
	startGiven: boolean;
	source: ChangeSource;
	events: EventRegistry;
	baseUrl: string;
}

export interface EventBinding {
	event: string;
	handler: string;
	authType: number;
	offline: boolean;
	clientId: string;
	applicationToken: string;
}

export interface EventRegistry {
	bind(binding: EventBinding): void;
	unbind(event: string, handler: string, clientId: string): number;
	list(clientId: string): EventBinding[];
}

export interface MethodResult {
	result: unknown;
	total?: number;
	next?: number;
	/** Records read or written, for the sandbox's cost model. */
	records?: number;
	/** Records a counted list page had to look at (the `total` query), for the cost model. */
	scanned?: number;
}

export interface MethodDefinition {
	scope: string;
	handler: (params: Fields, ctx: MethodContext) => MethodResult;
	/** Method refused inside batch (Bitrix24 refuses file transfer methods and nested batch). */
	notInBatch?: boolean;
}

/** Case-insensitive parameter lookup, as the CRM proxies resolve `filter`/`FILTER`/`Filter`. */
export function param(params: Fields, ...names: string[]): unknown {
	for (const name of names) {
		const key = Object.keys(params).find((k) => k.toLowerCase() === name.toLowerCase());
		if (key !== undefined) return params[key];
	}
	return undefined;
}

function requireId(params: Fields, description = 'ID is not defined or invalid.'): number {
	const id = phpInt(param(params, 'id'));
	if (!(id > 0)) throw crmError(description);
	return id;
}

function fieldsParam(params: Fields): Fields {
	const fields = param(params, 'fields');
	if (fields === undefined) return {};
	if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw crmError("Parameter 'fields' must be array.");
	return fields as Fields;
}

const DEAL_TYPES: FieldTypes = {
	numeric: new Set(['ID', 'ASSIGNED_BY_ID', 'CATEGORY_ID', 'CONTACT_ID', 'COMPANY_ID', 'CREATED_BY_ID', 'MODIFY_BY_ID', 'MOVED_BY_ID', 'LEAD_ID', 'OPPORTUNITY', 'PROBABILITY', 'QUOTE_ID', 'LAST_ACTIVITY_BY']),
	dates: new Set(['DATE_CREATE', 'DATE_MODIFY', 'BEGINDATE', 'CLOSEDATE', 'MOVED_TIME', 'LAST_ACTIVITY_TIME']),
};
const CONTACT_TYPES: FieldTypes = {
	numeric: new Set(['ID', 'ASSIGNED_BY_ID', 'CREATED_BY_ID', 'MODIFY_BY_ID', 'COMPANY_ID', 'LEAD_ID']),
	dates: new Set(['DATE_CREATE', 'DATE_MODIFY', 'BIRTHDATE']),
};
const ITEM_TYPES: FieldTypes = {
	numeric: new Set(['id', 'assignedById', 'categoryId', 'contactId', 'companyId', 'createdBy', 'updatedBy', 'movedBy', 'opportunity', 'parentId2', 'entityTypeId']),
	dates: new Set(['createdTime', 'updatedTime', 'movedTime', 'begindate', 'closedate', 'lastActivityTime']),
};
const HISTORY_TYPES: FieldTypes = {
	numeric: new Set(['ID', 'TYPE_ID', 'OWNER_ID', 'CATEGORY_ID']),
	dates: new Set(['CREATED_TIME']),
};
const USER_TYPES: FieldTypes = { numeric: new Set(['ID', 'UF_DEPARTMENT']), dates: new Set([]) };
const STATUS_TYPES: FieldTypes = { numeric: new Set(['ID', 'SORT', 'CATEGORY_ID']), dates: new Set([]) };

/** Standard deal fields as crm.deal.fields describes them (type, read-only, title). */
const DEAL_FIELD_DESCRIPTIONS: Array<[string, string, string, boolean?]> = [
	['ID', 'integer', 'ID', true],
	['TITLE', 'string', 'Название'],
	['TYPE_ID', 'crm_status', 'Тип'],
	['CATEGORY_ID', 'crm_category', 'Воронка'],
	['STAGE_ID', 'crm_status', 'Стадия сделки'],
	['STAGE_SEMANTIC_ID', 'string', 'Группа стадии', true],
	['IS_NEW', 'char', 'Новая сделка', true],
	['CURRENCY_ID', 'crm_currency', 'Валюта'],
	['OPPORTUNITY', 'double', 'Сумма'],
	['COMPANY_ID', 'crm_company', 'Компания'],
	['CONTACT_ID', 'crm_contact', 'Контакт'],
	['BEGINDATE', 'date', 'Дата начала'],
	['CLOSEDATE', 'date', 'Дата завершения'],
	['OPENED', 'char', 'Доступна для всех'],
	['CLOSED', 'char', 'Закрыта'],
	['COMMENTS', 'string', 'Комментарий'],
	['ASSIGNED_BY_ID', 'user', 'Ответственный'],
	['CREATED_BY_ID', 'user', 'Кем создана', true],
	['MODIFY_BY_ID', 'user', 'Кем изменена', true],
	['DATE_CREATE', 'datetime', 'Дата создания', true],
	['DATE_MODIFY', 'datetime', 'Дата изменения', true],
	['SOURCE_ID', 'crm_status', 'Источник'],
	['SOURCE_DESCRIPTION', 'string', 'Дополнительно об источнике'],
	['MOVED_TIME', 'datetime', 'Дата перемещения', true],
	['MOVED_BY_ID', 'user', 'Кем перемещена', true],
];

function fieldDescription(type: string, title: string, options: { readOnly?: boolean; multiple?: boolean; required?: boolean; dynamic?: boolean } = {}): Fields {
	return { type, isRequired: options.required ?? false, isReadOnly: options.readOnly ?? false, isImmutable: false, isMultiple: options.multiple ?? false, isDynamic: options.dynamic ?? false, title };
}

/** Standard smart-process fields (camelCase) as crm.item.fields describes them. */
const ITEM_FIELD_DESCRIPTIONS: Array<[string, string, string, boolean?]> = [
	['id', 'integer', 'ID', true],
	['title', 'string', 'Название'],
	['assignedById', 'user', 'Ответственный'],
	['createdBy', 'user', 'Кем создан', true],
	['updatedBy', 'user', 'Кем изменён', true],
	['createdTime', 'datetime', 'Когда создан', true],
	['updatedTime', 'datetime', 'Когда изменён', true],
	['begindate', 'date', 'Дата начала'],
	['closedate', 'date', 'Дата завершения'],
	['opened', 'boolean', 'Доступен для всех'],
	['contactId', 'crm_contact', 'Контакт'],
];

function upperSnake(camel: string): string {
	return camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function d7Page<T>(records: T[], ctx: MethodContext): { items: T[]; total: number; next?: number } {
	if (ctx.start < 0) return { items: records.slice(0, PAGE_SIZE), total: 0 };
	const offset = Math.floor(Math.max(0, ctx.start) / PAGE_SIZE) * PAGE_SIZE;
	const items = records.slice(offset, offset + PAGE_SIZE);
	return offset + PAGE_SIZE < records.length ? { items, total: records.length, next: offset + PAGE_SIZE } : { items, total: records.length };
}

// --- field-name conversions for crm.item.* -------------------------------------------------------

function camelWords(snake: string): string {
	return snake
		.toLowerCase()
		.split('_')
		.filter(Boolean)
		.map((word) => word[0].toUpperCase() + word.slice(1))
		.join('');
}

/** `UF_CRM_1721244482250` → `ufCrm_1721244482250`; `UF_CRM_7_1700000001001` → `ufCrm7_1700000001001`. */
export function ufCamel(name: string, smartProcessId?: number): string {
	const rest = name.slice('UF_CRM_'.length);
	if (smartProcessId !== undefined && rest.startsWith(`${smartProcessId}_`)) {
		const tail = rest.slice(String(smartProcessId).length + 1);
		return `ufCrm${smartProcessId}_${/^\d/.test(tail) ? tail : camelWords(tail)}`;
	}
	return /^\d/.test(rest) ? `ufCrm_${rest}` : `ufCrm${camelWords(rest)}`;
}

const DEAL_TO_ITEM: Record<string, string> = {
	ID: 'id',
	TITLE: 'title',
	TYPE_ID: 'typeId',
	STAGE_ID: 'stageId',
	CATEGORY_ID: 'categoryId',
	STAGE_SEMANTIC_ID: 'stageSemanticId',
	CURRENCY_ID: 'currencyId',
	OPPORTUNITY: 'opportunity',
	IS_MANUAL_OPPORTUNITY: 'isManualOpportunity',
	TAX_VALUE: 'taxValue',
	COMPANY_ID: 'companyId',
	CONTACT_ID: 'contactId',
	BEGINDATE: 'begindate',
	CLOSEDATE: 'closedate',
	OPENED: 'opened',
	CLOSED: 'closed',
	COMMENTS: 'comments',
	ASSIGNED_BY_ID: 'assignedById',
	CREATED_BY_ID: 'createdBy',
	MODIFY_BY_ID: 'updatedBy',
	MOVED_BY_ID: 'movedBy',
	DATE_CREATE: 'createdTime',
	DATE_MODIFY: 'updatedTime',
	MOVED_TIME: 'movedTime',
	SOURCE_ID: 'sourceId',
	SOURCE_DESCRIPTION: 'sourceDescription',
	LEAD_ID: 'leadId',
	IS_NEW: 'isNew',
	IS_RETURN_CUSTOMER: 'isReturnCustomer',
	LAST_ACTIVITY_TIME: 'lastActivityTime',
	LAST_ACTIVITY_BY: 'lastActivityBy',
};
const NUMERIC_ITEM_FIELDS = new Set(['id', 'categoryId', 'companyId', 'contactId', 'assignedById', 'createdBy', 'updatedBy', 'movedBy', 'leadId', 'lastActivityBy']);

function dealAsItem(portal: Portal, deal: Fields, originalUf: boolean): Fields {
	const item: Fields = {};
	for (const [key, value] of Object.entries(deal)) {
		if (key.startsWith('UF_CRM_')) {
			item[originalUf ? key : ufCamel(key)] = value;
			continue;
		}
		const camel = DEAL_TO_ITEM[key];
		if (!camel) continue;
		if (value === null) item[camel] = null;
		else if (NUMERIC_ITEM_FIELDS.has(camel)) item[camel] = Number(value);
		else if (camel === 'opportunity' || camel === 'taxValue') item[camel] = Number(value);
		else item[camel] = value;
	}
	const bindings = portal.dealContacts.get(Number(deal.ID)) ?? [];
	item.contactIds = bindings.map((b) => b.CONTACT_ID);
	item.entityTypeId = DEAL_ENTITY_TYPE_ID;
	return item;
}

function contactAsItem(contact: Fields): Fields {
	const fm = [...((contact.PHONE as Fields[]) ?? []), ...((contact.EMAIL as Fields[]) ?? [])].map((m) => ({
		id: Number(m.ID),
		valueType: m.VALUE_TYPE,
		value: m.VALUE,
		typeId: m.TYPE_ID,
	}));
	return {
		id: Number(contact.ID),
		name: contact.NAME,
		secondName: contact.SECOND_NAME,
		lastName: contact.LAST_NAME,
		typeId: contact.TYPE_ID,
		sourceId: contact.SOURCE_ID,
		assignedById: Number(contact.ASSIGNED_BY_ID),
		createdBy: Number(contact.CREATED_BY_ID),
		updatedBy: Number(contact.MODIFY_BY_ID),
		createdTime: contact.DATE_CREATE,
		updatedTime: contact.DATE_MODIFY,
		hasPhone: contact.HAS_PHONE,
		hasEmail: contact.HAS_EMAIL,
		fm,
		entityTypeId: CONTACT_ENTITY_TYPE_ID,
	};
}

function smartItemOut(portal: Portal, entityTypeId: number, item: Fields, originalUf: boolean): Fields {
	if (originalUf) return { ...item };
	const type = portal.smartProcessTypes.get(entityTypeId);
	const out: Fields = {};
	for (const [key, value] of Object.entries(item)) out[key.startsWith('UF_CRM_') ? ufCamel(key, type?.id) : key] = value;
	return out;
}

/** Accepts `ufCrm7_…` or `UF_CRM_7_…` names and stores the original UF name, typed as the field is. */
function smartItemIn(portal: Portal, entityTypeId: number, fields: Fields): Fields {
	const type = portal.smartProcessTypes.get(entityTypeId);
	const out: Fields = {};
	for (const [key, value] of Object.entries(fields)) {
		const match = /^ufCrm(\d*)_?(.*)$/.exec(key);
		let name = key;
		if (match && type && key.startsWith('ufCrm')) {
			const spa = match[1];
			const tail = match[2];
			const snake = /^\d/.test(tail) ? tail : tail.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
			name = spa ? `UF_CRM_${spa}_${snake}` : `UF_CRM_${snake}`;
		}
		// Form-encoded requests carry text; the CRM stores numbers for number fields.
		const fieldType = type?.userFields?.find((f) => f.name === name)?.type ?? (ITEM_TYPES.numeric.has(name) || /^parentId\d+$/.test(name) ? 'integer' : undefined);
		out[name] = fieldType === 'integer' || fieldType === 'double' ? typedNumber(value, fieldType) : value;
	}
	return out;
}

function typedNumber(value: unknown, type: 'integer' | 'double'): unknown {
	if (Array.isArray(value)) return value.map((entry) => typedNumber(entry, type));
	if (value === '' || value === null || value === undefined) return null;
	const number = type === 'integer' ? parseInt(String(value), 10) : parseFloat(String(value));
	return Number.isNaN(number) ? 0 : number;
}

function entityTypeIdParam(params: Fields): number {
	const id = phpInt(param(params, 'entityTypeId'));
	if (!(id > 0)) throw new RestError('NOT_FOUND', 'Smart process not found');
	return id;
}

function originalUf(params: Fields): boolean {
	return String(param(params, 'useOriginalUfNames') ?? 'N').toUpperCase() === 'Y';
}

function stageSemanticsName(stage: PortalStage): string {
	return stage.SEMANTICS === 'S' ? 'success' : stage.SEMANTICS === 'F' ? 'failure' : 'process';
}

function statusRecords(portal: Portal): Fields[] {
	const out: Fields[] = [];
	let id = 100;
	for (const [categoryId, stages] of portal.stages) {
		for (const stage of stages) {
			out.push({
				ID: String(++id),
				ENTITY_ID: portal.stageEntityId(categoryId),
				STATUS_ID: stage.STATUS_ID,
				NAME: stage.NAME,
				NAME_INIT: stage.SEMANTICS || stage.SORT === 10 ? stage.NAME : '',
				SORT: String(stage.SORT),
				SYSTEM: stage.SEMANTICS || stage.SORT === 10 ? 'Y' : 'N',
				CATEGORY_ID: categoryId === 0 ? null : String(categoryId),
				COLOR: stage.COLOR,
				SEMANTICS: stage.SEMANTICS,
				EXTRA: { SEMANTICS: stageSemanticsName(stage), COLOR: stage.COLOR },
			});
		}
	}
	for (const [statusId, name] of [
		['STORE', 'Магазин'],
		['CALL', 'Звонок'],
		['WEB', 'Веб-сайт'],
	]) {
		out.push({ ID: String(++id), ENTITY_ID: 'SOURCE', STATUS_ID: statusId, NAME: name, NAME_INIT: name, SORT: '10', SYSTEM: 'Y', CATEGORY_ID: null, COLOR: null, SEMANTICS: null });
	}
	return out;
}

function userOut(user: Fields): Fields {
	return {
		ID: user.ID,
		XML_ID: null,
		ACTIVE: user.ACTIVE,
		NAME: user.NAME,
		LAST_NAME: user.LAST_NAME,
		SECOND_NAME: user.SECOND_NAME,
		EMAIL: user.EMAIL,
		LAST_LOGIN: '2026-11-01T09:00:00+03:00',
		DATE_REGISTER: '2024-01-15T03:00:00+03:00',
		IS_ONLINE: 'N',
		TIME_ZONE: user.TIME_ZONE,
		TIMESTAMP_X: '15.01.2024 10:00:00',
		LAST_ACTIVITY_DATE: '2026-11-01 09:10:00',
		PERSONAL_GENDER: '',
		PERSONAL_BIRTHDAY: '',
		PERSONAL_MOBILE: user.PERSONAL_MOBILE,
		WORK_PHONE: user.WORK_PHONE,
		WORK_POSITION: user.WORK_POSITION,
		UF_EMPLOYMENT_DATE: '',
		UF_DEPARTMENT: user.UF_DEPARTMENT,
		USER_TYPE: user.USER_TYPE,
	};
}

function phoneKey(value: string): string {
	const digits = value.replace(/\D/g, '');
	return digits.length >= 10 ? digits.slice(-10) : digits;
}

export const METHODS: Record<string, MethodDefinition> = {
	// --- deals ----------------------------------------------------------------------------------
	'crm.deal.get': {
		scope: 'crm',
		handler: (params, { portal }) => ({ result: { ...portal.getDeal(requireId(params)) }, records: 1 }),
	},
	'crm.deal.list': {
		scope: 'crm',
		handler: (params, ctx) => {
			const page = listRecords({
				records: ctx.portal.ordered('deals'),
				byId: (id) => ctx.portal.deals.get(Number(id)),
				idField: 'ID',
				filter: param(params, 'filter', 'arFilter'),
				order: param(params, 'order', 'arOrder'),
				start: ctx.start,
				types: DEAL_TYPES,
			});
			const select = param(params, 'select', 'arSelect');
			return { ...page, result: page.result.map((deal) => selectFields(deal, select)), records: Math.max(1, page.result.length), scanned: ctx.start >= 0 ? page.scanned : 0 };
		},
	},
	'crm.deal.add': {
		scope: 'crm',
		handler: (params, ctx) => ({ result: ctx.portal.addDeal(fieldsParam(params), ctx.source), records: 1 }),
	},
	'crm.deal.update': {
		scope: 'crm',
		handler: (params, ctx) => {
			const id = requireId(params);
			ctx.portal.getDeal(id);
			ctx.portal.updateDeal(id, fieldsParam(params), ctx.source);
			return { result: true, records: 1 };
		},
	},
	'crm.deal.fields': {
		scope: 'crm',
		handler: (_params, { portal }) => {
			const fields: Fields = {};
			for (const [name, type, title, readOnly] of DEAL_FIELD_DESCRIPTIONS) fields[name] = fieldDescription(type, title, { readOnly, required: name === 'TITLE' });
			for (const uf of portal.dealUserFields) {
				// User fields carry their code as the title and the words in the labels.
				const label = uf.LIST_COLUMN_LABEL.ru ?? uf.EDIT_FORM_LABEL.ru ?? uf.FIELD_NAME;
				fields[uf.FIELD_NAME] = {
					...fieldDescription(uf.USER_TYPE_ID, uf.FIELD_NAME, { multiple: uf.MULTIPLE === 'Y', required: uf.MANDATORY === 'Y', dynamic: true }),
					listLabel: label,
					formLabel: uf.EDIT_FORM_LABEL.ru ?? label,
					filterLabel: label,
					...(uf.LIST ? { items: uf.LIST.map((entry) => ({ ID: String(entry.ID), VALUE: entry.VALUE })) } : {}),
				};
			}
			return { result: fields };
		},
	},
	'crm.deal.contact.items.get': {
		scope: 'crm',
		handler: (params, { portal }) => {
			const id = requireId(params, 'The parameter ownerEntityID is invalid or not defined.');
			if (!portal.deals.has(id)) throw crmError('Not found.');
			return { result: (portal.dealContacts.get(id) ?? []).map((b) => ({ ...b })), records: 1 };
		},
	},
	'crm.deal.userfield.list': {
		scope: 'crm',
		handler: (params, ctx) => {
			const filter = (param(params, 'filter') ?? {}) as Fields;
			const lang = typeof filter.LANG === 'string' ? filter.LANG : undefined;
			const rest = { ...filter };
			delete rest.LANG;
			const predicate = buildFilter(rest, STATUS_TYPES);
			const fields = ctx.portal.dealUserFields
				.map((field) => ({
					...field,
					EDIT_FORM_LABEL: lang ? field.EDIT_FORM_LABEL[lang] ?? field.FIELD_NAME : field.EDIT_FORM_LABEL,
					LIST_COLUMN_LABEL: lang ? field.LIST_COLUMN_LABEL[lang] ?? field.FIELD_NAME : field.LIST_COLUMN_LABEL,
					LIST: field.LIST?.map((entry) => ({ ...entry, SORT: String(entry.SORT) })),
				}))
				.filter((field) => predicate(field as unknown as Fields));
			const page = pageLegacy(sortRecords(fields as unknown as Fields[], param(params, 'order'), STATUS_TYPES), ctx.start);
			return { ...page, records: fields.length };
		},
	},
	// --- contacts -------------------------------------------------------------------------------
	'crm.contact.get': {
		scope: 'crm',
		handler: (params, { portal }) => {
			const contact = { ...portal.getContact(requireId(params)) };
			if (!(contact.PHONE as unknown[]).length) delete contact.PHONE;
			if (!(contact.EMAIL as unknown[]).length) delete contact.EMAIL;
			return { result: contact, records: 1 };
		},
	},
	'crm.contact.list': {
		scope: 'crm',
		handler: (params, ctx) => {
			const page = listRecords({
				records: ctx.portal.ordered('contacts'),
				byId: (id) => ctx.portal.contacts.get(Number(id)),
				idField: 'ID',
				filter: param(params, 'filter'),
				order: param(params, 'order'),
				start: ctx.start,
				types: CONTACT_TYPES,
			});
			const select = param(params, 'select');
			return { ...page, result: page.result.map((c) => selectFields(c, select)), records: Math.max(1, page.result.length), scanned: ctx.start >= 0 ? page.scanned : 0 };
		},
	},
	'crm.contact.add': {
		scope: 'crm',
		handler: (params, ctx) => ({ result: ctx.portal.addContact(fieldsParam(params), ctx.source), records: 1 }),
	},
	'crm.duplicate.findbycomm': {
		scope: 'crm',
		handler: (params, { portal }) => {
			const type = String(param(params, 'type') ?? '').toUpperCase();
			if (type !== 'PHONE' && type !== 'EMAIL') throw new RestError('Communication type is not defined', "Parameter 'type' is required.");
			const raw = param(params, 'values');
			const values = (Array.isArray(raw) ? raw : raw && typeof raw === 'object' ? Object.values(raw) : []).map(String).filter(Boolean);
			if (!values.length) throw new RestError('Communication values is not defined', "Parameter 'values' is required.");
			if (values.length > 20) throw new RestError('Too many communication values', 'No more than 20 values are allowed.');
			const entityType = String(param(params, 'entity_type') ?? '').toUpperCase();
			const wanted = new Set(values.map((v) => (type === 'PHONE' ? phoneKey(v) : v.toLowerCase())));
			const found: number[] = [];
			if (!entityType || entityType === 'CONTACT') {
				for (const contact of portal.contacts.values()) {
					const multi = (contact[type] as Fields[]) ?? [];
					if (multi.some((m) => wanted.has(type === 'PHONE' ? phoneKey(String(m.VALUE)) : String(m.VALUE).toLowerCase()))) found.push(Number(contact.ID));
				}
			}
			return { result: found.length ? { CONTACT: found } : [], records: portal.contacts.size };
		},
	},
	// --- pipelines, stages, fields --------------------------------------------------------------
	'crm.category.list': {
		scope: 'crm',
		handler: (params, ctx) => {
			const entityTypeId = entityTypeIdParam(params);
			if (entityTypeId !== DEAL_ENTITY_TYPE_ID) {
				const type = ctx.portal.smartProcessTypes.get(entityTypeId);
				if (!type) throw new RestError('NOT_FOUND', 'Smart process not found');
				return { result: { categories: [{ id: type.id * 10, name: 'Воронка по умолчанию', sort: 500, entityTypeId, isDefault: 'Y', originId: '', originatorId: '' }] }, total: 1 };
			}
			const categories = [...ctx.portal.categories.values()]
				.sort((a, b) => a.sort - b.sort)
				.map((c) => ({ id: c.id, name: c.name, sort: c.sort, entityTypeId: c.entityTypeId, isDefault: c.isDefault, originId: '', originatorId: '' }));
			const page = d7Page(categories, ctx);
			return { result: { categories: page.items }, total: page.total, next: page.next, records: categories.length };
		},
	},
	'crm.status.list': {
		scope: 'crm',
		handler: (params, ctx) => {
			const all = statusRecords(ctx.portal);
			const predicate = buildFilter(param(params, 'filter'), STATUS_TYPES);
			const sorted = sortRecords(all.filter(predicate), param(params, 'order') ?? { SORT: 'ASC' }, STATUS_TYPES);
			return { ...pageLegacy(sorted, ctx.start), records: sorted.length };
		},
	},
	'crm.status.entity.types': {
		scope: 'crm',
		handler: (_params, { portal }) => {
			const types: Fields[] = [
				{ ID: 'STATUS', NAME: 'Стадии лида', SEMANTIC_INFO: { START_FIELD: 'NEW', FINAL_SUCCESS_FIELD: 'CONVERTED', FINAL_UNSUCCESS_FIELD: 'JUNK', FINAL_SORT: 0 }, ENTITY_TYPE_ID: 1 },
				{ ID: 'SOURCE', NAME: 'Источники' },
				{ ID: 'CONTACT_TYPE', NAME: 'Тип контакта' },
			];
			for (const [categoryId, stages] of portal.stages) {
				const success = stages.find((s) => s.SEMANTICS === 'S');
				const failure = stages.find((s) => s.SEMANTICS === 'F');
				const info = {
					START_FIELD: stages[0].STATUS_ID,
					FINAL_SUCCESS_FIELD: success?.STATUS_ID ?? '',
					FINAL_UNSUCCESS_FIELD: failure?.STATUS_ID ?? '',
					FINAL_SORT: success?.SORT ?? 0,
				};
				const name = `Стадии сделки (${portal.categories.get(categoryId)?.name ?? categoryId})`;
				types.push(
					categoryId === 0
						? { ID: 'DEAL_STAGE', NAME: name, SEMANTIC_INFO: info, FIELD_ATTRIBUTE_SCOPE: '', ENTITY_TYPE_ID: 2, CATEGORY_ID: 0 }
						: { ID: `DEAL_STAGE_${categoryId}`, NAME: name, PARENT_ID: 'DEAL_STAGE', SEMANTIC_INFO: info, PREFIX: `C${categoryId}`, FIELD_ATTRIBUTE_SCOPE: `category_${categoryId}`, ENTITY_TYPE_ID: 2, CATEGORY_ID: String(categoryId) },
				);
			}
			return { result: types };
		},
	},
	'crm.stagehistory.list': {
		scope: 'crm',
		handler: (params, ctx) => {
			const entityTypeId = phpInt(param(params, 'entityTypeId'));
			if (entityTypeId !== DEAL_ENTITY_TYPE_ID) throw new RestError('ENTITY_TYPE_NOT_SUPPORTED', `Entity type ${entityTypeId} is not supported`);
			const known = new Set(['ID', 'TYPE_ID', 'OWNER_ID', 'CREATED_TIME', 'CATEGORY_ID', 'STAGE_SEMANTIC_ID', 'STAGE_ID']);
			const predicate = buildFilter(param(params, 'filter'), HISTORY_TYPES, known);
			const sorted = sortRecords(ctx.portal.stageHistory.filter((r) => predicate(r as unknown as Fields)) as unknown as Fields[], param(params, 'order') ?? { ID: 'ASC' }, HISTORY_TYPES, true);
			const page = d7Page(sorted, ctx);
			const select = param(params, 'select');
			const items = Array.isArray(select) && select.length ? page.items.map((r) => selectFields(r, select)) : page.items;
			return { result: { items }, total: page.total, next: page.next, records: Math.max(1, items.length) };
		},
	},
	// --- universal items (deals, contacts, smart processes) -------------------------------------
	'crm.item.get': {
		scope: 'crm',
		handler: (params, { portal }) => {
			const entityTypeId = entityTypeIdParam(params);
			const id = phpInt(param(params, 'id'));
			const keepUf = originalUf(params);
			if (entityTypeId === DEAL_ENTITY_TYPE_ID) {
				const deal = portal.deals.get(id);
				if (!deal) throw new RestError('NOT_FOUND', 'Element not found');
				return { result: { item: dealAsItem(portal, deal, keepUf) }, records: 1 };
			}
			if (entityTypeId === CONTACT_ENTITY_TYPE_ID) {
				const contact = portal.contacts.get(id);
				if (!contact) throw new RestError('NOT_FOUND', 'Element not found');
				return { result: { item: contactAsItem(contact) }, records: 1 };
			}
			const item = portal.itemStore(entityTypeId).get(id);
			if (!item) throw new RestError('NOT_FOUND', 'Element not found');
			return { result: { item: smartItemOut(portal, entityTypeId, item, keepUf) }, records: 1 };
		},
	},
	'crm.item.list': {
		scope: 'crm',
		handler: (params, ctx) => {
			const entityTypeId = entityTypeIdParam(params);
			const keepUf = originalUf(params);
			const listed =
				entityTypeId === DEAL_ENTITY_TYPE_ID
					? { records: ctx.portal.ordered('deals'), byId: (id: string) => ctx.portal.deals.get(Number(id)), convert: (d: Fields) => dealAsItem(ctx.portal, d, keepUf) }
					: entityTypeId === CONTACT_ENTITY_TYPE_ID
						? { records: ctx.portal.ordered('contacts'), byId: (id: string) => ctx.portal.contacts.get(Number(id)), convert: contactAsItem }
						: { records: [...ctx.portal.itemStore(entityTypeId).values()], byId: undefined, convert: (i: Fields) => smartItemOut(ctx.portal, entityTypeId, i, keepUf) };
			// The cursor and ID lookups work on the stored records' own ID field.
			const idKey = entityTypeId === DEAL_ENTITY_TYPE_ID || entityTypeId === CONTACT_ENTITY_TYPE_ID ? 'ID' : 'id';
			const filter = param(params, 'filter');
			const order = param(params, 'order');
			const storedFilter = idKey === 'ID' && filter && typeof filter === 'object' ? Object.fromEntries(Object.entries(filter as Fields).map(([k, v]) => [k.replace(/^([><@=]*)id$/, '$1ID'), v])) : filter;
			const page = listRecords({
				records: listed.records,
				byId: listed.byId,
				idField: idKey,
				filter: storedFilter,
				order: order === undefined ? undefined : idKey === 'ID' && JSON.stringify(order).toUpperCase() === '{"ID":"ASC"}' ? { ID: 'ASC' } : order,
				start: ctx.start,
				types: { numeric: new Set([...ITEM_TYPES.numeric, 'ID']), dates: ITEM_TYPES.dates },
				convert: (record) => {
					const out = listed.convert(record);
					return idKey === 'ID' ? { ...out, ID: record.ID } : out;
				},
				strictOrder: true,
			});
			const stripId = (item: Fields) => {
				if (idKey !== 'ID') return item;
				const rest = { ...item };
				delete rest.ID;
				return rest;
			};
			const select = param(params, 'select');
			const wanted = Array.isArray(select) ? select.map(String) : [];
			const items = page.result.map(stripId).map((i) => (wanted.length && !wanted.includes('*') ? Object.fromEntries(Object.entries(i).filter(([k]) => k === 'id' || wanted.includes(k))) : i));
			return { result: { items }, total: page.total, next: page.next, records: Math.max(1, items.length), scanned: ctx.start >= 0 ? page.scanned : 0 };
		},
	},
	'crm.item.add': {
		scope: 'crm',
		handler: (params, ctx) => {
			const entityTypeId = entityTypeIdParam(params);
			const fields = fieldsParam(params);
			if (entityTypeId === DEAL_ENTITY_TYPE_ID) {
				const id = ctx.portal.addDeal({ TITLE: fields.title, CATEGORY_ID: fields.categoryId, STAGE_ID: fields.stageId, ASSIGNED_BY_ID: fields.assignedById, CONTACT_ID: fields.contactId, OPPORTUNITY: fields.opportunity }, ctx.source);
				return { result: { item: dealAsItem(ctx.portal, ctx.portal.getDeal(id), originalUf(params)) }, records: 1 };
			}
			if (!ctx.portal.smartProcessTypes.has(entityTypeId)) throw new RestError('NOT_FOUND', 'Smart process not found');
			const item = ctx.portal.addItem(entityTypeId, smartItemIn(ctx.portal, entityTypeId, fields), ctx.source);
			return { result: { item: smartItemOut(ctx.portal, entityTypeId, item, originalUf(params)) }, records: 1 };
		},
	},
	'crm.item.update': {
		scope: 'crm',
		handler: (params, ctx) => {
			const entityTypeId = entityTypeIdParam(params);
			const id = phpInt(param(params, 'id'));
			const fields = fieldsParam(params);
			if (entityTypeId === DEAL_ENTITY_TYPE_ID) {
				const deal = ctx.portal.deals.get(id);
				if (!deal) throw new RestError('NOT_FOUND', 'Element not found');
				const { categoryId, stageId, ...rest } = fields;
				if (categoryId !== undefined && Number(categoryId) !== Number(deal.CATEGORY_ID)) {
					ctx.portal.moveDealToCategory(id, Number(categoryId), stageId === undefined ? undefined : String(stageId), ctx.source);
				} else if (stageId !== undefined) {
					const stage = ctx.portal.findStage(String(stageId));
					if (!stage || stage.CATEGORY_ID !== Number(deal.CATEGORY_ID)) throw new RestError('CRM_FIELD_ERROR_VALUE_NOT_VALID', `Stage ${String(stageId)} is not valid for this pipeline`);
					ctx.portal.updateDeal(id, { STAGE_ID: stageId }, ctx.source);
				}
				const legacy: Fields = {};
				for (const [key, value] of Object.entries(rest)) {
					const upper = Object.entries(DEAL_TO_ITEM).find(([, camel]) => camel === key)?.[0];
					if (upper) legacy[upper] = value;
					else if (key.startsWith('UF_CRM_')) legacy[key] = value;
					else if (key.startsWith('ufCrm_')) legacy[`UF_CRM_${key.slice('ufCrm_'.length)}`] = value;
				}
				if (Object.keys(legacy).length) ctx.portal.updateDeal(id, legacy, ctx.source);
				return { result: { item: dealAsItem(ctx.portal, ctx.portal.getDeal(id), originalUf(params)) }, records: 1 };
			}
			const item = ctx.portal.updateItem(entityTypeId, id, smartItemIn(ctx.portal, entityTypeId, fields), ctx.source);
			return { result: { item: smartItemOut(ctx.portal, entityTypeId, item, originalUf(params)) }, records: 1 };
		},
	},
	'crm.item.fields': {
		scope: 'crm',
		handler: (params, { portal }) => {
			const entityTypeId = entityTypeIdParam(params);
			const type = portal.smartProcessTypes.get(entityTypeId);
			if (!type) throw new RestError('NOT_FOUND', 'Smart process not found');
			const keepUf = originalUf(params);
			const fields: Fields = {};
			for (const [name, fieldType, title, readOnly] of ITEM_FIELD_DESCRIPTIONS) fields[name] = { ...fieldDescription(fieldType, title, { readOnly }), upperName: upperSnake(name) };
			for (const parent of type.relations?.parent ?? []) {
				const name = `parentId${parent.entityTypeId}`;
				fields[name] = { ...fieldDescription('crm_entity', parent.entityTypeId === DEAL_ENTITY_TYPE_ID ? 'Сделка' : `Родитель ${parent.entityTypeId}`), settings: { parentEntityTypeId: parent.entityTypeId }, upperName: upperSnake(name) };
			}
			for (const uf of type.userFields ?? []) {
				fields[keepUf ? uf.name : ufCamel(uf.name, type.id)] = { ...fieldDescription(uf.type, uf.title, { multiple: uf.multiple, dynamic: true }), upperName: uf.name };
			}
			return { result: { fields } };
		},
	},
	'crm.type.list': {
		scope: 'crm',
		handler: (_params, { portal }) => {
			const types = [...portal.smartProcessTypes.values()].map((t) => ({ id: t.id, title: t.title, code: t.code, entityTypeId: t.entityTypeId, isCategoriesEnabled: t.isCategoriesEnabled, isStagesEnabled: t.isStagesEnabled, isClientEnabled: t.isClientEnabled, relations: t.relations ?? {} }));
			return { result: { types }, total: types.length, records: types.length };
		},
	},
	// --- timeline, tasks, notifications ---------------------------------------------------------
	'crm.timeline.comment.add': {
		scope: 'crm',
		handler: (params, ctx) => {
			const fields = param(params, 'fields');
			if (!fields || typeof fields !== 'object') throw new RestError('100', 'Could not find value for parameter {fields}');
			const f = fields as Fields;
			if (f.ENTITY_ID === undefined || f.ENTITY_TYPE === undefined || f.COMMENT === undefined) throw new RestError('100', 'Required fields missing: ENTITY_ID, ENTITY_TYPE, COMMENT');
			return { result: ctx.portal.addTimelineComment(String(f.ENTITY_TYPE).toLowerCase(), phpInt(f.ENTITY_ID), String(f.COMMENT), ctx.auth.userId), records: 1 };
		},
	},
	'tasks.task.add': {
		scope: 'task',
		handler: (params, ctx) => {
			const fields = param(params, 'fields');
			if (!fields || typeof fields !== 'object') throw new RestError('100', 'Could not find value for parameter {fields}');
			return { result: { task: ctx.portal.addTask(fields as Fields, ctx.auth.userId) }, records: 1 };
		},
	},
	'im.notify.system.add': {
		scope: 'im',
		handler: (params, ctx) => {
			const userId = phpInt(param(params, 'USER_ID'));
			const message = String(param(params, 'MESSAGE') ?? '');
			const tag = param(params, 'TAG') as string | undefined;
			if (tag && ctx.auth.type === 'webhook' && !param(params, 'CLIENT_ID')) {
				throw new RestError('CLIENT_ID_EMPTY', 'Client ID is required when a tag is set by a webhook');
			}
			if (userId && !ctx.portal.users.has(userId)) throw new RestError('USER_ID_EMPTY', "User ID can't be empty");
			return { result: ctx.portal.addNotification(userId, message, ctx.auth.userId, tag, param(params, 'SUB_TAG') as string | undefined), records: 1 };
		},
	},
	// --- users ----------------------------------------------------------------------------------
	'user.get': {
		scope: 'user',
		handler: (params, ctx) => {
			const filter = { ...((param(params, 'filter') as Fields) ?? {}) };
			for (const [key, value] of Object.entries(params)) {
				if (/^[!<>=@%]*[A-Z_]+$/.test(key) && !['FILTER', 'SORT', 'ORDER', 'ADMIN_MODE', 'SELECT'].includes(key.toUpperCase())) filter[key] = value;
			}
			if (filter.ACTIVE === undefined) filter.ACTIVE = true;
			const active = filter.ACTIVE;
			delete filter.ACTIVE;
			const predicate = buildFilter(filter, USER_TYPES);
			const sortField = String(param(params, 'sort') ?? 'ID');
			const direction = String(param(params, 'order') ?? 'ASC');
			const users = [...ctx.portal.users.values()]
				.filter((u) => active === 'N' || active === false ? !u.ACTIVE : u.ACTIVE)
				.map((u) => userOut(u as unknown as Fields))
				.filter(predicate);
			const sorted = sortRecords(users, { [sortField]: direction }, USER_TYPES);
			return { ...pageLegacy(sorted, ctx.start), records: sorted.length };
		},
	},
	'user.search': {
		scope: 'user',
		handler: (params, ctx) => {
			// FIND looks for words starting with the text in the name, last name, position and department.
			const filter = { ...((param(params, 'filter') as Fields) ?? {}) };
			const find = String(param(params, 'FIND') ?? filter.FIND ?? '').trim().toLowerCase();
			delete filter.FIND;
			const active = filter.ACTIVE === undefined ? true : filter.ACTIVE;
			delete filter.ACTIVE;
			const predicate = buildFilter(filter, USER_TYPES);
			const words = find.split(/\s+/).filter(Boolean);
			const users = [...ctx.portal.users.values()]
				.filter((u) => (active === 'N' || active === false ? !u.ACTIVE : u.ACTIVE))
				.filter((u) => {
					const department = u.UF_DEPARTMENT.map((id) => ctx.portal.departments.get(id)?.NAME ?? '').join(' ');
					const haystack = [u.NAME, u.LAST_NAME, u.SECOND_NAME, u.WORK_POSITION, department].join(' ').toLowerCase().split(/\s+/);
					return words.every((word) => haystack.some((part) => part.startsWith(word)));
				})
				.map((u) => userOut(u as unknown as Fields))
				.filter(predicate);
			return { ...pageLegacy(sortRecords(users, { ID: 'ASC' }, USER_TYPES), ctx.start), records: users.length };
		},
	},
	'user.current': {
		scope: 'basic',
		handler: (_params, ctx) => ({ result: userOut(ctx.portal.users.get(ctx.auth.userId) as unknown as Fields) }),
	},
	profile: {
		scope: 'basic',
		handler: (_params, ctx) => {
			const user = ctx.portal.users.get(ctx.auth.userId);
			if (!user || !user.ACTIVE) return { result: [] };
			return { result: { ID: user.ID, ADMIN: user.IS_ADMIN, NAME: user.NAME, LAST_NAME: user.LAST_NAME, PERSONAL_GENDER: '', TIME_ZONE: user.TIME_ZONE, TIME_ZONE_OFFSET: ctx.portal.offsetMinutes * 60 } };
		},
	},
	'department.get': {
		scope: 'department',
		handler: (params, ctx) => {
			const filterId = param(params, 'ID');
			const ids = filterId === undefined ? undefined : (Array.isArray(filterId) ? filterId : [filterId]).map(phpInt);
			const departments = [...ctx.portal.departments.values()]
				.filter((d) => !ids || ids.includes(Number(d.ID)))
				.map((d) => ({ ID: d.ID, NAME: d.NAME, SORT: d.SORT, PARENT: d.PARENT, UF_HEAD: d.UF_HEAD }));
			return { ...pageLegacy(departments, ctx.start), records: departments.length };
		},
	},
	// --- events (application context only) ------------------------------------------------------
	'event.bind': {
		scope: 'basic',
		handler: (params, ctx) => {
			if (ctx.auth.type !== 'oauth' || !ctx.auth.clientId) throw new RestError('WRONG_AUTH_TYPE', 'Current authorization type is denied for this method', 403);
			const event = String(param(params, 'event') ?? '').toUpperCase();
			const handler = String(param(params, 'handler') ?? '');
			if (!SUPPORTED_EVENTS.has(event)) throw new RestError('ERROR_EVENT_NOT_FOUND', 'Event not found');
			if (!/^https?:\/\//.test(handler)) throw new RestError('ERROR_HANDLER_URL_MISMATCH', 'Handler URL is not valid');
			const existing = ctx.events.list(ctx.auth.clientId).find((b) => b.event === event && b.handler === handler);
			if (existing) throw new RestError('ERROR_EVENT_ALREADY_INSTALLED', 'Handler already binded');
			ctx.events.bind({ event, handler, authType: phpInt(param(params, 'auth_type')), offline: String(param(params, 'event_type') ?? 'online') === 'offline', clientId: ctx.auth.clientId, applicationToken: '' });
			return { result: true };
		},
	},
	'event.get': {
		scope: 'basic',
		handler: (_params, ctx) => {
			if (ctx.auth.type !== 'oauth' || !ctx.auth.clientId) throw new RestError('WRONG_AUTH_TYPE', 'Current authorization type is denied for this method', 403);
			return { result: ctx.events.list(ctx.auth.clientId).map((b) => ({ event: b.event, handler: b.handler, auth_type: String(b.authType), offline: b.offline ? 1 : 0 })) };
		},
	},
	'event.unbind': {
		scope: 'basic',
		handler: (params, ctx) => {
			if (ctx.auth.type !== 'oauth' || !ctx.auth.clientId) throw new RestError('WRONG_AUTH_TYPE', 'Current authorization type is denied for this method', 403);
			const count = ctx.events.unbind(String(param(params, 'event') ?? '').toUpperCase(), String(param(params, 'handler') ?? ''), ctx.auth.clientId);
			return { result: { count } };
		},
	},
};

export const SUPPORTED_EVENTS = new Set(['ONCRMDEALADD', 'ONCRMDEALUPDATE', 'ONCRMDEALDELETE', 'ONCRMDEALMOVETOCATEGORY', 'ONCRMCONTACTADD', 'ONCRMCONTACTUPDATE', 'ONCRMDYNAMICITEMADD', 'ONCRMDYNAMICITEMUPDATE']);

export function findMethod(name: string): MethodDefinition | undefined {
	return METHODS[name.toLowerCase()];
}
