/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Plain cryptographic helpers over byte buffers. This folder is the only code
 * that includes mbedTLS; no mbedTLS type appears in this header.
 */
#ifndef BTPM_CRYPTO_H
#define BTPM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/*
 * PEM-encode der[0..len) with the given label ("CERTIFICATE") into out,
 * NUL-terminated. Returns 0, or BTPM_E_TOOBIG when cap is too small (with
 * *olen set to the size needed), or BTPM_E_CRYPTO.
 */
int btpm_pem_encode(const char *label, const uint8_t *der, size_t len, char *out, size_t cap,
		    size_t *olen);
/* Base64 (RFC 4648) of p[0..n) into out, NUL-terminated; *olen excludes the NUL. */
int btpm_base64_encode(const uint8_t *p, size_t n, char *out, size_t cap, size_t *olen);


/*
 * Unless said otherwise, functions below return 0 or a negative BTPM_E_* code (baretpm.h):
 * BTPM_E_ARG for a NULL pointer or a length that cannot be right,
 * BTPM_E_UNSUPPORTED for an algorithm or curve not listed here,
 * BTPM_E_NOMEM when mbedTLS cannot allocate, BTPM_E_CRYPTO when an operation
 * fails (a point not on the curve, a signature that does not verify, a GCM tag
 * that does not match). Functions are reentrant and keep no state between
 * calls; every intermediate secret is wiped before they return, on error
 * paths too. NULL is allowed wherever the matching length is 0.
 */

/* TPM_ALG_ID (Part 2, 6.3); identical to the definitions in tpm/internal.h. */
#ifndef BTPM_ALG_SHA1
#define BTPM_ALG_SHA1 0x0004u
#define BTPM_ALG_SHA256 0x000Bu
#define BTPM_ALG_SHA384 0x000Cu
#define BTPM_ALG_SHA512 0x000Du
#endif
/* TPM_ECC_CURVE (Part 2, 6.4) */
#define BTPM_ECC_NIST_P256 0x0003u
#define BTPM_ECC_NIST_P384 0x0004u

#define BTPM_MAX_DIGEST 64    /* SHA-512 */
#define BTPM_MAX_ECC_COORD 48 /* P-384 */
#define BTPM_AES_BLOCK 16
#define BTPM_GCM_IV 12
#define BTPM_GCM_TAG 16

/* One piece of a message that is hashed without being copied together. */
struct btpm_iov {
	const void *p;
	size_t n;
};

/* ---- digests and HMAC (hash.c) ------------------------------------------ */

/* Digest size in bytes of a TPM_ALG_ID, or 0 if the algorithm is not supported. */
int btpm_hash_size(uint16_t alg);

/* out (btpm_hash_size(alg) bytes) = H(p[0..n)). */
int btpm_hash(uint16_t alg, const void *p, size_t n, uint8_t *out);

/* out = H(v[0] || v[1] || ... || v[nv-1]). */
int btpm_hash_v(uint16_t alg, uint8_t *out, const struct btpm_iov *v, size_t nv);

/* out (btpm_hash_size(alg) bytes) = HMAC(key, p[0..n)); any key length, 0 too. */
int btpm_hmac(uint16_t alg, const uint8_t *key, size_t keylen, const void *p, size_t n,
	      uint8_t *out);

/* out = HMAC(key, v[0] || ... || v[nv-1]). */
int btpm_hmac_v(uint16_t alg, const uint8_t *key, size_t keylen, uint8_t *out,
		const struct btpm_iov *v, size_t nv);

/* ---- key derivation (kdf.c) --------------------------------------------- */

/*
 * KDFa (Part 1, 11.4.10.2): SP 800-108 counter mode with HMAC,
 *   K(i) = HMAC(key, [i]_32 || label || 0x00 || contextU || contextV || [bits]_32),
 * concatenated and truncated to bits. label is a C string ("ATH", "CFB",
 * "SECRET", NULL for none) hashed with its terminating NUL, which is exactly
 * the spec's "a 0 octet follows the label unless it already ends in one".
 * out receives (bits + 7) / 8 bytes; when bits is not a multiple of 8 the
 * unused high bits of out[0] are cleared. bits must be non-zero.
 */
int btpm_kdfa(uint16_t alg, const uint8_t *key, size_t keylen, const char *label,
	      const uint8_t *context_u, size_t ulen, const uint8_t *context_v, size_t vlen,
	      uint32_t bits, uint8_t *out);

/*
 * KDFe (Part 1, 11.4.10.3): SP 800-56A concatenation KDF,
 *   K(i) = H([i]_32 || Z || label || 0x00 || partyUInfo || partyVInfo),
 * with Z the x-coordinate of the shared point; label, truncation and masking
 * as for btpm_kdfa. For a salted session: btpm_kdfe(nameAlg, z_x, n, "SECRET",
 * ephemeral x, n, tpm key x, n, digest bits, salt).
 */
int btpm_kdfe(uint16_t alg, const uint8_t *z, size_t zlen, const char *label,
	      const uint8_t *party_u, size_t ulen, const uint8_t *party_v, size_t vlen,
	      uint32_t bits, uint8_t *out);

/* ---- AES (aes.c) ------------------------------------------------------------ */

/*
 * AES in full-block CFB mode (CFB-128), as the TPM uses for parameter
 * encryption (Part 1, 11.4.6.3 and 21.3): buf[0..n) is transformed in place,
 * any n (the last block is a partial one). keylen is 16, 24 or 32; iv is 16
 * bytes and is not modified.
 */
int btpm_aes_cfb_encrypt(const uint8_t *key, size_t keylen, const uint8_t *iv, uint8_t *buf,
			 size_t n);
int btpm_aes_cfb_decrypt(const uint8_t *key, size_t keylen, const uint8_t *iv, uint8_t *buf,
			 size_t n);

/*
 * AES-GCM with a 12-byte IV and a 16-byte tag (for data at rest: the token
 * store). seal encrypts buf[0..n) in place and writes tag; open checks the
 * tag in constant time and decrypts in place, or returns BTPM_E_CRYPTO and
 * leaves buf zeroed. The IV must never repeat under one key.
 */
int btpm_aes_gcm_seal(const uint8_t *key, size_t keylen, const uint8_t *iv, const uint8_t *aad,
		      size_t aadlen, uint8_t *buf, size_t n, uint8_t *tag);
int btpm_aes_gcm_open(const uint8_t *key, size_t keylen, const uint8_t *iv, const uint8_t *aad,
		      size_t aadlen, uint8_t *buf, size_t n, const uint8_t *tag);

/* ---- elliptic curves (ecc.c) ---------------------------------------------- */

/*
 * Points are given as X and Y big-endian coordinates (TPMS_ECC_POINT) of
 * exactly coord_len bytes, the curve's size (btpm_ecc_coord_size); callers
 * left-pad shorter TPM2B_ECC_PARAMETERs. Scalars are coord_len bytes too
 * (true for P-256 and P-384, whose order has the field's length).
 */

/* Coordinate size in bytes of a TPM_ECC_CURVE, or 0 if not supported. */
int btpm_ecc_coord_size(uint16_t curve);

/*
 * One-pass ECDH with a fresh ephemeral key, as for the salt of a session
 * (Part 1, 11.4.10.3 and Annex C, ECC secret sharing): checks that the peer
 * point lies on the curve (BTPM_E_CRYPTO otherwise), draws an ephemeral key,
 * returns its public point in our_x/our_y and the x-coordinate of the shared
 * point in z_x. The ephemeral private scalar never leaves this function.
 */
int btpm_ecdh_ephemeral(uint16_t curve, const uint8_t *peer_x, const uint8_t *peer_y,
			size_t coord_len, uint8_t *our_x, uint8_t *our_y, uint8_t *z_x);

/*
 * A public point (x, y), coord_len bytes each, on the curve: 0, else
 * BTPM_E_CRYPTO (SP 800-56A 5.6.2.3.3, full public key validation).
 */
int btpm_ecc_point_check(uint16_t curve, size_t coord_len, const uint8_t *x, const uint8_t *y);

/*
 * ECDSA verification (FIPS 186-4, 6.4) of (r, s) over digest with the public
 * point (pub_x, pub_y). r and s are big-endian of 1..coord_len bytes each.
 * Returns 0 if the signature is valid, BTPM_E_CRYPTO if it is not or the point
 * is not on the curve.
 */
int btpm_ecdsa_verify(uint16_t curve, const uint8_t *pub_x, const uint8_t *pub_y,
		      size_t coord_len, const uint8_t *digest, size_t dlen, const uint8_t *r,
		      size_t rlen, const uint8_t *s, size_t slen);

/*
 * Software keys, for tests and host-side use only: the private scalar lives
 * in the caller's memory, which must wipe it (btpm_wipe). Never use these for
 * keys that belong in the TPM.
 */
/* Generate a key pair: priv, pub_x, pub_y of coord_len bytes each. */
int btpm_ecc_keygen(uint16_t curve, size_t coord_len, uint8_t *priv, uint8_t *pub_x,
		    uint8_t *pub_y);
/* The public point of a private scalar (1 <= priv < n). */
int btpm_ecc_public(uint16_t curve, size_t coord_len, const uint8_t *priv, uint8_t *pub_x,
		    uint8_t *pub_y);
/* Static ECDH: z_x = x-coordinate of priv * peer, after validating peer. */
int btpm_ecdh(uint16_t curve, size_t coord_len, const uint8_t *priv, const uint8_t *peer_x,
	      const uint8_t *peer_y, uint8_t *z_x);

/*
 * ECDH on P-256 in baretpm's own constant-time code (p256.c), which
 * btpm_ecdh and btpm_ecdh_ephemeral use for P-256; big-endian, 32 bytes
 * each. BTPM_E_UNSUPPORTED when built without unsigned __int128 (those two
 * then use mbedTLS).
 *
 * btpm_p256_ecdh: z_x = x-coordinate of priv * peer. BTPM_E_ARG for a NULL
 * pointer or priv not in [1, n-1]; BTPM_E_CRYPTO for a peer point with a
 * coordinate >= p or off the curve (checked first, as btpm_ecdh does), or a
 * result at infinity. z_x is zeroed on every error after the NULL checks.
 *
 * btpm_p256_ecdh_ephemeral: btpm_ecdh_ephemeral for P-256. Validates the peer
 * point before drawing anything, draws d uniformly in [1, n-1] from
 * btpm_random, returns d * G in our_x/our_y and x(d * peer) in z_x. d never
 * leaves the function; on any error after the NULL checks all three outputs
 * are zeroed.
 */
int btpm_p256_ecdh(const uint8_t priv[32], const uint8_t peer_x[32], const uint8_t peer_y[32],
		   uint8_t z_x[32]);
int btpm_p256_ecdh_ephemeral(const uint8_t peer_x[32], const uint8_t peer_y[32],
			     uint8_t our_x[32], uint8_t our_y[32], uint8_t z_x[32]);
/*
 * Deterministic ECDSA (RFC 6979) with a software key; dlen must be 20, 32, 48
 * or 64 and selects the hash of the nonce derivation (SHA-1/256/384/512).
 * r and s receive coord_len bytes each.
 */
int btpm_ecdsa_sign(uint16_t curve, size_t coord_len, const uint8_t *priv,
		    const uint8_t *digest, size_t dlen, uint8_t *r, uint8_t *s);

/* ---- ECDSA signature encodings (der.c) -------------------------------------- */

/*
 * r||s (each len bytes, big-endian, leading zeros allowed) to a DER
 * ECDSA-Sig-Value (RFC 3279, 2.2.3: SEQUENCE { r INTEGER, s INTEGER }),
 * minimal encodings. len is 1..66. Returns BTPM_E_TOOBIG, with *der_len set to
 * the size needed, when cap is too small.
 */
int btpm_ecdsa_rs_to_der(const uint8_t *r, const uint8_t *s, size_t len, uint8_t *der,
			 size_t cap, size_t *der_len);

/*
 * Strict DER ECDSA-Sig-Value to r and s of len bytes each (left-padded with
 * zeros). Rejects with BTPM_E_MALFORMED: a wrong tag, indefinite or
 * non-minimal lengths, lengths that overrun or leave trailing bytes, empty,
 * negative or non-minimal INTEGERs, and values longer than len bytes.
 */
int btpm_ecdsa_der_to_rs(const uint8_t *der, size_t der_len, uint8_t *r, uint8_t *s, size_t len);

/* ---- randomness and memory (rng.c, util.c) --------------------------------- */

/* n bytes from the kernel's CSPRNG (getrandom(2)); n = 0 is a no-op. */
int btpm_random(uint8_t *out, size_t n);

/*
 * 1 if a[0..n) equals b[0..n), else 0, in time that depends on n only. A NULL
 * a or b with n > 0 compares unequal (0): the result is safe to use as a
 * boolean, so it cannot return an error code.
 */
int btpm_ct_equal(const void *a, const void *b, size_t n);

/* Zero p[0..n) in a way the compiler may not elide. */
void btpm_wipe(void *p, size_t n);

#endif
