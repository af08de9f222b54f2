// Reset (OCPP 1.6 §5.14, §6.39/§6.40): Soft and Hard alike reboot the pile from its journal — it
// holds no state a soft reset could keep and a hard one lose. Rejected while a session runs
// (§5.14 would have the pile stop it; only the user's signed stop or the contract's own limit
// ends a session here) and when the pile was started without a way to reboot. Accepted: the
// answer goes out first, then `reboot` runs.
import { ok } from '../../contracts-offline/result.ts';
import type { EventSink } from '../events/event-log.ts';
import type { JsonObject } from './frame.ts';
import { type PayloadResult, onlyFields, readEnum } from './payload-fields.ts';
import type { CallHandler } from './rpc.ts';

export const RESET = 'Reset';

export const RESET_TYPES = ['Hard', 'Soft'] as const;
export type ResetType = (typeof RESET_TYPES)[number];

export function parseResetReq(payload: JsonObject): PayloadResult<ResetType> {
  return onlyFields(payload, ['type']) ?? readEnum(payload, 'type', RESET_TYPES);
}

export type ResetHooks = {
  sessionRunning: () => boolean;
  /** Reboots the pile; absent: every Reset is Rejected. */
  reboot: (() => void) | undefined;
};

export function resetHandler(hooks: ResetHooks, report: EventSink): CallHandler {
  return (payload) => {
    const type = parseResetReq(payload);
    if (!type.ok) return type;
    const refusal = !hooks.reboot ? 'this pile cannot reboot itself' : hooks.sessionRunning() ? 'a session is running' : undefined;
    if (refusal) {
      report('warning', `Reset ${type.value} Rejected: ${refusal}`);
      return ok({ status: 'Rejected' });
    }
    report('info', `Reset ${type.value} Accepted: rebooting`);
    return { ok: true, value: { status: 'Accepted' }, afterSent: hooks.reboot };
  };
}
