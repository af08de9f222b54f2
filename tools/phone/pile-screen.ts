// What the phone screen shows of a pile once it has greeted the user (tap 1, or a channel opened
// through the relay): its PileInfo, and the modes the user may choose in the pile's state.
import type { ChargeMode } from '../../contracts-offline/charge-limit.ts';
import type { PileState, Tariff } from '../../contracts-offline/messages/fields.ts';

export type PileScreen = {
  pileId: string;
  label: string;
  state: PileState;
  configVersion: number;
  tariff: Tariff;
  /** Modes the user may choose now (none while the pile is busy or faulted). */
  modes: ChargeMode[];
  /** PileInfo verified with the pile key the relay registered (false only when offline and never seen). */
  verified: boolean;
  /** The config version this tap wrote into the pile, if it did. */
  updatedTo: number | undefined;
};

/** A vehicle still plugged after a session ('finishing') can start a new one: the pile takes it and its display invites the tap. */
const offeredInStates: readonly PileState[] = ['available', 'preparing', 'finishing'];
const allModes: ChargeMode[] = ['amount', 'time', 'energy', 'full'];

/** The modes the phone offers while the pile is in `state`. */
export function modesIn(state: PileState): ChargeMode[] {
  return offeredInStates.includes(state) ? [...allModes] : [];
}
