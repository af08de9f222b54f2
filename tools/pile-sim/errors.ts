// Why a simulated pile could not be served or driven, with a code: the CLI prints the message as
// one line; the TCP bridge answers a refused CONTROL request with it.
import { CodedError } from '../coded-error.ts';

export type PileSimErrorCode =
  | 'bad-flash-file' // DATA/flash.bin is not this partition's size
  | 'not-provisioned' // a blank pile and no provisioning source given
  | 'provisioning' // the provisioning record could not be obtained, read or written
  | 'refused-to-run' // the firmware booted into its fault screen
  | 'cannot-listen' // the bridge port is taken or not allowed
  | 'bad-control'; // a CONTROL request the simulated vehicle cannot follow

export class PileSimError extends CodedError<PileSimErrorCode> {}
