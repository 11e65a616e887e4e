// Mattermost's error shape for /api/v4 and for host-made answers on plugin routes.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
    readonly detailedError = '',
    /** Headers the answer carries besides the host's own (a 401's `WWW-Authenticate`). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  withHeader(name: string, value: string): ApiError {
    return new ApiError(this.status, this.id, this.message, this.detailedError, { ...this.headers, [name]: value });
  }
}

export function errorBody(err: ApiError, requestId: string): string {
  return JSON.stringify({
    id: err.id,
    message: err.message,
    detailed_error: err.detailedError,
    request_id: requestId,
    status_code: err.status,
  });
}

export const badRequest = (id: string, message: string, detail = '') => new ApiError(400, id, message, detail);

export const invalidParam = (name: string) =>
  badRequest('api.context.invalid_body_param.app_error', `Invalid or missing ${name} in request body.`);

/** Mattermost's SetInvalidURLParam: a path parameter of the wrong shape. */
export const invalidUrlParam = (name: string) =>
  badRequest('api.context.invalid_url_param.app_error', `Invalid or missing ${name} parameter in request URL.`);

export const sessionExpired = () =>
  new ApiError(401, 'api.context.session_expired.app_error', 'Invalid or expired session, please login again.');

/** RFC 6750 §3.1: a valid token whose scope does not reach the chat API (it lacks `user`). */
export const insufficientScope = () =>
  new ApiError(403, 'api.context.insufficient_scope.app_error',
    'This token was granted only to sign a user in; the API needs scope user.', '',
    { 'WWW-Authenticate': 'Bearer error="insufficient_scope", scope="user"' });

export const forbidden = () =>
  new ApiError(403, 'api.context.permissions.app_error', 'You do not have the appropriate permissions.');

/** The database does not answer (connection lost, reconnecting): the request changed nothing; retry soon. */
export const storeUnavailable = () =>
  new ApiError(503, 'app.store.unavailable.app_error', 'The database is unavailable; try again in a few seconds.');
