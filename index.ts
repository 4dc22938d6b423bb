import { readStackConfig } from "./lib/readStackConfig";
import { buildStack } from "./lib/program";

// Pulumi awaits the exported function and publishes what it returns as the stack outputs.
export = async () => buildStack(readStackConfig());
