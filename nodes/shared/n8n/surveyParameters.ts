/**
 * Parameters several NPS nodes share, defined once: the language of what the customer or the owner
 * reads, and the score scale.
 */

import type { INodePropertyOptions } from 'n8n-workflow';

export const LANGUAGE_OPTIONS: INodePropertyOptions[] = [
	{ name: 'English', value: 'en' },
	{ name: 'Russian', value: 'ru' },
	{ name: 'Ukrainian', value: 'uk' },
];

export const SCALE_OPTIONS: INodePropertyOptions[] = [
	{ name: '0–10 (Standard NPS)', value: 0 },
	{ name: '1–10', value: 1 },
];

/** A parameter's value as trimmed text ('' for nothing). */
export function text(value: unknown): string {
	return value === undefined || value === null ? '' : String(value).trim();
}
