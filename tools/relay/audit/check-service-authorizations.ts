// service_authorizations: what the relay signed to let one changing service-console command run on
// a pile (routes/service-authorizations.ts). Each row's signed bytes must verify with the relay's
// key as a ServiceAuthorization, and every column but one is re-derived from that message:
//   pile_id, challenge, scope   the message's (also the row's key: a copy of a row's bytes under
//                               another key disagrees here)
//   pile_public_key, issued_at_s  the message's; pile_public_key is also the key the registry holds
//                               for the pile (piles): the relay signs for the registered key only
// Not derivable: operator_kid (which operator asked is not signed: checked to be an operator key
// the audit trusts). A deleted row cannot be told: nothing else records an authorisation (the pile
// keeps none), so what the table lists is the most the relay can show of what it issued.
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import type { ServiceAuthorization } from '../../../contracts-offline/messages/service-authorization.ts';
import { checkOperatorKid, operatorKids } from './check-resolutions.ts';
import { type DerivedColumns, type Findings, type TableColumns, shown } from './findings.ts';
import type { AuditAnchors } from './open-relay-data.ts';
import type { StoredTables } from './stored-tables.ts';
import type { VerifiedSources } from './verify-signed.ts';

export const SERVICE_AUTHORIZATIONS_COLUMNS: TableColumns = {
  derived: ['pile_id', 'challenge', 'scope', 'pile_public_key', 'issued_at_s', 'signed'],
  underivable: { operator_kid: 'which operator asked: the request\'s signature is not kept (checked to be an operator key the audit trusts)' },
};

function columns(m: ServiceAuthorization): DerivedColumns {
  const from = 'the relay-signed ServiceAuthorization';
  return {
    pile_id: { value: bytesToHex(m.pileId), from },
    challenge: { value: bytesToHex(m.challenge), from },
    scope: { value: m.scope, from },
    pile_public_key: { value: bytesToHex(m.pilePublicKey), from },
    issued_at_s: { value: m.issuedAtS, from },
  };
}

export function checkServiceAuthorizations(f: Findings, stored: StoredTables, sources: VerifiedSources, anchors: AuditAnchors): void {
  f.accountFor('service_authorizations', [...stored.service_authorizations.values()], SERVICE_AUTHORIZATIONS_COLUMNS);
  const operators = operatorKids(anchors);
  for (const [key, row] of stored.service_authorizations) {
    const check = sources.serviceAuthorizations.get(key)!;
    if (!check.ok) {
      f.add('service_authorizations', key, check.reason);
      continue;
    }
    f.compareRow('service_authorizations', key, row, columns(check.message));
    const pileId = bytesToHex(check.message.pileId);
    const pile = stored.piles.get(pileId);
    const signedKey = bytesToHex(check.message.pilePublicKey);
    if (!pile) f.add('service_authorizations', key, `no source: pile ${pileId}, which the relay-signed ServiceAuthorization names, is not in the registry (piles)`);
    else if (pile['public_key'] !== signedKey) {
      f.add('service_authorizations', key, `pile_public_key ${signedKey} (relay-signed) is not the key the registry holds for pile ${pileId} (piles public_key ${shown(pile['public_key'])}): the relay signs for the registered key only`);
    }
    checkOperatorKid(f, 'service_authorizations', key, row, operators);
  }
}
