// Why a scripted day stopped, with a code: 'script' — the system did not follow the billing method
// (a check of the day failed); 'no-day-data' — a folder that holds no day to report or audit.
import { CodedError } from '../coded-error.ts';

export type DayErrorCode = 'script' | 'no-day-data';

export class DayError extends CodedError<DayErrorCode> {}
