/**
 * Quota admission, per tenant, as the tenant's admin group: a pod over the compute quota and a
 * claim over the storage quota are refused while smaller ones are admitted, and the object counts
 * (pods, services, claims) stop at their limit. The limits are read from the cluster, so the test
 * holds for every tier; the refusal messages are Kubernetes' own, written out here.
 */
import { strict as assert } from "node:assert";
import { ApiResponse, collectionPath, Impersonate } from "../tools/cluster/client";
import {
  actors,
  admitted,
  appliedObjects,
  client,
  core,
  create,
  eventually,
  rejected,
  restrictedPod,
  tenants,
} from "./cluster";
import { clusterReady } from "./ready";

/** cpu quantity -> millicores ("1500m", "4", "0.5"). */
function milli(q: string): number {
  return q.endsWith("m") ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
}

/** storage quantity -> GiB (Gi/Ti/Mi only: what the tenant quotas use). */
function gib(q: string): number {
  if (q === "0") return 0;
  const m = /^(\d+(?:\.\d+)?)(Mi|Gi|Ti)$/.exec(q);
  assert.ok(m, `unexpected storage quantity ${q}`);
  return Number(m[1]) * { Mi: 1 / 1024, Gi: 1, Ti: 1024 }[m[2] as "Mi" | "Gi" | "Ti"];
}

interface Quota {
  hard: Record<string, string>;
  used: Record<string, string>;
}

async function quota(ns: string): Promise<Quota> {
  const r = await client().request("GET", `${core(ns, "resourcequotas")}/tenant-quota`);
  return r.body.status as Quota;
}

const LABEL = "platform.video/conformance-fill";
/** Object counts in the quota: the resource, its API version and the quota key that counts it. */
const COUNTED: [string, string, string][] = [
  ["pods", "v1", "pods"],
  ["services", "v1", "services"],
  ["persistentvolumeclaims", "v1", "persistentvolumeclaims"],
  ["configmaps", "v1", "count/configmaps"],
  ["secrets", "v1", "count/secrets"],
  ["serviceaccounts", "v1", "count/serviceaccounts"],
  ["replicasets", "apps/v1", "count/replicasets.apps"],
];
const pathOf = (ns: string, resource: string) =>
  collectionPath(COUNTED.find((c) => c[0] === resource)?.[1] ?? "v1", resource, ns);

/** A ReplicaSet of no replicas: nothing runs, but etcd stores it (a flood of them once filled etcd). */
const emptyReplicaSet = (i: number) => {
  const pod = restrictedPod(`fill-${i}`);
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: `fill-${i}` },
    spec: {
      replicas: 0,
      selector: { matchLabels: { fill: String(i) } },
      template: { metadata: { labels: { fill: String(i) } }, spec: pod.spec },
    },
  };
};

/**
 * Waits until the quota's `used` counts equal what the namespace really holds. The quota
 * controller recalculates usage from its informers after deletions; a recalculation racing with
 * fresh creates can write a low count (quota is eventually consistent), so each count test starts
 * and ends on a settled quota.
 */
async function settled(ns: string): Promise<void> {
  await eventually(`${ns}: quota usage settled`, async () => {
    const q = await quota(ns);
    for (const [r, , key] of COUNTED) {
      const list = await client().request("GET", pathOf(ns, r));
      if (Number(q.used[key] ?? "0") !== (list.body.items as unknown[]).length) return false;
    }
    return true;
  });
}

describe("quota admission against the real API server", function () {
  before(clusterReady);
  for (const [name, t] of tenants()) {
    // Its admin group where it has one, else its sync identity: whoever creates objects there.
    const { label, as } = actors(name, t)[0] as { label: string; as: Impersonate };
    // Bare Pods, plain Secrets and ReplicaSets are not the sync identity's to create (its role
    // holds none: Pods and ReplicaSets come from its workloads, Secrets as SealedSecrets); quota
    // admission binds everyone, so for those the cluster admin fills the namespace.
    const asFor = (resource: string) =>
      label === "sync identity" && ["pods", "secrets", "replicasets"].includes(resource) ? undefined : as;
    describe(`${name} as its ${label}`, function () {
      it("[TEN-QTA-001 TEN-LIM-001] a pod asking more CPU than the quota is refused; a small pod is admitted", async () => {
        const q = await quota(t.namespace);
        const lr = await client().request("GET", `${core(t.namespace, "limitranges")}/tenant-limits`);
        const max = ((lr.body.spec as { limits: { max?: { cpu?: string } }[] }).limits[0].max?.cpu ?? "1") as string;
        // Containers at the LimitRange's per-container maximum until the pod exceeds the quota.
        const n = Math.floor(milli(q.hard["requests.cpu"]) / milli(max)) + 1;
        const containers = Array.from({ length: n }, (_, i) => ({
          name: `c${i}`,
          image: "registry.invalid/app:1",
          resources: {
            requests: { cpu: max, memory: "16Mi", "ephemeral-storage": "16Mi" },
            limits: { cpu: max, memory: "16Mi", "ephemeral-storage": "16Mi" },
          },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        }));
        const big = restrictedPod("too-big");
        (big.spec as Record<string, unknown>).containers = containers;
        rejected(
          await create(core(t.namespace, "pods"), big, asFor("pods")),
          403,
          /exceeded quota: tenant-quota, requested: .*(requests|limits)\.cpu=/,
        );
        // One container over the LimitRange maximum is refused by LimitRanger, before quota.
        rejected(
          await create(
            core(t.namespace, "pods"),
            restrictedPod("over-max", {}, { resources: { requests: { cpu: "64" }, limits: { cpu: "64" } } }),
            asFor("pods"),
          ),
          403,
          /maximum cpu usage per Container is/,
        );
        admitted(await create(core(t.namespace, "pods"), restrictedPod("small"), asFor("pods")));
      });

      it("[TEN-QTA-001] a claim over the storage quota is refused; a 1Gi claim is admitted", async () => {
        const q = await quota(t.namespace);
        const over = `${Math.ceil(gib(q.hard["requests.storage"]) - gib(q.used["requests.storage"] ?? "0Gi")) + 1}Gi`;
        const pvc = (n: string, size: string) => ({
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: n },
          spec: {
            storageClassName: "hcloud-volumes-tenant",
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: size } },
          },
        });
        rejected(
          await create(core(t.namespace, "persistentvolumeclaims"), pvc("huge", over), as),
          403,
          new RegExp(`exceeded quota: tenant-quota, requested: requests\\.storage=${over}`),
        );
        admitted(await create(core(t.namespace, "persistentvolumeclaims"), pvc("data", "1Gi"), as));
      });

      it("[TEN-PRIO-002] tenant-live pods up to the file's ingest workers are admitted, one more is refused", async function () {
        this.timeout(120_000);
        // What the tenant's chart is told to run as ingest workers: its Application's values, as
        // the plan declared them (in whichever namespace its Argo CD instance reads them from).
        const app = appliedObjects().find(
          (o) =>
            o.kind === "Application" &&
            (o.metadata.labels as Record<string, string> | undefined)?.["platform.video/tenant"] === name,
        );
        assert.ok(app, `no Application labelled for ${name}`);
        const ingest = (app as any).spec.source.helm.valuesObject.ingest as { workers: number };
        const live = (await client().request("GET", `${core(t.namespace, "resourcequotas")}/tenant-live`)).body as any;
        assert.deepEqual(live.spec.scopeSelector, {
          matchExpressions: [{ scopeName: "PriorityClass", operator: "In", values: ["tenant-live"] }],
        });
        assert.equal(live.spec.hard.pods, String(ingest.workers));
        const path = core(t.namespace, "pods");
        const livePod = (i: number) => {
          const p = restrictedPod(`live-${i}`, { priorityClassName: "tenant-live" });
          (p.metadata as Record<string, unknown>).labels = { [LABEL]: "true" };
          return p;
        };
        try {
          for (let i = 0; i < ingest.workers; i++) admitted(await create(path, livePod(i), asFor("pods"), false));
          rejected(
            await create(path, livePod(ingest.workers), asFor("pods"), false),
            403,
            new RegExp(
              `exceeded quota: tenant-live, requested: pods=1, used: pods=${ingest.workers}, limited: pods=${ingest.workers}`,
            ),
          );
          // The tenant's other pods are not tenant-live's: a standard one is still admitted.
          admitted(
            await create(path, restrictedPod("standard", { priorityClassName: "tenant-standard" }), asFor("pods")),
          );
        } finally {
          await client().request("DELETE", path, undefined, {
            query: { labelSelector: LABEL, gracePeriodSeconds: "0" },
          });
        }
      });

      for (const [resource, key, make] of [
        ["pods", "pods", (i: number) => restrictedPod(`fill-${i}`)],
        [
          "services",
          "services",
          (i: number) => ({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: `fill-${i}` },
            spec: { ports: [{ port: 80 }] },
          }),
        ],
        [
          "persistentvolumeclaims",
          "persistentvolumeclaims",
          (i: number) => ({
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: `fill-${i}` },
            spec: {
              storageClassName: "hcloud-volumes-tenant",
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: "1Mi" } },
            },
          }),
        ],
        [
          "configmaps",
          "count/configmaps",
          (i: number) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `fill-${i}` } }),
        ],
        [
          "secrets",
          "count/secrets",
          (i: number) => ({ apiVersion: "v1", kind: "Secret", metadata: { name: `fill-${i}` } }),
        ],
        [
          "serviceaccounts",
          "count/serviceaccounts",
          (i: number) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: `fill-${i}` } }),
        ],
        // The ReplicaSet flood of issue 25: thousands of zero-replica ReplicaSets near the 1.5 MiB
        // object limit filled etcd; now the quota stops them at the tier's count.
        ["replicasets", "count/replicasets.apps", emptyReplicaSet],
      ] as [string, string, (i: number) => { metadata: Record<string, unknown> }][]) {
        it(`[${key.startsWith("count/") ? "TEN-QTA-002" : "TEN-QTA-001"}] ${key}: objects up to the quota's count are admitted, one more is refused`, async function () {
          this.timeout(180_000);
          const path = pathOf(t.namespace, resource);
          try {
            await settled(t.namespace);
            const q = await quota(t.namespace);
            const hard = Number(q.hard[key]);
            assert.ok(
              Number.isFinite(hard) && hard > 0,
              `quota has no ${key}: a tenant could create ${resource} without bound`,
            );
            const used = (await client().request("GET", path)).body.items as unknown[];
            // Create until refused (the quota's `used` may still count objects deleted a moment
            // ago, so it is not trusted for the loop); the refusal must come exactly at the limit.
            let refusal: ApiResponse | undefined;
            for (let i = used.length; i <= hard && !refusal; i++) {
              const obj = make(i);
              obj.metadata.labels = { [LABEL]: "true" };
              const r = await create(path, obj, asFor(resource), false);
              if (r.status === 403) refusal = r;
              else admitted(r);
            }
            assert.ok(refusal, `${hard + 1} ${resource} were all admitted: the quota's ${key} is not enforced`);
            rejected(
              refusal,
              403,
              new RegExp(
                `exceeded quota: tenant-quota, requested: ${key}=1, used: ${key}=${hard}, limited: ${key}=${hard}`,
              ),
            );
            const all = await client().request("GET", path);
            assert.equal((all.body.items as unknown[]).length, hard, `${resource} in ${t.namespace} at the refusal`);
          } finally {
            // Services have no deletecollection: delete one by one (ReplicaSets' pods first: none).
            const list = await client().request("GET", path, undefined, { query: { labelSelector: LABEL } });
            for (const item of (list.body.items as { metadata: { name: string } }[]) ?? [])
              await client().request("DELETE", `${path}/${item.metadata.name}`, undefined, {
                query: { gracePeriodSeconds: "0" },
              });
          }
        });
      }
    });
  }
});
