import { readStackConfig } from "./lib/config/readStackConfig";
import { buildStack } from "./program";

// Pulumi awaits the exported function and publishes what it returns as the stack outputs.
export = async () => buildStack(readStackConfig());
