// A small JSON client for the hub APIs (tshub and JupyterHub speak the same REST API).

export interface ApiReply {
  status: number;
  json: any;
  text: string;
}

/** `base` is the hub's API root, ending in '/' (e.g. http://127.0.0.1:8081/hub/api/). */
export async function api(
  base: string,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
): Promise<ApiReply> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `token ${token}`;
  let payload: string | undefined;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(new URL(path, base), {
    method,
    headers,
    body: payload,
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** Like api(), but throws unless the status is the expected one. */
export async function apiOk(
  base: string,
  method: string,
  path: string,
  token: string | null,
  body: unknown,
  expect: number,
): Promise<any> {
  const r = await api(base, method, path, token, body);
  if (r.status !== expect)
    throw new Error(`${method} ${path}: expected ${expect}, got ${r.status}: ${r.text.slice(0, 300)}`);
  return r.json;
}
