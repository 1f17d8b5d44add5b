/** The help of `keyheat secrets`, apart from the command so printing it loads nothing else. */
export const SECRETS_USAGE = `Usage: keyheat secrets rotate --new-key-file FILE [--old-key-file FILE] [--config FILE] [--data-dir DIR]

Re-encrypts every stored secret (Redis and Sentinel passwords, TLS client keys) with the key
in FILE (the base64 of 32 bytes, e.g. openssl rand -base64 32 > FILE; chmod 600 FILE), in one
transaction: all or nothing.
The current key comes from --old-key-file, else from KEYHEAT_SECRET_KEY, secrets.key_file or
<data_dir>/secret.key, as keyheat serve finds it.
With SQLite, run it while keyheat serve is stopped. With PostgreSQL, stop every keyheat
process first. Then start keyheat with the new key (KEYHEAT_SECRET_KEY or secrets.key_file).
With the key generated at the first start, <data_dir>/secret.key is replaced by the new key,
written durably, once the secrets are sealed with it.
Secrets already sealed with the new key are left as they are: a rotation that may or may not
have finished (a crash, a lost terminal) is finished by running it again, which then says that
nothing needs re-sealing.`;
