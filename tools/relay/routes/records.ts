// Record ingestion from any phone (R4, R7, R8): unsigned HTTP — each record carries its pile's
// signature. At most 64 records per upload. See ingest/ingest.ts.
import { base64urlToBytes } from '../../../contracts-offline/bytes.ts';
import { fail } from '../../../contracts-offline/result.ts';
import { JsonFields } from '../http/fields.ts';
import type { Route } from '../http/routes.ts';
import { ingestRecords } from '../ingest/ingest.ts';
import type { RecordRefusal } from '../ingest/verify-record.ts';

export const RECORDS_PER_UPLOAD_MAX = 64;

const upload: Route = {
  method: 'POST',
  pattern: '/v1/records',
  async handle(ctx, { body }) {
    const items = JsonFields.of(body, ['records']).array('records', 1, RECORDS_PER_UPLOAD_MAX);
    const uploads = items.map((item, i): Uint8Array | RecordRefusal => {
      try {
        if (typeof item === 'string') return base64urlToBytes(item);
      } catch { /* refused below */ }
      return fail('invalid-record', `records[${i}] is not base64url text`);
    });
    return { status: 200, body: await ingestRecords(ctx, uploads) };
  },
};

export const recordRoutes: readonly Route[] = [upload];
