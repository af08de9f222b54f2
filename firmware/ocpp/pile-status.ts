// The pile's state as OCPP 1.6 StatusNotifications (§4.9, §7.6, §7.7): connector 1 is the pile's
// one outlet, connector 0 the pile as a whole (which §4.9 limits to Available, Unavailable and
// Faulted). The firmware's states are named after the outlet's statuses; `suspended` (a session
// running, contactor open) is SuspendedEV: the contactor opens mid-session when the vehicle stops
// asking for energy (the pile withholds current only when the supply voltage allows no 6 A, a case
// not told apart). A fault's cause (journal, key store, contactor, control
// pilot) is on the pile's display and event log; the uplink says OtherError.
import type { PileState } from '../../contracts-offline/messages/fields.ts';
import type { ConnectorStatus } from './status-notification.ts';

const outletStatuses: Readonly<Record<PileState, ConnectorStatus>> = Object.freeze({
  available: { status: 'Available', errorCode: 'NoError' },
  preparing: { status: 'Preparing', errorCode: 'NoError' },
  charging: { status: 'Charging', errorCode: 'NoError' },
  suspended: { status: 'SuspendedEV', errorCode: 'NoError' },
  finishing: { status: 'Finishing', errorCode: 'NoError' },
  unavailable: { status: 'Unavailable', errorCode: 'NoError' },
  faulted: { status: 'Faulted', errorCode: 'OtherError' },
});

/** Connector 1's status in `state`. */
export function outletStatusOf(state: PileState): ConnectorStatus {
  return outletStatuses[state];
}

/** Connector 0's status in `state`: Faulted or Unavailable as the outlet, otherwise Available. */
export function pileStatusOf(state: PileState): ConnectorStatus {
  return state === 'faulted' || state === 'unavailable' ? outletStatuses[state] : outletStatuses.available;
}
