// The pile's end of the virtual channel (contracts-offline/uplink-channel.ts): the relay's
// DataTransfer ChannelSelect / ChannelHello / ChannelUpdate / ChannelStart / ChannelStop / Ack
// run the NFC application's own command handlers (firmware/nfc) in a context of their own — the
// channel's last greeting is not a tap's — over the pile's one nonce book, so every rule of a tap
// (voucher, update and stop signatures, nonces, config and tariff versions, the pile's state)
// holds the same way through the relay. The greeting's prompt is the channel's: no second tap
// follows. `data` that is not base64url is refused as the frame's content (PropertyConstraintViolation).
import { SW, TAPCHARGE_AID, swHex } from '../../contracts-offline/apdu.ts';
import { base64urlToBytes, bytesToBase64url } from '../../contracts-offline/bytes.ts';
import { type ChannelCommand, CHANNEL_MESSAGE_IDS } from '../../contracts-offline/uplink-channel.ts';
import { fail, ok } from '../../contracts-offline/result.ts';
import { ack } from '../nfc/ack.ts';
import type { CommandHandler, TapContext } from '../nfc/answer.ts';
import { hello } from '../nfc/hello.ts';
import { select } from '../nfc/select.ts';
import { start } from '../nfc/start.ts';
import { stop } from '../nfc/stop.ts';
import { update } from '../nfc/update.ts';
import type { DataTransferMessageHandler, DataTransferStatus } from './data-transfer.ts';

const commands: Readonly<Record<ChannelCommand, { handler: CommandHandler; needsData: boolean }>> = Object.freeze({
  select: { handler: (context) => select(context, Uint8Array.from(TAPCHARGE_AID)), needsData: false },
  hello: { handler: (context, data) => hello(context, data, 'channel'), needsData: true },
  update: { handler: update, needsData: true },
  start: { handler: start, needsData: true },
  stop: { handler: stop, needsData: true },
  ack: { handler: ack, needsData: true },
});

function channelMessage(context: TapContext, command: ChannelCommand): DataTransferMessageHandler {
  const { handler, needsData } = commands[command];
  return (data) => {
    if (needsData && data === undefined) return fail('OccurenceConstraintViolation', `"data" is required: the ${command} command's data as base64url`);
    let bytes: Uint8Array = new Uint8Array(0);
    if (needsData) {
      try {
        bytes = base64urlToBytes(data!);
      } catch {
        return fail('PropertyConstraintViolation', '"data" expected base64url');
      }
    }
    const answer = handler(context, bytes);
    return answer.sw === SW.ok
      ? ok({ status: 'Accepted' satisfies DataTransferStatus, data: bytesToBase64url(answer.data) })
      : ok({ status: 'Rejected' satisfies DataTransferStatus, data: swHex(answer.sw) });
  };
}

/** The channel's DataTransfer messages by messageId, all answered in `context`. */
export function channelMessages(context: TapContext): Map<string, DataTransferMessageHandler> {
  const messages = new Map<string, DataTransferMessageHandler>();
  for (const command of Object.keys(commands) as ChannelCommand[]) messages.set(CHANNEL_MESSAGE_IDS[command], channelMessage(context, command));
  return messages;
}
