// What the uplink simulations need to know of an OCPP-J frame (OCPP JSON Specification 1.6
// §4.1): a CALL's uniqueId and kind, a CALLRESULT's or CALLERROR's uniqueId. Not a validator: the
// firmware and the relay check frames; a simulation only watches them go by.

/**
 * `kind`: the CALL's action, except that a DataTransfer is named by its messageId when it has one
 * (`BillingRecord`, `IdentityChallenge`): the frames a test cares about travel inside DataTransfer.
 */
export type FramePeek = { type: 'call'; id: string; kind: string } | { type: 'reply'; id: string };

/** The frame's type, uniqueId and kind; undefined when `text` is not an OCPP-J frame. */
export function peekFrame(text: string): FramePeek | undefined {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(frame) || typeof frame[1] !== 'string') return undefined;
  const [type, id, action, payload] = frame as [unknown, string, unknown, unknown];
  if (type === 3 || type === 4) return { type: 'reply', id };
  if (type !== 2 || typeof action !== 'string') return undefined;
  const messageId = action === 'DataTransfer' && typeof payload === 'object' && payload !== null ? (payload as { messageId?: unknown }).messageId : undefined;
  return { type: 'call', id, kind: typeof messageId === 'string' ? messageId : action };
}
