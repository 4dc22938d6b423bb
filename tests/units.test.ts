/** Pure functions, scripts, documents and the policy pack: see tests/support/specEntries.ts. */
import { runSpecs } from "./support/specEntries";

runSpecs("units");
