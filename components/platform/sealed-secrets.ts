/**
 * Sealed Secrets with a bring-your-own key plus scheduled renewal (docs/platform.md, "Sealed
 * Secrets key"): the escrowed key pair comes from `secure:` config, so everything sealed with it
 * decrypts on a rebuilt or relocated site; the controller adds a fresh key every
 * SEALING_KEY_RENEW_PERIOD and seals new secrets with the newest. Renewal only ever adds keys (the
 * controller deletes none), so nothing sealed earlier stops decrypting; each added key exists only
 * in this cluster until it is escrowed (runbook 08, "Escrow renewed keys").
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { IMAGE_OVERRIDES, REGISTRIES } from "../versions";
import { PLATFORM_NAMESPACES } from "./namespaces";
import { k8sOpts, PlatformContext, platformNamespace, release } from "./releases";

/** The label the controller finds its keys by. */
export const SEALING_KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key";
/** Controller name kubeseal expects (`--controller-name`); the chart's default is the release name. */
export const SEALED_SECRETS_CONTROLLER = "sealed-secrets-controller";

/**
 * How often the controller adds a sealing key (its `--key-renew-period`, upstream's default of 30
 * days): a key seals new secrets for at most this long, and escrowing renewed keys is a monthly task.
 */
export const SEALING_KEY_RENEW_PERIOD = "720h";

/** The controller image's repository inside its registry (IMAGE_OVERRIDES names registry/repository). */
const CONTROLLER_REPOSITORY = IMAGE_OVERRIDES.sealedSecrets.image.slice(
  IMAGE_OVERRIDES.sealedSecrets.image.indexOf("/") + 1,
);

/** Controller values: the patched controller image, renewal on a schedule, rolled on a new escrowed key. */
export function sealedSecretsValues(certSha256: pulumi.Input<string>): pulumi.Input<Record<string, unknown>> {
  return {
    fullnameOverride: SEALED_SECRETS_CONTROLLER,
    // The newest controller release (the only one upstream patches), newer than the chart's appVersion.
    image: {
      registry: REGISTRIES.sealedSecrets,
      repository: CONTROLLER_REPOSITORY,
      tag: IMAGE_OVERRIDES.sealedSecrets.tag,
    },
    // Renewal adds a key Secret (label sealedsecrets.bitnami.com/sealed-secrets-key=active) next to
    // the escrowed one; the newest key seals, every key still unseals. The escrowed key is older
    // than a period on a fresh site, so the controller adds its first own key at start.
    keyrenewperiod: SEALING_KEY_RENEW_PERIOD,
    // The controller reads its keys at start: a rotated certificate rolls the pod.
    podAnnotations: { "platform.video/sealing-cert-sha256": certSha256 },
  };
}

export interface SealedSecretsParts {
  namespace: k8s.core.v1.Namespace;
  keySecret: k8s.core.v1.Secret;
  release: k8s.helm.v3.Release;
}

export function sealedSecrets(ctx: PlatformContext, ccm: k8s.helm.v3.Release): SealedSecretsParts {
  const { secrets } = ctx.config;
  const namespace = platformNamespace(ctx, "sealed-secrets", PLATFORM_NAMESPACES.sealedSecrets);

  // Exists before the controller starts, so it never generates a key of its own.
  const keySecret = new k8s.core.v1.Secret(
    `${ctx.name}-sealing-key`,
    {
      metadata: {
        name: "sealed-secrets-key-escrowed",
        namespace: namespace.metadata.name,
        labels: { [SEALING_KEY_LABEL]: "active" },
      },
      type: "kubernetes.io/tls",
      stringData: pulumi.secret({ "tls.crt": secrets.sealedSecretsCert, "tls.key": secrets.sealedSecretsKey }),
    },
    k8sOpts(ctx),
  );

  // The certificate is public (kubeseal encrypts with it); only its digest goes into the values,
  // unsecreted so the release's values stay reviewable in previews.
  const certSha256 = pulumi.unsecret(
    secrets.sealedSecretsCert.apply((pem) => createHash("sha256").update(pem.trim()).digest("hex")),
  );

  const rel = release(
    ctx,
    "sealed-secrets",
    {
      chart: "sealedSecrets",
      releaseName: "sealed-secrets",
      namespace: namespace.metadata.name,
      values: sealedSecretsValues(certSha256),
    },
    { dependsOn: [keySecret, ccm] },
  );
  return { namespace, keySecret, release: rel };
}
