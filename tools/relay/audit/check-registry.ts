// The registry: operators, piles and their configurations.
//   operators     the relay registers one operator, the key of DATA/operator-key.json; any other
//                 row has no source (a database shared by several relay instances on PostgreSQL
//                 holds each instance's operator: audit it from each instance's folder)
//   piles         one per pile with relay-signed PileUpdates; config_version = the newest held.
//                 public_key is the anchor every record of the pile is verified with: the
//                 registration request's operator signature is not kept, so the key itself is
//                 taken as given — a wrong key fails every record of the pile, and the ledger's
//                 hashes tie each record to the bytes the relay first verified
//   pile_configs  every column from its relay-signed PileUpdate; versions 1…newest without holes
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import { keyId } from '../../../contracts-offline/keys.ts';
import type { PileUpdate } from '../../../contracts-offline/messages/pile-update.ts';
import { type DerivedColumns, type Findings, type TableColumns, compareTable, shown, storedInt } from './findings.ts';
import type { AuditAnchors } from './open-relay-data.ts';
import type { StoredTables } from './stored-tables.ts';
import type { VerifiedSources } from './verify-signed.ts';

export const OPERATORS_COLUMNS: TableColumns = {
  derived: ['kid', 'public_key'],
  underivable: { label: 'free text written at generation', created_at_s: 'when the relay first started: nothing signs it' },
};
export const PILES_COLUMNS: TableColumns = {
  derived: ['pile_id', 'config_version'],
  underivable: {
    public_key: 'the anchor the pile\'s records are verified with (the registration request is not kept)',
    operator: 'display text from the registration',
    created_at_s: 'when the pile was registered: nothing signs it',
  },
};
export const PILE_CONFIGS_COLUMNS: TableColumns = {
  derived: ['pile_id', 'config_version', 'label', 'max_power_w', 'tariff_version', 'energy_minor_per_kwh', 'time_minor_per_hour', 'session_fee_minor', 'issued_at_s', 'pile_update'],
  underivable: {},
};

function checkOperators(f: Findings, stored: StoredTables, anchors: AuditAnchors): void {
  f.accountFor('operators', [...stored.operators.values()], OPERATORS_COLUMNS);
  const derived = new Map(anchors.operatorPublicKeys.map((key) => [bytesToHex(keyId(key)), {
    columns: { public_key: { value: bytesToHex(key), from: 'DATA/operator-key.json' } } as DerivedColumns,
    needs: 'DATA/operator-key.json holds this operator\'s key',
  }]));
  compareTable(f, 'operators', stored.operators, derived, () => 'the relay registers only the operator key of its data folder (DATA/operator-key.json)');
}

/** What, besides its own row, says a pile is registered: a relay-signed voucher for it, or records stored for it. */
function pileEvidence(stored: StoredTables, sources: VerifiedSources, pileId: string): string | undefined {
  for (const a of sources.authorizations.values()) if (bytesToHex(a.pileId) === pileId) return `voucher ${bytesToHex(a.voucherId)} (relay-signed) names the pile`;
  for (const key of stored.records.keys()) if (key.startsWith(`${pileId}#`)) return `records ${key} is stored for the pile`;
  return undefined;
}

function checkPiles(f: Findings, stored: StoredTables, sources: VerifiedSources): void {
  f.accountFor('piles', [...stored.piles.values()], PILES_COLUMNS);
  const keys = [...new Set([...stored.piles.keys(), ...sources.pileUpdates.keys()])].sort();
  for (const pileId of keys) {
    const row = stored.piles.get(pileId);
    const versions = sources.pileUpdates.get(pileId);
    if (!row) {
      f.add('piles', pileId, `no row, yet pile_configs ${pileId}#${Math.min(...versions!.keys())} (relay-signed) names it`);
      continue;
    }
    const current = storedInt(row['config_version']);
    if (!versions) {
      const evidence = pileEvidence(stored, sources, pileId);
      if (evidence) f.add('pile_configs', `${pileId}#${current ?? 1}`, `no row, yet ${evidence} and piles ${pileId} says config version ${current} is current`);
      else f.add('piles', pileId, 'no source: no relay-signed PileUpdate names this pile');
      continue;
    }
    const newest = Math.max(...versions.keys());
    if (current !== newest) {
      const held = current !== undefined && current > newest ? ` (no pile_configs row holds version ${current})` : '';
      f.add('piles', pileId, `config_version stored ${shown(row['config_version'])}, derived ${newest} from the relay-signed PileUpdate ${pileId}#${newest}${held}`);
    }
  }
}

function configColumns(m: PileUpdate): DerivedColumns {
  const from = 'the relay-signed PileUpdate';
  const t = m.tariff;
  return {
    pile_id: { value: bytesToHex(m.pileId), from },
    config_version: { value: m.configVersion, from },
    label: { value: m.label, from },
    max_power_w: { value: m.maxPowerW, from },
    tariff_version: { value: t.version, from },
    energy_minor_per_kwh: { value: t.energyMinorPerKwh, from },
    time_minor_per_hour: { value: t.timeMinorPerHour, from },
    session_fee_minor: { value: t.sessionFeeMinor, from },
    issued_at_s: { value: m.issuedAtS, from },
  };
}

function checkPileConfigs(f: Findings, stored: StoredTables, sources: VerifiedSources): void {
  f.accountFor('pile_configs', [...stored.pile_configs.values()], PILE_CONFIGS_COLUMNS);
  for (const [key, row] of stored.pile_configs) {
    const check = sources.configs.get(key)!;
    if (!check.ok) f.add('pile_configs', key, check.reason);
    else f.compareRow('pile_configs', key, row, configColumns(check.message));
  }
  for (const [pileId, versions] of sources.pileUpdates) {
    const newest = Math.max(...versions.keys());
    for (let v = 1; v < newest; v++) {
      if (!versions.has(v) && !stored.pile_configs.has(`${pileId}#${v}`)) f.add('pile_configs', `${pileId}#${v}`, `no row, yet pile_configs ${pileId}#${newest} (relay-signed) follows it: versions are issued 1, 2, 3…`);
    }
  }
}

export function checkRegistry(f: Findings, stored: StoredTables, sources: VerifiedSources, anchors: AuditAnchors): void {
  checkOperators(f, stored, anchors);
  checkPiles(f, stored, sources);
  checkPileConfigs(f, stored, sources);
}
