// The acts of networked mode (R9) in a scripted day: a driver reads a networked pile's id (off its
// display code, or by one tap), opens the relay's virtual channel with the phone SDK, starts on
// the phone, watches live status, stops on the phone; the pile's uplink is cut and restored (a
// SIMULATED outage, hal/sim/uplink-outage.ts). Each act checks what the method says on the relay
// and the ledger (a DayError 'script' otherwise) and marks its R9 flow with the evidence.
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import { chargeLimitText, formatEnergy, formatMoney } from '../../contracts-offline/display-text.ts';
import type { UplinkEvent } from '../relay/ocpp/uplinks.ts';
import { check, onLedger } from './checked-flows.ts';
import { DayError } from './errors.ts';
import { type Driver, type Scene, clockText } from './scene.ts';
import type { SimPile } from './sim-system.ts';
import { WatchedChannel } from './watched-channel.ts';

/**
 * The pile's MeterValueSampleInterval, s: its default (firmware/ocpp/configuration.ts), which the
 * relay leaves as it is. So one sample of a running contract lies in every such window.
 */
const METER_SAMPLE_S = 60;

/** A contract started on the phone, and the driver's ledger right after: what its settlement is checked against. */
export type PhoneContract = { seq: number; capMinor: number; ledgerAfterStart: { balanceMinor: number; escrowMinor: number } };

type RecordArrival = Extract<UplinkEvent, { kind: 'record' }> & { atMs: number };

/** An outage of a pile's uplink, and the billing records the relay took over that uplink from the cut on. */
export type UplinkCut = { pile: SimPile; cutAtMs: number; restoredAtMs: number | undefined; records: RecordArrival[]; stopWatching: () => void };

function networked(pile: SimPile): NonNullable<SimPile['uplink']> {
  if (!pile.uplink) throw new DayError('script', `script: ${pile.label} is not networked`);
  return pile.uplink;
}

/** R9: the pile id as the pile's idle screen shows it ("Pile <hex>", the code a phone scans). */
function displayCode(pile: SimPile): Uint8Array {
  const shown = /^Pile ([0-9a-f]+)$/.exec(pile.sim.display.lines[0] ?? '');
  if (!shown || shown[1]!.length % 2 !== 0) throw new DayError('script', `script: ${pile.label} shows no pile code: "${pile.sim.display.lines.join(' / ')}"`);
  return hexToBytes(shown[1]!);
}

/** R9: the phone scans the code on the pile's display and opens a channel to that pile through the relay. */
export async function openChannelByCode(scene: Scene, driver: Driver, pile: SimPile): Promise<WatchedChannel> {
  networked(pile);
  return openChannel(scene, driver, pile, displayCode(pile), 'scans the code on the display');
}

/** R9: one tap gives the phone the pile id (tap 1 reads it at SELECT); the phone then opens the channel. */
export async function openChannelByTap(scene: Scene, driver: Driver, pile: SimPile): Promise<WatchedChannel> {
  networked(pile);
  const report = await scene.system.tap(pile, (t) => driver.phone.tapHello(t));
  await driver.phone.sync();
  return openChannel(scene, driver, pile, hexToBytes(report.screen.pileId), 'taps once for the pile id');
}

async function openChannel(scene: Scene, driver: Driver, pile: SimPile, pileId: Uint8Array, how: string): Promise<WatchedChannel> {
  const session = await driver.phone.openChannel(pileId);
  pile.sim.clock.advance(0); // the pile's event loop redraws its display
  const greeting = pile.sim.display.lines[0] ?? '';
  check(session.pileId === pile.pileIdHex && session.screen.verified, `${driver.name}'s channel reaches ${pile.label}, its PileInfo verified`);
  check(greeting === `Welcome, ${driver.name}`, `${pile.label} greets ${driver.name} (display: "${greeting}")`);
  const s = session.screen;
  driver.screen = `${s.label} (through the relay): ${formatMoney(s.tariff.energyMinorPerKwh)}/kWh fee ${formatMoney(s.tariff.sessionFeeMinor)} — choose ${s.modes.join('/')}`;
  await scene.say(pile.label, `${driver.name} ${how} (pile ${bytesToHex(pileId)}), channel ${session.channelId.slice(0, 8)} through the relay: the pile shows "${greeting}", the phone its signed PileInfo`);
  scene.flows.mark('channel-open', `${driver.name} ${how} of ${pile.label}: channel opened, "${greeting}" on the pile, PileInfo verified on the phone`);
  return new WatchedChannel(session);
}

/** R9: the mode chosen on the phone; the relay's voucher goes to the pile over its uplink, the pile's Contract comes back. */
export async function startOnPhone(scene: Scene, driver: Driver, pile: SimPile, channel: WatchedChannel, limit: ChargeLimit): Promise<PhoneContract> {
  const before = await onLedger(scene, driver);
  const contract = await channel.session.start(limit);
  driver.screen = `charging at ${pile.label}: ${chargeLimitText(contract.limit)}, cap ${formatMoney(contract.capMinor)} — live on the phone`;
  await scene.say(pile.label, `${driver.name} chooses ${chargeLimitText(limit)} and starts on the phone: the relay's voucher went to the pile over its uplink, contract #${contract.seq} came back signed`);
  await scene.settle(driver);
  const after = await onLedger(scene, driver);
  check(after.escrowMinor - before.escrowMinor === contract.capMinor && before.balanceMinor - after.balanceMinor === contract.capMinor, `${driver.name}'s cap ${contract.capMinor} escrowed on the ledger at the start`);
  scene.flows.mark('networked-start', `${driver.name} at ${pile.label} #${contract.seq}: ${chargeLimitText(limit)} chosen on the phone, contract through the relay, cap ${formatMoney(contract.capMinor)} escrowed`);
  return { seq: contract.seq, capMinor: contract.capMinor, ledgerAfterStart: after };
}

/** R9: what the phone shows live — the pile's latest meter sample, priced by the relay with the contract's tariff. */
export async function liveStatus(scene: Scene, driver: Driver, pile: SimPile, channel: WatchedChannel, contract: PhoneContract): Promise<void> {
  const nowS = Math.floor(scene.nowMs / 1000);
  const { data } = await channel.next('meter', (e) => e.data.contractSeq === contract.seq && e.data.atS > nowS - METER_SAMPLE_S, `a meter sample of #${contract.seq} from the last ${METER_SAMPLE_S} s`);
  check(data.energyWh > 0 && data.costMinor > 0 && data.costMinor <= contract.capMinor, `the live cost ${data.costMinor} is within the cap ${contract.capMinor}`);
  const power = data.powerW === undefined ? '' : `, ${(data.powerW / 1000).toFixed(1)} kW`;
  const shown = `${formatEnergy(data.energyWh)}${power}, cost ${formatMoney(data.costMinor)} of cap ${formatMoney(contract.capMinor)}`;
  driver.screen = `live at ${pile.label}: ${shown}`;
  await scene.say('phones', `${driver.name}'s phone, live from ${pile.label} through the relay: ${shown} (sample at ${clockText(data.atS * 1000)})`);
  scene.flows.mark('live-status', `${driver.name} at ${pile.label} #${contract.seq}: ${shown}`);
}

/** Cuts the pile's uplink (SIMULATED outage); the phone is told, the pile charges on. */
export async function cutUplink(scene: Scene, driver: Driver, pile: SimPile, channel: WatchedChannel): Promise<UplinkCut> {
  const { outage } = networked(pile);
  const records: RecordArrival[] = [];
  const stopWatching = scene.system.relay.uplinks.watch(pile.pileIdHex, (event) => {
    if (event.kind === 'record') records.push({ ...event, atMs: scene.nowMs });
  });
  outage.cut();
  await scene.say(pile.label, `uplink cut (SIMULATED outage of the link to the relay): the pile charges on to the contract's limit and keeps its records`);
  await channel.next('uplink-lost', () => true, 'uplink-lost');
  driver.screen = `${pile.label} offline: the session goes on at the pile`;
  await scene.say('phones', `${driver.name}'s phone: ${pile.label} is offline (uplink-lost), the session goes on at the pile`);
  return { pile, cutAtMs: scene.nowMs, restoredAtMs: undefined, records, stopWatching };
}

/** Ends the SIMULATED outage: the pile reconnects by itself and delivers what it holds. */
export async function restoreUplink(scene: Scene, cut: UplinkCut): Promise<void> {
  const { pile } = cut;
  const held = pile.handle.services!.outbox(0, 8).records.length;
  check(cut.records.length === 0, `no record of ${pile.label} reached the relay while its uplink was down`);
  networked(pile).outage.restore();
  cut.restoredAtMs = scene.nowMs;
  await scene.say(pile.label, `uplink restored (the SIMULATED outage ${clockText(cut.cutAtMs)}–${clockText(scene.nowMs)} is over): the pile reconnects by itself with ${held} record(s) to deliver`);
}

/**
 * After the restore: the session that ended at the pile during the outage reached the phone
 * (`ended`, its Receipt verified) and the relay from the uplink — accepted once, after the
 * restore — and settled once on the ledger.
 */
export async function deliveredAfterOutage(scene: Scene, driver: Driver, channel: WatchedChannel, cut: UplinkCut, contract: PhoneContract): Promise<void> {
  const { pile } = cut;
  const ended = await channel.next('ended', (e) => e.data.contractSeq === contract.seq, `the end of #${contract.seq}`);
  await channel.close();
  cut.stopWatching();
  const receipts = cut.records.filter((r) => r.recordKind === 'receipt' && r.status === 'accepted');
  check(cut.records.every((r) => r.status !== 'rejected'), `no record of ${pile.label} rejected`);
  check(receipts.length === 1 && receipts[0]!.atMs >= cut.restoredAtMs!, `${pile.label}'s receipt accepted once over the uplink, after the restore (${receipts.length} accepted)`);
  const { endReason, energyWh } = ended.data;
  await scene.say('phones', `${driver.name}'s phone: session #${contract.seq} at ${pile.label} ended (${endReason}), ${formatEnergy(energyWh)} — the receipt came over the uplink after the restore`);
  const amountMinor = await settledOnce(scene, driver, pile, contract, endReason);
  const at = clockText(receipts[0]!.atMs);
  scene.flows.mark('networked-pile-end', `${driver.name} at ${pile.label} #${contract.seq}: ${endReason} end at the pile, receipt over its uplink at ${at}, ${formatEnergy(energyWh)}, ${formatMoney(amountMinor)} settled`);
  scene.flows.mark('outage-records-delivered', `${pile.label} uplink down ${clockText(cut.cutAtMs)}–${clockText(cut.restoredAtMs!)} while ${driver.name} charged; receipt #${receipts[0]!.seq} accepted over the uplink at ${at}, ${formatMoney(amountMinor)} settled once`);
}

/** R9 user stop: the phone asks the relay, the relay the pile; the pile's Receipt settles at once. */
export async function stopOnPhone(scene: Scene, driver: Driver, pile: SimPile, channel: WatchedChannel, contract: PhoneContract): Promise<void> {
  const receipt = (await channel.session.stop()).message;
  pile.sim.clock.advance(0); // the pile's event loop redraws its display
  const ended = await channel.next('ended', (e) => e.data.contractSeq === contract.seq, `the end of #${contract.seq}`);
  await channel.close();
  check(receipt.endReason === 'user' && ended.data.endReason === 'user', `${driver.name}'s stop on the phone ended #${contract.seq} as a user stop`);
  scene.expectState(pile, 'finishing');
  driver.screen = `stopped: ${formatEnergy(receipt.energyWh)}, ${formatMoney(receipt.amountMinor)}`;
  await scene.say(pile.label, `${driver.name} stops on the phone: relay → pile over the uplink, receipt #${receipt.seq} signed by the pile, ${formatEnergy(receipt.energyWh)}, ${formatMoney(receipt.amountMinor)} — display: "${pile.sim.display.lines.slice(0, 2).join(' ')}"`);
  const amountMinor = await settledOnce(scene, driver, pile, contract, 'user');
  scene.flows.mark('networked-user-stop', `${driver.name} at ${pile.label} #${contract.seq}: stopped on the phone, receipt #${receipt.seq} from the pile, ${formatMoney(amountMinor)} settled at once`);
}

/** The contract settled with `endReason`, once on the ledger, the driver's balance moved by the amount only. */
async function settledOnce(scene: Scene, driver: Driver, pile: SimPile, contract: PhoneContract, endReason: string): Promise<number> {
  await scene.settle();
  const settled = await scene.contractOf(driver, pile, contract.seq);
  const amountMinor = settled.amountMinor ?? -1;
  check(settled.status === 'settled' && settled.endReason === endReason, `${pile.label} #${contract.seq} settled as ${endReason} (${settled.status}, ${settled.endReason})`);
  const contractId = settled.contractId.toLowerCase().replace(/^0x/, '');
  const settlements = (await scene.system.relay.ledger.history()).filter((e) => e.kind === 'settled' && e.contractId.toLowerCase().replace(/^0x/, '') === contractId);
  check(settlements.length === 1, `${pile.label} #${contract.seq} settled once on the ledger (${settlements.length})`);
  const after = await onLedger(scene, driver);
  const { ledgerAfterStart: start } = contract;
  check(after.escrowMinor === start.escrowMinor - contract.capMinor && after.balanceMinor === start.balanceMinor + contract.capMinor - amountMinor, `${driver.name}'s ledger: cap released, ${amountMinor} charged`);
  return amountMinor;
}
