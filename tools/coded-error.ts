// The one error shape of every tool package: a message for people and a code from the package's
// closed set for code (tools/relay/errors.ts, tools/phone/errors.ts, tools/ledger/errors.ts,
// tools/pile-sim/errors.ts, tools/system-day/errors.ts). Platform-neutral.
export class CodedError<Code extends string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}
