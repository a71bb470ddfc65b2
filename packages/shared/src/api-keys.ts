/** The workspace API key wire format, written once for the server and the CLI. */

/** Where the server manages workspace API keys (`POST`, `GET`, and `DELETE {path}/{id}`). */
export const API_KEYS_PATH = "/api/workspace/api-keys";

/** A workspace API key as the server lists it: never the key itself or its hash. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  /** The first characters of the key, enough to recognise it. */
  prefix: string;
  created_date: string;
  last_used_date: string | null;
  revoked_date: string | null;
}

/** What creating a key answers: the only time the key is seen in clear. */
export interface CreatedApiKey extends ApiKeyInfo {
  key: string;
}
