import {
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
	NodeOperationError,
} from 'n8n-workflow';

import { NpsAccumulator, type AggregateOptions, type AggregateResult, type GroupStats, type Period } from '../shared/survey/aggregate';
import { dashboardHtml } from '../shared/survey/dashboard';
import { timeZoneFor } from '../shared/survey/schedule';
import { languageOf } from '../shared/survey/template';
import { numericId } from '../shared/survey/token';
import { LANGUAGE_OPTIONS, SCALE_OPTIONS, text } from '../shared/n8n/surveyParameters';

const DEFAULT_ROW_FIELDS = JSON.stringify(
	{ title: 'title', nps: 'UF_CRM_NPS_VALUE', n: 'UF_CRM_NPS_ANSWERS', promoters: 'UF_CRM_NPS_PROMOTERS', passives: 'UF_CRM_NPS_PASSIVES', detractors: 'UF_CRM_NPS_DETRACTORS', margin95: 'UF_CRM_NPS_MARGIN', period: 'UF_CRM_NPS_PERIOD' },
	null,
	2,
);

function list(value: unknown): string[] {
	return text(value)
		.split(/[,;\n]+/)
		.map((part) => part.trim())
		.filter(Boolean);
}

/** Reads a dot path without building arrays per answer. */
function at(json: IDataObject, path: string): unknown {
	if (!path.includes('.')) return json[path];
	let value: unknown = json;
	for (const key of path.split('.')) {
		if (value === null || typeof value !== 'object') return undefined;
		value = (value as Record<string, unknown>)[key];
	}
	return value;
}

function round(value: number, digits = 1): number {
	const factor = 10 ** digits;
	return Math.round(value * factor) / factor;
}

/** One item per group: the table other nodes (Sheets, e-mail) read. */
function tableJson(stats: GroupStats): IDataObject {
	return {
		key: stats.key,
		...stats.group,
		...(stats.period ? { period: stats.period } : {}),
		n: stats.n,
		nps: round(stats.nps),
		margin95: round(stats.margin95),
		standardError: round(stats.standardError, 2),
		promoters: stats.promoters,
		passives: stats.passives,
		detractors: stats.detractors,
		promoterShare: round(stats.promoterShare * 100),
		passiveShare: round(stats.passiveShare * 100),
		detractorShare: round(stats.detractorShare * 100),
		mean: round(stats.mean, 2),
		thin: stats.thin,
		distribution: stats.distribution,
		...(stats.responseRate !== undefined ? { responseRate: round(stats.responseRate * 100) } : {}),
		...(stats.vsTotal ? { vsTotal: { difference: round(stats.vsTotal.difference), significant: stats.vsTotal.significant } } : {}),
		...(stats.vsPrevious ? { vsPrevious: { period: stats.vsPrevious.period, difference: round(stats.vsPrevious.difference), significant: stats.vsPrevious.significant } } : {}),
	};
}

export class NpsAggregate implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'NPS Aggregate',
		name: 'npsAggregate',
		icon: { light: 'file:../../icons/nps.svg', dark: 'file:../../icons/nps.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["output"] }}',
		description: 'NPS with its margin of error by company, branch, employee and period: a table, Bitrix24 rows for BI Builder, or a dashboard page',
		defaults: { name: 'NPS Aggregate' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [
			{
				displayName: 'Output',
				name: 'output',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Table', value: 'table', description: 'One item per group (and the total first)' },
					{ name: 'Bitrix24 Rows', value: 'rows', description: 'One row per group and period, for Bitrix24 → Smart Process → Upsert (BI Builder charts them)' },
					{ name: 'Dashboard Page', value: 'dashboard', description: 'One item with a self-contained HTML page, for Respond to Webhook' },
				],
				default: 'table',
			},
			{ displayName: 'Score Field', name: 'scoreField', type: 'string', default: 'score', description: 'Field (dot path allowed) holding the 0–10 score of each answer' },
			{ displayName: 'Time Field', name: 'timeField', type: 'string', default: 'answeredAt', description: 'Field holding when the answer was given (ISO date), for periods' },
			{
				displayName: 'Group By',
				name: 'groupBy',
				type: 'string',
				default: 'branch.name',
				displayOptions: { show: { output: ['table', 'rows'] } },
				description: 'Comma-separated fields (dot paths allowed), e.g. branch.name, employee. Empty: the total only.',
			},
			{
				displayName: 'Period',
				name: 'period',
				type: 'options',
				options: [
					{ name: 'Day', value: 'day' },
					{ name: 'ISO Week', value: 'isoWeek' },
					{ name: 'Month', value: 'month' },
					{ name: 'None', value: 'none' },
					{ name: 'Quarter', value: 'quarter' },
				],
				default: 'month',
				displayOptions: { show: { output: ['table', 'rows'] } },
			},
			{ displayName: 'Time Zone', name: 'timeZone', type: 'string', default: 'Europe/Moscow', description: 'Where a day and a month begin: an IANA name or a city' },
			{
				displayName: 'Scale',
				name: 'scale',
				type: 'options',
				options: SCALE_OPTIONS,
				default: 0,
			},
			{ displayName: 'Promoter From', name: 'promoterFrom', type: 'number', default: 9 },
			{ displayName: 'Detractor Up To', name: 'detractorTo', type: 'number', default: 6 },
			{ displayName: 'Thin Sample Below', name: 'thinSample', type: 'number', typeOptions: { minValue: 1 }, default: 30, description: 'Groups with fewer answers are flagged: their NPS moves a lot by chance' },
			{
				displayName: 'Surveys Sent (JSON)',
				name: 'surveysSent',
				type: 'json',
				default: '{}',
				description: 'Optional, for the response rate: surveys sent per group key (as in the output "key"), and "*" for all',
			},
			{
				displayName: 'Row Fields (JSON)',
				name: 'rowFields',
				type: 'json',
				default: DEFAULT_ROW_FIELDS,
				displayOptions: { show: { output: ['rows'] } },
				description: 'Which smart-process field gets which figure (keys: title, key, period, n, nps, margin95, standardError, promoters, passives, detractors, responseRate, mean, and the group fields)',
			},
			{ displayName: 'Branch Field', name: 'branchField', type: 'string', default: 'branch.name', displayOptions: { show: { output: ['dashboard'] } } },
			{ displayName: 'Employee Field', name: 'employeeField', type: 'string', default: 'employee', displayOptions: { show: { output: ['dashboard'] } } },
			{ displayName: 'Comment Field', name: 'commentField', type: 'string', default: 'comment', displayOptions: { show: { output: ['dashboard'] } } },
			{ displayName: 'Deal ID Field', name: 'dealField', type: 'string', default: 'dealId', displayOptions: { show: { output: ['dashboard'] } } },
			{
				displayName: 'Bitrix24 Portal URL',
				name: 'portalUrl',
				type: 'string',
				default: '',
				placeholder: 'https://company.bitrix24.ru',
				displayOptions: { show: { output: ['dashboard'] } },
				description: 'Detractor comments link to their deal card here',
			},
			{
				displayName: 'Language',
				name: 'language',
				type: 'options',
				options: LANGUAGE_OPTIONS,
				default: 'ru',
				displayOptions: { show: { output: ['dashboard'] } },
			},
			{ displayName: 'Company Name', name: 'company', type: 'string', default: '', displayOptions: { show: { output: ['dashboard'] } } },
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const output = this.getNodeParameter('output', 0) as 'table' | 'rows' | 'dashboard';
		const scoreField = text(this.getNodeParameter('scoreField', 0, 'score')) || 'score';
		const timeField = text(this.getNodeParameter('timeField', 0, 'answeredAt'));
		let timeZone: string;
		try {
			timeZone = timeZoneFor(this.getNodeParameter('timeZone', 0, 'Europe/Moscow'), 'Europe/Moscow');
		} catch (error) {
			throw new NodeOperationError(this.getNode(), error instanceof Error ? error.message : String(error));
		}
		const surveysSentRaw = this.getNodeParameter('surveysSent', 0, '{}');
		let surveysSent: Record<string, number> | undefined;
		try {
			const parsed = typeof surveysSentRaw === 'string' ? (JSON.parse(surveysSentRaw || '{}') as unknown) : surveysSentRaw;
			if (parsed && typeof parsed === 'object' && Object.keys(parsed).length > 0) surveysSent = parsed as Record<string, number>;
		} catch {
			throw new NodeOperationError(this.getNode(), 'Surveys Sent (JSON) is not valid JSON');
		}
		const base: Omit<AggregateOptions, 'groupBy' | 'period'> = {
			timeZone,
			scale: { min: Number(this.getNodeParameter('scale', 0, 0)) === 1 ? 1 : 0, max: 10 },
			promoterFrom: Number(this.getNodeParameter('promoterFrom', 0, 9)),
			detractorTo: Number(this.getNodeParameter('detractorTo', 0, 6)),
			thinSample: Number(this.getNodeParameter('thinSample', 0, 30)),
			surveysSent,
		};
		const answerOf = (json: IDataObject) => ({ score: at(json, scoreField), at: timeField ? at(json, timeField) : undefined, fields: json });
		// The survey page sends the comment as a second item repeating the score: count the answer once.
		const isAnswer = (json: IDataObject) => json.step !== 'comment';

		if (output !== 'dashboard') {
			const groupBy = list(this.getNodeParameter('groupBy', 0, ''));
			const period = this.getNodeParameter('period', 0, 'month') as Period;
			const accumulator = new NpsAccumulator({ ...base, groupBy, period });
			for (const item of items) if (isAnswer(item.json)) accumulator.add(answerOf(item.json));
			const result = accumulator.result();
			const all = [result.total, ...result.totalsByPeriod, ...result.groups];
			const skipped = { skipped: result.skipped.count, skippedReasons: result.skipped.reasons };
			if (output === 'table') {
				// Each figure comes from many answers; pairing every one would cost more memory than the
				// figures themselves (200,000 answers), so results pair with the first answer.
				return [all.map((stats, i) => ({ json: { ...tableJson(stats), ...(i === 0 ? skipped : {}) }, pairedItem: { item: 0 } }))];
			}
			let mapping: Record<string, string>;
			try {
				const raw = this.getNodeParameter('rowFields', 0, DEFAULT_ROW_FIELDS);
				mapping = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Record<string, string>;
			} catch {
				throw new NodeOperationError(this.getNode(), 'Row Fields (JSON) is not valid JSON');
			}
			return [
				all.map((stats) => {
					const figures = tableJson(stats);
					const title = `NPS ${Object.values(stats.group).join(' · ') || 'all'}${stats.period ? ` ${stats.period}` : ''}`;
					const fields: IDataObject = {};
					for (const [name, field] of Object.entries(mapping)) {
						const value = name === 'title' ? title : figures[name];
						if (field && value !== undefined && typeof value !== 'object') fields[field] = value;
					}
					return {
						json: { rowKey: stats.key || '*', rowNumber: numericId(`nps-row:${stats.key || '*'}`), title, fields, ...skipped },
						pairedItem: { item: 0 },
					};
				}),
			];
		}

		const branchField = text(this.getNodeParameter('branchField', 0, 'branch.name')) || 'branch.name';
		const employeeField = text(this.getNodeParameter('employeeField', 0, 'employee')) || 'employee';
		const commentField = text(this.getNodeParameter('commentField', 0, 'comment')) || 'comment';
		const dealField = text(this.getNodeParameter('dealField', 0, 'dealId')) || 'dealId';
		const byBranch = new NpsAccumulator({ ...base, groupBy: [branchField], period: 'none' });
		const byBranchMonth = new NpsAccumulator({ ...base, groupBy: [branchField], period: 'month' });
		const byEmployee = new NpsAccumulator({ ...base, groupBy: [employeeField], period: 'none' });
		// The latest detractor comments, kept bounded while streaming.
		const comments: Array<{ dealId: number; score: number; comment: string; branch?: string; at?: string; time: number }> = [];
		for (const item of items) {
			const answer = answerOf(item.json);
			if (isAnswer(item.json)) {
				byBranch.add(answer);
				byBranchMonth.add(answer);
				byEmployee.add(answer);
			}
			const comment = text(at(item.json, commentField));
			// Only a real score: Number('') and Number(null) are 0, which is no detractor.
			const rawScore = answer.score;
			const score = typeof rawScore === 'number' ? rawScore : /^\s*\d+\s*$/.test(String(rawScore ?? '')) ? Number(rawScore) : Number.NaN;
			if (comment && Number.isFinite(score) && score <= base.detractorTo) {
				const time = Date.parse(text(answer.at)) || 0;
				if (comments.length < 20 || time > comments[comments.length - 1].time) {
					comments.push({ dealId: Number(at(item.json, dealField)) || 0, score, comment: comment.slice(0, 1000), branch: text(at(item.json, branchField)) || undefined, at: text(answer.at) || undefined, time });
					comments.sort((a, b) => b.time - a.time);
					if (comments.length > 20) comments.pop();
				}
			}
		}
		const portalUrl = text(this.getNodeParameter('portalUrl', 0, ''));
		const results: Record<string, AggregateResult> = { byBranch: byBranch.result(), byBranchMonth: byBranchMonth.result(), byEmployee: byEmployee.result() };
		const html = dashboardHtml({
			language: languageOf(this.getNodeParameter('language', 0, 'ru'), 'ru'),
			company: text(this.getNodeParameter('company', 0, '')) || undefined,
			scale: base.scale,
			thresholds: { promoterFrom: base.promoterFrom, detractorTo: base.detractorTo },
			byBranch: results.byBranch,
			byBranchMonth: results.byBranchMonth,
			byEmployee: results.byEmployee,
			branchField,
			employeeField,
			detractorComments: comments.map((c) => ({ dealId: c.dealId, score: c.score, comment: c.comment, branch: c.branch, at: c.at })),
			portalUrl: /^https:\/\//i.test(portalUrl) ? portalUrl : undefined,
			generatedAt: new Date().toISOString(),
		});
		return [
			[
				{
					json: { html, total: tableJson(results.byBranch.total), skipped: results.byBranch.skipped.count, skippedReasons: results.byBranch.skipped.reasons },
					pairedItem: { item: 0 },
				},
			],
		];
	}
}
