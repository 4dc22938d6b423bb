/** The program under Pulumi's mocks, whole and one component at a time: see tests/support/specEntries.ts. */
import { runSpecs } from "./support/specEntries";
import { resetPulumiBetweenSpecs } from "./support/componentRun";

runSpecs("program", { beforeEachSpec: resetPulumiBetweenSpecs });
