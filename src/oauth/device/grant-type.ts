/**
 * RFC 8628 3.4: the grant_type a device polls /token with. It also names the kind of sign-in a
 * user code starts (the approval's final step, src/oauth/device/approval.ts), so that the sign-in
 * steps can tell a device approval from an authorization-code sign-in.
 */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
