// Progress lines are shared by every adapter: see describeEngineEvent in @deeprecall/core.
export { describeEngineEvent as progressLine } from "@deeprecall/core";
