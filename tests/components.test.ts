/** One component at a time under Pulumi's mocks: see tests/support/specEntries.ts. */
import { runSpecs } from "./support/specEntries";
import { resetPulumiBetweenSpecs } from "./support/componentRun";

runSpecs("components", { beforeEachSpec: resetPulumiBetweenSpecs });
