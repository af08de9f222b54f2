// The NCI 2.0 control messages the PN7160 driver sends and reads, as payloads (nci.ts adds the
// header). Layouts and values: NCI 2.0 §4.1 (CORE_RESET), §4.2 (CORE_INIT), "Setting Configuration
// Parameters" (CORE_SET_CONFIG; LA_SEL_INFO among the NFC-A listen parameters), "RF Interface
// Mapping Configuration" (RF_DISCOVER_MAP), "Listen Mode Routing Configuration"
// (RF_SET_LISTEN_MODE_ROUTING), "Starting Discovery" (RF_DISCOVER), "RF Interface Activation"
// (RF_INTF_ACTIVATED_NTF), "RF Interface Deactivation" (RF_DEACTIVATE), "Data Flow Control"
// (CORE_CONN_CREDITS_NTF), "Generic Error" and "Interface Error".
// Parsers are strict: a payload whose length disagrees with its own fields is an error, not a guess.

/** The status codes the driver acts on (NCI 2.0 table of status codes); any other is a refusal. */
export const Status = Object.freeze({ ok: 0x00, discoveryAlreadyStarted: 0xa0 });
/** CORE_RESET_CMD Reset Type. */
export const ResetType = Object.freeze({ keepConfiguration: 0x00, resetConfiguration: 0x01 });
/** CORE_RESET_NTF Reset Trigger 0x02: CORE_RESET_CMD received (0x00: unrecoverable error, 0x01: powered on). */
export const ResetTrigger = Object.freeze({ resetCommand: 0x02 });
/** Configuration parameter LA_SEL_INFO: the SEL_RES (SAK) of NFC-A listen mode; bit 5 announces ISO-DEP. */
export const laSelInfo = Object.freeze({ id: 0x32, isoDep: 0x20 });
export const RfProtocol = Object.freeze({ isoDep: 0x04 });
export const RfInterface = Object.freeze({ isoDep: 0x02 });
/** RF_DISCOVER_MAP_CMD Mode bits. */
export const MapMode = Object.freeze({ listen: 0x02 });
/** RF Technology and Mode. */
export const TechMode = Object.freeze({ nfcAPassiveListen: 0x80 });
/** Listen mode routing: the protocol-based entry type, the host's route (DH-NFCEE ID 0) and power state "switched on". */
export const Routing = Object.freeze({ protocol: 0x01, hostNfcee: 0x00, switchedOn: 0x01 });
export const DeactivationType = Object.freeze({ idle: 0x00, sleep: 0x01, sleepAf: 0x02, discovery: 0x03 });
/** Initial Number of Credits 0xFF: the connection does not use data flow control. */
export const noFlowControl = 0xff;

export const commands = Object.freeze({
  /** Reset Type. */
  coreReset: (resetType: number): number[] => [resetType],
  /** NCI 2.0: Feature Enable, two octets; 0 keeps every optional feature off. */
  coreInit: (): number[] => [0x00, 0x00],
  /** One parameter: LA_SEL_INFO = ISO-DEP, so a reader's anticollision sees an ISO 14443-4 card. */
  setIsoDepSelInfo: (): number[] => [1, laSelInfo.id, 1, laSelInfo.isoDep],
  /** One mapping: protocol ISO-DEP, in listen mode, to the ISO-DEP RF interface (the NFCC does ISO 14443-4). */
  mapIsoDepListen: (): number[] => [1, RfProtocol.isoDep, MapMode.listen, RfInterface.isoDep],
  /** Last message (More = 0), one protocol-based entry: ISO-DEP to the host (DH-NFCEE) while switched on. */
  routeIsoDepToHost: (): number[] => [0, 1, Routing.protocol, 3, Routing.hostNfcee, Routing.switchedOn, RfProtocol.isoDep],
  /** One configuration: NFC-A passive listen, in every discovery period. */
  discoverNfcAListen: (): number[] => [1, TechMode.nfcAPassiveListen, 1],
  deactivate: (type: number): number[] => [type],
});

type Failure = { error: string };

export type ResetNotification = { trigger: number; configurationStatus: number; nciVersion: number; manufacturerId: number; manufacturerInfo: Uint8Array };

/** CORE_RESET_NTF (§4.1): trigger, configuration status, NCI version, manufacturer ID, info length, info. */
export function parseResetNotification(payload: Uint8Array): ResetNotification | Failure {
  if (payload.length < 5 || payload.length !== 5 + payload[4]!) return { error: `CORE_RESET_NTF of ${payload.length} bytes does not match its layout` };
  return { trigger: payload[0]!, configurationStatus: payload[1]!, nciVersion: payload[2]!, manufacturerId: payload[3]!, manufacturerInfo: payload.slice(5) };
}

export type InitResponse = { maxControlPayload: number; interfaces: number[] };

/**
 * CORE_INIT_RSP in NCI 2.0 (§4.2): status, NFCC features (4), max logical connections, max routing
 * table size (2), max control packet payload, static HCI connection max data payload and credits,
 * max NFC-V frame size (2), then the RF interfaces, each with its list of extensions.
 */
export function parseInitResponse(payload: Uint8Array): InitResponse | Failure {
  if (payload.length < 14) return { error: `CORE_INIT_RSP of ${payload.length} bytes is shorter than its 14 fixed bytes` };
  if (payload[0] !== Status.ok) return { error: `CORE_INIT_RSP status 0x${payload[0]!.toString(16)}` };
  const interfaces: number[] = [];
  let offset = 14;
  for (let i = 0; i < payload[13]!; i++) {
    if (offset + 2 > payload.length || offset + 2 + payload[offset + 1]! > payload.length) return { error: `CORE_INIT_RSP interface list ends inside entry ${i}` };
    interfaces.push(payload[offset]!);
    offset += 2 + payload[offset + 1]!;
  }
  if (offset !== payload.length) return { error: `CORE_INIT_RSP has ${payload.length - offset} bytes after its interface list` };
  return { maxControlPayload: payload[8]!, interfaces };
}

export type Activation = { discoveryId: number; rfInterface: number; protocol: number; mode: number; maxDataPayload: number; credits: number };

/**
 * RF_INTF_ACTIVATED_NTF: discovery ID, RF interface, protocol, activation technology and mode, max
 * data packet payload size, initial credits, technology parameters (length n), data exchange
 * technology and mode, transmit and receive bit rates, activation parameters (length m).
 */
export function parseActivation(payload: Uint8Array): Activation | Failure {
  const n = payload[6];
  const m = n === undefined ? undefined : payload[10 + n];
  if (n === undefined || m === undefined || payload.length !== 11 + n + m) return { error: `RF_INTF_ACTIVATED_NTF of ${payload.length} bytes does not match its layout` };
  return { discoveryId: payload[0]!, rfInterface: payload[1]!, protocol: payload[2]!, mode: payload[3]!, maxDataPayload: payload[4]!, credits: payload[5]! };
}

/** RF_DEACTIVATE_NTF: deactivation type and reason. */
export function parseDeactivation(payload: Uint8Array): { type: number; reason: number } | Failure {
  if (payload.length !== 2 || payload[0]! > DeactivationType.discovery) return { error: `RF_DEACTIVATE_NTF ${describe(payload)} is not a type and a reason` };
  return { type: payload[0]!, reason: payload[1]! };
}

/** CORE_CONN_CREDITS_NTF: number of entries, then (Conn ID, credits) pairs. */
export function parseCredits(payload: Uint8Array): { connId: number; credits: number }[] | Failure {
  const n = payload[0];
  if (!n || payload.length !== 1 + 2 * n) return { error: `CORE_CONN_CREDITS_NTF ${describe(payload)} is not a list of (connection, credits)` };
  return Array.from({ length: n }, (_, i) => ({ connId: payload[1 + 2 * i]! & 0x0f, credits: payload[2 + 2 * i]! }));
}

function describe(payload: Uint8Array): string {
  let text = '';
  for (const byte of payload.subarray(0, 16)) text += (byte < 16 ? '0' : '') + byte.toString(16);
  return payload.length > 16 ? `${text}… (${payload.length} bytes)` : `"${text}"`;
}
