/** Who a token or an access key speaks for. */
export type TokenRole = 'admin' | 'readonly';

export interface TokenGrant {
  readonly projectId: string;
  readonly role: TokenRole;
}
