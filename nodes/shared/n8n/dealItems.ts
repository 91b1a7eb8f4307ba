/** The item a deal event becomes, the same from every trigger source. */

import type { IDataObject } from 'n8n-workflow';

import type { EnrichedDeal } from '../bitrix24/deals';

export interface DealItemContext {
	/** outgoingWebhook, robot, appEvents, polling, or an operation name. */
	source: string;
	/** ONCRMDEALUPDATE, ROBOT, STAGE_HISTORY… */
	event?: string;
	includeRaw?: boolean;
	/** The field the trigger reads a deal's mark from: the flow writes its marks to the same field. */
	markerField?: string;
}

export function dealEventItem(deal: EnrichedDeal, context: DealItemContext): IDataObject {
	const item: IDataObject = {
		eventKey: deal.eventKey,
		source: context.source,
		...(context.event ? { event: context.event } : {}),
		movedAt: deal.movedAt,
		deal: { ...deal.deal },
		contact: deal.contact ? { ...deal.contact } : null,
		responsible: deal.responsible ? { ...deal.responsible } : null,
		branch: deal.branch ? { ...deal.branch } : null,
		stage: { ...deal.stage },
	};
	if (context.markerField) item.markerField = context.markerField;
	if (context.includeRaw !== false) item.raw = deal.raw as unknown as IDataObject;
	return item;
}
