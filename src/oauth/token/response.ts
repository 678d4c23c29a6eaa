/** RFC 6749 5.1 successful response. */
export interface TokenResponse {
  access_token: string;
  /** DPoP when the access token is bound to a DPoP key (RFC 9449 5). */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
  /** Seconds until the refresh token's family ends (as Keycloak reports it). */
  refresh_expires_in?: number;
}
