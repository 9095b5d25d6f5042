/**
 * Sealed Secrets with a bring-your-own key: the key pair comes from `secure:` config (escrowed
 * with the stack), so SealedSecrets committed to Git decrypt on a rebuilt or relocated site. The
 * docs/platform.md shows how to generate and rotate it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { REGISTRIES } from "../versions";
import { PLATFORM_NAMESPACES } from "./namespaces";
import { k8sOpts, PlatformContext, platformNamespace, release } from "./releases";

/** The label the controller finds its keys by. */
export const SEALING_KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key";
/** Controller name kubeseal expects (`--controller-name`); the chart's default is the release name. */
export const SEALED_SECRETS_CONTROLLER = "sealed-secrets-controller";

/** Controller values: no key renewal (an unescrowed key would be lost with the site). */
export function sealedSecretsValues(certSha256: pulumi.Input<string>): pulumi.Input<Record<string, unknown>> {
  return {
    fullnameOverride: SEALED_SECRETS_CONTROLLER,
    image: { registry: REGISTRIES.sealedSecrets, repository: "bitnami/sealed-secrets-controller" },
    // "0" turns renewal off: a key the controller generated itself exists only in this cluster,
    // and secrets sealed with it would be lost with the site. Rotation is a config change.
    keyrenewperiod: "0",
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
