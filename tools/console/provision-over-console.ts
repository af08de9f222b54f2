// `tapcharge provision` as a procedure (issue 12): identify the pile on its service console; a
// provisioned pile is left alone; a blank one creates its key (CreateKey) if it has none, is
// registered at the relay with that key (or its record fetched again when the relay already holds
// this pile with this same key), gets a relay-signed `provision` authorisation for the console's
// fresh challenge, is provisioned, read back byte for byte, and self-tested. Each step is reported
// through `progress`; every refusal is an error whose message says what happened and what did not.
import { bytesToHex, equalBytes } from '../../contracts-offline/bytes.ts';
import type { IdentifyAnswer, SelfTestResult } from '../../contracts-offline/console/answers.ts';
import { type KeyPair, keyId } from '../../contracts-offline/keys.ts';
import type { Tariff } from '../../contracts-offline/messages/fields.ts';
import type { PileUpdate } from '../../contracts-offline/messages/pile-update.ts';
import { readSigned } from '../../contracts-offline/signed.ts';
import { RelayError } from '../phone/errors.ts';
import type { RelayClient } from '../phone/relay-client.ts';
import type { PileProvisioning } from '../relay-api/provisioning-record.ts';
import type { ConsoleClient } from './console-client.ts';
import { ProvisionError } from './errors.ts';

export type PileRegistration = {
  /** Default: the pile key's id. */
  pileId?: Uint8Array;
  operator: string;
  label: string;
  maxPowerW: number;
  tariff: Omit<Tariff, 'version'>;
};

export type ProvisionOutcome = {
  /** True when the pile was provisioned for this relay already and nothing was changed. */
  alreadyProvisioned: boolean;
  pileId: Uint8Array;
  pilePublicKey: Uint8Array;
  relayPublicKey: Uint8Array;
  board: string;
  firmwareVersion: string;
  /** The configuration the pile holds (label, tariff, version, max power). */
  config: PileUpdate;
  /** Empty when nothing was changed. */
  selfTest: SelfTestResult[];
};

export type ProvisionJob = {
  console: ConsoleClient;
  relay: RelayClient;
  operatorKey: KeyPair;
  registration: PileRegistration;
  progress(line: string): void;
};

const short = (bytes: Uint8Array): string => `${bytesToHex(bytes).slice(0, 16)}…`;

function configOf(pileUpdate: Uint8Array): PileUpdate {
  const read = readSigned(pileUpdate, 'PileUpdate');
  if (!read.ok) throw new ProvisionError('bad-record', `the provisioning record's PileUpdate does not decode: ${read.reason}`);
  return read.value.message;
}

export async function provisionOverConsole(job: ProvisionJob): Promise<ProvisionOutcome> {
  const { console: pile, relay, progress } = job;
  progress(`identifying the pile on ${pile.path}…`);
  const first = await pile.request('Identify', {});
  progress(`  ${first.board}, firmware ${first.firmwareVersion}, ${first.provisioning}${first.pilePublicKey.length ? `, key ${short(keyId(first.pilePublicKey))}` : ', no key yet'}`);
  progress(`asking the relay ${relay.baseUrl} for its key…`);
  const { relayPublicKey } = await relay.relayInfo();

  if (first.provisioning === 'provisioned') return leaveProvisioned(job, first, relayPublicKey);
  if (first.provisioning === 'refused') {
    throw new ProvisionError('refused-to-run', `the pile on ${pile.path} holds a provisioning record but refuses to run (${first.fault || 'no reason given'}); nothing changed: see \`tapcharge pile status --port ${pile.path}\``);
  }

  let pilePublicKey = first.pilePublicKey;
  if (pilePublicKey.length === 0) {
    progress('creating the pile\'s key in its key store…');
    pilePublicKey = (await pile.request('CreateKey', {})).pilePublicKey;
    progress(`  key ${short(keyId(pilePublicKey))}`);
  }
  const record = await registered(job, pilePublicKey, relayPublicKey);

  progress('getting a provisioning authorisation from the relay…');
  const fresh = await pile.request('Identify', {});
  const authorization = await relay.serviceAuthorization(job.operatorKey, record.pileId, { challenge: fresh.challenge, scope: 'provision' });
  progress('writing the provisioning record…');
  await pile.request('Provision', { pileId: record.pileId, relayPublicKey: record.relayPublicKey, pilePublicKey: record.pilePublicKey, pileUpdate: record.pileUpdate, firstBillingSeq: record.firstBillingSeq, authorization });
  progress('reading it back…');
  const back = await pile.request('ReadProvisioning', {});
  for (const field of ['pileId', 'relayPublicKey', 'pilePublicKey', 'pileUpdate'] as const) {
    if (!equalBytes(back[field], record[field])) throw new ProvisionError('read-back-differs', `the pile on ${pile.path} reads back another ${field} than was written: its provisioning is not what the relay registered`);
  }
  if (back.firstBillingSeq !== record.firstBillingSeq) throw new ProvisionError('read-back-differs', `the pile on ${pile.path} reads back billing sequence ${back.firstBillingSeq}, not the ${record.firstBillingSeq} written`);
  progress('running the self-test…');
  const { results } = await pile.request('SelfTest', {});
  return {
    alreadyProvisioned: false, pileId: record.pileId, pilePublicKey: record.pilePublicKey, relayPublicKey: record.relayPublicKey,
    board: first.board, firmwareVersion: first.firmwareVersion, config: configOf(record.pileUpdate), selfTest: results,
  };
}

async function leaveProvisioned(job: ProvisionJob, identity: IdentifyAnswer, relayPublicKey: Uint8Array): Promise<ProvisionOutcome> {
  const held = await job.console.request('ReadProvisioning', {});
  const pileId = bytesToHex(held.pileId);
  if (!equalBytes(held.relayPublicKey, relayPublicKey)) {
    throw new ProvisionError('provisioned-elsewhere', `pile ${pileId} is provisioned for another relay (relay key ${short(keyId(held.relayPublicKey))}, not ${job.relay.baseUrl}'s ${short(keyId(relayPublicKey))}); nothing changed`);
  }
  return {
    alreadyProvisioned: true, pileId: held.pileId, pilePublicKey: held.pilePublicKey, relayPublicKey: held.relayPublicKey,
    board: identity.board, firmwareVersion: identity.firmwareVersion, config: configOf(held.pileUpdate), selfTest: [],
  };
}

/** Registers the pile; when the relay holds it already with this same key, its record instead. */
async function registered(job: ProvisionJob, pilePublicKey: Uint8Array, relayPublicKey: Uint8Array): Promise<PileProvisioning> {
  const { relay, registration, progress } = job;
  const pileId = registration.pileId ?? keyId(pilePublicKey);
  progress(`registering pile ${bytesToHex(pileId)} at the relay…`);
  let record: PileProvisioning;
  try {
    record = await relay.registerPile(job.operatorKey, { pileId, publicKey: pilePublicKey, operator: registration.operator, label: registration.label, maxPowerW: registration.maxPowerW, tariff: registration.tariff });
  } catch (error) {
    if (!(error instanceof RelayError) || error.code !== 'already-registered') throw error;
    record = await relay.pileProvisioning(pileId);
    if (!equalBytes(record.pilePublicKey, pilePublicKey)) {
      throw new ProvisionError('registered-with-another-key', `pile ${bytesToHex(pileId)} is registered at ${relay.baseUrl} with another key (${short(keyId(record.pilePublicKey))}), not this pile's ${short(keyId(pilePublicKey))}; nothing changed: give this pile another --pile-id`);
    }
    progress(`  already registered with this key: using its record (config v${record.configVersion})`);
  }
  if (!equalBytes(record.pileId, pileId) || !equalBytes(record.pilePublicKey, pilePublicKey) || !equalBytes(record.relayPublicKey, relayPublicKey)) {
    throw new ProvisionError('bad-record', `the relay answered a provisioning record for another pile, key or relay than asked; nothing changed`);
  }
  return record;
}
