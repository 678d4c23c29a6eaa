/** RFC 6749 5.1 successful response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
  /** Seconds until the refresh token's family ends (as Keycloak reports it). */
  refresh_expires_in?: number;
}
