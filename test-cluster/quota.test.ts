/**
 * Quota admission, per tenant, as the tenant's admin group: a pod over the compute quota and a
 * claim over the storage quota are refused while smaller ones are admitted, and the object counts
 * (pods, services, claims) stop at their limit. The limits are read from the cluster, so the test
 * holds for every tier; the refusal messages are Kubernetes' own, written out here.
 */
import { strict as assert } from "node:assert";
import { ApiResponse, Impersonate } from "../tools/cluster/client";
import { actors, admitted, client, core, create, eventually, rejected, restrictedPod, tenants } from "./cluster";
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
/** Object counts in the quota: the resource path and the quota key that counts it. */
const COUNTED: [string, string][] = [
  ["pods", "pods"],
  ["services", "services"],
  ["persistentvolumeclaims", "persistentvolumeclaims"],
  ["configmaps", "count/configmaps"],
  ["secrets", "count/secrets"],
];

/**
 * Waits until the quota's `used` counts equal what the namespace really holds. The quota
 * controller recalculates usage from its informers after deletions; a recalculation racing with
 * fresh creates can write a low count (quota is eventually consistent), so each count test starts
 * and ends on a settled quota.
 */
async function settled(ns: string): Promise<void> {
  await eventually(`${ns}: quota usage settled`, async () => {
    const q = await quota(ns);
    for (const [r, key] of COUNTED) {
      const list = await client().request("GET", core(ns, r));
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
    // Bare Pods and plain Secrets are not the sync identity's to create (its role holds neither:
    // Pods come from its workloads, Secrets as SealedSecrets); quota admission binds everyone, so
    // for those the cluster admin fills the namespace.
    const asFor = (resource: string) =>
      label === "sync identity" && (resource === "pods" || resource === "secrets") ? undefined : as;
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
      ] as [string, string, (i: number) => { metadata: Record<string, unknown> }][]) {
        it(`[${key.startsWith("count/") ? "TEN-QTA-002" : "TEN-QTA-001"}] ${key}: objects up to the quota's count are admitted, one more is refused`, async function () {
          this.timeout(180_000);
          const path = core(t.namespace, resource);
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
            // Services have no deletecollection: delete one by one.
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
