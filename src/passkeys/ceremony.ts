import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { z } from 'zod';
import { CHALLENGE_TTL_SECONDS } from './challenge-store.js';
import { reasonFromLibraryError, type PasskeyResult } from './failure.js';
import type { RelyingParty } from './relying-party.js';
import type { NewPasskey, Passkey } from '../users/passkey-store.js';

/**
 * The two WebAuthn ceremonies (Level 2, 7.1 and 7.2) through @simplewebauthn/server, with
 * Latchkey's choices: user verification required, discoverable credentials required, no
 * attestation (we trust no authenticator model more than another), ES256, EdDSA and RS256.
 */

const SUPPORTED_ALGORITHMS = [-8, -7, -257];

/**
 * The library is loaded by the first ceremony, not at start: with its ASN.1 and CBOR dependencies
 * it holds about 4 MB of V8 heap, which a server whose users have no passkeys would carry for
 * nothing (issue 12's memory bound).
 */
let library: Promise<typeof import('@simplewebauthn/server')> | undefined;
const webauthn = () => (library ??= import('@simplewebauthn/server'));
const base64url = z.string().min(1).max(16_384).regex(/^[A-Za-z0-9_-]+$/);
const transports = z.array(z.string().max(32)).max(10).optional();

/** The JSON @simplewebauthn/browser sends, bounded before the library sees it. */
const registrationResponse = z.object({
  id: base64url.max(1400),
  rawId: base64url.max(1400),
  type: z.literal('public-key'),
  response: z.object({ clientDataJSON: base64url, attestationObject: base64url, transports }).loose(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.string().max(32).optional(),
});

const authenticationResponse = z.object({
  id: base64url.max(1400),
  rawId: base64url.max(1400),
  type: z.literal('public-key'),
  response: z
    .object({ clientDataJSON: base64url, authenticatorData: base64url, signature: base64url, userHandle: base64url.max(128).optional() })
    .loose(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.string().max(32).optional(),
});

export type AssertionJSON = AuthenticationResponseJSON;

/** The WebAuthn user handle of an account: its UUID's 16 bytes (no personal data, WebAuthn 14.6.1). */
export function userHandle(userId: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(Buffer.from(userId.replace(/-/g, ''), 'hex'));
}

export function userHandleBase64url(userId: string): string {
  return Buffer.from(userHandle(userId)).toString('base64url');
}

function descriptor(passkey: Passkey) {
  return { id: passkey.credentialId, transports: passkey.transports as AuthenticatorTransport[] };
}

export async function registrationOptions(
  rp: RelyingParty,
  user: { id: string; username: string; name: string | null },
  existing: readonly Passkey[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { generateRegistrationOptions } = await webauthn();
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userID: userHandle(user.id),
    userName: user.username,
    userDisplayName: user.name ?? user.username,
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    attestationType: 'none',
    // The same authenticator twice is refused by the browser itself (WebAuthn 5.1.3 step 20).
    excludeCredentials: existing.map(descriptor),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  });
}

/** Options for an assertion: any discoverable credential (allow empty), or the given user's. */
export async function authenticationOptions(rp: RelyingParty, allow: readonly Passkey[] = []): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { generateAuthenticationOptions } = await webauthn();
  return generateAuthenticationOptions({
    rpID: rp.id,
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    userVerification: 'required',
    allowCredentials: allow.map(descriptor),
  });
}

export function parseAssertion(body: unknown): AssertionJSON | undefined {
  const parsed = authenticationResponse.safeParse(body);
  return parsed.success ? (parsed.data as AssertionJSON) : undefined;
}

/** WebAuthn 7.1: a new credential for `userId`, or why not. */
export async function verifyRegistration(
  rp: RelyingParty,
  input: { response: unknown; expectedChallenge: string; userId: string; name: string; now: Date },
): Promise<PasskeyResult<{ passkey: NewPasskey }>> {
  const parsed = registrationResponse.safeParse(input.response);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const { verifyRegistrationResponse } = await webauthn();
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response: parsed.data as RegistrationResponseJSON,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
  } catch (error) {
    return { ok: false, reason: reasonFromLibraryError(error) };
  }
  if (!verified.verified) return { ok: false, reason: 'bad_signature' };
  const info = verified.registrationInfo;
  return {
    ok: true,
    passkey: {
      userId: input.userId,
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      signCount: info.credential.counter,
      transports: (parsed.data.response.transports ?? []).filter((t) => /^[a-z-]+$/.test(t)),
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
      name: input.name,
      createdAt: input.now,
    },
  };
}

/**
 * WebAuthn 7.2 steps 11-20 for a stored credential: challenge, origin, RP ID hash, user present
 * and verified, signature. The signature counter (step 21) is left to the caller, which checks
 * it after the signature and updates it atomically (verify.ts): the library would check it
 * before the signature, so a forged assertion could pass for a cloned authenticator.
 */
export async function verifyAssertion(
  rp: RelyingParty,
  input: { response: AssertionJSON; expectedChallenge: string; passkey: Passkey },
): Promise<PasskeyResult<{ signCount: number; backedUp: boolean }>> {
  const { verifyAuthenticationResponse } = await webauthn();
  let verified;
  try {
    verified = await verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      credential: {
        id: input.passkey.credentialId,
        publicKey: Uint8Array.from(Buffer.from(input.passkey.publicKey, 'base64url')),
        counter: 0,
        transports: input.passkey.transports as AuthenticatorTransport[],
      },
    });
  } catch (error) {
    return { ok: false, reason: reasonFromLibraryError(error) };
  }
  if (!verified.verified) return { ok: false, reason: 'bad_signature' };
  return { ok: true, signCount: verified.authenticationInfo.newCounter, backedUp: verified.authenticationInfo.credentialBackedUp };
}
