// "Does this contract keep to its voucher": one field set for phone, relay and audit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Authorization } from '../../contracts-offline/messages/authorization.ts';
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import { contractVoucherDifferences } from '../../contracts-offline/voucher-match.ts';
import { samples } from '../support/samples.ts';

const voucher: Authorization = samples.Authorization;
const contract: Contract = samples.Contract;

test('the sample contract keeps to the sample voucher', () => {
  assert.equal(contractVoucherDifferences(contract, voucher), []);
});

test('each field that differs is named', () => {
  const other = Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9);
  const cases: [string, Contract, string[]][] = [
    ['voucher id', { ...contract, voucherId: other }, ['voucher']],
    ['user', { ...contract, userKid: other }, ['user']],
    ['pile', { ...contract, pileId: other }, ['pile']],
    ['limit value', { ...contract, limit: { mode: 'energy', energyWh: 20_001 } }, ['limit']],
    ['limit mode', { ...contract, limit: { mode: 'full' } }, ['limit']],
    ['cap', { ...contract, capMinor: contract.capMinor + 1 }, ['cap']],
    ['tariff version', { ...contract, tariff: { ...contract.tariff, version: 9 } }, ['tariff version']],
    ['several', { ...contract, userKid: other, capMinor: 1 }, ['user', 'cap']],
  ];
  for (const [what, c, fields] of cases) assert.equal(contractVoucherDifferences(c, voucher), fields, what);
});

test.run();
