// ServiceAuthorization (type 10, relay-signed): lets one changing service-console command run on
// one pile, once — bound to the pile's id, the key in its key store and the console session's
// current challenge (firmware/console/README.md "Who may do what").
import { type MessageCodec, defineMessage } from './schema.ts';
import { atSField, idField } from './fields.ts';

/** The console's challenge: 16 random bytes, renewed by every Identify and changing command. */
export const CONSOLE_CHALLENGE_BYTES = 16;
/** The changing console commands; an authorisation names exactly one. */
export const SERVICE_SCOPES = ['provision', 'set-clock', 'factory-reset'] as const;
export type ServiceScope = (typeof SERVICE_SCOPES)[number];

export type ServiceAuthorization = {
  pileId: Uint8Array;
  pilePublicKey: Uint8Array;
  challenge: Uint8Array;
  scope: ServiceScope;
  issuedAtS: number;
};

export const ServiceAuthorizationCodec: MessageCodec<ServiceAuthorization> = defineMessage<ServiceAuthorization>({
  type: 10,
  name: 'ServiceAuthorization',
  fields: {
    pileId: idField(2),
    pilePublicKey: { kind: 'bytes', key: 3, minLength: 32, maxLength: 32 },
    challenge: { kind: 'bytes', key: 4, minLength: CONSOLE_CHALLENGE_BYTES, maxLength: CONSOLE_CHALLENGE_BYTES },
    scope: { kind: 'enum', key: 5, names: SERVICE_SCOPES },
    issuedAtS: atSField(6),
  },
});

export const encodeServiceAuthorization = ServiceAuthorizationCodec.encode;
export const decodeServiceAuthorization = ServiceAuthorizationCodec.decode;
