/**
 * The branch table the review nodes share: per branch ID, its name and its "write a review" pages.
 * One definition and one reader, so the survey page's buttons, the tracked links and the redirects
 * read the same rows.
 */

import type { IDataObject, IDisplayOptions, INodeProperties } from 'n8n-workflow';

import type { BranchLinks } from '../survey/reviewLinks';

export function branchTableProperty(description: string, show?: IDisplayOptions['show']): INodeProperties {
	return {
		displayName: 'Branches',
		name: 'branches',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Branch',
		default: {},
		...(show ? { displayOptions: { show } } : {}),
		description,
		options: [
			{
				displayName: 'Branch',
				name: 'branch',
				values: [
					{ displayName: '2GIS Review URL', name: 'twoGis', type: 'string', default: '', placeholder: 'https://2gis.ru/kazan/firm/70000001/tab/reviews/addreview' },
					{ displayName: 'Branch ID', name: 'id', type: 'string', default: '', description: 'E.g. the list item ID of the branch field in Bitrix24.' },
					{ displayName: 'Google Maps Review URL', name: 'google', type: 'string', default: '', placeholder: 'https://search.google.com/local/writereview?placeid=…' },
					{ displayName: 'Name', name: 'name', type: 'string', default: '' },
					{
						displayName: 'Other Review Page',
						name: 'customUrl',
						type: 'string',
						default: '',
						placeholder: 'https://reviews.example.com/our-shop',
						description: 'Another review site; its host must be listed in Allowed Hosts',
					},
					{ displayName: 'Other Review Page Label', name: 'customLabel', type: 'string', default: '', placeholder: 'Отзыв на Otzovik' },
					{ displayName: 'Yandex Maps Review URL', name: 'yandex', type: 'string', default: '', placeholder: 'https://yandex.ru/maps/org/…/reviews/?add-review=true' },
				],
			},
		],
	};
}

export const allowedHostsProperty = (show?: IDisplayOptions['show']): INodeProperties => ({
	displayName: 'Allowed Hosts for Other Review Pages',
	name: 'allowedHosts',
	type: 'string',
	default: '',
	placeholder: 'reviews.example.com, .otzovik.com',
	...(show ? { displayOptions: { show } } : {}),
	description: 'Comma-separated. Yandex Maps, Google Maps and 2GIS are known; any other destination must be listed here (".example.com" allows the domain and its subdomains).',
});

type Readable = { getNodeParameter(name: string, fallbackOrIndex?: unknown, fallback?: unknown): unknown };

/** The rows as the core reads them (webhook contexts read without an item index). */
export function readBranchTable(ctx: Readable, itemIndex?: number): BranchLinks[] {
	const raw = (itemIndex === undefined ? ctx.getNodeParameter('branches', {}) : ctx.getNodeParameter('branches', itemIndex, {})) as { branch?: IDataObject[] };
	return (raw.branch ?? []).map((row) => {
		const text = (name: string) => String(row[name] ?? '').trim();
		const customUrl = text('customUrl');
		return {
			id: text('id'),
			name: text('name') || undefined,
			yandex: text('yandex') || undefined,
			google: text('google') || undefined,
			twoGis: text('twoGis') || undefined,
			custom: customUrl ? [{ platform: 'other', label: text('customLabel') || undefined, url: customUrl }] : undefined,
		};
	});
}

export function readAllowedHosts(ctx: Readable, itemIndex?: number): string[] {
	const raw = itemIndex === undefined ? ctx.getNodeParameter('allowedHosts', '') : ctx.getNodeParameter('allowedHosts', itemIndex, '');
	return String(raw ?? '')
		.split(/[\s,;]+/)
		.map((host) => host.trim().toLowerCase())
		.filter(Boolean);
}
