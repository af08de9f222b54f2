// Why a technician's console errand failed, with a code: the CLI prints the message as one line.
// The pile's own refusals (an Error answer) are ConsoleRefusalError (console-client.ts), carrying
// the console's code; a provisioning that cannot go on is ProvisionError.
import { CodedError } from '../coded-error.ts';

export type ConsoleLinkErrorCode =
  | 'no-such-port' // the path names nothing
  | 'not-a-serial-port' // the path is a file or folder, not a serial device
  | 'port-busy' // another program holds the port (its lock, or the device is exclusive)
  | 'permission-denied' // this user may not open the port
  | 'cannot-open' // any other refusal of the operating system
  | 'link-lost' // the port closed under us (cable pulled, device reset)
  | 'no-answer' // nothing (or nothing well formed) came back within the time allowed
  | 'bad-answer'; // an answer of the wrong type for the request

export class ConsoleLinkError extends CodedError<ConsoleLinkErrorCode> {}

export type ProvisionErrorCode =
  | 'provisioned-elsewhere' // the pile holds another relay's provisioning
  | 'refused-to-run' // the pile holds a provisioning record but refuses to run on it
  | 'registered-with-another-key' // the relay holds this pile id with another pile key
  | 'bad-record' // the relay's record is not the one asked for, or does not decode
  | 'read-back-differs' // the pile reads back another record than was written
  | 'not-provisioned'; // a command that needs the pile's relay, on a blank pile

export class ProvisionError extends CodedError<ProvisionErrorCode> {}
