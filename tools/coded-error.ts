// The one error shape of every tool package: a message for people and a code from the package's
// closed set for code (tools/relay/errors.ts, tools/phone/errors.ts, tools/ledger/errors.ts,
// tools/pile-sim/errors.ts, tools/system-day/errors.ts). Platform-neutral.
export class CodedError<Code extends string> extends Error {
  // A field, not an assignment: on a device the preloaded Error.prototype is frozen, and assigning
  // over its read-only `name` would throw.
  override readonly name: string = this.constructor.name;
  readonly code: Code;
  constructor(code: Code, message: string) {
    super(message);
    this.code = code;
  }
}
