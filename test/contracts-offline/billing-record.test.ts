// Billing records: a signed Contract or Receipt, read without the key (to learn the pile) or
// verified with it; anything else is refused with its own code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import { openBillingRecord, readBillingRecord } from '../../contracts-offline/billing-record.ts';
import { keyPairFromSecret } from '../../contracts-offline/keys.ts';
import { encodeContract } from '../../contracts-offline/messages/contract.ts';
import { encodePileInfo } from '../../contracts-offline/messages/pile-info.ts';
import { encodeReceipt } from '../../contracts-offline/messages/receipt.ts';
import { signMessage } from '../../contracts-offline/signed.ts';
import { samples } from '../support/samples.ts';
import { rfc8032Vectors } from './vectors-rfc8032.ts';

const pile = keyPairFromSecret(hexToBytes(rfc8032Vectors[0]!.secretKey));
const other = keyPairFromSecret(hexToBytes(rfc8032Vectors[1]!.secretKey));
const contract = signMessage(encodeContract(samples.Contract), pile.secretKey);
const receipt = signMessage(encodeReceipt(samples.Receipt), pile.secretKey);

test('a contract and a receipt, with their pile and billing sequence', () => {
  const c = readBillingRecord(contract);
  assert.ok(c.ok && c.value.kind === 'contract' && c.value.seq === 41);
  if (c.ok) assert.equal(c.value.pileId, samples.Contract.pileId);
  const r = openBillingRecord(receipt, { publicKey: pile.publicKey });
  assert.ok(r.ok && r.value.kind === 'receipt' && r.value.seq === 42);
});

test('refusals: another message type, sequence 0, another key, garbage', () => {
  const info = signMessage(encodePileInfo(samples.PileInfo), pile.secretKey);
  assert.equal(readBillingRecord(info), { ok: false, code: 'unexpected-type', reason: 'a PileInfo is not a billing record (expected Contract or Receipt)' });
  const zero = signMessage(encodeContract({ ...samples.Contract, seq: 0 }), pile.secretKey);
  assert.equal(readBillingRecord(zero), { ok: false, code: 'malformed', reason: 'Contract: seq 0 is not a billing sequence (they start at 1)' });
  const orphan = signMessage(encodeReceipt({ ...samples.Receipt, contractSeq: 0 }), pile.secretKey);
  assert.equal(readBillingRecord(orphan), { ok: false, code: 'malformed', reason: 'Receipt: contractSeq 0 is not a billing sequence (they start at 1)' });
  assert.equal(openBillingRecord(contract, { publicKey: other.publicKey }), { ok: false, code: 'bad-signature', reason: 'cose: kid mismatch' });
  const garbage = readBillingRecord(Uint8Array.of(1, 2, 3));
  assert.ok(!garbage.ok && garbage.code === 'malformed');
});

test.run();
