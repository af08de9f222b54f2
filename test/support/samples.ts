// One valid example of every message type (also the source of test/fixtures/<type>.json).
// XS-safe: imports only contracts-offline.
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import type { MessageMap, MessageName } from '../../contracts-offline/messages/registry.ts';

const pileId = hexToBytes('50a1e00000000017');
const userKid = hexToBytes('9c0ffee000000042');
const voucherId = hexToBytes('70c4e40000000001');
const pileNonce = hexToBytes('b1a2c3d4e5f60718');
const phoneNonce = hexToBytes('0102030405060708090a0b0c');
const tariff = { version: 3, energyMinorPerKwh: 35, timeMinorPerHour: 60, sessionFeeMinor: 50 };

export const samples: { [N in MessageName]: MessageMap[N] } = {
  PileHello: { pileId, firmwareVersion: '0.1.0', configVersion: 3, state: 'available', outboxCount: 2, pileNonce },
  UserHello: { userKid, displayName: 'Zoë K.', phoneNonce },
  PileInfo: { pileId, phoneNonce, state: 'available', configVersion: 3, tariff, label: 'Depot 4, bay 2' },
  PileUpdate: { pileId, configVersion: 4, tariff: { ...tariff, version: 4, energyMinorPerKwh: 38 }, label: 'Depot 4, bay 2', maxPowerW: 22_000, issuedAtS: 1_795_000_000 },
  Authorization: { voucherId, userKid, pileId, pileNonce, limit: { mode: 'energy', energyWh: 20_000 }, capMinor: 1_050, tariffVersion: 3, expiresAtS: 1_795_000_300 },
  Contract: { pileId, seq: 41, userKid, voucherId, limit: { mode: 'energy', energyWh: 20_000 }, tariff, startMeterWh: 1_234_567, capMinor: 1_050, startAtS: 1_795_000_060 },
  StopRequest: { pileId, contractSeq: 41, pileNonce, atS: 1_795_003_600 },
  Receipt: { pileId, contractSeq: 41, seq: 42, endReason: 'user', endDetail: 4, energyWh: 12_345, durationS: 3_540, amountMinor: 532, endMeterWh: 1_246_912, endAtS: 1_795_003_600 },
  Ack: { pileId, ranges: [{ fromSeq: 1, toSeq: 40 }, { fromSeq: 42, toSeq: 42 }], atS: 1_795_003_700 },
  ServiceAuthorization: { pileId, pilePublicKey: hexToBytes('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'), challenge: hexToBytes('c0ffee00112233445566778899aabbcc'), scope: 'provision', issuedAtS: 1_795_000_000 },
  UplinkIdentity: { pileId, challenge: hexToBytes('5e1f00d0aabbccddeeff001122334455'), atS: 1_795_000_120 },
};
