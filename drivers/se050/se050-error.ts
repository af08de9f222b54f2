// The one error the SE050 driver throws for anything the chip or the bus did (argument mistakes of
// our own callers are TypeErrors). `code` says what went wrong:
//   'no-answer'        — the chip does not acknowledge its address, or sends nothing within its
//                        block waiting time (and any waiting-time extension it asked for);
//   'bad-crc'          — its blocks keep failing their CRC after the retransmissions T=1 allows;
//   'protocol'         — malformed or unexpected blocks or answers that retransmission and
//                        resynchronisation did not cure;
//   'status'           — the applet answered a status word other than 9000 (see `statusWord`);
//   'no-key'           — no key object at the configured identifier;
//   'key-exists'       — `createKey` found a key already there (the pile's key is never replaced);
//   'unsupported'      — the chip's applet has no EdDSA (an SE050 variant without Ed25519);
//   'message-too-long' — the message does not fit one EdDSASign command.
export type Se050Fault = 'no-answer' | 'bad-crc' | 'protocol' | 'status' | 'no-key' | 'key-exists' | 'unsupported' | 'message-too-long';

export class Se050Error extends Error {
  override readonly name = 'Se050Error';
  readonly code: Se050Fault;
  /** The applet's status word, for code 'status'. */
  readonly statusWord: number | undefined;

  constructor(code: Se050Fault, message: string, statusWord?: number) {
    super(`se050: ${message}`);
    this.code = code;
    this.statusWord = statusWord;
  }
}
