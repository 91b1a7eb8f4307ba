/** An error the sandbox answers with, in Bitrix24's shape: `{ error, error_description }` + status. */
export class RestError extends Error {
	constructor(
		readonly code: string,
		readonly description: string,
		readonly status = 400,
	) {
		super(`${code || '(empty code)'}: ${description}`);
		this.name = 'RestError';
	}
}

/** CRM v1 methods answer most failures with an empty code and only a description. */
export const crmError = (description: string, status = 400) => new RestError('', description, status);

export const notFound = () => crmError('Not found');
