/** The whole program run offline under Pulumi's mocks: see tests/support/specEntries.ts. */
import { runSpecs } from "./support/specEntries";
import { resetPulumiBetweenSpecs } from "./support/componentRun";

runSpecs("program", { beforeEachSpec: resetPulumiBetweenSpecs });
