// The flows whose money side a script checks on the ledger as they happen (R7 plug pulled on a
// capped contract, R11 credit line): balances and escrow read from the ledger adapter itself, the
// script stopped with a DayError ('script') when the method is not followed.
import { formatMoney } from '../../contracts-offline/display-text.ts';
import { userAddressOf } from '../ledger/ids.ts';
import { type Driver, type Scene } from './scene.ts';
import { DayError } from './errors.ts';
import type { SimPile } from './sim-system.ts';

/** Balance and escrow of a driver as the ledger holds them (not the relay's book). */
export async function onLedger(scene: Scene, driver: Driver): Promise<{ balanceMinor: number; escrowMinor: number }> {
  await scene.system.relay.drainLedger();
  const address = userAddressOf(driver.phone.keyPair.kid);
  const ledger = scene.system.relay.ledger;
  const [balance, escrow] = await Promise.all([ledger.balanceOf(address), ledger.escrowOf(address)]);
  return { balanceMinor: Number(balance), escrowMinor: Number(escrow) };
}

export function check(ok: boolean, what: string): void {
  if (!ok) throw new DayError('script', `check failed: ${what}`);
}

/** R6/R7: the plug is pulled on `owner`'s capped contract; the ledger holds the cap until `carrier` taps the pile. */
export async function pulledCapped(scene: Scene, owner: Driver, carrier: Driver, pile: SimPile, contract: { seq: number; capMinor: number }, carrierTap: () => Promise<void>): Promise<void> {
  const before = await onLedger(scene, owner);
  check(before.escrowMinor === contract.capMinor, `${owner.name}'s escrow ${before.escrowMinor} is the cap ${contract.capMinor} before any tap`);
  check((await scene.contractOf(owner, pile, contract.seq)).status === 'provisional', `${owner.name}'s contract is provisional before any tap`);
  owner.screen = `balance ${formatMoney(before.balanceMinor)}, cap ${formatMoney(before.escrowMinor)} held — receipt still in the pile`;
  await scene.say('ledger', `${owner.name}: balance ${formatMoney(before.balanceMinor)}, escrow = the cap ${formatMoney(before.escrowMinor)} while the receipt waits in ${pile.label}`);
  await carrierTap();
  const after = await onLedger(scene, owner);
  const settled = await scene.contractOf(owner, pile, contract.seq);
  const amount = settled.amountMinor ?? -1;
  check(settled.status === 'settled' && settled.endReason === 'abnormal', `${owner.name}'s contract settled as abnormal after ${carrier.name}'s tap`);
  check(after.escrowMinor === 0 && after.balanceMinor === before.balanceMinor + contract.capMinor - amount, `${owner.name}'s ledger balance is the metered amount after the tap`);
  scene.flows.mark('capped-plug-pulled', `${owner.name} at ${pile.label}: cap ${formatMoney(contract.capMinor)} held until ${carrier.name}'s tap, then ${formatMoney(amount)} metered (balance ${formatMoney(before.balanceMinor)} → ${formatMoney(after.balanceMinor)})`);
  await scene.say('ledger', `${owner.name}: escrow released, charged the metered ${formatMoney(amount)}, balance ${formatMoney(after.balanceMinor)}`);
}

/** R11: `driver` asks for more than balance + credit (402), then for less — beyond the balance, within the credit line. */
export async function startOnCredit(scene: Scene, driver: Driver, pile: SimPile): Promise<{ seq: number; capMinor: number }> {
  const account = await scene.account(driver);
  check(account.creditLimitMinor > 0, `${driver.name} has a credit line (limit ${account.creditLimitMinor})`);
  await scene.say('relay', `${driver.name}: balance ${formatMoney(account.balanceMinor)}, credit line ${formatMoney(account.creditLimitMinor)} from ${driver.name}'s settled history`);
  await scene.chooseRefused(driver, { mode: 'amount', amountMinor: account.availableMinor + 100 }, 402);
  const amountMinor = account.availableMinor - (account.availableMinor % 50);
  check(amountMinor > account.balanceMinor, `the amount ${amountMinor} is beyond ${driver.name}'s balance ${account.balanceMinor}`);
  await scene.choose(driver, { mode: 'amount', amountMinor });
  const started = await scene.tapStart(driver, pile);
  const after = await scene.account(driver);
  const ledger = await onLedger(scene, driver);
  const advance = amountMinor - account.balanceMinor;
  check(after.creditUsedMinor === advance && ledger.escrowMinor === amountMinor, `the operator advanced ${advance} and the ledger escrows the cap ${amountMinor}`);
  scene.flows.mark('credit-line', `${driver.name}: balance ${formatMoney(account.balanceMinor)} + credit ${formatMoney(account.creditLimitMinor)} → started ${formatMoney(amountMinor)}; ${formatMoney(advance)} advanced`);
  await scene.say('ledger', `${driver.name}: ${formatMoney(advance)} advanced on credit, cap ${formatMoney(amountMinor)} escrowed`);
  return started;
}
