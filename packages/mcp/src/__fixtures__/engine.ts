// The adapter tests share one seeded engine fixture (see @deeprecall/test-utils).
export {
  SEED_CORPUS as CORPUS,
  SEED_INVESTIGATION as INVESTIGATION,
  scriptedModel as scripted,
  seededEngine,
} from "@deeprecall/test-utils";
