// An HTTP answer that refuses the request: status + a stable error code + one line for people.
// The server turns it into `{"error": code, "message": message}`.
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

export const invalidField = (field: string, expected: string): HttpError => new HttpError(400, 'invalid-field', `"${field}" ${expected}`);
export const notFound = (code: string, message: string): HttpError => new HttpError(404, code, message);
