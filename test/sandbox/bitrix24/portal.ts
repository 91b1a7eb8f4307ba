/**
 * The sandbox portal's data and the rules Bitrix24 applies when it changes: stages move only
 * within a pipeline, success/failure stages close a deal, stage changes are written to the stage
 * history, and every change is announced so outgoing events and robots can fire.
 */

import { crmError, notFound, RestError } from './restError';

export type Fields = Record<string, unknown>;

export interface PortalUser {
	ID: string;
	ACTIVE: boolean;
	NAME: string;
	LAST_NAME: string;
	SECOND_NAME: string;
	EMAIL: string;
	PERSONAL_MOBILE: string;
	WORK_PHONE: string;
	WORK_POSITION: string;
	UF_DEPARTMENT: number[];
	IS_ADMIN: boolean;
	TIME_ZONE: string;
	USER_TYPE: 'employee';
	/** Whether the user may read and change CRM records (false: "Access denied."). */
	CRM_ACCESS?: boolean;
}

export interface PortalDepartment {
	ID: string;
	NAME: string;
	SORT: number;
	PARENT?: string;
	UF_HEAD?: string;
}

export interface PortalCategory {
	id: number;
	name: string;
	sort: number;
	entityTypeId: number;
	isDefault: 'Y' | 'N';
}

export interface PortalStage {
	STATUS_ID: string;
	NAME: string;
	SORT: number;
	/** 'S' success, 'F' failure, null in progress. */
	SEMANTICS: 'S' | 'F' | null;
	COLOR: string;
	CATEGORY_ID: number;
}

export interface EnumItem {
	ID: string;
	VALUE: string;
	SORT: number;
	DEF: 'Y' | 'N';
	XML_ID: string;
}

export interface UserField {
	ID: string;
	ENTITY_ID: string;
	FIELD_NAME: string;
	USER_TYPE_ID: string;
	XML_ID: string | null;
	SORT: string;
	MULTIPLE: 'Y' | 'N';
	MANDATORY: 'Y' | 'N';
	SHOW_FILTER: string;
	SHOW_IN_LIST: 'Y' | 'N';
	EDIT_IN_LIST: 'Y' | 'N';
	IS_SEARCHABLE: 'Y' | 'N';
	SETTINGS: Fields;
	EDIT_FORM_LABEL: Record<string, string>;
	LIST_COLUMN_LABEL: Record<string, string>;
	LIST?: EnumItem[];
}

export interface ContactBinding {
	CONTACT_ID: number;
	SORT: number;
	ROLE_ID: number;
	IS_PRIMARY: 'Y' | 'N';
}

export interface SmartProcessType {
	id: number;
	entityTypeId: number;
	title: string;
	code: string;
	isCategoriesEnabled: 'Y' | 'N';
	isStagesEnabled: 'Y' | 'N';
	isClientEnabled: 'Y' | 'N';
	relations?: { parent: Array<{ entityTypeId: number }> };
	/** The smart process's own fields (UF_CRM_<id>_…), as crm.item.fields describes them. */
	userFields?: Array<{ name: string; type: string; title: string; multiple?: boolean }>;
}

export interface StageHistoryRecord {
	ID: number;
	TYPE_ID: 1 | 2 | 3 | 5;
	OWNER_ID: number;
	CREATED_TIME: string;
	CATEGORY_ID: number;
	STAGE_SEMANTIC_ID: 'P' | 'S' | 'F';
	STAGE_ID: string;
}

/** Who made a change: an app (OAuth client id), a webhook user, or a person in the UI. */
export interface ChangeSource {
	userId: number;
	via: 'webhook' | 'app' | 'ui' | 'robot';
	clientId?: string;
}

export type PortalChange =
	| { type: 'dealAdd'; id: number; source: ChangeSource }
	| {
			type: 'dealUpdate';
			id: number;
			source: ChangeSource;
			/** The stage the deal entered with this change, if it moved. */
			enteredStage?: string;
	  }
	| { type: 'dealMoveCategory'; id: number; source: ChangeSource; categoryId: number; stageId: string }
	| { type: 'contactAdd' | 'contactUpdate'; id: number; source: ChangeSource }
	| { type: 'itemAdd' | 'itemUpdate'; entityTypeId: number; id: number; source: ChangeSource };

export const DEAL_ENTITY_TYPE_ID = 2;
export const CONTACT_ENTITY_TYPE_ID = 3;

function pad(n: number): string {
	return String(n).padStart(2, '0');
}

/** Bitrix24 dates: `2024-04-03T10:26:32+03:00`, in the portal's offset. */
export function formatPortalDate(ms: number, offsetMinutes: number): string {
	const local = new Date(ms + offsetMinutes * 60_000);
	const sign = offsetMinutes >= 0 ? '+' : '-';
	const abs = Math.abs(offsetMinutes);
	return (
		`${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
		`T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
		`${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
	);
}

export class Portal {
	readonly domain: string;
	readonly memberId: string;
	/** Portal time zone offset in minutes (Moscow: +180). */
	readonly offsetMinutes: number;
	now: () => number;

	users = new Map<number, PortalUser>();
	departments = new Map<number, PortalDepartment>();
	categories = new Map<number, PortalCategory>();
	/** Stages per deal pipeline (category id → stages). */
	stages = new Map<number, PortalStage[]>();
	dealUserFields: UserField[] = [];
	deals = new Map<number, Fields>();
	dealContacts = new Map<number, ContactBinding[]>();
	contacts = new Map<number, Fields>();
	smartProcessTypes = new Map<number, SmartProcessType>();
	/** Smart-process items per entityTypeId, stored with camelCase standard fields and UF_* names. */
	items = new Map<number, Map<number, Fields>>();
	timelineComments: Array<{ ID: number; ENTITY_ID: number; ENTITY_TYPE: string; COMMENT: string; AUTHOR_ID: number; CREATED: string }> = [];
	tasks = new Map<number, Fields>();
	notifications: Array<{ id: number; USER_ID: number; MESSAGE: string; TAG?: string; SUB_TAG?: string; from: number }> = [];
	stageHistory: StageHistoryRecord[] = [];

	private cachedLists = new Map<string, { version: number; records: Fields[] }>();
	private versions = { deals: 0, contacts: 0 };

	private seq = { deal: 0, contact: 0, item: 0, comment: 0, task: 0, notify: 0, history: 0, field: 0, enum: 0, user: 0 };
	private listeners: Array<(change: PortalChange) => void> = [];

	constructor(options: { domain?: string; memberId?: string; offsetMinutes?: number; now?: () => number } = {}) {
		this.domain = options.domain ?? 'sandbox.bitrix24.test';
		this.memberId = options.memberId ?? 'a223c6b3710f85df22e9377d6c4f7553';
		this.offsetMinutes = options.offsetMinutes ?? 180;
		this.now = options.now ?? Date.now;
	}

	/** Deals (or contacts) as an array in ID order, rebuilt only after additions. */
	ordered(kind: 'deals' | 'contacts'): Fields[] {
		const cached = this.cachedLists.get(kind);
		if (cached && cached.version === this.versions[kind]) return cached.records;
		const records = [...(kind === 'deals' ? this.deals : this.contacts).values()];
		this.cachedLists.set(kind, { version: this.versions[kind], records });
		return records;
	}

	onChange(listener: (change: PortalChange) => void): () => void {
		this.listeners.push(listener);
		return () => (this.listeners = this.listeners.filter((l) => l !== listener));
	}

	private emit(change: PortalChange): void {
		for (const listener of this.listeners) listener(change);
	}

	date(ms = this.now()): string {
		return formatPortalDate(ms, this.offsetMinutes);
	}

	nextId(kind: keyof Portal['seq']): number {
		return ++this.seq[kind];
	}

	// --- directory data -------------------------------------------------------------------------

	addUser(user: Partial<PortalUser> & { NAME: string; LAST_NAME: string }): PortalUser {
		const id = user.ID ? Number(user.ID) : this.nextId('user');
		this.seq.user = Math.max(this.seq.user, id);
		const record: PortalUser = {
			ID: String(id),
			ACTIVE: true,
			SECOND_NAME: '',
			EMAIL: '',
			PERSONAL_MOBILE: '',
			WORK_PHONE: '',
			WORK_POSITION: '',
			UF_DEPARTMENT: [],
			IS_ADMIN: false,
			TIME_ZONE: '',
			USER_TYPE: 'employee',
			...user,
		};
		record.ID = String(id);
		this.users.set(id, record);
		return record;
	}

	addCategory(category: { id: number; name: string; sort?: number }, stages: Array<Omit<PortalStage, 'CATEGORY_ID'>>): void {
		this.categories.set(category.id, {
			id: category.id,
			name: category.name,
			sort: category.sort ?? (category.id + 1) * 100,
			entityTypeId: DEAL_ENTITY_TYPE_ID,
			isDefault: category.id === 0 ? 'Y' : 'N',
		});
		for (const stage of stages) {
			// STATUS_ID is a 21-character column: longer codes are cut, as on a real portal.
			stage.STATUS_ID = stage.STATUS_ID.slice(0, 21);
		}
		this.stages.set(
			category.id,
			stages.map((stage) => ({ ...stage, CATEGORY_ID: category.id })),
		);
	}

	/** The stage entity id as crm.status.list names it: DEAL_STAGE for pipeline 0, DEAL_STAGE_<n> else. */
	stageEntityId(categoryId: number): string {
		return categoryId === 0 ? 'DEAL_STAGE' : `DEAL_STAGE_${categoryId}`;
	}

	findStage(stageId: string): PortalStage | undefined {
		for (const stages of this.stages.values()) {
			const found = stages.find((stage) => stage.STATUS_ID === stageId);
			if (found) return found;
		}
		return undefined;
	}

	addDealUserField(field: { FIELD_NAME: string; USER_TYPE_ID: string; label: string; MULTIPLE?: 'Y' | 'N'; LIST?: string[] }): UserField {
		const record: UserField = {
			ID: String(this.nextId('field') + 100),
			ENTITY_ID: 'CRM_DEAL',
			FIELD_NAME: field.FIELD_NAME,
			USER_TYPE_ID: field.USER_TYPE_ID,
			XML_ID: null,
			SORT: '100',
			MULTIPLE: field.MULTIPLE ?? 'N',
			MANDATORY: 'N',
			SHOW_FILTER: 'E',
			SHOW_IN_LIST: 'Y',
			EDIT_IN_LIST: 'Y',
			IS_SEARCHABLE: 'N',
			SETTINGS: field.USER_TYPE_ID === 'enumeration' ? { DISPLAY: 'LIST', LIST_HEIGHT: 1 } : {},
			EDIT_FORM_LABEL: { ru: field.label, en: field.label },
			LIST_COLUMN_LABEL: { ru: field.label, en: field.label },
		};
		if (field.LIST) {
			record.LIST = field.LIST.map((value, index) => ({
				ID: String(3150 + this.nextId('enum')),
				SORT: (index + 1) * 10,
				VALUE: value,
				DEF: 'N',
				XML_ID: `XML_${index + 1}`,
			}));
		}
		this.dealUserFields.push(record);
		return record;
	}

	addSmartProcessType(type: SmartProcessType): void {
		this.smartProcessTypes.set(type.entityTypeId, type);
		if (!this.items.has(type.entityTypeId)) this.items.set(type.entityTypeId, new Map());
	}

	// --- contacts -------------------------------------------------------------------------------

	addContact(fields: Fields, source: ChangeSource): number {
		const id = this.nextId('contact');
		const phones = Array.isArray(fields.PHONE) ? (fields.PHONE as Fields[]) : [];
		const emails = Array.isArray(fields.EMAIL) ? (fields.EMAIL as Fields[]) : [];
		let multiId = id * 10;
		const multi = (entries: Fields[], typeId: string) =>
			entries.map((entry) => ({
				ID: String(++multiId),
				VALUE_TYPE: String(entry.VALUE_TYPE ?? 'WORK'),
				VALUE: String(entry.VALUE ?? ''),
				TYPE_ID: typeId,
			}));
		const now = this.date();
		const record: Fields = {
			ID: String(id),
			HONORIFIC: null,
			NAME: String(fields.NAME ?? ''),
			SECOND_NAME: String(fields.SECOND_NAME ?? ''),
			LAST_NAME: String(fields.LAST_NAME ?? ''),
			PHOTO: null,
			BIRTHDATE: '',
			TYPE_ID: String(fields.TYPE_ID ?? 'CLIENT'),
			SOURCE_ID: String(fields.SOURCE_ID ?? 'STORE'),
			SOURCE_DESCRIPTION: null,
			POST: null,
			COMMENTS: null,
			OPENED: 'Y',
			EXPORT: 'Y',
			HAS_PHONE: phones.length ? 'Y' : 'N',
			HAS_EMAIL: emails.length ? 'Y' : 'N',
			HAS_IMOL: 'N',
			ASSIGNED_BY_ID: String(fields.ASSIGNED_BY_ID ?? source.userId),
			CREATED_BY_ID: String(source.userId),
			MODIFY_BY_ID: String(source.userId),
			DATE_CREATE: now,
			DATE_MODIFY: now,
			COMPANY_ID: null,
			LEAD_ID: null,
			ORIGINATOR_ID: null,
			ORIGIN_ID: null,
			ADDRESS: null,
			PHONE: multi(phones, 'PHONE'),
			EMAIL: multi(emails, 'EMAIL'),
		};
		for (const [key, value] of Object.entries(fields)) if (key.startsWith('UF_CRM_')) record[key] = value;
		this.contacts.set(id, record);
		this.versions.contacts++;
		this.emit({ type: 'contactAdd', id, source });
		return id;
	}

	getContact(id: number): Fields {
		const contact = this.contacts.get(id);
		if (!contact) throw notFound();
		return contact;
	}

	// --- deals ----------------------------------------------------------------------------------

	/** Creates a deal; `CONTACT_ID`/`CONTACT_IDS` bind contacts (the first is primary). */
	addDeal(fields: Fields, source: ChangeSource): number {
		const categoryId = Number(fields.CATEGORY_ID ?? 0);
		const stages = this.stages.get(categoryId);
		if (!stages) throw crmError(`Category with ID ${categoryId} is not found`);
		const stageId = String(fields.STAGE_ID ?? stages[0].STATUS_ID);
		const stage = stages.find((s) => s.STATUS_ID === stageId) ?? stages[0];
		const id = this.nextId('deal');
		const createdMs = typeof fields.__createdMs === 'number' ? fields.__createdMs : this.now();
		const created = this.date(createdMs);
		const semantic = stage.SEMANTICS ?? 'P';
		const assigned = String(fields.ASSIGNED_BY_ID ?? source.userId);
		const record: Fields = {
			ID: String(id),
			TITLE: String(fields.TITLE ?? `Deal #${id}`),
			TYPE_ID: String(fields.TYPE_ID ?? 'SALE'),
			STAGE_ID: stage.STATUS_ID,
			PROBABILITY: null,
			CURRENCY_ID: String(fields.CURRENCY_ID ?? 'RUB'),
			OPPORTUNITY: Number(fields.OPPORTUNITY ?? 0).toFixed(2),
			IS_MANUAL_OPPORTUNITY: 'N',
			TAX_VALUE: '0.00',
			LEAD_ID: null,
			COMPANY_ID: '0',
			CONTACT_ID: null,
			QUOTE_ID: null,
			BEGINDATE: created,
			CLOSEDATE: created,
			ASSIGNED_BY_ID: assigned,
			CREATED_BY_ID: String(source.userId),
			MODIFY_BY_ID: String(source.userId),
			DATE_CREATE: created,
			DATE_MODIFY: created,
			OPENED: 'Y',
			CLOSED: semantic === 'P' ? 'N' : 'Y',
			COMMENTS: fields.COMMENTS ?? null,
			ADDITIONAL_INFO: null,
			LOCATION_ID: null,
			CATEGORY_ID: String(categoryId),
			STAGE_SEMANTIC_ID: semantic,
			IS_NEW: semantic === 'P' && stage === stages[0] ? 'Y' : 'N',
			IS_RECURRING: 'N',
			IS_RETURN_CUSTOMER: 'N',
			IS_REPEATED_APPROACH: 'N',
			SOURCE_ID: String(fields.SOURCE_ID ?? 'STORE'),
			SOURCE_DESCRIPTION: null,
			ORIGINATOR_ID: null,
			ORIGIN_ID: null,
			MOVED_BY_ID: String(source.userId),
			MOVED_TIME: created,
			LAST_ACTIVITY_TIME: created,
			UTM_SOURCE: null,
			UTM_MEDIUM: null,
			UTM_CAMPAIGN: null,
			UTM_CONTENT: null,
			UTM_TERM: null,
			LAST_ACTIVITY_BY: String(source.userId),
		};
		for (const field of this.dealUserFields) {
			const value = fields[field.FIELD_NAME];
			record[field.FIELD_NAME] = value === undefined ? (field.MULTIPLE === 'Y' ? [] : null) : this.ufValue(field, value);
		}
		this.deals.set(id, record);
		this.versions.deals++;
		const contactIds = [
			...(fields.CONTACT_ID ? [Number(fields.CONTACT_ID)] : []),
			...(Array.isArray(fields.CONTACT_IDS) ? (fields.CONTACT_IDS as unknown[]).map(Number) : []),
		].filter((contactId, index, all) => contactId > 0 && all.indexOf(contactId) === index);
		this.setDealContacts(
			id,
			contactIds.map((contactId, index) => ({ CONTACT_ID: contactId, SORT: (index + 1) * 10, ROLE_ID: 0, IS_PRIMARY: index === 0 ? 'Y' : 'N' })),
		);
		this.recordStage(id, 1, categoryId, stage, createdMs);
		this.emit({ type: 'dealAdd', id, source });
		return id;
	}

	private ufValue(field: UserField, value: unknown): unknown {
		const one = (v: unknown) => {
			if (v === null || v === undefined || v === '') return field.USER_TYPE_ID === 'enumeration' ? null : v;
			if (field.USER_TYPE_ID === 'enumeration') {
				const item = field.LIST?.find((entry) => entry.ID === String(v));
				if (!item) throw crmError(`Value "${String(v)}" is not a list item of ${field.FIELD_NAME}`);
				return item.ID;
			}
			if (field.USER_TYPE_ID === 'boolean') return v === true || v === 'Y' || v === '1' || v === 1 ? '1' : '0';
			return String(v);
		};
		if (field.MULTIPLE === 'Y') return (Array.isArray(value) ? value : [value]).map(one).filter((v) => v !== null);
		return one(Array.isArray(value) ? value[0] : value);
	}

	getDeal(id: number): Fields {
		const deal = this.deals.get(id);
		if (!deal) throw notFound();
		return deal;
	}

	setDealContacts(dealId: number, bindings: ContactBinding[]): void {
		this.dealContacts.set(dealId, bindings);
		const deal = this.deals.get(dealId);
		const primary = bindings.find((b) => b.IS_PRIMARY === 'Y') ?? bindings[0];
		if (deal) deal.CONTACT_ID = primary ? String(primary.CONTACT_ID) : null;
	}

	private recordStage(dealId: number, typeId: 1 | 2 | 3 | 5, categoryId: number, stage: PortalStage, at = this.now()): void {
		this.stageHistory.push({
			ID: this.nextId('history'),
			TYPE_ID: typeId,
			OWNER_ID: dealId,
			CREATED_TIME: this.date(at),
			CATEGORY_ID: categoryId,
			STAGE_SEMANTIC_ID: stage.SEMANTICS ?? 'P',
			STAGE_ID: stage.STATUS_ID,
		});
	}

	/**
	 * crm.deal.update rules: only changed fields; a stage of another pipeline is silently ignored;
	 * CATEGORY_ID cannot change here. Returns whether anything changed.
	 */
	updateDeal(id: number, fields: Fields, source: ChangeSource): boolean {
		const deal = this.getDeal(id);
		const categoryId = Number(deal.CATEGORY_ID);
		let enteredStage: string | undefined;
		let changed = false;
		for (const [key, value] of Object.entries(fields)) {
			if (key === 'STAGE_ID') {
				const stage = (this.stages.get(categoryId) ?? []).find((s) => s.STATUS_ID === String(value));
				if (!stage || stage.STATUS_ID === deal.STAGE_ID) continue;
				this.applyStage(deal, stage, source);
				this.recordStage(id, stage.SEMANTICS ? 3 : 2, categoryId, stage);
				enteredStage = stage.STATUS_ID;
				changed = true;
				continue;
			}
			if (key === 'CATEGORY_ID' || key === 'ID' || key === 'STAGE_SEMANTIC_ID' || key === 'DATE_CREATE') continue;
			const field = this.dealUserFields.find((f) => f.FIELD_NAME === key);
			if (field) {
				deal[key] = this.ufValue(field, value);
				changed = true;
			} else if (key === 'CONTACT_ID' || key === 'CONTACT_IDS') {
				const ids = (Array.isArray(value) ? value : [value]).map(Number).filter((n) => n > 0);
				this.setDealContacts(id, ids.map((contactId, index) => ({ CONTACT_ID: contactId, SORT: (index + 1) * 10, ROLE_ID: 0, IS_PRIMARY: index === 0 ? 'Y' : 'N' })));
				changed = true;
			} else if (key in deal) {
				deal[key] = key === 'OPPORTUNITY' ? Number(value).toFixed(2) : value === null ? null : String(value);
				changed = true;
			}
		}
		if (changed) {
			deal.DATE_MODIFY = this.date();
			deal.MODIFY_BY_ID = String(source.userId);
			this.emit({ type: 'dealUpdate', id, source, enteredStage });
		}
		return changed;
	}

	private applyStage(deal: Fields, stage: PortalStage, source: ChangeSource): void {
		deal.STAGE_ID = stage.STATUS_ID;
		deal.STAGE_SEMANTIC_ID = stage.SEMANTICS ?? 'P';
		deal.CLOSED = stage.SEMANTICS ? 'Y' : 'N';
		deal.IS_NEW = 'N';
		deal.MOVED_TIME = this.date();
		deal.MOVED_BY_ID = String(source.userId);
		if (stage.SEMANTICS) deal.CLOSEDATE = this.date();
	}

	/** crm.item.update on a deal may change the pipeline (categoryId + stageId), unlike crm.deal.update. */
	moveDealToCategory(id: number, categoryId: number, stageId: string | undefined, source: ChangeSource): void {
		const deal = this.getDeal(id);
		const stages = this.stages.get(categoryId);
		if (!stages) throw new RestError('NOT_FOUND', `Category with ID ${categoryId} not found`);
		const stage = stageId ? stages.find((s) => s.STATUS_ID === stageId) : stages[0];
		if (!stage) throw new RestError('CRM_FIELD_ERROR_VALUE_NOT_VALID', `Stage ${stageId} does not belong to category ${categoryId}`);
		deal.CATEGORY_ID = String(categoryId);
		this.applyStage(deal, stage, source);
		deal.DATE_MODIFY = this.date();
		this.recordStage(id, 5, categoryId, stage);
		this.emit({ type: 'dealMoveCategory', id, source, categoryId, stageId: stage.STATUS_ID });
	}

	// --- smart-process items --------------------------------------------------------------------

	itemStore(entityTypeId: number): Map<number, Fields> {
		const store = this.items.get(entityTypeId);
		if (!store) throw new RestError('NOT_FOUND', 'Smart process not found');
		return store;
	}

	addItem(entityTypeId: number, fields: Fields, source: ChangeSource): Fields {
		const store = this.itemStore(entityTypeId);
		const id = this.nextId('item');
		const now = this.date();
		const item: Fields = {
			id,
			xmlId: null,
			title: fields.title ?? `Item #${id}`,
			createdBy: source.userId,
			updatedBy: source.userId,
			movedBy: source.userId,
			createdTime: now,
			updatedTime: now,
			movedTime: now,
			categoryId: fields.categoryId ?? null,
			opened: 'Y',
			stageId: fields.stageId ?? null,
			previousStageId: '',
			begindate: now,
			closedate: null,
			companyId: null,
			contactId: fields.contactId ?? null,
			opportunity: 0,
			isManualOpportunity: 'N',
			taxValue: 0,
			currencyId: 'RUB',
			mycompanyId: null,
			sourceId: null,
			sourceDescription: null,
			webformId: null,
			assignedById: fields.assignedById ?? source.userId,
			lastActivityBy: source.userId,
			lastActivityTime: now,
			parentId2: fields.parentId2 ?? null,
			entityTypeId,
		};
		for (const [key, value] of Object.entries(fields)) {
			if (key.startsWith('UF_CRM_') || key.startsWith('parentId')) item[key] = value;
		}
		store.set(id, item);
		this.emit({ type: 'itemAdd', entityTypeId, id, source });
		return item;
	}

	updateItem(entityTypeId: number, id: number, fields: Fields, source: ChangeSource): Fields {
		const item = this.itemStore(entityTypeId).get(id);
		if (!item) throw new RestError('NOT_FOUND', 'Element not found');
		let changed = false;
		for (const [key, value] of Object.entries(fields)) {
			if (key === 'id' || key === 'entityTypeId' || key === 'createdTime' || key === 'createdBy') continue;
			if (JSON.stringify(item[key]) !== JSON.stringify(value)) {
				item[key] = value;
				changed = true;
			}
		}
		if (changed) {
			item.updatedTime = this.date();
			item.updatedBy = source.userId;
			this.emit({ type: 'itemUpdate', entityTypeId, id, source });
		}
		return item;
	}

	// --- activities -----------------------------------------------------------------------------

	addTimelineComment(entityType: string, entityId: number, comment: string, authorId: number): number {
		const owner = entityType === 'deal' ? this.deals.get(entityId) : entityType === 'contact' ? this.contacts.get(entityId) : undefined;
		if (!owner) throw new RestError('OWNER_NOT_FOUND', 'The owner entity is not found');
		if (!comment.trim()) throw new RestError('INVALID_ARG_VALUE', 'Comment is empty');
		const id = this.nextId('comment');
		this.timelineComments.push({ ID: id, ENTITY_ID: entityId, ENTITY_TYPE: entityType, COMMENT: comment, AUTHOR_ID: authorId, CREATED: this.date() });
		return id;
	}

	addTask(fields: Fields, createdBy: number): Fields {
		const title = String(fields.TITLE ?? '').trim();
		const responsibleId = Number(fields.RESPONSIBLE_ID ?? 0);
		if (!title) throw new RestError('ERROR_CORE', 'Task name not specified (TITLE)');
		if (!this.users.has(responsibleId)) throw new RestError('ERROR_CORE', 'Responsible person not specified or not found (RESPONSIBLE_ID)');
		const id = this.nextId('task');
		const now = this.date();
		const task: Fields = {
			id: String(id),
			parentId: null,
			title,
			description: String(fields.DESCRIPTION ?? ''),
			mark: null,
			priority: String(fields.PRIORITY ?? '1'),
			multitask: 'N',
			notViewed: 'N',
			replicate: 'N',
			stageId: '0',
			createdBy: String(fields.CREATED_BY ?? createdBy),
			createdDate: now,
			responsibleId: String(responsibleId),
			changedBy: String(createdBy),
			changedDate: now,
			statusChangedBy: String(createdBy),
			closedBy: null,
			closedDate: null,
			activityDate: now,
			dateStart: null,
			deadline: fields.DEADLINE ?? null,
			startDatePlan: null,
			endDatePlan: null,
			guid: `{${id.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000}`,
			xmlId: null,
			commentsCount: null,
			taskControl: 'N',
			addInReport: 'N',
			groupId: String(fields.GROUP_ID ?? '0'),
			status: '2',
			subStatus: '2',
			auditors: (fields.AUDITORS as unknown[] | undefined)?.map(String) ?? [],
			accomplices: (fields.ACCOMPLICES as unknown[] | undefined)?.map(String) ?? [],
			ufCrmTask: Array.isArray(fields.UF_CRM_TASK) ? (fields.UF_CRM_TASK as unknown[]).map(String) : [],
		};
		this.tasks.set(id, task);
		return task;
	}

	addNotification(userId: number, message: string, from: number, tag?: string, subTag?: string): number {
		if (!userId) throw new RestError('USER_ID_EMPTY', 'Recipient ID not specified');
		if (!message) throw new RestError('MESSAGE_EMPTY', 'Message text not specified');
		if (tag) this.notifications = this.notifications.filter((n) => !(n.USER_ID === userId && n.TAG === tag));
		const id = this.nextId('notify');
		this.notifications.push({ id, USER_ID: userId, MESSAGE: message, TAG: tag, SUB_TAG: subTag, from });
		return id;
	}
}
