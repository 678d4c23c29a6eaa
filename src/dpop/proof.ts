import { createHash } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { DPOP_SIGNING_ALGS, proofPublicKey, proofSignatureValid, type ProofPublicKey } from './proof-key.js';

/**
 * RFC 9449 4.3: the checks a DPoP proof must pass, in one place, without I/O (the jti replay
 * check and the nonce policy are the caller's: see ./verifier.ts). The header is read with jose;
 * the embedded key and the signature are checked with node:crypto (./proof-key.ts); each refusal
 * names its reason for the log.
 */

export { DPOP_SIGNING_ALGS };

/** A proof longer than this is refused unread: an RSA-4096 proof is about 2 KB. */
export const MAX_PROOF_LENGTH = 4096;
/** RFC 9449 4.2: jti is a unique identifier; ours only need to be unique, not long. */
export const MAX_JTI_LENGTH = 256;
/** How old a proof may be (its iat), besides the clock tolerance: it is made for one request. */
export const PROOF_MAX_AGE_SECONDS = 60;

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export type ProofRefusal = 'missing' | 'multiple' | 'oversized' | 'malformed' | 'bad_header' | 'bad_signature' | 'bad_claims' | 'htm' | 'htu' | 'iat' | 'ath';

export interface ProofRequest {
  /** Every DPoP header the request carried (RFC 9449 4.3 item 1: exactly one). */
  headers: readonly string[];
  /** The request's method, as htm must name it. */
  method: string;
  /** The endpoint's URL as the server publishes it (issuer-based); query and fragment are ignored. */
  url: string;
  /** NumericDate (whole seconds) of now, from the injected clock. */
  now: number;
  toleranceSeconds: number;
  /** At a resource: the access token the proof must hash into `ath` (RFC 9449 4.3 item 11). */
  accessToken?: string;
}

export interface ValidProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: what cnf.jkt binds. */
  jkt: string;
  jti: string;
  iat: number;
  /** The server nonce the proof carries, if any (its validity is the caller's to judge). */
  nonce?: string;
}

export type ProofCheck = { ok: true; proof: ValidProof } | { ok: false; reason: ProofRefusal; detail: string };

const refuse = (reason: ProofRefusal, detail: string): ProofCheck => ({ ok: false, reason, detail });

/** RFC 9449 4.2 / 6.1: base64url(SHA-256(ASCII(access token))). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** The URL without query and fragment, normalised as RFC 3986 6.2.2/6.2.3 (scheme and host case, default port, dot segments). */
function comparableUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return undefined;
  }
}

function hasPrivateParts(jwk: Record<string, unknown>): boolean {
  return PRIVATE_JWK_MEMBERS.some((member) => Object.hasOwn(jwk, member));
}

/** The header before any crypto: typ, an allowed alg, a public jwk that suits the alg. */
function headerKey(proof: string): { alg: string; key: ProofPublicKey } | { problem: string } {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    return { problem: 'the header is not valid JSON' };
  }
  if (header.typ !== 'dpop+jwt') return { problem: 'typ must be dpop+jwt' };
  if (typeof header.alg !== 'string' || !(DPOP_SIGNING_ALGS as readonly string[]).includes(header.alg)) return { problem: 'alg is not an allowed asymmetric algorithm' };
  const jwk = header.jwk as Record<string, unknown> | undefined;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return { problem: 'jwk header is missing' };
  if (hasPrivateParts(jwk)) return { problem: 'jwk must be a public key' };
  if (Object.hasOwn(header, 'crit') || Object.hasOwn(header, 'b64')) return { problem: 'crit and b64 are not understood' };
  const key = proofPublicKey(header.alg, jwk);
  return 'problem' in key ? key : { alg: header.alg, key };
}

/** The payload as a JSON object, or undefined. */
function payloadOf(encoded: string): Record<string, unknown> | undefined {
  try {
    const payload: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** exp and nbf are optional in a proof; when present they are judged on our clock (RFC 7519 4.1.4, 4.1.5). */
function lifetimeProblem(payload: Record<string, unknown>, now: number, tolerance: number): string | undefined {
  const { exp, nbf } = payload;
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp))) return 'exp must be a number';
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) return 'nbf must be a number';
  if (typeof exp === 'number' && exp <= now - tolerance) return 'the proof has expired (exp)';
  if (typeof nbf === 'number' && nbf > now + tolerance) return 'the proof is not valid yet (nbf)';
  return undefined;
}

export async function checkDpopProof(request: ProofRequest): Promise<ProofCheck> {
  if (request.headers.length === 0) return refuse('missing', 'no DPoP header');
  if (request.headers.length > 1) return refuse('multiple', 'more than one DPoP header');
  const proof = request.headers[0]!;
  // Node joins repeated unknown headers with ", "; a compact JWS never contains either.
  if (/[,\s]/.test(proof)) return refuse('multiple', 'more than one DPoP header');
  if (proof.length > MAX_PROOF_LENGTH) return refuse('oversized', 'the proof is too large');
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(proof)) return refuse('malformed', 'not a compact JWS');
  const checked = headerKey(proof);
  if ('problem' in checked) return refuse('bad_header', checked.problem);

  const lastDot = proof.lastIndexOf('.');
  if (!proofSignatureValid(checked.alg, checked.key.key, proof.slice(0, lastDot), Buffer.from(proof.slice(lastDot + 1), 'base64url'))) {
    return refuse('bad_signature', 'the signature does not verify with the jwk header');
  }
  const payload = payloadOf(proof.slice(proof.indexOf('.') + 1, lastDot));
  if (!payload) return refuse('malformed', 'the payload is not a JSON object');
  const lifetime = lifetimeProblem(payload, request.now, request.toleranceSeconds);
  if (lifetime) return refuse('bad_header', lifetime);

  const { jti, htm, htu, iat, ath, nonce } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) return refuse('bad_claims', 'jti must be a string of 1 to 256 characters');
  if (typeof htm !== 'string' || typeof htu !== 'string') return refuse('bad_claims', 'htm and htu are required strings');
  if (nonce !== undefined && (typeof nonce !== 'string' || nonce.length > 256)) return refuse('bad_claims', 'nonce must be a string');
  if (htm !== request.method) return refuse('htm', 'htm does not match the request method');
  const expected = comparableUrl(request.url);
  if (expected === undefined || comparableUrl(htu) !== expected) return refuse('htu', 'htu does not match the request URL');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return refuse('iat', 'iat is required');
  if (iat > request.now + request.toleranceSeconds) return refuse('iat', 'iat is in the future');
  if (iat < request.now - PROOF_MAX_AGE_SECONDS - request.toleranceSeconds) return refuse('iat', 'the proof is too old');
  if (request.accessToken !== undefined) {
    if (typeof ath !== 'string') return refuse('ath', 'ath is required with an access token');
    if (ath !== accessTokenHash(request.accessToken)) return refuse('ath', 'ath does not match the access token');
  }
  return { ok: true, proof: { jkt: checked.key.jkt, jti, iat, ...(nonce !== undefined ? { nonce } : {}) } };
}

/** When a proof's jti may be forgotten: no proof with that iat is accepted after this (seconds). */
export function proofAcceptedUntil(iat: number, toleranceSeconds: number): number {
  return iat + PROOF_MAX_AGE_SECONDS + 2 * toleranceSeconds;
}
