/**
 * The k3s installer (k3s's install.sh) every node runs, pinned by its SHA-256 in this repository.
 *
 * Before issue 25 the bootstrap ran whatever `raw.githubusercontent.com/k3s-io/k3s/<release>/install.sh`
 * served: a moved tag or a compromised download path ran as root on every new node, and the only
 * check was the one the installer does itself (the binary against a checksum file from the same
 * release). Now the script is verified against the checksum below before it runs, and any copy
 * with that checksum will do, so it is fetched from immutable, content-addressed places.
 *
 * The installer does not depend on the k3s release it installs (`INSTALL_K3S_VERSION` picks the
 * release; k3s's own get.k3s.io serves one installer for every version), so it is pinned by k3s
 * commit rather than per release. Pinned 2026-12-06 to k3s commit c5b158798933 (2026-02-11, the
 * v1.35.1+k3s1 release, go.mod k8s.io/kubernetes v1.35.1): its tree as the Go module proxy serves
 * it (github.com/k3s-io/k3s@v1.35.1-0.20260211145931-c5b158798933) holds install.sh with this
 * SHA-256, and upstream's own install.sh.sha256sum beside it says the same. No copy of the
 * installer at the tag of v1.36.4+k3s1 is readable here (the repository is beyond the mirror's
 * size limit; the proxy serves no +k3s tag). `npm run test:cluster` re-derives the checksum from
 * the proxy (test-cluster/installer.test.ts). To move it: pick a newer commit the proxy serves,
 * update all three places below and that test, and read the installer's diff.
 */

/** The pinned installer: its checksum and where copies of it are. */
export interface InstallerPin {
  /** SHA-256 of install.sh, hex. */
  sha256: string;
  /** Tried in order; the first copy whose SHA-256 is `sha256` is run. */
  sources: readonly InstallerSource[];
}

/** One place the installer can be fetched from. */
export interface InstallerSource {
  /** HTTPS URL of the file, or of a zip holding it. */
  url: string;
  /** The installer's path inside the zip at `url`; absent when `url` is the installer itself. */
  member?: string;
}

export const K3S_INSTALLER: InstallerPin = {
  sha256: "f6dd79c73ff9823378e92cfc0855e725e5dea26c91e2b0c3f80d1d59c05d5f02",
  sources: [
    // k3s's repository at the commit (a commit id cannot move the way a tag can).
    { url: "https://raw.githubusercontent.com/k3s-io/k3s/c5b158798933/install.sh" },
    // The Go module proxy's zip of the same commit: immutable once served, and the copy checked here.
    {
      url: "https://proxy.golang.org/github.com/k3s-io/k3s/@v/v1.35.1-0.20260211145931-c5b158798933.zip",
      member: "github.com/k3s-io/k3s@v1.35.1-0.20260211145931-c5b158798933/install.sh",
    },
  ],
};

/** Where the bootstrap keeps the verified installer (runbook 10 reuses it). */
export const INSTALLER_PATH = "/usr/local/sbin/k3s-install.sh";

/** What a source URL, zip member or path may contain: nothing a shell would read specially. */
const SAFE = /^[\w./@%+:~-]+$/;

/**
 * Bash lines that leave the pinned installer at INSTALLER_PATH, or stop the bootstrap: each source
 * is fetched to a temporary file, a zip's member extracted (python3, which cloud-init itself runs
 * on), and the file is moved into place only when `sha256sum -c` accepts it. Needs the bootstrap's
 * `log` and `fail`; runs nothing it fetched. `fetch_installer URL [ZIP_MEMBER]` returns 0 only
 * with the verified file in place.
 */
export function installerLines(pin: InstallerPin = K3S_INSTALLER, path = INSTALLER_PATH): string[] {
  if (!/^[0-9a-f]{64}$/.test(pin.sha256)) throw new Error(`k3s installer: "${pin.sha256}" is not a SHA-256`);
  if (pin.sources.length === 0) throw new Error("k3s installer: no source");
  for (const s of pin.sources) {
    if (!/^https:\/\//.test(s.url)) throw new Error(`k3s installer: ${s.url} is not an HTTPS URL`);
    for (const v of [s.url, s.member ?? "-"])
      if (!SAFE.test(v)) throw new Error(`k3s installer: "${v}" has characters a shell would read`);
  }
  if (!SAFE.test(path)) throw new Error(`k3s installer: "${path}" has characters a shell would read`);
  const lines = [
    `readonly K3S_INSTALLER_SHA256='${pin.sha256}'`,
    `installer='${path}'`,
    "fetch_installer() {",
    '  local tmp="$installer.part"',
    '  if [ -n "${2:-}" ]; then',
    '    curl -sfL --retry 5 --retry-delay 5 --retry-all-errors -o "$tmp.zip" "$1" || return 1',
    `    python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "$tmp.zip" "$2" > "$tmp" || return 1`,
    '    rm -f "$tmp.zip"',
    "  else",
    '    curl -sfL --retry 5 --retry-delay 5 --retry-all-errors -o "$tmp" "$1" || return 1',
    "  fi",
    '  if printf \'%s  %s\\n\' "$K3S_INSTALLER_SHA256" "$tmp" | sha256sum -c --status; then',
    '    chmod 0700 "$tmp" && mv "$tmp" "$installer" && return 0',
    "  fi",
    '  log "the installer from $1 is not the pinned one (SHA-256 $(sha256sum "$tmp" | cut -d" " -f1)); not running it"',
    '  rm -f "$tmp"',
    "  return 1",
    "}",
  ];
  const tries = pin.sources.map((s) => `fetch_installer '${s.url}'${s.member ? ` '${s.member}'` : ""}`);
  lines.push(
    `${tries.join(" \\\n  || ")} \\`,
    '  || fail "no copy of the k3s installer with the pinned SHA-256 $K3S_INSTALLER_SHA256 (components/site/installer.ts)"',
  );
  return lines;
}
