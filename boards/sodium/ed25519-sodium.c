/*
 * Ed25519 (RFC 8032) and SHA-2 from libsodium for the firmware in a Moddable build. The host board
 * links Debian's libsodium (libsodium-dev); an ESP32 image would link ESP-IDF's libsodium
 * component (README, "For hardware vendors"). Host functions, used by ed25519-sodium.ts; every
 * argument is an ArrayBuffer holding exactly the bytes (the wrapper copies views into their own):
 *   xs_sodium_ed25519_verify(signature 64, message, publicKey 32) → boolean
 *   xs_sodium_ed25519_sign(message, seed 32) → ArrayBuffer 64
 *   xs_sodium_ed25519_public_key(seed 32) → ArrayBuffer 32
 *   xs_sodium_sha512(message) → ArrayBuffer 64
 *   xs_sodium_sha256(message) → ArrayBuffer 32
 * A wrong length throws a RangeError. libsodium's verify: S < L, canonical and not small-order
 * key and R, then the cofactorless equation [S]B = R + [k]A compared on R's encoding.
 */
#include "xs.h"
#include <sodium.h>

static void ready(xsMachine* the)
{
	static int initialised = 0;
	if (!initialised) {
		if (sodium_init() < 0)
			xsUnknownError("sodium: sodium_init failed");
		initialised = 1;
	}
}

/* The buffer's bytes; no XS allocation may happen between this and their last use. */
static const unsigned char* bytesOf(xsMachine* the, xsSlot* slot, xsIntegerValue expected, const char* name, xsIntegerValue* length)
{
	xsIntegerValue got = xsGetArrayBufferLength(*slot);
	if (expected >= 0 && got != expected)
		xsRangeError("sodium: \"%s\" expected %d bytes, got %d", name, (int)expected, (int)got);
	if (length)
		*length = got;
	return xsToArrayBuffer(*slot);
}

void xs_sodium_ed25519_verify(xsMachine* the)
{
	xsIntegerValue messageLength;
	const unsigned char* signature;
	const unsigned char* message;
	const unsigned char* publicKey;
	ready(the);
	signature = bytesOf(the, &xsArg(0), crypto_sign_BYTES, "signature", NULL);
	publicKey = bytesOf(the, &xsArg(2), crypto_sign_PUBLICKEYBYTES, "publicKey", NULL);
	message = bytesOf(the, &xsArg(1), -1, "message", &messageLength);
	xsResult = xsBoolean(crypto_sign_verify_detached(signature, message, (unsigned long long)messageLength, publicKey) == 0);
}

void xs_sodium_ed25519_sign(xsMachine* the)
{
	unsigned char publicKey[crypto_sign_PUBLICKEYBYTES];
	unsigned char secretKey[crypto_sign_SECRETKEYBYTES];
	unsigned char signature[crypto_sign_BYTES];
	xsIntegerValue messageLength;
	const unsigned char* message;
	ready(the);
	crypto_sign_seed_keypair(publicKey, secretKey, bytesOf(the, &xsArg(1), crypto_sign_SEEDBYTES, "secretKey", NULL));
	message = bytesOf(the, &xsArg(0), -1, "message", &messageLength);
	crypto_sign_detached(signature, NULL, message, (unsigned long long)messageLength, secretKey);
	sodium_memzero(secretKey, sizeof(secretKey));
	xsResult = xsArrayBuffer(signature, crypto_sign_BYTES);
}

void xs_sodium_ed25519_public_key(xsMachine* the)
{
	unsigned char publicKey[crypto_sign_PUBLICKEYBYTES];
	unsigned char secretKey[crypto_sign_SECRETKEYBYTES];
	ready(the);
	crypto_sign_seed_keypair(publicKey, secretKey, bytesOf(the, &xsArg(0), crypto_sign_SEEDBYTES, "secretKey", NULL));
	sodium_memzero(secretKey, sizeof(secretKey));
	xsResult = xsArrayBuffer(publicKey, crypto_sign_PUBLICKEYBYTES);
}

void xs_sodium_sha512(xsMachine* the)
{
	unsigned char digest[crypto_hash_sha512_BYTES];
	xsIntegerValue length;
	const unsigned char* message;
	ready(the);
	message = bytesOf(the, &xsArg(0), -1, "message", &length);
	crypto_hash_sha512(digest, message, (unsigned long long)length);
	xsResult = xsArrayBuffer(digest, crypto_hash_sha512_BYTES);
}

void xs_sodium_sha256(xsMachine* the)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	xsIntegerValue length;
	const unsigned char* message;
	ready(the);
	message = bytesOf(the, &xsArg(0), -1, "message", &length);
	crypto_hash_sha256(digest, message, (unsigned long long)length);
	xsResult = xsArrayBuffer(digest, crypto_hash_sha256_BYTES);
}
