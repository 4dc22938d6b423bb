/** Jest setup file (after the framework): each test file's scratch folders go when its tests are done. */
import { removeScratchDirs } from "./scratchDir";

afterAll(removeScratchDirs);
