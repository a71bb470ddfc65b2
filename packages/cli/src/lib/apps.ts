/** An app as the management API returns it. */
export interface RemoteApp {
  id: string;
  name: string;
  functions_enabled: boolean;
  [field: string]: unknown;
}
