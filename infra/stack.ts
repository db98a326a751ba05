/**
 * Keygate's stack program: the `main` of Pulumi.yaml. (package.json's `main` is the library,
 * infra/index.ts, which creates nothing.) The exported object's properties are the stack outputs;
 * unset ones are left out rather than exported as undefined.
 */
import { createKeygateStack, type KeygateStackOutputs } from "./keygate-stack";
import { pulumiConfigSource, readStackConfig } from "./stack-config";

const outputs = createKeygateStack(readStackConfig(pulumiConfigSource()));

const stackOutputs = Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined)) as Partial<KeygateStackOutputs>;
export = stackOutputs;
