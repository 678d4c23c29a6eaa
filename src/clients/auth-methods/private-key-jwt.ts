import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { CLIENT_ASSERTION_ALGS, CLIENT_ASSERTION_MAX_LIFETIME_SECONDS, ClientKeysUnavailable, type ClientAssertionChecks } from './assertion-checks.js';
import type { ClientAuthMethod, PresentedCredentials, StoredCredentials, VerificationContext } from './method.js';
import { invalidClient } from './refusal.js';

/** RFC 7523 2.2. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Far more than any real assertion (a few hundred bytes; RS512 with a long kid under 2 KiB). */
const MAX_ASSERTION_LENGTH = 8 * 1024;
const MAX_JTI_LENGTH = 256;

const refuse = (description: string) => invalidClient(false, description);

/** The assertion the request carries, when it is one of ours at all (type, size, three parts). */
function assertionOf({ params }: PresentedCredentials): string | undefined {
  if (params.client_assertion_type !== JWT_BEARER_ASSERTION_TYPE) return undefined;
  const assertion = params.client_assertion;
  if (assertion === undefined || assertion.length > MAX_ASSERTION_LENGTH || assertion.split('.').length !== 3) return undefined;
  return assertion;
}

/** The unverified `sub` (RFC 7523 3 item 2: the client_id), only to find the client whose keys verify it. */
function claimedClientId(presented: PresentedCredentials): string | undefined {
  const assertion = assertionOf(presented);
  if (!assertion) return undefined;
  let payload: JWTPayload;
  try {
    payload = decodeJwt(assertion);
  } catch {
    return undefined;
  }
  if (typeof payload.sub !== 'string') return undefined;
  // RFC 7521 4.2: a client_id parameter, when sent, names the same client.
  if (presented.params.client_id !== undefined && presented.params.client_id !== payload.sub) return undefined;
  return payload.sub;
}

/**
 * RFC 7523 3 item 3 (and RFC 9126 2): the audience identifies this server as the issuer, its
 * token endpoint, or the endpoint the assertion was sent to. Only a single string: an array is
 * refused, so an assertion minted for one server and one purpose cannot be sent to another
 * that happens to be in the list (the 2025 private_key_jwt audience advisory, and
 * draft-ietf-oauth-rfc7523bis, which makes aud a single value).
 */
function audienceAccepted(aud: unknown, checks: ClientAssertionChecks, endpointUrl: string): boolean {
  return typeof aud === 'string' && (aud === checks.issuer || aud === checks.tokenEndpoint || aud === endpointUrl);
}

/** jose's verdict on signature, alg, iss, sub, exp and nbf, as an invalid_client description; a missing kid fetches keys again once. */
async function verifySignature(assertion: string, client: StoredCredentials, context: VerificationContext): Promise<JWTPayload> {
  const { assertions: checks, now } = context;
  const options = {
    algorithms: [...CLIENT_ASSERTION_ALGS],
    issuer: client.clientId,
    subject: client.clientId,
    requiredClaims: ['exp', 'jti'],
    clockTolerance: checks.clockToleranceSeconds,
    currentDate: now,
  };
  const attempt = async (keys: JWTVerifyGetKey) => (await jwtVerify(assertion, keys, options)).payload;
  try {
    try {
      return await attempt(await checks.keys.keySet(client, now));
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // The client may have rolled its key since we fetched its set: fetch once more (throttled).
      const refreshed = await checks.keys.refreshed(client, now);
      if (!refreshed) throw error;
      return await attempt(refreshed);
    }
  } catch (error) {
    throw refuse(assertionProblem(error));
  }
}

/** What to tell the client about its assertion (never the key material, never another client's state). */
function assertionProblem(error: unknown): string {
  if (error instanceof ClientKeysUnavailable) return "the client's keys could not be obtained from its jwks_uri";
  if (error instanceof errors.JWKSNoMatchingKey) return 'no registered key of this client matches the assertion (kid, alg)';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'several keys match the assertion: give it a kid';
  if (error instanceof errors.JOSEAlgNotAllowed) return `the assertion's alg is not allowed; use one of ${CLIENT_ASSERTION_ALGS.join(', ')}`;
  if (error instanceof errors.JWTExpired) return 'the client assertion has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `the client assertion's ${error.claim} claim is not valid (${error.reason})`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the client assertion signature does not verify';
  return 'the client assertion is not a valid signed JWT';
}

/** Lifetime, issue time and jti: the checks jose leaves to us. */
function checkClaims(payload: JWTPayload, context: VerificationContext): { jti: string; expiresAt: Date } {
  const { assertions: checks, now, endpointUrl } = context;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const tolerance = checks.clockToleranceSeconds;
  if (!audienceAccepted(payload.aud, checks, endpointUrl)) {
    throw refuse(`the client assertion's aud must be one string: ${checks.issuer} (the issuer), the token endpoint or this endpoint's URL`);
  }
  const exp = payload.exp!;
  if (payload.iat !== undefined && payload.iat > nowSeconds + tolerance) throw refuse("the client assertion's iat is in the future");
  const from = payload.iat ?? nowSeconds;
  if (exp - from > CLIENT_ASSERTION_MAX_LIFETIME_SECONDS) {
    throw refuse(`the client assertion lives too long: exp may be at most ${CLIENT_ASSERTION_MAX_LIFETIME_SECONDS} s after iat (or now)`);
  }
  const { jti } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) throw refuse(`the client assertion needs a jti of 1 to ${MAX_JTI_LENGTH} characters`);
  return { jti, expiresAt: new Date((exp + tolerance) * 1000) };
}

/**
 * RFC 7523 2.2 and 3, OpenID Connect Core 9: the client signs a short-lived JWT with its private
 * key; Latchkey verifies it with the client's registered public keys (jwks or jwks_uri). The
 * order matters: nothing is recorded before the signature and claims verify, so a forged
 * assertion cannot burn a jti; the jti is recorded last, in one statement.
 */
export const privateKeyJwt: ClientAuthMethod<'private_key_jwt'> = {
  name: 'private_key_jwt',
  clientType: 'confidential',
  credential: 'key',
  usesAuthorizationHeader: false,
  detect: ({ params }) => params.client_assertion !== undefined || params.client_assertion_type !== undefined,
  clientId: claimedClientId,
  verify: async (stored, presented, context) => {
    const assertion = assertionOf(presented);
    if (!assertion) return false;
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(assertion).alg;
    } catch {
      return false;
    }
    if (!(CLIENT_ASSERTION_ALGS as readonly unknown[]).includes(alg)) {
      throw refuse(`the assertion's alg is not allowed; use one of ${CLIENT_ASSERTION_ALGS.join(', ')}`);
    }
    const payload = await verifySignature(assertion, stored, context);
    const { jti, expiresAt } = checkClaims(payload, context);
    if (!(await context.assertions.consumeJti(stored.clientId, jti, expiresAt))) throw refuse('the client assertion was used before (jti)');
    return true;
  },
};
