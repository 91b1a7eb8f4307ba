/**
 * Deterministic seed data for the sandbox portal, shaped like the case studies: a chain of shops
 * in several cities, each branch a department with a manager and staff, the branch kept on the
 * deal as a list (enumeration) field, a sales pipeline, a service pipeline with "close work
 * order" / "quality check" / "confirm review" stages, an "Unhappy customers" pipeline, contacts
 * with phones written the many ways people write them, and deals spread over recent months.
 */

import type { Portal, PortalStage } from './portal';

export interface SeedOptions {
	/** How many deals (default 60). */
	deals?: number;
	/** How many contacts (default: one per deal, at most 5,000 unless given). */
	contacts?: number;
	/** PRNG seed (default 42). */
	seed?: number;
	/** Deals are spread over this many days back from now (default 120). */
	daysBack?: number;
	/** Share of deals closed as won (default 0.6); the rest are in progress or lost. */
	wonShare?: number;
}

export interface SeedBranch {
	/** The list item ID stored in the deal's branch field. */
	id: string;
	name: string;
	city: string;
	address: string;
	timeZone: string;
	language: 'ru' | 'uk' | 'kk' | 'en';
	departmentId: number;
	managerId: number;
	employeeIds: number[];
}

export interface SeedSummary {
	adminUserId: number;
	branches: SeedBranch[];
	branchField: string;
	pipelines: { sales: number; service: number; unhappy: number };
	stages: {
		won: string;
		lost: string;
		serviceCloseWorkOrder: string;
		serviceQualityCheck: string;
		serviceReviewConfirm: string;
		serviceWon: string;
		unhappyNew: string;
		unhappyInvestigation: string;
	};
	npsSmartProcess: { entityTypeId: number; id: number };
	dealIds: number[];
	contactIds: number[];
}

/** A small seeded PRNG (mulberry32): the same seed, the same portal, faults and storms. */
export function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const BRANCHES: Array<Omit<SeedBranch, 'id' | 'departmentId' | 'managerId' | 'employeeIds'>> = [
	{ name: 'Москва, Тверская', city: 'Москва', address: 'ул. Тверская, 12', timeZone: 'Europe/Moscow', language: 'ru' },
	{ name: 'Москва, Ленинский', city: 'Москва', address: 'Ленинский пр-т, 45', timeZone: 'Europe/Moscow', language: 'ru' },
	{ name: 'Казань, Победы', city: 'Казань', address: 'пр-т Победы, 100', timeZone: 'Europe/Moscow', language: 'ru' },
	{ name: 'Екатеринбург, Малышева', city: 'Екатеринбург', address: 'ул. Малышева, 51', timeZone: 'Asia/Yekaterinburg', language: 'ru' },
	{ name: 'Київ, Хрещатик', city: 'Київ', address: 'вул. Хрещатик, 22', timeZone: 'Europe/Kyiv', language: 'uk' },
	{ name: 'Алматы, Абая', city: 'Алматы', address: 'пр. Абая, 150', timeZone: 'Asia/Almaty', language: 'ru' },
];

const FIRST_NAMES = ['Анна', 'Иван', 'Мария', 'Дмитрий', 'Елена', 'Алексей', 'Ольга', 'Сергей', 'Наталья', 'Андрей', 'Татьяна', 'Михаил', 'Юлия', 'Олександр', 'Оксана', 'Айгерим', 'Ержан', 'Василь'];
const LAST_NAMES = ['Иванов', 'Петров', 'Смирнов', 'Кузнецов', 'Попов', 'Соколов', 'Лебедев', 'Козлов', 'Новиков', 'Морозов', 'Шевченко', 'Бондаренко', 'Ахметов', 'Сулейменов', 'Волков', 'Зайцев'];
const DEAL_TITLES = ['Покупка аккумулятора', 'Замена аккумулятора', 'Шиномонтаж', 'Сезонная замена шин', 'Диагностика', 'Хранение шин'];

const STAGE_COLORS = { process: '#39A8EF', success: '#7BD500', failure: '#FF5752' };

function stage(STATUS_ID: string, NAME: string, SORT: number, SEMANTICS: 'S' | 'F' | null = null): Omit<PortalStage, 'CATEGORY_ID'> {
	return { STATUS_ID, NAME, SORT, SEMANTICS, COLOR: SEMANTICS === 'S' ? STAGE_COLORS.success : SEMANTICS === 'F' ? STAGE_COLORS.failure : STAGE_COLORS.process };
}

function femaleSurname(surname: string): string {
	if (/(ов|ев|ин)$/.test(surname)) return `${surname}а`;
	return surname;
}

export function seedPortal(portal: Portal, options: SeedOptions = {}): SeedSummary {
	const random = mulberry32(options.seed ?? 42);
	const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
	const dealCount = options.deals ?? 60;
	const contactCount = options.contacts ?? Math.min(dealCount, 5000);

	const admin = portal.addUser({ ID: '1', NAME: 'Администратор', LAST_NAME: 'Портала', EMAIL: 'admin@sandbox.bitrix24.test', IS_ADMIN: true, WORK_POSITION: 'Администратор', UF_DEPARTMENT: [1] });
	portal.departments.set(1, { ID: '1', NAME: 'Компания', SORT: 100, UF_HEAD: admin.ID });

	const branchField = portal.addDealUserField({ FIELD_NAME: 'UF_CRM_1700000000001', USER_TYPE_ID: 'enumeration', label: 'Филиал', LIST: BRANCHES.map((b) => b.name) });
	portal.addDealUserField({ FIELD_NAME: 'UF_CRM_1700000000002', USER_TYPE_ID: 'string', label: 'NPS: статус опроса' });

	const branches: SeedBranch[] = BRANCHES.map((branch, index) => {
		const departmentId = 10 + index;
		const people = [0, 1, 2].map((n) => {
			const female = random() < 0.5;
			const surname = pick(LAST_NAMES);
			return portal.addUser({
				NAME: female ? pick(['Анна', 'Мария', 'Елена', 'Ольга', 'Наталья', 'Юлия']) : pick(['Иван', 'Дмитрий', 'Алексей', 'Сергей', 'Андрей', 'Михаил']),
				LAST_NAME: female ? femaleSurname(surname) : surname,
				WORK_POSITION: n === 0 ? 'Руководитель филиала' : 'Продавец-консультант',
				EMAIL: `user${departmentId}${n}@sandbox.bitrix24.test`,
				PERSONAL_MOBILE: `+7 900 ${String(100 + departmentId).padStart(3, '0')}-${n}0-0${n}`,
				UF_DEPARTMENT: [departmentId],
				TIME_ZONE: branch.timeZone,
			});
		});
		portal.departments.set(departmentId, { ID: String(departmentId), NAME: `Филиал ${branch.name}`, SORT: 500 + index, PARENT: '1', UF_HEAD: people[0].ID });
		return {
			...branch,
			id: (branchField.LIST ?? [])[index].ID,
			departmentId,
			managerId: Number(people[0].ID),
			employeeIds: people.map((p) => Number(p.ID)),
		};
	});

	portal.addCategory({ id: 0, name: 'Продажи', sort: 100 }, [
		stage('NEW', 'Новая', 10),
		stage('PREPARATION', 'Подготовка', 20),
		stage('PREPAYMENT_INVOICE', 'Счёт на предоплату', 30),
		stage('EXECUTING', 'В работе', 40),
		stage('FINAL_INVOICE', 'Финальный счёт', 50),
		stage('WON', 'Сделка успешна', 60, 'S'),
		stage('LOSE', 'Сделка провалена', 70, 'F'),
		stage('APOLOGY', 'Анализ причины провала', 80, 'F'),
	]);
	// Stage codes are cut at 21 characters by the portal: "C1:CLOSE_WORK_ORDER_QUALITY" → "C1:CLOSE_WORK_ORDER_Q".
	portal.addCategory({ id: 1, name: 'Сервис', sort: 200 }, [
		stage('C1:NEW', 'Запись', 10),
		stage('C1:IN_WORK', 'В работе', 20),
		stage('C1:CLOSE_WORK_ORDER_QUALITY', 'Закрыть заказ-наряд', 30),
		stage('C1:QUALITY_CHECK', 'Оценка качества', 40),
		stage('C1:REVIEW_CONFIRM', 'Подтверждение наличия отзыва', 50),
		stage('C1:WON', 'Завершено', 60, 'S'),
		stage('C1:LOSE', 'Отказ', 70, 'F'),
	]);
	portal.addCategory({ id: 2, name: 'Недовольные клиенты', sort: 300 }, [
		stage('C2:NEW', 'Новая жалоба', 10),
		stage('C2:INVESTIGATION', 'Разбор', 20),
		stage('C2:WON', 'Урегулировано', 30, 'S'),
		stage('C2:LOSE', 'Не урегулировано', 40, 'F'),
	]);

	portal.addSmartProcessType({ id: 7, entityTypeId: 1032, title: 'NPS ответы', code: 'nps_answers', isCategoriesEnabled: 'N', isStagesEnabled: 'N', isClientEnabled: 'Y', relations: { parent: [{ entityTypeId: 2 }] },
		userFields: [
			{ name: 'UF_CRM_7_NPS_SCORE', type: 'integer', title: 'Оценка NPS' },
			{ name: 'UF_CRM_7_NPS_CATEGORY', type: 'string', title: 'Категория NPS' },
			{ name: 'UF_CRM_7_COMMENT', type: 'string', title: 'Комментарий клиента' },
			{ name: 'UF_CRM_7_BRANCH', type: 'string', title: 'Филиал' },
			{ name: 'UF_CRM_7_CHANNEL', type: 'string', title: 'Канал' },
			{ name: 'UF_CRM_7_DEAL_ID', type: 'integer', title: 'ID сделки' },
			{ name: 'UF_CRM_7_CITY', type: 'string', title: 'Город' },
			{ name: 'UF_CRM_7_EMPLOYEE', type: 'string', title: 'Сотрудник' },
			{ name: 'UF_CRM_7_ANSWERED_AT', type: 'datetime', title: 'Время ответа' },
		],
	});

	const realNow = portal.now;
	const nowMs = realNow();
	const daysBack = options.daysBack ?? 120;
	const contactIds: number[] = [];
	const dealIds: number[] = [];
	try {
		for (let i = 0; i < contactCount; i++) {
			const female = random() < 0.5;
			const surname = pick(LAST_NAMES);
			const digits = () => String(Math.floor(random() * 1e7)).padStart(7, '0');
			const roll = random();
			const phone =
				roll < 0.3 ? `8 (9${Math.floor(random() * 90 + 10)}) ${digits().slice(0, 3)}-${digits().slice(0, 2)}-${digits().slice(0, 2)}`
				: roll < 0.6 ? `+7 9${Math.floor(random() * 90 + 10)} ${digits()}`
				: roll < 0.72 ? `+380 67 ${digits()}`
				: roll < 0.82 ? `+7 (701) ${digits().slice(0, 3)}-${digits().slice(0, 2)}-${digits().slice(0, 2)}`
				: roll < 0.88 ? `+375 29 ${digits().slice(0, 3)}-${digits().slice(0, 2)}-${digits().slice(0, 2)}`
				: roll < 0.94 ? `89${Math.floor(random() * 90 + 10)}${digits()}`
				: '';
			const hasEmail = random() < 0.55;
			portal.now = () => nowMs - Math.floor(random() * daysBack) * 86400_000 - 86400_000;
			const id = portal.addContact(
				{
					NAME: female ? pick(['Анна', 'Мария', 'Елена', 'Ольга', 'Оксана', 'Айгерим']) : pick(FIRST_NAMES.filter((n) => !['Анна', 'Мария', 'Елена', 'Ольга', 'Наталья', 'Татьяна', 'Юлия', 'Оксана', 'Айгерим'].includes(n))),
					LAST_NAME: female ? femaleSurname(surname) : surname,
					PHONE: phone ? [{ VALUE: phone, VALUE_TYPE: random() < 0.8 ? 'MOBILE' : 'WORK' }] : [],
					EMAIL: hasEmail ? [{ VALUE: `client${i + 1}@example.com`, VALUE_TYPE: 'HOME' }] : [],
				},
				{ userId: Number(admin.ID), via: 'ui' },
			);
			contactIds.push(id);
		}

		const wonShare = options.wonShare ?? 0.6;
		for (let i = 0; i < dealCount; i++) {
			const branch = pick(branches);
			const service = random() < 0.3;
			const assigned = pick(branch.employeeIds);
			const createdMs = nowMs - Math.floor(random() * daysBack * 86400_000) - 3600_000;
			const movedMs = Math.min(nowMs - 60_000, createdMs + Math.floor(random() * 3 * 86400_000));
			portal.now = () => createdMs;
			const id = portal.addDeal(
				{
					TITLE: `${pick(DEAL_TITLES)} #${i + 1}`,
					CATEGORY_ID: service ? 1 : 0,
					ASSIGNED_BY_ID: assigned,
					OPPORTUNITY: Math.round(2000 + random() * 18000),
					CONTACT_ID: contactIds.length ? contactIds[i % contactIds.length] : undefined,
					UF_CRM_1700000000001: branch.id,
					SOURCE_ID: pick(['STORE', 'CALL', 'WEB']),
				},
				{ userId: assigned, via: 'ui' },
			);
			const roll = random();
			const finalStage = roll < wonShare ? (service ? 'C1:WON' : 'WON') : roll < wonShare + 0.15 ? (service ? 'C1:LOSE' : 'LOSE') : service ? 'C1:IN_WORK' : 'EXECUTING';
			portal.now = () => movedMs;
			portal.updateDeal(id, { STAGE_ID: finalStage }, { userId: assigned, via: 'ui' });
			dealIds.push(id);
		}
	} finally {
		portal.now = realNow;
	}

	return {
		adminUserId: Number(admin.ID),
		branches,
		branchField: branchField.FIELD_NAME,
		pipelines: { sales: 0, service: 1, unhappy: 2 },
		stages: {
			won: 'WON',
			lost: 'LOSE',
			serviceCloseWorkOrder: 'C1:CLOSE_WORK_ORDER_Q',
			serviceQualityCheck: 'C1:QUALITY_CHECK',
			serviceReviewConfirm: 'C1:REVIEW_CONFIRM',
			serviceWon: 'C1:WON',
			unhappyNew: 'C2:NEW',
			unhappyInvestigation: 'C2:INVESTIGATION',
		},
		npsSmartProcess: { entityTypeId: 1032, id: 7 },
		dealIds,
		contactIds,
	};
}
