/**
 * Parameters several operations share: the deal, a stage, a user, a smart process (each picked
 * from a searchable list, by ID, or for deals by the link from the browser), and field values.
 */

import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

type Show = { resource: string[]; operation: string[] };

function shown(show: Show) {
	return { displayOptions: { show } };
}

const NUMBER_PATTERN = '^\\s*\\d+\\s*$';

export function dealLocator(show: Show, options: { name?: string; displayName?: string; required?: boolean; description?: string } = {}): INodeProperties {
	return {
		displayName: options.displayName ?? 'Deal',
		name: options.name ?? 'dealId',
		type: 'resourceLocator',
		default: { mode: 'id', value: '' },
		required: options.required ?? true,
		description: options.description ?? 'The deal. In a flow, map it from the trigger, e.g. {{ $json.deal.id }}.',
		modes: [
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: '123',
				validation: [{ type: 'regex', properties: { regex: NUMBER_PATTERN, errorMessage: 'A deal ID is a number, like 123' } }],
			},
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				typeOptions: { searchListMethod: 'searchDeals', searchable: true },
			},
			{
				displayName: 'By URL',
				name: 'url',
				type: 'string',
				placeholder: 'https://your-portal.bitrix24.ru/crm/deal/details/123/',
				extractValue: { type: 'regex', regex: '/crm/deal/details/(\\d+)' },
				validation: [{ type: 'regex', properties: { regex: '.*/crm/deal/details/\\d+.*', errorMessage: 'Paste the address of a deal card, ending in /crm/deal/details/<number>/' } }],
			},
		],
		...shown(show),
	};
}

interface LocatorSpec {
	name: string;
	displayName: string;
	description: string;
	searchListMethod: string;
	idDisplayName?: string;
	idPlaceholder: string;
	idPattern: string;
	idError: string;
}

/** A required "From List" (searchable) / "By ID" resource locator. */
function listOrIdLocator(show: Show, spec: LocatorSpec): INodeProperties {
	return {
		displayName: spec.displayName,
		name: spec.name,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: spec.description,
		modes: [
			{ displayName: 'From List', name: 'list', type: 'list', typeOptions: { searchListMethod: spec.searchListMethod, searchable: true } },
			{
				displayName: spec.idDisplayName ?? 'By ID',
				name: 'id',
				type: 'string',
				placeholder: spec.idPlaceholder,
				validation: [{ type: 'regex', properties: { regex: spec.idPattern, errorMessage: spec.idError } }],
			},
		],
		...shown(show),
	};
}

export function stageLocator(show: Show, name = 'stage', displayName = 'Stage'): INodeProperties {
	return listOrIdLocator(show, {
		name,
		displayName,
		description: 'The stage, in any pipeline: a stage of another pipeline moves the deal there',
		searchListMethod: 'searchStages',
		idPlaceholder: 'C2:NEW',
		idPattern: '^[A-Za-z0-9_:-]{1,21}$',
		idError: 'A stage ID looks like WON or C2:NEW (21 characters at most)',
	});
}

export function userLocator(show: Show, name: string, displayName: string, description: string): INodeProperties {
	return listOrIdLocator(show, { name, displayName, description, searchListMethod: 'searchUsers', idPlaceholder: '15', idPattern: NUMBER_PATTERN, idError: 'A user ID is a number, like 15' });
}

export function smartProcessLocator(show: Show): INodeProperties {
	return listOrIdLocator(show, {
		name: 'smartProcess',
		displayName: 'Smart Process',
		description: 'The smart process that keeps the rows (listing them needs CRM administrator rights; otherwise enter its entity type ID)',
		searchListMethod: 'searchSmartProcesses',
		idDisplayName: 'By Entity Type ID',
		idPlaceholder: '1032',
		idPattern: NUMBER_PATTERN,
		idError: 'An entity type ID is a number, like 1032',
	});
}

/** The Operation parameter of one resource. */
export function operationsOf(resource: string, options: INodePropertyOptions[], defaultOperation: string): INodeProperties {
	return {
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [resource] } },
		options,
		default: defaultOperation,
	};
}

/** Field values as a list of (field, value) pairs picked from the portal, or as one JSON object. */
export function fieldValueProperties(show: Show, loadOptionsMethod: string, dependsOn: string[] = []): INodeProperties[] {
	return [
		{
			displayName: 'Specify Fields',
			name: 'fieldsMode',
			type: 'options',
			options: [
				{ name: 'Using Fields Below', value: 'list', description: 'Pick each field from the portal and give its value' },
				{ name: 'Using JSON', value: 'json', description: 'One JSON object of field codes and values' },
			],
			default: 'list',
			...shown(show),
		},
		{
			displayName: 'Fields',
			name: 'fieldValues',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true },
			placeholder: 'Add Field',
			default: {},
			displayOptions: { show: { ...show, fieldsMode: ['list'] } },
			options: [
				{
					displayName: 'Field',
					name: 'field',
					values: [
						{
							displayName: 'Field Name or ID',
							name: 'name',
							type: 'options',
							typeOptions: { loadOptionsMethod, loadOptionsDependsOn: dependsOn },
							default: '',
							description: 'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
						},
						{
							displayName: 'Value',
							name: 'value',
							type: 'string',
							default: '',
							description: 'A list field takes the ID of its item; a field with several values takes an expression giving an array',
						},
					],
				},
			],
		},
		{
			displayName: 'Fields (JSON)',
			name: 'fieldsJson',
			type: 'json',
			default: '{}',
			description: 'Field codes and values, e.g. {"UF_CRM_7_NPS_SCORE": 9}',
			displayOptions: { show: { ...show, fieldsMode: ['json'] } },
		},
	];
}
