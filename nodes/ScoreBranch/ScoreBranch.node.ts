import {
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
	NodeOperationError,
} from 'n8n-workflow';

import { toNodeError } from '../shared/n8n/errors';
import {
	categorize,
	combineScores,
	parseScore,
	PRESETS,
	SCALES,
	scaleText,
	validateThresholds,
	type Category,
	type Rounding,
	type Scale,
	type Thresholds,
} from '../shared/survey/score';

/** Output order: promoter, passive, detractor, invalid. */
const OUTPUT: Record<Category, number> = { promoter: 0, passive: 1, detractor: 2, invalid: 3 };

type Preset = keyof typeof PRESETS | 'custom';

interface ItemConfig {
	scale: Scale;
	thresholds: Thresholds;
	rounding: Rounding;
	outputField: string;
	ignoreEmptyExtra: boolean;
}

const properties: INodeProperties[] = [
	{
		displayName: 'Scale',
		name: 'scale',
		type: 'options',
		options: [
			{ name: '0–10', value: '0-10', description: 'The standard NPS question: 0 = not at all likely, 10 = extremely likely' },
			{ name: '1–10', value: '1-10', description: 'A 1–10 survey: 0 is refused as out of range' },
		],
		default: '0-10',
		description: 'The scale the customer was asked to answer on. A score outside it goes to Invalid.',
	},
	{
		displayName: 'Preset',
		name: 'preset',
		type: 'options',
		options: [
			{ name: 'Custom', value: 'custom', description: 'Set where promoters start and detractors end yourself' },
			{
				name: 'Review Request at ≥ 8 (Two-Way)',
				value: 'reviewAt8',
				description: '8–10 go to Promoter (asked for a review), 7 and below to Detractor; Passive stays empty',
			},
			{
				name: 'Review Request at ≥ 9 (Two-Way)',
				value: 'reviewAt9',
				description: '9–10 go to Promoter (asked for a review), 8 and below to Detractor; Passive stays empty',
			},
			{ name: 'Standard NPS (9–10 / 7–8 / 0–6)', value: 'standard', description: 'Promoters 9–10, passives 7–8, detractors 0–6 (1–6 on a 1–10 scale)' },
		],
		default: 'standard',
		description: 'Which scores count as promoter, passive and detractor',
	},
	{
		displayName: 'With a two-way preset every valid answer goes to Promoter or Detractor: the Passive output stays empty.',
		name: 'twoWayNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { preset: ['reviewAt8', 'reviewAt9'] } },
	},
	{
		displayName: 'Promoter From',
		name: 'promoterFrom',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 10 },
		default: 9,
		displayOptions: { show: { preset: ['custom'] } },
		description: 'The lowest score that counts as a promoter (this score and above)',
	},
	{
		displayName: 'Detractor Up To',
		name: 'detractorTo',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 9 },
		default: 6,
		displayOptions: { show: { preset: ['custom'] } },
		description: 'The highest score that counts as a detractor (this score and below). Scores between this and Promoter From are passive; set it to Promoter From − 1 for no passives.',
	},
	{
		displayName: 'Score',
		name: 'score',
		type: 'string',
		default: '={{ $json.score }}',
		required: true,
		description: 'The customer\'s answer: a number, or text as typed in a chat ("9", "9/10", "ставлю 10", "дев\'ять"). Text that does not give one clear score goes to Invalid with the reason.',
		hint: 'An expression giving a list, like {{ [$json.q1, $json.q2] }}, averages the answers',
	},
	{
		displayName: 'Additional Scores',
		name: 'additionalScores',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Score',
		default: {},
		description: 'Answers to further questions, averaged with Score (for a survey that asks two or more questions)',
		options: [
			{
				name: 'scores',
				displayName: 'Score',
				values: [
					{
						displayName: 'Score',
						name: 'score',
						type: 'string',
						default: '',
						description: 'Another answer, usually an expression pointing at the second question\'s field; an expression giving a list adds every answer in it',
						hint: 'For example {{ $json.score2 }}',
					},
				],
			},
		],
	},
	{
		displayName: 'Rounding of the Average',
		name: 'rounding',
		type: 'options',
		options: [
			{ name: 'Floor', value: 'floor', description: 'Down to a whole number: 8.5 → 8' },
			{ name: 'Half Up', value: 'half-up', description: 'To the nearest whole number, halves up: 8.5 → 9, 8.4 → 8' },
			{
				name: 'Keep Decimals',
				value: 'none',
				description: 'No rounding: the category is decided on the exact average (8.5 is passive in standard NPS)',
			},
		],
		default: 'half-up',
		description: 'How an average of several answers becomes the score. Only matters when there is more than one answer.',
	},
	{
		displayName: 'Output Field',
		name: 'outputField',
		type: 'string',
		default: 'nps',
		required: true,
		description: 'Name of the field the result is added under: category, score, scores, scale and thresholds; for an invalid answer category, reason and the original answer',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Ignore Unanswered Extra Questions',
				name: 'ignoreEmptyExtra',
				type: 'boolean',
				default: false,
				description: 'Whether an empty answer to an additional question is left out of the average. Off: any empty answer makes the item invalid. The first Score must always be answered.',
			},
		],
	},
];

function scaleOf(value: unknown): Scale | undefined {
	const text = String(value ?? '').replace(/\s|–|—/g, '-').replace(/-+/g, '-');
	if (text === '0-10' || text === '0') return SCALES['0-10'];
	if (text === '1-10' || text === '1') return SCALES['1-10'];
	return undefined;
}

/** The Output Field for an item whose settings failed (falls back to 'nps'). */
function outputFieldOr(ctx: IExecuteFunctions, index: number): string {
	try {
		return String(ctx.getNodeParameter('outputField', index, 'nps') ?? '').trim() || 'nps';
	} catch {
		return 'nps';
	}
}

function isEmpty(value: unknown): boolean {
	return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** The answer as it can be stored in an item (n8n items are JSON). */
function jsonable(value: unknown): unknown {
	if (value === undefined) return null;
	if (typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function') return String(value);
	return value;
}

// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool -- a router: as a tool n8n would return only the first output (Promoter), losing every other answer
export class ScoreBranch implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Score Branch',
		name: 'scoreBranch',
		icon: { light: 'file:../../icons/nps.svg', dark: 'file:../../icons/nps.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ {"standard": "Standard NPS", "reviewAt9": "Review at ≥ 9", "reviewAt8": "Review at ≥ 8", "custom": "Custom thresholds"}[$parameter["preset"]] }}',
		description: 'Send each NPS answer to Promoter, Passive, Detractor or Invalid; reads scores typed in chats and averages several questions',
		defaults: { name: 'Score Branch' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Promoter', 'Passive', 'Detractor', 'Invalid'],
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const outputs: INodeExecutionData[][] = [[], [], [], []];

		// 1. Settings of every item first: wrong thresholds stop the run before any item is routed.
		const configs: Array<ItemConfig | string> = [];
		for (let index = 0; index < items.length; index++) {
			try {
				configs.push(readConfig(this, index));
			} catch (error) {
				if (!this.continueOnFail()) throw toNodeError(this.getNode(), error, { itemIndex: index });
				configs.push(error instanceof Error ? error.message : String(error));
			}
		}

		// 2. Route. Reading the answer never throws; only an expression error can, and it names the item.
		for (let index = 0; index < items.length; index++) {
			const item = items[index];
			const config = configs[index];
			const route = (category: Category, json: IDataObject) =>
				outputs[OUTPUT[category]].push({ json, ...(item.binary ? { binary: item.binary } : {}), pairedItem: { item: index } });
			if (typeof config === 'string') {
				// Continue On Fail: a bad setting for this item is shown on Invalid, not lost.
				route('invalid', { ...item.json, error: config, [outputFieldOr(this, index)]: { category: 'invalid', reason: config, original: null } });
				continue;
			}
			let answers: unknown[];
			try {
				answers = readAnswers(this, index, config);
			} catch (error) {
				if (!this.continueOnFail()) throw toNodeError(this.getNode(), error, { itemIndex: index });
				const reason = error instanceof Error ? error.message : String(error);
				route('invalid', { ...item.json, error: reason, [config.outputField]: { category: 'invalid', reason, original: null } });
				continue;
			}
			const result = score(answers, config);
			route(result.category as Category, { ...item.json, [config.outputField]: result });
		}
		return outputs;
	}
}

function readConfig(ctx: IExecuteFunctions, index: number): ItemConfig {
	const node = ctx.getNode();
	const rawScale = ctx.getNodeParameter('scale', index, '0-10');
	const scale = scaleOf(rawScale);
	if (!scale) throw new NodeOperationError(node, `Scale must be 0–10 or 1–10 (got "${String(rawScale)}")`, { itemIndex: index });

	const preset = ctx.getNodeParameter('preset', index, 'standard') as Preset;
	let thresholds: Thresholds;
	if (preset === 'custom') {
		thresholds = {
			promoterFrom: Number(ctx.getNodeParameter('promoterFrom', index, 9)),
			detractorTo: Number(ctx.getNodeParameter('detractorTo', index, 6)),
		};
	} else if (Object.prototype.hasOwnProperty.call(PRESETS, preset)) {
		thresholds = { ...PRESETS[preset] };
	} else {
		throw new NodeOperationError(node, `Unknown preset "${String(preset)}"`, { itemIndex: index });
	}
	const problem = validateThresholds(thresholds, scale);
	if (problem) {
		throw new NodeOperationError(node, problem, {
			itemIndex: index,
			description: 'Nothing was routed. Fix the thresholds under Preset → Custom.',
		});
	}

	const rounding = ctx.getNodeParameter('rounding', index, 'half-up') as Rounding;
	if (!['half-up', 'floor', 'none'].includes(rounding)) {
		throw new NodeOperationError(node, `Rounding must be Half Up, Floor or Keep Decimals (got "${String(rounding)}")`, { itemIndex: index });
	}
	const outputField = String(ctx.getNodeParameter('outputField', index, 'nps') ?? '').trim();
	if (!outputField) throw new NodeOperationError(node, 'Output Field must not be empty', { itemIndex: index });
	const options = ctx.getNodeParameter('options', index, {}) as { ignoreEmptyExtra?: boolean };
	return { scale, thresholds, rounding, outputField, ignoreEmptyExtra: options.ignoreEmptyExtra === true };
}

/** Score, then the additional ones; a list from an expression adds each of its answers. */
function readAnswers(ctx: IExecuteFunctions, index: number, config: ItemConfig): unknown[] {
	const main = ctx.getNodeParameter('score', index, undefined);
	const extra = ctx.getNodeParameter('additionalScores.scores', index, []) as Array<{ score?: unknown }>;
	const answers: unknown[] = Array.isArray(main) ? [...main] : [main];
	for (const entry of Array.isArray(extra) ? extra : []) {
		const value = entry?.score;
		for (const answer of Array.isArray(value) ? value : [value]) answers.push(answer);
	}
	if (!config.ignoreEmptyExtra || answers.length === 0) return answers;
	return [answers[0], ...answers.slice(1).filter((answer) => !isEmpty(answer))];
}

function score(answers: unknown[], config: ItemConfig): IDataObject {
	const invalid = (reason: string, original: unknown): IDataObject => {
		const json: IDataObject = { category: 'invalid', reason, original: jsonable(original) as IDataObject['original'] };
		if (answers.length > 1) json.originals = answers.map(jsonable) as IDataObject['originals'];
		return json;
	};
	if (answers.length === 0) return invalid('No answer: the Score expression gave an empty list', null);

	const scores: number[] = [];
	for (let i = 0; i < answers.length; i++) {
		const parsed = parseScore(answers[i], config.scale);
		if (!parsed.ok) {
			return invalid(answers.length > 1 ? `Answer ${i + 1} of ${answers.length}: ${parsed.reason}` : parsed.reason, answers[i]);
		}
		scores.push(parsed.score);
	}
	const combined = combineScores(scores, config.rounding);
	return {
		category: categorize(combined, config.thresholds),
		// Keep Decimals: shown to two places; the category above was decided on the exact average.
		score: Math.round(combined * 100) / 100,
		scores,
		scale: { min: config.scale.min, max: config.scale.max, text: scaleText(config.scale) },
		thresholds: { ...config.thresholds },
	};
}
