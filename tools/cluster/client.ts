/**
 * A minimal client for the local API server: the admin's client certificate, optional
 * impersonation (Impersonate-User / Impersonate-Group, as `kubectl --as/--as-group`), JSON in and
 * out. One keep-alive agent, so hundreds of test requests do not each pay a TLS handshake; a
 * second without the client certificate for requests that authenticate with a bearer token (a
 * ServiceAccount's, from the TokenRequest API), so the API server sees that account, not the admin.
 */
import { Agent, request as httpsRequest } from "node:https";
import { readFileSync } from "node:fs";

export interface ClusterEndpoint {
  server: string;
  ca: string;
  /** Client certificate and key (the admin); or, instead, a bearer token. */
  crt?: string;
  key?: string;
  /** A bearer token (e.g. a ServiceAccount's, from the TokenRequest API). */
  token?: string;
}

export interface Impersonate {
  user: string;
  groups?: string[];
}

export interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
  /** Admission warnings (Warning headers), e.g. Pod Security's warn mode. */
  warnings: string[];
}

export interface RequestOptions {
  as?: Impersonate;
  /** Server-side dry run: every admission step runs, nothing is stored. */
  dryRun?: boolean;
  contentType?: string;
  query?: Record<string, string>;
  /** Authenticate with this token instead of the admin certificate. */
  bearer?: string;
  timeoutMs?: number;
}

export class KubeClient {
  private readonly agent: Agent;
  private readonly tokenAgent: Agent;
  private readonly url: URL;
  private readonly token?: string;

  constructor(endpoint: ClusterEndpoint) {
    this.url = new URL(endpoint.server);
    this.token = endpoint.token;
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 8,
      ca: readFileSync(endpoint.ca),
      ...(endpoint.crt && endpoint.key ? { cert: readFileSync(endpoint.crt), key: readFileSync(endpoint.key) } : {}),
    });
    this.tokenAgent = new Agent({ keepAlive: true, maxSockets: 4, ca: readFileSync(endpoint.ca) });
  }

  close(): void {
    this.agent.destroy();
    this.tokenAgent.destroy();
  }

  request(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<ApiResponse> {
    const query = new URLSearchParams(opts.query ?? {});
    if (opts.dryRun) query.set("dryRun", "All");
    const qs = query.toString();
    const headers: Record<string, string | string[]> = { Accept: "application/json" };
    const bearer = opts.bearer ?? this.token;
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    if (opts.as) {
      headers["Impersonate-User"] = opts.as.user;
      if (opts.as.groups?.length) headers["Impersonate-Group"] = opts.as.groups;
    }
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) headers["Content-Type"] = opts.contentType ?? "application/json";
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          agent: opts.bearer ? this.tokenAgent : this.agent,
          host: this.url.hostname,
          port: this.url.port,
          method,
          path: qs ? `${path}?${qs}` : path,
          headers,
          timeout: opts.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: Record<string, unknown>;
            try {
              parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
            } catch {
              parsed = { message: text };
            }
            const w = res.headers.warning;
            resolve({
              status: res.statusCode ?? 0,
              body: parsed,
              warnings: (Array.isArray(w) ? w : w ? [w] : []).map(String),
            });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in ${opts.timeoutMs ?? 30_000} ms`)));
      req.on("error", reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}

/** The REST path of an object's collection (core group under /api, others under /apis). */
export function collectionPath(apiVersion: string, plural: string, namespace?: string): string {
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${base}/namespaces/${namespace}/${plural}` : `${base}/${plural}`;
}
