/** `pulumi-resource-hcloud` for the engine tests: see providers.ts. Reports @pulumi/hcloud's version, marked as a stand-in. */
import * as pulumi from "@pulumi/pulumi";
import hcloudPackage from "@pulumi/hcloud/package.json";
import { hcloudProvider } from "./providers";

void pulumi.provider.main(hcloudProvider(`${hcloudPackage.version}+standin`), process.argv.slice(2));
