/** A deployed function as `GET backend-functions` lists it. */
export interface RemoteFunction {
  name: string;
  deployment_id: string;
  entry: string;
  files: { path: string; content: string }[];
  automations?: unknown[];
  updated_date?: string;
}

/** One deployment as `GET backend-functions/{name}/deployments` lists it (newest first). */
export interface RemoteDeployment {
  id: string;
  content_hash: string;
  created_date: string;
  current: boolean;
  files: number;
}
