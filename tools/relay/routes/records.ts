// Record ingestion from any phone (R4, R7, R8): unsigned HTTP — each record carries its pile's
// signature. See ingest/ingest.ts. An item that is not base64url text is refused on its own; the
// others in the upload still go through.
import { base64urlToBytes } from '../../../contracts-offline/bytes.ts';
import { fail } from '../../../contracts-offline/result.ts';
import type { RouteHandler } from '../http/routes.ts';
import { ingestRecords } from '../ingest/ingest.ts';
import type { RecordRefusal } from '../ingest/verify-record.ts';

const uploadRecords: RouteHandler<'uploadRecords'> = async (ctx, { body }) => {
  const uploads = body.records.map((item, i): Uint8Array | RecordRefusal => {
    try {
      if (typeof item === 'string') return base64urlToBytes(item);
    } catch { /* refused below */ }
    return fail('invalid-record', `records[${i}] is not base64url text`);
  });
  return { status: 200, body: await ingestRecords(ctx, uploads) };
};

export const recordHandlers = { uploadRecords };
