// The part of sodium-native 5's API tools/sodium-ed25519.ts calls (the package ships no types;
// @types/sodium-native describes its 2.x API on Buffers). Each function throws on a wrong length.
declare module 'sodium-native' {
  const sodium: {
    readonly crypto_sign_PUBLICKEYBYTES: number;
    readonly crypto_sign_SECRETKEYBYTES: number;
    crypto_sign_seed_keypair(publicKey: Uint8Array, secretKey: Uint8Array, seed: Uint8Array): void;
    crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
    crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  };
  export default sodium;
}
