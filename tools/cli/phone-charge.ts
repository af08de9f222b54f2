// `tapcharge phone charge --pile-id ID MODE`: networked mode (R9) from the phone simulator — a
// channel through the relay to a pile connected over OCPP, the session started in MODE, its live
// status printed as the relay pushes it, until the pile ends it (limit, vehicle, fault) or the user
// stops it: Ctrl-C (SIGINT), or --stop-after-s N for scripts. The contract and receipt are in the
// wallet file before they are printed.
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import type { ChannelSession } from '../phone/channel-session.ts';
import { RelayUnreachableError } from '../phone/errors.ts';
import type { Phone } from '../phone/phone.ts';
import type { ChannelEvent } from '../relay-api/routes.ts';
import { CliError } from './cli-error.ts';
import { describeContract, describeScreen } from './phone-output.ts';

function describeEvent(e: ChannelEvent): string {
  switch (e.event) {
    case 'status': return `pile: connector ${e.data.connectorId} ${e.data.status}${e.data.errorCode === 'NoError' ? '' : ` (${e.data.errorCode})`}`;
    case 'meter': return `charging: ${e.data.energyWh} Wh${e.data.powerW === undefined ? '' : `, ${e.data.powerW} W`}, cost so far ${e.data.costMinor} (minor units)`;
    case 'uplink-lost': return "the pile's uplink dropped: it keeps charging to the contract's limit; live status resumes when it reconnects";
    case 'ended': {
      const d = e.data;
      return `ended: ${d.endReason}, ${d.energyWh} Wh, ${d.durationS} s, amount ${d.amountMinor ?? 'disputed'} (${d.status})`;
    }
  }
}

/** A stop asked once, from the first of SIGINT or the timer; a failed one ends the watch (`abort`). */
function stopTrigger(session: ChannelSession, stopAfterS: number | undefined, abort: () => void): { stopped: Promise<void> | undefined; dispose(): void } {
  const trigger = { stopped: undefined as Promise<void> | undefined, dispose: () => {} };
  const stop = () => {
    if (trigger.stopped) return;
    console.log('stopping: the relay asks the pile');
    trigger.stopped = session.stop().then((receipt) => {
      const r = receipt.message;
      console.log(`receipt seq ${r.seq} for contract ${r.contractSeq}: ${r.endReason}, ${r.energyWh} Wh, ${r.durationS} s, amount ${r.amountMinor}`);
    });
    trigger.stopped.catch(abort); // reported where it is awaited
  };
  const timer = stopAfterS === undefined ? undefined : setTimeout(stop, stopAfterS * 1000);
  process.on('SIGINT', stop);
  trigger.dispose = () => {
    clearTimeout(timer);
    process.off('SIGINT', stop);
  };
  return trigger;
}

export async function chargeOverChannel(phone: Phone, pileIdText: string | undefined, limit: ChargeLimit | undefined, stopAfterS: number | undefined): Promise<void> {
  if (!pileIdText || !/^[0-9a-fA-F]{16}$/.test(pileIdText)) throw new CliError(`--pile-id expected the pile's id (16 hex digits, as its display code shows it), got ${JSON.stringify(pileIdText ?? '')}`, 2);
  if (!limit) throw new CliError('MODE is required: --mode amount --amount-minor N | --mode time --duration-s N | --mode energy --energy-wh N | --mode full', 2);
  const session = await phone.openChannel(hexToBytes(pileIdText.toLowerCase()));
  console.log(`${describeScreen(session.screen)}\nchannel ${session.channelId} through ${phone.relay!.baseUrl}`);
  if (!session.screen.modes.includes(limit.mode)) throw new CliError(`the pile is ${session.screen.state}: it offers no charging now`);
  console.log(`contract ${describeContract(await session.start(limit))}`);
  const watching = new AbortController();
  const trigger = stopTrigger(session, stopAfterS, () => watching.abort());
  let ended = false;
  try {
    for await (const event of session.watch({ signal: watching.signal })) {
      console.log(describeEvent(event));
      ended ||= event.event === 'ended';
    }
  } catch (error) {
    if (!(error instanceof RelayUnreachableError)) throw error;
    console.log(`lost the relay (${error.message}): the session goes on at the pile; its receipt comes with the pile's uplink or any tap`);
  } finally {
    trigger.dispose();
  }
  await trigger.stopped;
  if (!ended) console.log('the relay closed the live status before the end: `tapcharge phone balance` shows the session once it settles');
}
