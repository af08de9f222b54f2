// One card command to a connected pile over its OCPP uplink (contracts-offline/uplink-channel.ts):
// a DataTransfer whose answer is the command's response data, or the status word the pile refused
// it with. The pile's answer is untrusted bytes: anything but those two is 502 bad-pile-answer.
import { swHex } from '../../../contracts-offline/apdu.ts';
import { base64urlToBytes, bytesToBase64url, equalBytes, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { type PileHello, decodePileHello } from '../../../contracts-offline/messages/pile-hello.ts';
import { CHANNEL_MESSAGE_IDS, type ChannelCommand, parseStatusWordText } from '../../../contracts-offline/uplink-channel.ts';
import { describeStatusWord } from '../../phone/errors.ts';
import { HttpError } from '../errors.ts';
import type { UplinkRegistry } from '../ocpp/uplinks.ts';

export type PileAnswer = { ok: true; data: Uint8Array } | { ok: false; sw: number };

/** The pile's answer to `command`; 409 pile-offline with no proven connection, 504 pile-unreachable when the call fails. */
export async function sendToPile(uplinks: UplinkRegistry, pileId: string, command: ChannelCommand, data?: Uint8Array): Promise<PileAnswer> {
  const messageId = CHANNEL_MESSAGE_IDS[command];
  const call = uplinks.transfer(pileId, messageId, data && bytesToBase64url(data));
  if (!call) throw new HttpError('pile-offline', `pile ${pileId} is not connected to this relay over OCPP now: tap it instead`);
  let answer;
  try {
    answer = await call;
  } catch (error) {
    throw new HttpError('pile-unreachable', `pile ${pileId} did not answer ${messageId} (${(error as Error).message})`);
  }
  if (answer.status === 'Rejected') {
    const sw = parseStatusWordText(answer.data);
    if (sw !== undefined) return { ok: false, sw };
  } else if (answer.status === 'Accepted' && typeof answer.data === 'string') {
    try {
      return { ok: true, data: base64urlToBytes(answer.data) };
    } catch { /* refused below */ }
  }
  throw new HttpError('bad-pile-answer', `pile ${pileId} answered ${messageId} with ${answer.status}${answer.data === undefined ? '' : ` and data that is not what the channel carries`}`);
}

/** 409 pile-refused, naming the status word and its meaning. */
export function pileRefused(command: ChannelCommand, sw: number, more = ''): HttpError {
  return new HttpError('pile-refused', `the pile refused ${CHANNEL_MESSAGE_IDS[command]}: status word ${swHex(sw)} (${describeStatusWord(sw)})${more}`);
}

/** The pile's answer data, or 409 pile-refused. */
export async function pileAnswerData(uplinks: UplinkRegistry, pileId: string, command: ChannelCommand, data?: Uint8Array): Promise<Uint8Array> {
  const answer = await sendToPile(uplinks, pileId, command, data);
  if (!answer.ok) throw pileRefused(command, answer.sw);
  return answer.data;
}

/** ChannelSelect: the pile's PileHello (a fresh nonce) and its bytes. */
export async function selectPile(uplinks: UplinkRegistry, pileId: string): Promise<{ bytes: Uint8Array; hello: PileHello }> {
  const bytes = await pileAnswerData(uplinks, pileId, 'select');
  const hello = decodePileHello(bytes);
  if (!hello.ok || !equalBytes(hello.value.pileId, hexToBytes(pileId))) throw new HttpError('bad-pile-answer', `pile ${pileId} answered ChannelSelect with no PileHello of its own`);
  return { bytes, hello: hello.value };
}
