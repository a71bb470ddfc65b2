import axios, { type AxiosError, type AxiosInstance } from "axios";
import { toApiError } from "./errors.js";

/** Joins the server URL and a path, dropping the server URL's trailing slashes. */
export function joinUrl(serverUrl: string, path: string): string {
  return `${serverUrl.replace(/\/+$/, "")}${path}`;
}

/** Encodes each segment of a function name, keeping the `/` of nested names. */
export function encodeName(name: string): string {
  return name.split("/").map(encodeURIComponent).join("/");
}

/**
 * The axios instance `functions.invoke` uses: answers come back raw (`{ data, status, ... }`)
 * and a non-2xx status rejects with axios' own error, as in `@base44/sdk`.
 */
export function createFunctionsAxios(serverUrl: string, headers: Record<string, string>) {
  return axios.create({
    baseURL: joinUrl(serverUrl, "/api"),
    headers: { Accept: "application/json", ...headers },
  });
}

/**
 * The axios instance `auth` uses: it resolves with the body and rejects with an `ApiError`.
 */
export function createApiAxios(serverUrl: string, headers: Record<string, string>): AxiosInstance {
  const client = axios.create({
    baseURL: joinUrl(serverUrl, "/api"),
    headers: { Accept: "application/json", "Content-Type": "application/json", ...headers },
  });
  client.interceptors.response.use(
    (response) => response.data,
    (error: AxiosError) => Promise.reject(toApiError(error)),
  );
  return client;
}
