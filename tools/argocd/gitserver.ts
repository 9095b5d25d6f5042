/**
 * The tenants' Git hosts on loopback, so their validated `https://<host>/<path>` repoURLs stay as
 * they are: one process that is an HTTP proxy (the repo server's HTTPS_PROXY) and, behind it, an
 * HTTPS server with a certificate for every tenant Git host (signed by the harness CA, which the
 * repo server trusts through ARGOCD_TLS_DATA_PATH as it would trust argocd-tls-certs-cm).
 * `CONNECT <tenant host>:443` is answered by that server, which serves Git's smart HTTP protocol
 * through Git's own `git http-backend` from bare repositories under `<state>/repos/<host>/`. Every
 * other destination is refused and logged, so a request a hostile repository provokes (a remote
 * values file, a chart dependency) shows in this log and never leaves the machine.
 *
 * Run as `node gitserver.js <state dir> <port>` by tools/argocd/gitops.ts, which writes
 * `<state dir>/gitserver.json` ({ hosts, cert, key }) first.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, IncomingMessage, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { join } from "node:path";

export interface GitServerConfig {
  /** Host names served (the tenants' repoURL hosts). */
  hosts: string[];
  /** PEM files of the serving certificate (SANs: every host) and its key. */
  cert: string;
  key: string;
}

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

/** The CGI response of `git http-backend`: headers (with an optional Status) until a blank line, then the body. */
function pipeCgi(child: ReturnType<typeof spawn>, res: ServerResponse, done: (status: number) => void): void {
  let head = Buffer.alloc(0);
  let parsed = false;
  child.stdout?.on("data", (chunk: Buffer) => {
    if (parsed) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const text = head.toString("latin1");
    const end = text.search(/\r?\n\r?\n/);
    if (end < 0) return;
    parsed = true;
    const sep = /\r?\n\r?\n/.exec(text.slice(end))?.[0].length ?? 2;
    let status = 200;
    for (const line of text.slice(0, end).split(/\r?\n/)) {
      const i = line.indexOf(":");
      if (i < 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]) || 500;
      else res.setHeader(name, value);
    }
    res.statusCode = status;
    res.write(head.subarray(Buffer.byteLength(text.slice(0, end + sep), "latin1")));
  });
  child.stdout?.on("end", () => {
    if (!parsed) res.statusCode = 502;
    res.end();
    done(res.statusCode);
  });
}

/** One Git smart-HTTP request, answered by `git http-backend` for the repositories of `host`. */
function serveGit(root: string, hosts: Set<string>, req: IncomingMessage, res: ServerResponse): void {
  const host = String(req.headers.host ?? "").replace(/:\d+$/, "");
  const url = new URL(req.url ?? "/", `https://${host || "invalid"}`);
  const what = `${req.method} https://${host}${url.pathname}${url.search}`;
  if (!hosts.has(host) || url.pathname.includes("..")) {
    res.statusCode = 404;
    res.end();
    log(`${what} -> 404 (no such repository host)`);
    return;
  }
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: join(root, host),
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REQUEST_METHOD: req.method ?? "GET",
    CONTENT_TYPE: String(req.headers["content-type"] ?? ""),
    REMOTE_ADDR: "127.0.0.1",
    ...(req.headers["content-length"] ? { CONTENT_LENGTH: String(req.headers["content-length"]) } : {}),
    ...(req.headers["content-encoding"] ? { HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"]) } : {}),
    ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
  };
  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
  child.stderr.on("data", (d: Buffer) => log(`${what}: git http-backend: ${d.toString().trim()}`));
  child.on("error", (err) => {
    res.statusCode = 500;
    res.end();
    log(`${what} -> 500 (${err.message})`);
  });
  req.pipe(child.stdin);
  pipeCgi(child, res, (status) => log(`${what} -> ${status}`));
}

export function startGitServer(stateDir: string, port: number): void {
  const config = JSON.parse(readFileSync(join(stateDir, "gitserver.json"), "utf8")) as GitServerConfig;
  const hosts = new Set(config.hosts);
  const root = join(stateDir, "repos");
  const git = createHttpsServer({ cert: readFileSync(config.cert), key: readFileSync(config.key) }, (req, res) =>
    serveGit(root, hosts, req, res),
  );
  git.on("tlsClientError", (err) => log(`TLS handshake failed: ${err.message}`));

  const proxy = createHttpServer((req, res) => {
    // Not a CONNECT: a plain-HTTP proxy request (absolute URL) is refused; `/healthz` is ours.
    if (req.url === "/healthz") {
      res.end("ok");
      return;
    }
    res.statusCode = 403;
    res.end("refused by the local Git host harness: only CONNECT to a tenant Git host is served\n");
    log(`refused ${req.method} ${req.url} (plain HTTP through the proxy)`);
  });
  proxy.on("connect", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const [host, p] = String(req.url ?? "").split(":");
    if (!hosts.has(host) || p !== "443") {
      socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      log(`refused CONNECT ${req.url} (not a tenant Git host)`);
      return;
    }
    socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length) socket.unshift(head);
    git.emit("connection", socket);
  });
  proxy.listen(port, "127.0.0.1", () =>
    log(`serving ${config.hosts.join(", ")} through the proxy at 127.0.0.1:${port}`),
  );
}

if (require.main === module) {
  const [stateDir, port] = process.argv.slice(2);
  if (!stateDir || !Number(port)) {
    process.stderr.write("usage: node gitserver.js <state dir> <port>\n");
    process.exit(2);
  }
  startGitServer(stateDir, Number(port));
}
