// The PN7160 driver's service self-test (hal/types `NfcCard.selfTest`): one CORE_GET_CONFIG round
// trip reading back LA_SEL_INFO, the parameter the set-up wrote, so a pass means the controller
// answers on I2C and still holds the card-emulation set-up (a controller that reset itself and lost
// it fails). NCI 2.0 CORE_GET_CONFIG_CMD: number of parameters, then their IDs; CORE_GET_CONFIG_RSP:
// status, number of parameters, then (ID, length, value) each — a parameter the NFCC cannot give
// comes back with length 0 under STATUS_INVALID_PARAM. Reading configuration changes nothing, and NCI
// limits only *setting* discovery configuration to RFST_IDLE (§5.2.1), so the test runs while the
// controller listens; the driver refuses it during a tap.
import { type ResetNotification, Status, laSelInfo } from './messages.ts';
import { hex } from './nci.ts';

/** CORE_GET_CONFIG_CMD payload: one parameter, LA_SEL_INFO. */
export const getLaSelInfo = (): number[] => [1, laSelInfo.id];

/** What CORE_RESET_NTF told of the controller at set-up. */
export type ControllerIdentity = Pick<ResetNotification, 'nciVersion' | 'manufacturerId' | 'manufacturerInfo'>;

type ConfigParameter = { id: number; value: Uint8Array };

/** CORE_GET_CONFIG_RSP: status, number of parameters, (ID, length, value) each; strict on lengths. */
export function parseGetConfigResponse(payload: Uint8Array): { status: number; parameters: ConfigParameter[] } | { error: string } {
  if (payload.length < 2) return { error: `CORE_GET_CONFIG_RSP of ${payload.length} bytes has no status and count` };
  const parameters: ConfigParameter[] = [];
  let offset = 2;
  for (let i = 0; i < payload[1]!; i++) {
    if (offset + 2 > payload.length || offset + 2 + payload[offset + 1]! > payload.length) return { error: `CORE_GET_CONFIG_RSP ends inside parameter ${i}` };
    parameters.push({ id: payload[offset]!, value: payload.slice(offset + 2, offset + 2 + payload[offset + 1]!) });
    offset += 2 + payload[offset + 1]!;
  }
  if (offset !== payload.length) return { error: `CORE_GET_CONFIG_RSP has ${payload.length - offset} bytes after its parameters` };
  return { status: payload[0]!, parameters };
}

/**
 * The self-test's answer to CORE_GET_CONFIG_RSP `payload` (≤ 48 characters: NCI version,
 * manufacturer ID and the first 4 bytes of its information, as the controller reported them); throws
 * an Error naming what is wrong.
 */
export function selfTestReport(identity: ControllerIdentity, payload: Uint8Array): string {
  const parsed = parseGetConfigResponse(payload);
  if ('error' in parsed) throw new Error(`pn7160: ${parsed.error}`);
  if (parsed.status !== Status.ok) throw new Error(`pn7160: CORE_GET_CONFIG of LA_SEL_INFO answered status 0x${parsed.status.toString(16)}`);
  const selInfo = parsed.parameters.length === 1 && parsed.parameters[0]!.id === laSelInfo.id ? parsed.parameters[0]!.value : undefined;
  if (selInfo?.length !== 1) throw new Error(`pn7160: CORE_GET_CONFIG_RSP ${hex(payload)} does not hold LA_SEL_INFO alone`);
  if ((selInfo[0]! & laSelInfo.isoDep) === 0) throw new Error(`pn7160: LA_SEL_INFO reads 0x${hex(selInfo)}, not ISO-DEP: the controller lost its set-up`);
  const { nciVersion, manufacturerId, manufacturerInfo } = identity;
  return `NCI ${nciVersion >> 4}.${nciVersion & 0x0f}, mfr ${hex(Uint8Array.of(manufacturerId))} ${hex(manufacturerInfo.subarray(0, 4))}, ISO-DEP set`;
}
