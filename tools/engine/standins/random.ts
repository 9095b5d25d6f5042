/** `pulumi-resource-random` for the engine tests: see providers.ts. Reports @pulumi/random's version, marked as a stand-in. */
import * as pulumi from "@pulumi/pulumi";
import randomPackage from "@pulumi/random/package.json";
import { randomProvider } from "./providers";

void pulumi.provider.main(randomProvider(`${randomPackage.version}+standin`), process.argv.slice(2));
