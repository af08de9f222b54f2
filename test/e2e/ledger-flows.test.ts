// The money side of the flows, end to end through the public entry points — phones tapping the
// real firmware over APDUs on the simulated field, the relay's HTTP API, and balances, escrow and
// events read from the ledger adapter itself — for what test/phone/phone-flows.test.ts does not
// cover: the credit line letting a user start (R11), and the plug pulled on a capped (R7) and on
// an open (R8) contract with the ledger showing the cap until another user's tap carries the receipt.
import { createHash } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { base64urlToBytes, bytesToHex } from '../../contracts-offline/bytes.ts';
import { EndDetail } from '../../contracts-offline/messages/receipt.ts';
import type { Hex } from 'viem';
import { recordsDigestOf } from '../../tools/ledger/batch-encoding.ts';
import { contractIdOf, userAddressOf } from '../../tools/ledger/ids.ts';
import { readCarriedRecord, type CarriedRecord } from '../../tools/phone/carried-record.ts';
import type { Phone } from '../../tools/phone/phone.ts';
import type { IsoDepTransport } from '../../tools/phone/pile-reader.ts';
import { RelayError } from '../../tools/phone/errors.ts';
import type { WalletState } from '../../tools/phone/wallet-state.ts';
import { SimSystem, type SimPile } from '../../tools/system-day/sim-system.ts';

const flows = suite<{ sys: SimSystem }>('ledger flows', { sys: new SimSystem() });
flows.before(async ({ sys }) => sys.start());
flows.after(async ({ sys }) => sys.close());

async function onLedger(sys: SimSystem, phone: Phone): Promise<{ balance: number; escrow: number }> {
  await sys.relay.drainLedger();
  const address = userAddressOf(phone.keyPair.kid);
  return { balance: Number(await sys.relay.ledger.balanceOf(address)), escrow: Number(await sys.relay.ledger.escrowOf(address)) };
}

/** The records digest of the one-entry batch that wrote `event`: it pins that entry's signed record. */
async function batchDigestOf(sys: SimSystem, event: { txHash: string }): Promise<Hex> {
  const batch = (await sys.relay.ledger.history()).find((e) => e.kind === 'batch' && e.txHash === event.txHash);
  if (batch?.kind !== 'batch') throw new Error(`no Batch event in ${event.txHash}`);
  assert.is(batch.entries, 1, 'the write was a batch of this one entry');
  return batch.recordsDigest;
}

async function ledgerEventsOf(sys: SimSystem, pile: SimPile, seq: number) {
  const id = contractIdOf(pile.pileId, BigInt(seq)).toLowerCase();
  return (await sys.relay.ledger.history()).filter((e) => 'contractId' in e && e.contractId.toLowerCase() === id);
}

/** The signed records a phone ever held (its saved wallets), by kind and sequence. */
function heldRecord(saved: WalletState[], kind: 'contract' | 'receipt', pile: SimPile, seq: number): CarriedRecord {
  for (const state of saved) {
    for (const text of [...state.records, state.active?.contract].filter((t): t is string => t !== undefined)) {
      const read = readCarriedRecord(base64urlToBytes(text));
      if (read.ok && read.value.kind === kind && read.value.pileId === pile.pileIdHex && read.value.seq === seq) return read.value;
    }
  }
  throw new Error(`no ${kind} ${pile.pileIdHex}#${seq} in the saved wallets`);
}

/** One tap, the field released, then the phone's upload: what the app does. */
async function tapThenSync<T>(sys: SimSystem, pile: SimPile, phone: Phone, flow: (transport: IsoDepTransport) => Promise<T>): Promise<T> {
  const report = await sys.tap(pile, flow);
  await phone.sync();
  return report;
}

const sha256 = (bytes: Uint8Array): Hex => `0x${createHash('sha256').update(bytes).digest('hex')}`;

async function session(sys: SimSystem, pile: SimPile, phone: Phone, minutes: number): Promise<void> {
  sys.plug(pile);
  await tapThenSync(sys, pile, phone, (t) => phone.tapHello(t));
  await phone.requestVoucher({ mode: 'time', durationS: 3600 });
  await tapThenSync(sys, pile, phone, (t) => phone.tapStart(t));
  sys.advance(minutes * 60_000);
  await tapThenSync(sys, pile, phone, (t) => phone.tapStop(t));
  pile.sim.circuit.unplug();
  sys.advance(2000);
}

flows('R11: a credit line from settled history lets a user start beyond the balance; the ledger carries the advance and its repayment', async ({ sys }) => {
  const pile = await sys.addPile('Bay credit');
  const dana = await sys.addPhone('Dana', 2000);
  const ada = await sys.addPhone('Ada', 0);
  for (let i = 0; i < 3; i++) await session(sys, pile, dana, 40);
  const credit = await dana.relay!.userCredit(dana.keyPair);
  assert.is(credit['settledSessions'], 3);
  await dana.relay!.transfer(dana.keyPair, ada.keyPair.kid, 1400);
  const { account } = await dana.account();
  const ledgerBefore = await onLedger(sys, dana);
  assert.is(account.balanceMinor, ledgerBefore.balance);
  assert.is(account.creditLimitMinor, Math.floor((Number(credit['settledAmountMinor']) * 25) / 100), 'default policy: 25 % of the settled amount');
  assert.ok(account.creditLimitMinor > 50);
  assert.is(account.availableMinor, account.balanceMinor + account.creditLimitMinor);

  // the same balance without a settled history is refused
  const newcomer = await sys.addPhone('Newcomer', account.balanceMinor);
  const amountMinor = account.availableMinor - 10;
  assert.ok(amountMinor > account.balanceMinor);
  sys.plug(pile);
  await tapThenSync(sys, pile, newcomer, (t) => newcomer.tapHello(t));
  try {
    await newcomer.requestVoucher({ mode: 'amount', amountMinor });
    assert.unreachable('voucher beyond the balance without credit');
  } catch (error) {
    assert.instance(error, RelayError);
    assert.is((error as RelayError).status, 402);
    assert.is((error as RelayError).code, 'insufficient-funds');
  }
  await tapThenSync(sys, pile, dana, (t) => dana.tapHello(t));
  const voucher = await dana.requestVoucher({ mode: 'amount', amountMinor });
  assert.is(voucher.capMinor, amountMinor);
  const started = await tapThenSync(sys, pile, dana, (t) => dana.tapStart(t));
  const advance = amountMinor - ledgerBefore.balance;
  assert.equal(await onLedger(sys, dana), { balance: 0, escrow: amountMinor }, 'the advance covered the shortfall, the cap is escrowed');
  assert.is((await dana.account()).account.creditUsedMinor, advance);
  const issued = (await sys.relay.ledger.history()).filter((e) => e.kind === 'issued' && e.account.toLowerCase() === userAddressOf(dana.keyPair.kid).toLowerCase());
  assert.equal(issued.map((e) => Number((e as { amountMinor: bigint }).amountMinor)), [2000, advance]);

  sys.advance(4 * 3600_000); // the amount is reached
  await tapThenSync(sys, pile, dana, (t) => dana.tapCollect(t));
  const settled = (await dana.account()).contracts.find((c) => c.pileId === pile.pileIdHex && c.seq === started.contract.seq)!;
  assert.is(settled.status, 'settled');
  assert.is(settled.endReason, 'normal');
  assert.equal(await onLedger(sys, dana), { balance: amountMinor - settled.amountMinor!, escrow: 0 });

  await sys.operatorClient.issue(sys.relay.operatorKey, dana.keyPair.kid, 1000);
  assert.equal(await onLedger(sys, dana), { balance: amountMinor - settled.amountMinor! + 1000 - advance, escrow: 0 }, 'the top-up repaid the advance first');
  assert.is((await dana.account()).account.creditUsedMinor, 0);
  const redeemed = (await sys.relay.ledger.history()).filter((e) => e.kind === 'redeemed' && e.account.toLowerCase() === userAddressOf(dana.keyPair.kid).toLowerCase());
  assert.equal(redeemed.map((e) => Number((e as { amountMinor: bigint }).amountMinor)), [advance]);
  pile.sim.circuit.unplug();
  sys.advance(2000);
});

flows('R6/R7: plug pulled on a capped contract — the ledger holds the cap until ANOTHER user\'s tap carries the receipt, then the metered amount', async ({ sys }) => {
  const pile = await sys.addPile('Bay R7 pulled');
  const adaSaved: WalletState[] = [];
  const bobSaved: WalletState[] = [];
  const ada = await sys.addPhone('Ada', 5000, adaSaved);
  const bob = await sys.addPhone('Bob', 0, bobSaved);
  sys.plug(pile);
  await tapThenSync(sys, pile, ada, (t) => ada.tapHello(t));
  const { capMinor } = await ada.requestVoucher({ mode: 'energy', energyWh: 10_000 });
  const { contract } = await tapThenSync(sys, pile, ada, (t) => ada.tapStart(t));
  sys.advance(15 * 60_000);
  pile.sim.circuit.unplug();
  sys.advance(2000);
  assert.match(pile.sim.display.text(), /plug removed\nTap your phone to\ncollect the receipt/);

  const cap = { balance: 5000 - capMinor, escrow: capMinor };
  assert.equal(await onLedger(sys, ada), cap);
  await ada.sync(); // her phone holds nothing of the end: the receipt is in the pile
  sys.advance(3600_000);
  assert.equal(await onLedger(sys, ada), cap, 'an hour later, still the cap');
  const [opened, ...none] = await ledgerEventsOf(sys, pile, contract.seq);
  assert.is(none.length, 0);
  assert.is(opened?.kind, 'opened');
  assert.is(await batchDigestOf(sys, opened!), recordsDigestOf([sha256(heldRecord(adaSaved, 'contract', pile, contract.seq).bytes)]));
  const http = (await ada.account()).account;
  assert.equal({ balance: http.balanceMinor, escrow: http.escrowMinor }, cap, 'the relay shows the ledger\'s figures');

  const carried = await tapThenSync(sys, pile, bob, (t) => bob.tapHello(t));
  assert.is(carried.carried.fromPile, 1);
  const receipt = heldRecord(bobSaved, 'receipt', pile, contract.seq + 1);
  if (receipt.kind !== 'receipt') throw new Error('not a receipt');
  const r = receipt.message;
  assert.equal([r.endReason, r.endDetail], ['abnormal', EndDetail.plugRemoved]);
  assert.ok(r.energyWh > 0 && r.amountMinor > 0 && r.amountMinor < capMinor);
  assert.equal(await onLedger(sys, ada), { balance: 5000 - r.amountMinor, escrow: 0 });
  const events = await ledgerEventsOf(sys, pile, contract.seq);
  assert.equal(events.map((e) => e.kind), ['opened', 'settled']);
  const settledEvent = events[1]!;
  if (settledEvent.kind !== 'settled') throw new Error(`expected settled, got ${settledEvent.kind}`);
  assert.is(settledEvent.from, 'open-capped', 'the escrowed cap released');
  assert.is(Number(settledEvent.amountMinor), r.amountMinor);
  assert.is(await batchDigestOf(sys, settledEvent), recordsDigestOf([sha256(receipt.bytes)]));
  assert.is(settledEvent.user.toLowerCase(), userAddressOf(ada.keyPair.kid).toLowerCase());
  assert.is((await onLedger(sys, bob)).balance, 0, 'carrying moved nothing of Bob\'s');
});

flows('R6/R8: plug pulled on an open contract — refused (409) elsewhere until another phone\'s tap brings the receipt; the ledger shows the open cap until then', async ({ sys }) => {
  const pile = await sys.addPile('Bay R8 pulled');
  const other = await sys.addPile('Bay R8 other');
  const chen = await sys.addPhone('Chen', 3000);
  const dave = await sys.addPhone('Dave', 0);
  sys.plug(pile);
  await tapThenSync(sys, pile, chen, (t) => chen.tapHello(t));
  const { capMinor } = await chen.requestVoucher({ mode: 'full' });
  assert.is(capMinor, 3000, 'open cap: all that is available (below the policy maximum)');
  const { contract } = await tapThenSync(sys, pile, chen, (t) => chen.tapStart(t));
  sys.advance(20 * 60_000);
  pile.sim.circuit.unplug();
  sys.advance(2000);
  const open = { balance: 0, escrow: 3000 };
  assert.equal(await onLedger(sys, chen), open);

  sys.plug(other);
  await tapThenSync(sys, other, chen, (t) => chen.tapHello(t));
  for (const limit of [{ mode: 'amount', amountMinor: 100 }, { mode: 'full' }] as const) {
    try {
      await chen.requestVoucher(limit);
      assert.unreachable(`voucher for ${limit.mode} with an open contract outstanding`);
    } catch (error) {
      assert.instance(error, RelayError);
      assert.is((error as RelayError).status, 409);
      assert.is((error as RelayError).code, 'open-contract-outstanding');
    }
  }
  assert.equal(await onLedger(sys, chen), open, 'a refusal moves nothing');

  const carried = await tapThenSync(sys, pile, dave, (t) => dave.tapCollect(t));
  assert.is(carried.carried.fromPile, 2, 'the receipt, and the contract whose Ack went back to Chen\'s wallet only');
  const done = (await chen.account()).contracts.find((c) => c.pileId === pile.pileIdHex && c.seq === contract.seq)!;
  assert.equal([done.status, done.endReason], ['settled', 'abnormal']);
  assert.equal(await onLedger(sys, chen), { balance: 3000 - done.amountMinor!, escrow: 0 });
  assert.equal((await ledgerEventsOf(sys, pile, contract.seq)).map((e) => e.kind), ['opened', 'settled']);
  const voucher = await chen.requestVoucher({ mode: 'amount', amountMinor: 100 });
  assert.is(voucher.pileId, bytesToHex(other.pileId));
});

flows.run();
