/**
 * The platform over the offline plan: the readiness gate between the site and every Kubernetes
 * object, CRD and edge ordering for tenants, secrets never in clear, pinned charts and bounded
 * waits. Chart values are asserted as the plan records them (or through their pure builders where
 * the plan rightly shows them as "[secret]").
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { argocdValues, repositoryStringData, rootApplicationSpec } from "../components/platform/argocd";
import { ACME_SERVERS } from "../components/platform/cert-manager";
import { PLATFORM_NAMESPACES } from "../components/platform";
import { chartPin, DEFAULT_VERSIONS, k3sSupportProblem, kubernetesSupport, REGISTRIES } from "../components/versions";
import { mockOutputs } from "../tools/plan/mocks";
import {
  byName,
  expectInputError,
  input,
  ofType,
  Plan,
  planJson,
  PlannedResource,
  planStack,
  planWith,
  plannedOptions,
  readStackConfig,
  SECRET,
  withStackConfig,
} from "./helpers/harness";
import { dependencyDepth, notWaitingFor, providerUrn, serverToTenantDepth, upstream } from "./helpers/graph";
import { edgeObjectsPerTenant, networkPoliciesAfterEdge } from "./helpers/tenant-properties";
import { tenantFiles } from "./helpers/tenants";

const STACKS = ["staging", "prod"] as const;
const RELEASE = "kubernetes:helm.sh/v3:Release";
const GATE = "pulumi-nodejs:dynamic:Resource";

/** A stack file's config with the platform section changed. */
function withPlatform(stack: string, mutate: (p: Record<string, any>) => void): Record<string, unknown> {
  return withStackConfig(stack, (c) => mutate(c["video-platform:platform"]));
}

/** A stack file's config with another k3s release. */
function withK3sVersion(stack: string, version: string): Record<string, unknown> {
  return withStackConfig(stack, (c) => (c["video-platform:k3s"].version = version));
}

const releases = (p: Plan) => ofType(p, RELEASE);
/** Pulumi.prod.yaml's admin CIDRs, written out. */
const ADMIN_CIDRS_PROD = ["198.51.100.0/28", "203.0.113.64/27"];
const isK8s = (r: PlannedResource) => r.type.startsWith("kubernetes:");

describe("platform: the readiness gate sits between the site and every Kubernetes object", () => {
  for (const stack of STACKS) {
    it(`${stack}: no Kubernetes resource lacks a dependency path to the gate`, async () => {
      const p = await planStack(stack);
      const gates = ofType(p, GATE);
      assert.deepEqual(
        gates.map((g) => g.name),
        ["platform-gate"],
      );
      const k8s = p.resources.filter(isK8s);
      assert.ok(k8s.length >= 20, `expected the platform's and tenants' objects, found ${k8s.length}`);
      const ungated = notWaitingFor(p, gates[0].urn, isK8s);
      assert.deepEqual(
        ungated.map((r) => r.urn),
        [],
      );
      // Through the platform's provider, which itself waits for the gate; the tenant Argo CD's
      // cluster Secret alone goes through a second one on the same kubeconfig, which waits too
      // and only updates Secret data in place (never delete and recreate it).
      const provider = byName(p, "platform-k8s");
      const scope = byName(p, "platform-k8s-argocd-scope");
      for (const x of [provider, scope]) {
        assert.equal(x.type, "pulumi:providers:kubernetes");
        assert.ok(x.options.dependsOn.includes(gates[0].urn), x.name);
        assert.equal(x.inputs.kubeconfig, provider.inputs.kubeconfig, x.name);
      }
      assert.equal(input(scope, "enableSecretMutable"), "true");
      assert.equal(input(provider, "enableSecretMutable"), undefined);
      for (const r of k8s)
        assert.equal(
          providerUrn(r.options.provider ?? ""),
          r.name === "argocd-tenant-scope-cluster" ? scope.urn : provider.urn,
          r.urn,
        );
    });
  }

  it("the check fails when the providers stop waiting for the gate", async () => {
    const p = structuredClone(await planStack("staging")) as Plan;
    const gate = ofType(p, GATE)[0];
    for (const provider of [byName(p, "platform-k8s"), byName(p, "platform-k8s-argocd-scope")])
      provider.options.dependsOn = provider.options.dependsOn.filter((u) => u !== gate.urn);
    const ungated = notWaitingFor(p, gate.urn, isK8s);
    assert.equal(ungated.length, p.resources.filter(isK8s).length, "every object loses its path");
  });

  it("the gate polls the site's endpoint with its CA, bounded, and after the servers", async () => {
    for (const stack of STACKS) {
      const p = await planStack(stack);
      const gate = byName(p, "platform-gate", GATE);
      assert.deepEqual(Object.keys(gate.inputs).sort(), [
        "__provider",
        "apiEndpoint",
        "caCertPem",
        "credentials",
        "timeoutMinutes",
      ]);
      assert.equal(gate.inputs.apiEndpoint, p.outputs.apiEndpoint, "the endpoint the kubeconfig uses");
      assert.equal(gate.inputs.timeoutMinutes, 10, "default bound");
      assert.equal(gate.inputs.credentials, SECRET, "kubeconfig credentials only as a secret");
      assert.match(String(gate.inputs.__provider), /^\[dynamic provider [0-9a-f]{12}\]$/);
      assert.doesNotMatch(JSON.stringify(gate.inputs), /PRIVATE KEY|client-key-data|kubeconfig/i);
      assert.equal(byName(p, "platform-k8s").inputs.kubeconfig, SECRET);
      const waits = upstream(p, gate.urn);
      for (const server of ofType(p, "hcloud:index/server:Server"))
        assert.ok(waits.has(server.urn), `${stack}: gate does not wait for ${server.name}`);
    }
  });
});

describe("platform: ordering tenants rely on", () => {
  for (const stack of STACKS) {
    it(`${stack}: every AppProject and Application depends on the Argo CD CRDs and on the release of its own instance`, async () => {
      const p = await planStack(stack);
      const crds = byName(p, "platform-argocd-crds", "kubernetes:yaml/v2:ConfigGroup").urn;
      const instance: Record<string, string> = {
        argocd: byName(p, "platform-argocd", RELEASE).urn,
        "argocd-tenants": byName(p, "platform-argocd-tenants", RELEASE).urn,
      };
      const crs = [
        ...ofType(p, "kubernetes:argoproj.io/v1alpha1:AppProject"),
        ...ofType(p, "kubernetes:argoproj.io/v1alpha1:Application"),
      ];
      assert.ok(crs.length >= 4, "the platform's project and root app, and a tenant's");
      const missing = crs
        .filter((r) => {
          const release = instance[String(input(r, "metadata.namespace"))];
          return !release || !r.options.dependsOn.includes(release) || !r.options.dependsOn.includes(crds);
        })
        .map((r) => r.urn);
      assert.deepEqual(missing, []);
      // The tenant instance waits for its settings too: it must never run on Argo CD's defaults.
      assert.ok(
        byName(p, "platform-argocd-tenants", RELEASE).options.dependsOn.includes(
          byName(p, "platform-argocd-tenants-cm").urn,
        ),
      );
    });

    it(`${stack}: every NetworkPolicy depends on Envoy Gateway and cert-manager`, async () => {
      // One per tenant file (whatever tenants/ holds): a vanished policy fails instead of passing vacuously.
      networkPoliciesAfterEdge(await planStack(stack), tenantFiles());
    });

    it(`${stack}: every edge custom resource depends on exactly the release that installs its CRD`, async () => {
      const p = await planStack(stack);
      const crds = byName(p, "platform-gateway-crds", RELEASE).urn;
      const certManager = byName(p, "platform-cert-manager", RELEASE).urn;
      const edgeCrs = p.resources.filter((r) =>
        /^kubernetes:(gateway\.networking\.k8s\.io|gateway\.envoyproxy\.io)\//.test(r.type),
      );
      const certs = ofType(p, "kubernetes:cert-manager.io/v1:Certificate");
      // The platform's seven, one ListenerSet and one Certificate per tenant file with domains.
      edgeObjectsPerTenant(p, tenantFiles());
      for (const r of edgeCrs) {
        assert.ok(r.options.dependsOn.includes(crds), `${r.name} waits for the Gateway API CRDs`);
        assert.ok(!r.options.dependsOn.includes(certManager), `${r.name}: no needless wait`);
      }
      for (const r of certs) assert.ok(r.options.dependsOn.includes(certManager), `${r.name} waits for cert-manager`);
      // The controller installs no CRDs of its own: the standard-channel copy is the only one.
      const controller = byName(p, "platform-envoy-gateway", RELEASE);
      assert.equal(controller.inputs.skipCrds, true);
      assert.deepEqual(input(controller, "values.crds"), { enabled: false });
      assert.ok(controller.options.dependsOn.includes(crds));
      assert.deepEqual(input(byName(p, "platform-gateway-crds", RELEASE), "values.crds"), {
        gatewayAPI: { enabled: true, channel: "standard" },
        envoyGateway: { enabled: true },
      });
    });
  }

  it("every release that runs pods but the cloud controller's waits for it (nodes stay tainted until it runs)", async () => {
    const p = await planStack("prod");
    const ccm = byName(p, "platform-hcloud-ccm", RELEASE);
    assert.ok(ccm.options.dependsOn.includes(byName(p, "platform-hcloud-secret").urn), "CCM after its token Secret");
    // The Gateway API CRD chart runs no pod: it need not wait for untainted nodes.
    const crdsOnly = byName(p, "platform-gateway-crds", RELEASE);
    assert.deepEqual(
      crdsOnly.options.dependsOn.filter((u) => u.includes("helm.sh")),
      [],
    );
    const others = releases(p).filter((r) => r.urn !== ccm.urn && r.urn !== crdsOnly.urn);
    assert.equal(others.length, 6);
    for (const r of others) assert.ok(r.options.dependsOn.includes(ccm.urn), r.name);
  });

  it("the sealing key exists before the Sealed Secrets controller; the ClusterIssuer after cert-manager", async () => {
    const p = await planStack("staging");
    const key = byName(p, "platform-sealing-key");
    assert.ok(byName(p, "platform-sealed-secrets", RELEASE).options.dependsOn.includes(key.urn));
    const issuer = byName(p, "platform-cluster-issuer", "kubernetes:cert-manager.io/v1:ClusterIssuer");
    assert.ok(issuer.options.dependsOn.includes(byName(p, "platform-cert-manager", RELEASE).urn));
    const storage = byName(p, "platform-storageclass");
    assert.ok(storage.options.dependsOn.includes(byName(p, "platform-hcloud-csi", RELEASE).urn));
  });
});

describe("platform: secrets", () => {
  it("the Argo CD password, Sealed Secrets key and other secrets never appear in clear", async () => {
    const seed = "SEEDED-4c1e9b";
    const p = await planWith({
      stack: "prod",
      overrides: {
        sealedSecretsKey: {
          value: `-----BEGIN PRIVATE KEY-----\n${seed}-sealing-key\n-----END PRIVATE KEY-----\n`,
          secret: true,
        },
        sealedSecretsCert: {
          value: `-----BEGIN CERTIFICATE-----\n${seed}-sealing-cert\n-----END CERTIFICATE-----\n`,
          secret: true,
        },
        gitopsRepoPassword: { value: `${seed}-repo-token`, secret: true },
        hcloudToken: { value: `${seed}-hcloud-token`, secret: true },
      },
    });
    const text = planJson(p);
    assert.ok(!text.includes(seed), "a seeded secret is in the plan JSON");
    // The admin password the (mocked) provider generated, and its bcrypt hash.
    const password = byName(p, "platform-argocd-admin-password");
    const generated = mockOutputs(password.type, password.urn, password.inputs);
    for (const v of [generated.result, generated.bcryptHash]) {
      assert.equal(typeof v, "string");
      assert.ok(!text.includes(v as string), "the generated admin password or its hash is in the plan JSON");
    }
    assert.equal(input(byName(p, "platform-argocd", RELEASE), "values"), SECRET, "values carry the hash");
    assert.equal(input(byName(p, "platform-sealing-key"), "stringData"), SECRET);
    assert.equal(input(byName(p, "platform-hcloud-secret"), "stringData"), SECRET);
    assert.equal(input(byName(p, "platform-argocd-repo"), "stringData"), SECRET);
    // Only the certificate's digest is in clear: it rolls the controller when the key rotates.
    const digest = createHash("sha256")
      .update(`-----BEGIN CERTIFICATE-----\n${seed}-sealing-cert\n-----END CERTIFICATE-----`)
      .digest("hex");
    assert.equal(
      input(byName(p, "platform-sealed-secrets", RELEASE), "values.podAnnotations")?.valueOf()[
        "platform.video/sealing-cert-sha256" as never
      ],
      digest,
    );
  });

  it("stack outputs carry the Argo CD URL and the password as a secret", async () => {
    for (const stack of STACKS) {
      const p = await planStack(stack);
      const domain = stack === "prod" ? "video.example" : "staging.video.example";
      assert.equal(p.outputs.argocdUrl, `https://argocd.${domain}`);
      assert.equal(p.outputs.argocdAdminPassword, SECRET);
    }
  });

  it("the sealing key is a TLS Secret labelled active in the controller's namespace", async () => {
    const key = byName(await planStack("prod"), "platform-sealing-key");
    assert.equal(key.inputs.type, "kubernetes.io/tls");
    assert.deepEqual(key.inputs.metadata, {
      name: "sealed-secrets-key-escrowed",
      namespace: PLATFORM_NAMESPACES.sealedSecrets,
      labels: { "sealedsecrets.bitnami.com/sealed-secrets-key": "active" },
    });
  });
});

describe("platform: Sealed Secrets controller and key renewal (issue 25 item 6)", () => {
  it("runs the newest controller release over its chart, renewing keys every 30 days next to the escrowed one", async () => {
    const v = input(byName(await planStack("prod"), "platform-sealed-secrets", RELEASE), "values") as Record<
      string,
      any
    >;
    assert.deepEqual(v.image, {
      registry: "docker.io",
      repository: "bitnami/sealed-secrets-controller",
      tag: "0.40.0",
    });
    assert.equal(v.keyrenewperiod, "720h");
    assert.equal(v.fullnameOverride, "sealed-secrets-controller");
  });
});

describe("platform: k3s minor within the pinned CCM/CSI/Envoy Gateway support (issue 25 item 6)", () => {
  it("the stacks' k3s is in every recorded range, and the ranges are the upstream matrices as checked", () => {
    assert.deepEqual(
      kubernetesSupport().map((s) => `${s.chart} ${s.version}: ${s.min}-${s.max}`),
      [
        "hcloud-cloud-controller-manager 1.35.0: 1.33-1.36",
        "hcloud-csi 2.22.1: 1.33-1.36",
        "gateway-helm v1.9.1: 1.33-1.36",
      ],
    );
    for (const stack of STACKS) {
      const v = String((readStackConfig(stack)["video-platform:k3s"] as { version: string }).version);
      assert.equal(k3sSupportProblem(v), undefined, `${stack}: ${v}`);
    }
  });

  it("refuses k3s 1.37 and 1.32 naming the stack file, the field and the fix; admits the edges 1.33 and 1.36", async () => {
    for (const [version, minor] of [
      ["v1.37.2+k3s1", "1.37"],
      ["v1.32.5+k3s1", "1.32"],
    ]) {
      const problems = await expectInputError(() =>
        planWith({
          stack: "staging",
          stackConfig: withK3sVersion("staging", version),
        }),
      );
      const p = problems.find((x) => x.path === "video-platform:k3s.version");
      assert.ok(p, JSON.stringify(problems));
      assert.match(p.file, /Pulumi\.staging\.yaml$/);
      assert.equal(
        p.message,
        `Kubernetes ${minor} (${version}) is outside what the pinned hcloud-cloud-controller-manager 1.35.0 (Kubernetes 1.33–1.36), hcloud-csi 2.22.1 (Kubernetes 1.33–1.36), gateway-helm v1.9.1 (Kubernetes 1.33–1.36) support (components/versions.ts): pin a k3s release of Kubernetes 1.33–1.36 (runbook 10), or move those charts to releases that support ${minor} and record their range there`,
      );
    }
    assert.equal(k3sSupportProblem("v1.33.0+k3s1"), undefined);
    assert.throws(
      () => k3sSupportProblem("1.36.4+k3s1"),
      /1\.36\.4\+k3s1 is not a k3s release like v<major>\.<minor>\.<patch>\+k3s<n>/,
    );
    assert.throws(() => k3sSupportProblem("xv1.36.4+k3s1"), /is not a k3s release/);
    assert.equal(k3sSupportProblem("v1.36.9+k3s2"), undefined);
    assert.match(k3sSupportProblem("v1.38.0+k3s1") ?? "", /^Kubernetes 1\.38 \(v1\.38\.0\+k3s1\) is outside/);
  });
});

describe("platform: the support check over other ranges (versions.ts k3sSupportProblem)", () => {
  const range = (chart: string, min: string, max: string) =>
    ({ name: "hcloudCcm", chart, version: "1.0.0", min, max }) as const;

  it("proposes the minors every chart supports: the overlap of the ranges, not their union", () => {
    const msg = k3sSupportProblem("v1.38.1+k3s1", [range("a", "1.30", "1.36"), range("b", "1.33", "1.38")]);
    assert.equal(
      msg,
      "Kubernetes 1.38 (v1.38.1+k3s1) is outside what the pinned a 1.0.0 (Kubernetes 1.30–1.36) support (components/versions.ts): pin a k3s release of Kubernetes 1.33–1.36 (runbook 10), or move those charts to releases that support 1.38 and record their range there",
    );
    assert.equal(
      k3sSupportProblem("v1.34.1+k3s1", [range("a", "1.30", "1.36"), range("b", "1.33", "1.38")]),
      undefined,
    );
  });

  it("a one-minor overlap is a fix; no overlap says to move a chart first; minors compare as numbers", () => {
    assert.match(
      k3sSupportProblem("v1.9.0+k3s1", [range("a", "1.9", "1.36"), range("b", "1.36", "1.38")]) ?? "",
      /: pin a k3s release of Kubernetes 1\.36–1\.36 \(runbook 10\)/,
    );
    assert.match(
      k3sSupportProblem("v1.36.0+k3s1", [range("a", "1.30", "1.34"), range("b", "1.35", "1.38")]) ?? "",
      /outside what the pinned a 1\.0\.0 \(Kubernetes 1\.30–1\.34\) support \(components\/versions\.ts\): no Kubernetes minor is in every pinned range: move a chart first, or move/,
    );
    assert.equal(k3sSupportProblem("v10.36.0+k3s1", [range("a", "1.30", "1.36")]), undefined, "minor 36 of major 10");
    assert.equal(k3sSupportProblem("v1.36.0+k3s1", []), undefined);
  });
});

describe("platform: pinned charts and bounded waits", () => {
  // Classic repositories name the chart; OCI ones carry the whole reference (oci://.../<chart>).
  const ref = (c: { repo: string; chart: string }) => (c.repo.startsWith("oci://") ? `${c.repo}/${c.chart}` : c.chart);
  const byChart = Object.fromEntries(Object.entries(DEFAULT_VERSIONS.charts).map(([k, v]) => [ref(v), k]));

  it("every Helm release has an exact version from components/versions.ts and a bounded timeout", async () => {
    for (const stack of STACKS) {
      const p = await planStack(stack);
      const rs = releases(p);
      // Every pinned chart once, the argo-cd chart twice: the platform's Argo CD and the tenants'.
      assert.deepEqual(
        rs.map((r) => r.inputs.chart).sort(),
        [...Object.values(DEFAULT_VERSIONS.charts).map(ref), "argo-cd"].sort(),
      );
      for (const r of rs) {
        const pin = DEFAULT_VERSIONS.charts[byChart[r.inputs.chart as string] as keyof typeof DEFAULT_VERSIONS.charts];
        assert.match(String(r.inputs.version), /^v?\d+\.\d+\.\d+$/, `${r.name}: not an exact version`);
        assert.equal(r.inputs.version, pin.version, r.name);
        if (pin.repo.startsWith("oci://")) assert.equal(r.inputs.repositoryOpts, undefined, r.name);
        else assert.deepEqual(r.inputs.repositoryOpts, { repo: pin.repo }, r.name);
        assert.equal(r.inputs.timeout, 600, `${r.name}: helmTimeoutSeconds default`);
        assert.equal(r.inputs.atomic, true, r.name);
        assert.equal(r.inputs.createNamespace, false, r.name);
      }
    }
  });

  it("a stack overrides one chart version and the bounds; nothing else moves", async () => {
    const p = await planWith({
      stack: "staging",
      stackConfig: withPlatform("staging", (pl) => {
        pl.charts = { argocd: { version: "8.1.4" } };
        pl.helmTimeoutSeconds = 900;
        pl.readinessTimeoutMinutes = 25;
      }),
    });
    for (const r of releases(p)) {
      const key = byChart[r.inputs.chart as string] as keyof typeof DEFAULT_VERSIONS.charts;
      assert.equal(r.inputs.version, key === "argocd" ? "8.1.4" : DEFAULT_VERSIONS.charts[key].version, r.name);
      assert.equal(r.inputs.timeout, 900, r.name);
    }
    assert.equal(byName(p, "platform-gate").inputs.timeoutMinutes, 25);
    assert.deepEqual(chartPin("argocd", { argocd: { version: "8.1.4" } }), {
      ...DEFAULT_VERSIONS.charts.argocd,
      version: "8.1.4",
    });
  });

  it("rejects floating versions and unbounded waits before anything is planned", async () => {
    const problems = await expectInputError(() =>
      planWith({
        stack: "staging",
        stackConfig: withPlatform("staging", (pl) => {
          pl.charts = { argocd: { version: "latest" }, nginx: { version: "1.0.0" } };
          pl.helmTimeoutSeconds = 0;
          pl.readinessTimeoutMinutes = 0;
        }),
      }),
    );
    const paths = problems.map((x) => x.path);
    for (const path of [
      "video-platform:platform.charts.argocd.version",
      "video-platform:platform.helmTimeoutSeconds",
      "video-platform:platform.readinessTimeoutMinutes",
    ])
      assert.ok(paths.includes(path), `${path} not reported in ${paths.join(", ")}`);
    assert.ok(
      problems.some((x) => x.path === "video-platform:platform.charts.nginx" && /^unknown key/.test(x.message)),
      "unknown chart",
    );
  });
});

describe("platform: cluster services", () => {
  it("hcloud: token Secret from config with the network id; CCM with private networking, no routes", async () => {
    const p = await planStack("prod");
    const secret = byName(p, "platform-hcloud-secret");
    assert.deepEqual(secret.inputs.metadata, { name: "hcloud", namespace: "kube-system" });
    const ccm = byName(p, "platform-hcloud-ccm", RELEASE);
    assert.equal(ccm.inputs.namespace, "kube-system");
    assert.deepEqual(input(ccm, "values.networking"), { enabled: true, clusterCIDR: "10.42.0.0/16" });
    assert.deepEqual(input(ccm, "values.env"), {
      HCLOUD_NETWORK_ROUTES_ENABLED: { value: "false" },
      HCLOUD_LOAD_BALANCERS_LOCATION: { value: "fsn1" },
      HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP: { value: "true" },
    });
    const csi = byName(p, "platform-hcloud-csi", RELEASE);
    assert.deepEqual(input(csi, "values.storageClasses"), [], "the StorageClass is ours, not the chart's");
    assert.equal(input(csi, "values.controller.hcloudVolumeDefaultLocation"), "fsn1");
    // The site's host guard blocks pod traffic to the metadata service; the node plugin needs it.
    assert.equal(input(csi, "values.node.hostNetwork"), true);
  });

  it("one default StorageClass on the CSI driver; prod retains volumes, staging deletes them", async () => {
    for (const [stack, policy] of [
      ["prod", "Retain"],
      ["staging", "Delete"],
    ]) {
      const all = ofType(await planStack(stack), "kubernetes:storage.k8s.io/v1:StorageClass");
      assert.equal(all.length, 2);
      // Tenant claims (issue 14): their own class deletes volumes with the claim on every stack,
      // and is not the default, so the platform's claims keep the retaining one.
      const tenant = all.filter((s) => (s.inputs.metadata as any).name === "hcloud-volumes-tenant");
      assert.equal(tenant.length, 1);
      assert.deepEqual(tenant[0].inputs.metadata, { name: "hcloud-volumes-tenant" });
      assert.equal(tenant[0].inputs.reclaimPolicy, "Delete", stack);
      assert.equal(tenant[0].inputs.provisioner, "csi.hetzner.cloud");
      const scs = all.filter((s) => s !== tenant[0]);
      assert.deepEqual(scs[0].inputs.metadata, {
        name: "hcloud-volumes",
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      });
      assert.equal(scs[0].inputs.provisioner, "csi.hetzner.cloud");
      assert.equal(scs[0].inputs.reclaimPolicy, policy, stack);
      assert.equal(scs[0].inputs.volumeBindingMode, "WaitForFirstConsumer");
    }
  });

  it("ingress: a Hetzner LB declared in Pulumi, adopted by name, private IPs and PROXY protocol end to end", async () => {
    for (const stack of STACKS) {
      const p = await planStack(stack);
      const cfg = readStackConfig(stack)["video-platform:site"] as { location: string; loadBalancerType: string };
      const lb = byName(p, "platform-ingress-lb", "hcloud:index/loadBalancer:LoadBalancer");
      assert.equal(lb.inputs.name, `${stack}-ingress`);
      assert.equal(lb.inputs.location, cfg.location);
      assert.equal(lb.inputs.loadBalancerType, cfg.loadBalancerType);
      assert.equal(lb.options.protect, stack === "prod");
      assert.equal(lb.inputs.deleteProtection, stack === "prod");
      assert.deepEqual(lb.options.ignoreChanges, ["targets"]);
      const attach = byName(p, "platform-ingress-lb-net");
      const siteProvider = byName(p, "site-hcloud", "pulumi:providers:hcloud").urn;
      for (const r of [lb, attach])
        assert.equal(providerUrn(r.options.provider ?? ""), siteProvider, "the site's token");
      assert.equal(attach.inputs.ip, stack === "prod" ? "10.20.0.3" : "10.10.0.3", "the address the site reserves");
      const proxy = byName(p, "platform-edge-proxy", "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy");
      assert.equal(input(proxy, "metadata.namespace"), "envoy-gateway-system");
      assert.deepEqual(input(proxy, "spec.provider.kubernetes.envoyService"), {
        type: "LoadBalancer",
        externalTrafficPolicy: "Cluster",
        annotations: {
          "load-balancer.hetzner.cloud/name": `${stack}-ingress`,
          "load-balancer.hetzner.cloud/location": cfg.location,
          "load-balancer.hetzner.cloud/type": cfg.loadBalancerType,
          "load-balancer.hetzner.cloud/use-private-ip": "true",
          "load-balancer.hetzner.cloud/uses-proxyprotocol": "true",
          "load-balancer.hetzner.cloud/hostname": `ingress.${stack === "prod" ? "" : "staging."}video.example`,
        },
      });
      // The LB sends PROXY headers; every listener of the Gateway requires them.
      const ctp = byName(p, "platform-edge-proxy-protocol");
      assert.deepEqual(input(ctp, "spec"), {
        targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "edge" }],
        proxyProtocol: {},
      });
      assert.deepEqual(input(byName(p, "platform-gateway-class"), "spec"), {
        controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
        parametersRef: {
          group: "gateway.envoyproxy.io",
          kind: "EnvoyProxy",
          name: "edge",
          namespace: "envoy-gateway-system",
        },
      });
      const gateway = byName(p, "platform-gateway");
      assert.ok(gateway.options.dependsOn.includes(attach.urn), "attached before the CCM sees the Service");
    }
  });

  it("the Gateway: HTTP redirects to HTTPS, Argo CD's host admits the argocd namespace only, ListenerSets of its own namespace only", async () => {
    const p = await planStack("prod");
    const gw = input(byName(p, "platform-gateway"), "spec") as Record<string, any>;
    assert.equal(gw.gatewayClassName, "platform");
    assert.deepEqual(gw.allowedListeners, { namespaces: { from: "Same" } });
    assert.deepEqual(gw.listeners, [
      {
        name: "http",
        port: 80,
        protocol: "HTTP",
        allowedRoutes: {
          namespaces: { from: "Same" },
          kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
        },
      },
      {
        name: "argocd",
        hostname: "argocd.video.example",
        port: 443,
        protocol: "HTTPS",
        tls: { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: "argocd-tls" }] },
        allowedRoutes: {
          namespaces: { from: "Selector", selector: { matchLabels: { "kubernetes.io/metadata.name": "argocd" } } },
          kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
        },
      },
    ]);
    assert.deepEqual(input(byName(p, "platform-https-redirect"), "spec.rules"), [
      { filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] },
    ]);
    assert.deepEqual(input(byName(p, "platform-argocd-cert"), "spec"), {
      secretName: "argocd-tls",
      dnsNames: ["argocd.video.example"],
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "letsencrypt" },
    });
  });

  it("Argo CD is served through the Gateway to the admin CIDRs only (SecurityPolicy by client address)", async () => {
    for (const [stack, cidrs] of [
      ["staging", ["198.51.100.0/28"]],
      ["prod", ADMIN_CIDRS_PROD],
    ] as const) {
      const p = await planStack(stack);
      const host = `argocd.${stack === "prod" ? "" : "staging."}video.example`;
      const route = byName(p, "platform-argocd-route");
      assert.deepEqual(input(route, "metadata"), { name: "argocd-server", namespace: "argocd" });
      assert.deepEqual(input(route, "spec"), {
        parentRefs: [
          {
            group: "gateway.networking.k8s.io",
            kind: "Gateway",
            namespace: "envoy-gateway-system",
            name: "edge",
            sectionName: "argocd",
          },
        ],
        hostnames: [host],
        rules: [{ backendRefs: [{ group: "", kind: "Service", name: "argocd-server", port: 80 }] }],
      });
      const policy = byName(p, "platform-argocd-admin-only");
      assert.deepEqual(input(policy, "metadata"), { name: "argocd-admin-cidrs", namespace: "argocd" });
      assert.deepEqual(input(policy, "spec"), {
        targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "argocd-server" }],
        authorization: {
          defaultAction: "Deny",
          rules: [{ name: "admin-cidrs", action: "Allow", principal: { clientCIDRs: [...cidrs] } }],
        },
      });
      assert.ok(route.options.dependsOn.includes(byName(p, "platform-argocd-ns").urn));
    }
  });

  it("cert-manager installs its CRDs; the ClusterIssuer takes email and ACME server from config", async () => {
    for (const [stack, server] of [
      ["staging", ACME_SERVERS.staging],
      ["prod", ACME_SERVERS.production],
    ]) {
      const p = await planStack(stack);
      assert.deepEqual(input(byName(p, "platform-cert-manager", RELEASE), "values.crds"), {
        enabled: true,
        keep: true,
      });
      assert.equal(input(byName(p, "platform-cert-manager", RELEASE), "values.config.enableGatewayAPI"), true);
      const issuer = byName(p, "platform-cluster-issuer");
      assert.equal(input(issuer, "metadata.name"), "letsencrypt");
      assert.deepEqual(input(issuer, "spec.acme"), {
        email: "ops@video.example",
        server,
        privateKeySecretRef: { name: "letsencrypt-account-key" },
        solvers: [
          {
            http01: {
              gatewayHTTPRoute: {
                parentRefs: [
                  {
                    group: "gateway.networking.k8s.io",
                    kind: "Gateway",
                    name: "edge",
                    namespace: "envoy-gateway-system",
                    sectionName: "http",
                  },
                ],
                serviceType: "ClusterIP",
              },
            },
          },
        ],
      });
    }
  });

  it("Argo CD: repository credentials by label, a root app of apps with prune and self-heal", async () => {
    const p = await planStack("staging");
    const gitops = (readStackConfig("staging")["video-platform:platform"] as { gitops: Record<string, string> }).gitops;
    const repo = byName(p, "platform-argocd-repo");
    assert.deepEqual(input(repo, "metadata.labels"), { "argocd.argoproj.io/secret-type": "repository" });
    assert.equal(input(repo, "stringData"), SECRET, "the Kubernetes SDK keeps Secret data secret as a whole");
    assert.deepEqual(repositoryStringData({ ...gitops, username: "git" } as never, "token"), {
      type: "git",
      url: gitops.repoURL,
      username: "git",
      password: "token",
    });
    const root = byName(p, "platform-root-app", "kubernetes:argoproj.io/v1alpha1:Application");
    assert.deepEqual(input(root, "metadata"), { name: "platform-root", namespace: "argocd" });
    assert.deepEqual(input(root, "spec.source"), {
      repoURL: gitops.repoURL,
      path: gitops.path,
      targetRevision: gitops.targetRevision,
    });
    assert.deepEqual(input(root, "spec.syncPolicy.automated"), { prune: true, selfHeal: true });
    assert.equal(input(root, "spec.project"), "platform");
    for (const dep of ["platform-argocd", "platform-argocd-repo", "platform-argocd-project"])
      assert.ok(root.options.dependsOn.includes(byName(p, dep).urn), dep);
    const project = byName(p, "platform-argocd-project");
    assert.deepEqual(input(project, "spec.sourceRepos"), [gitops.repoURL], "the platform project reads only its repo");
    // ssh repositories get the secret as a deploy key.
    assert.deepEqual(repositoryStringData({ ...gitops, repoURL: "git@git.example.com:video/x.git" } as never, "k"), {
      type: "git",
      url: "git@git.example.com:video/x.git",
      sshPrivateKey: "k",
    });
    assert.equal(rootApplicationSpec(gitops as never).destination.server, "https://kubernetes.default.svc");
  });

  it("Argo CD values: the bcrypt hash as admin password, HTTP behind the Gateway, no chart Ingress", () => {
    const v = argocdValues({
      domain: "argocd.video.example",
      adminPasswordBcrypt: "$2a$10$hash",
      webhookSecret: "w",
    }) as Record<string, any>;
    assert.equal(v.configs.secret.argocdServerAdminPassword, "$2a$10$hash");
    assert.equal(v.global.domain, "argocd.video.example");
    assert.equal(v.configs.params["server.insecure"], true);
    // The CRDs come from Argo CD at the pin (platform-argocd-crds), not from the chart.
    assert.deepEqual(v.crds, { install: false });
    assert.deepEqual(v.server, { ingress: { enabled: false } });
  });

  it("every chart pulls its images from the registries pinned in components/versions.ts", async () => {
    const p = await planStack("prod");
    const values = (n: string) => input(byName(p, n, RELEASE), "values") as Record<string, any>;
    assert.deepEqual(values("platform-envoy-gateway").global, { imageRegistry: REGISTRIES.envoyGateway });
    assert.equal(
      values("platform-hcloud-ccm").image.repository,
      `${REGISTRIES.hcloud}/hetznercloud/hcloud-cloud-controller-manager`,
    );
    const csi = values("platform-hcloud-csi");
    for (const part of [csi.controller.image, csi.node.image])
      for (const [k, img] of Object.entries(part as Record<string, { name: string }>))
        assert.ok(img.name.startsWith(`${k === "hcloudCSIDriver" ? REGISTRIES.hcloud : REGISTRIES.csiSidecars}/`), k);
    const cm = values("platform-cert-manager");
    for (const img of [cm.image, cm.webhook.image, cm.cainjector.image, cm.acmesolver.image, cm.startupapicheck.image])
      assert.match(img.repository, new RegExp(`^${REGISTRIES.certManager}/jetstack/cert-manager-`));
    assert.equal(values("platform-sealed-secrets").image.registry, REGISTRIES.sealedSecrets);
    const a = argocdValues({ domain: "d", adminPasswordBcrypt: "h", webhookSecret: "w" }) as Record<string, any>;
    assert.equal(a.global.image.repository, `${REGISTRIES.argocd}/argoproj/argocd`);
    assert.equal(a.redis.image.repository, `${REGISTRIES.redis}/docker/library/redis`);
  });

  it("platform namespaces are declared, labelled and protected on protected stacks", async () => {
    for (const stack of STACKS) {
      const p = await planStack(stack);
      const names = ["argocd", "edge", "cert-manager", "sealed-secrets"].map((n) => byName(p, `platform-${n}-ns`));
      assert.deepEqual(
        names.map((n) => input(n, "metadata.name")).sort(),
        [
          PLATFORM_NAMESPACES.argocd,
          PLATFORM_NAMESPACES.certManager,
          PLATFORM_NAMESPACES.ingress,
          PLATFORM_NAMESPACES.sealedSecrets,
        ].sort(),
      );
      for (const n of names) {
        assert.equal(n.options.protect, stack === "prod", n.name);
        assert.equal(input(n, "metadata.labels")?.valueOf()["pod-security.kubernetes.io/enforce" as never], "baseline");
      }
    }
  });
});

describe("platform: dependency depth (closing note)", () => {
  const r = (urn: string, deps: string[], provider?: string): PlannedResource => ({
    urn,
    type: "t",
    name: urn,
    parent: null,
    custom: true,
    inputs: {},
    options: plannedOptions({ dependsOn: deps, provider: provider ?? null }),
  });

  it("dependencyDepth counts the longest chain, following dependsOn and providers but not parents", () => {
    const plan: Plan = {
      project: "x",
      stack: "s",
      outputs: {},
      resources: [r("a", []), r("b", ["a"]), r("p", ["b"]), r("c", ["a"], "p::id"), r("d", ["a", "c"])],
    };
    assert.deepEqual(
      dependencyDepth(plan, "a", (x) => x.urn === "d"),
      { depth: 4, path: ["d", "c", "p", "b", "a"] },
    );
    assert.equal(
      dependencyDepth(plan, "b", (x) => x.urn === "a"),
      undefined,
    );
  });

  for (const stack of STACKS)
    it(`${stack}: from the first server to the last tenant resource`, async () => {
      const p = await planStack(stack);
      const chain = serverToTenantDepth(p);
      assert.ok(chain, "a chain from a server to a tenant resource exists (servers and tenants are declared)");
      const gate = ofType(p, GATE)[0].urn;
      assert.ok(chain.path.includes(gate), "the chain runs through the gate");
      assert.ok(chain.depth >= 5, `depth ${chain.depth}: server → gate → provider → ... → tenant`);
    });
});
