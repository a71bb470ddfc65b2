/** What `functions.invoke` sends: a body and the content type that goes with it. */
export interface InvokeBody {
  body: FormData | unknown;
  contentType: "multipart/form-data" | "application/json";
}

function isBlob(value: unknown): value is Blob {
  return typeof Blob !== "undefined" && value instanceof Blob;
}

function isFormData(value: unknown): value is FormData {
  return typeof FormData !== "undefined" && value instanceof FormData;
}

function isBinary(value: unknown): boolean {
  return isBlob(value) || (Array.isArray(value) && value.length > 0 && value.every(isBlob));
}

function appendBlob(form: FormData, key: string, blob: Blob): void {
  if (typeof File !== "undefined" && blob instanceof File) form.append(key, blob, blob.name);
  else form.append(key, blob);
}

/**
 * Builds the multipart form for `invoke` data holding files: a `File` or `Blob` keeps its name
 * (a bare `Blob` is named "blob"), an array of files becomes one part per file under the same
 * key, other objects go as JSON strings, other values as plain strings, `undefined` is left out.
 */
export function toFormData(data: Record<string, unknown>): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue;
    if (isBlob(value)) appendBlob(form, key, value);
    else if (isBinary(value)) for (const blob of value as Blob[]) appendBlob(form, key, blob);
    else if (typeof value === "object" && value !== null) form.append(key, JSON.stringify(value));
    else form.append(key, String(value));
  }
  return form;
}

/**
 * Chooses how `invoke` sends `data`: a `FormData` as it is, an object holding `File` or `Blob`
 * values as multipart, anything else as JSON. A string is refused: a function receives named
 * parameters.
 */
export function encodeInvokeBody(name: string, data: unknown): InvokeBody {
  if (typeof data === "string") {
    throw new TypeError(
      `Cannot invoke "${name}": data must be an object of named parameters, not a string: ${JSON.stringify(data.length > 40 ? `${data.slice(0, 40)}…` : data)}`,
    );
  }
  if (isFormData(data)) return { body: data, contentType: "multipart/form-data" };
  if (data !== null && typeof data === "object" && !Array.isArray(data)) {
    const record = data as Record<string, unknown>;
    if (Object.values(record).some(isBinary)) {
      return { body: toFormData(record), contentType: "multipart/form-data" };
    }
  }
  return { body: data, contentType: "application/json" };
}
