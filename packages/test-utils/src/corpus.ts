import type { Metadata, MetadataFilter } from "@deeprecall/core";

export interface CorpusDocument {
  id: string;
  content: string;
  metadata: Metadata;
}

/**
 * The fixture corpus the conformance suite runs on: twelve short documents on four topics.
 * Every document contains the word "guide" (so a lexical-only store can return all of them for
 * filter checks), metadata has a string (`topic`), an integer (`year`), a non-integer number
 * (`rating`) and a boolean (`published`). Ratings are deliberately never whole numbers, since
 * some backends store integers and floats as different types.
 */
export const conformanceCorpus: readonly CorpusDocument[] = [
  {
    id: "doc-bread",
    content:
      "A guide to baking sourdough bread at home: feed the starter, knead the dough and bake the loaf in a hot Dutch oven.",
    metadata: { topic: "cooking", year: 2019, rating: 4.5, published: true },
  },
  {
    id: "doc-pasta",
    content:
      "A guide to fresh Italian pasta: mix flour and eggs, roll the sheets thin and cut tagliatelle by hand.",
    metadata: { topic: "cooking", year: 2021, rating: 3.95, published: false },
  },
  {
    id: "doc-curry",
    content: "A guide to Thai green curry with coconut milk, lemongrass, chillies and sweet basil.",
    metadata: { topic: "cooking", year: 2023, rating: 3.5, published: true },
  },
  {
    id: "doc-kyoto",
    content: "A travel guide to Kyoto: temples, tea houses and autumn leaves in the old capital of Japan.",
    metadata: { topic: "travel", year: 2018, rating: 4.9, published: true },
  },
  {
    id: "doc-iceland",
    content: "A travel guide to Iceland: glaciers, waterfalls, geysers and the northern lights in winter.",
    metadata: { topic: "travel", year: 2022, rating: 4.8, published: true },
  },
  {
    id: "doc-lisbon",
    content:
      "A travel guide to Lisbon: yellow trams, custard tarts and the viewpoints above the Tagus river.",
    metadata: { topic: "travel", year: 2020, rating: 4.2, published: false },
  },
  {
    id: "doc-rust",
    content: "A programming guide to Rust ownership, borrowing and lifetimes for memory safe systems code.",
    metadata: { topic: "tech", year: 2021, rating: 4.7, published: true },
  },
  {
    id: "doc-postgres",
    content:
      "A database guide to PostgreSQL indexes: B-tree, GIN and BRIN indexes and when the PostgreSQL query planner uses them.",
    metadata: { topic: "tech", year: 2022, rating: 4.1, published: true },
  },
  {
    id: "doc-kubernetes",
    content:
      "An operations guide to Kubernetes: pods, deployments, services and rolling updates of containers.",
    metadata: { topic: "tech", year: 2024, rating: 3.9, published: false },
  },
  {
    id: "doc-typescript",
    content: "A programming guide to TypeScript generics, conditional types and type inference.",
    metadata: { topic: "tech", year: 2023, rating: 4.4, published: true },
  },
  {
    id: "doc-sleep",
    content:
      "A health guide to better sleep: a dark cool bedroom, a regular bedtime and less caffeine in the afternoon.",
    metadata: { topic: "health", year: 2020, rating: 4.6, published: true },
  },
  {
    id: "doc-running",
    content:
      "A health guide to marathon running: training plans, long runs, tapering and race day nutrition.",
    metadata: { topic: "health", year: 2024, rating: 3.8, published: false },
  },
];

/** A query that every corpus document matches lexically (each one contains "guide"). */
export const MATCH_ALL_QUERY = "guide";

/** Obvious queries and the corpus document that must rank first for each. */
export const rankingCases: ReadonlyArray<{ query: string; expectedFirst: string }> = [
  { query: "how to bake sourdough bread", expectedFirst: "doc-bread" },
  { query: "northern lights and glaciers in Iceland", expectedFirst: "doc-iceland" },
  { query: "Rust ownership and borrowing", expectedFirst: "doc-rust" },
  { query: "PostgreSQL indexes", expectedFirst: "doc-postgres" },
  { query: "marathon running training plans", expectedFirst: "doc-running" },
  { query: "better sleep and caffeine", expectedFirst: "doc-sleep" },
];

/** Every filter operator, with the exact set of corpus ids it selects (hand-written, not computed). */
export const filterCases: ReadonlyArray<{ name: string; filter: MetadataFilter; expected: string[] }> = [
  {
    name: "equality shorthand (string)",
    filter: { topic: "cooking" },
    expected: ["doc-bread", "doc-pasta", "doc-curry"],
  },
  {
    name: "equality shorthand (boolean)",
    filter: { published: false },
    expected: ["doc-pasta", "doc-lisbon", "doc-kubernetes", "doc-running"],
  },
  { name: "equality shorthand (number)", filter: { year: 2021 }, expected: ["doc-pasta", "doc-rust"] },
  { name: "$eq", filter: { topic: { $eq: "travel" } }, expected: ["doc-kyoto", "doc-iceland", "doc-lisbon"] },
  {
    name: "$ne",
    filter: { topic: { $ne: "tech" } },
    expected: [
      "doc-bread",
      "doc-pasta",
      "doc-curry",
      "doc-kyoto",
      "doc-iceland",
      "doc-lisbon",
      "doc-sleep",
      "doc-running",
    ],
  },
  {
    name: "$gt",
    filter: { year: { $gt: 2022 } },
    expected: ["doc-curry", "doc-kubernetes", "doc-typescript", "doc-running"],
  },
  {
    name: "$gte",
    filter: { year: { $gte: 2022 } },
    expected: ["doc-curry", "doc-iceland", "doc-postgres", "doc-kubernetes", "doc-typescript", "doc-running"],
  },
  { name: "$lt", filter: { year: { $lt: 2020 } }, expected: ["doc-bread", "doc-kyoto"] },
  {
    name: "$lte",
    filter: { year: { $lte: 2020 } },
    expected: ["doc-bread", "doc-kyoto", "doc-lisbon", "doc-sleep"],
  },
  {
    name: "$gte on a non-integer number",
    filter: { rating: { $gte: 4.5 } },
    expected: ["doc-bread", "doc-kyoto", "doc-iceland", "doc-rust", "doc-sleep"],
  },
  {
    name: "$in (strings)",
    filter: { topic: { $in: ["cooking", "health"] } },
    expected: ["doc-bread", "doc-pasta", "doc-curry", "doc-sleep", "doc-running"],
  },
  {
    name: "$in (numbers)",
    filter: { year: { $in: [2018, 2024] } },
    expected: ["doc-kyoto", "doc-kubernetes", "doc-running"],
  },
  {
    name: "$nin",
    filter: { topic: { $nin: ["cooking", "health", "travel"] } },
    expected: ["doc-rust", "doc-postgres", "doc-kubernetes", "doc-typescript"],
  },
  {
    name: "$and",
    filter: { $and: [{ topic: "tech" }, { year: { $gte: 2022 } }] },
    expected: ["doc-postgres", "doc-kubernetes", "doc-typescript"],
  },
  {
    name: "$or",
    filter: { $or: [{ topic: "health" }, { rating: { $gte: 4.8 } }] },
    expected: ["doc-kyoto", "doc-iceland", "doc-sleep", "doc-running"],
  },
  {
    name: "several keys at one level are ANDed",
    filter: { topic: "tech", published: true },
    expected: ["doc-rust", "doc-postgres", "doc-typescript"],
  },
  {
    name: "nested $or of $and",
    filter: { $or: [{ $and: [{ topic: "cooking" }, { published: false }] }, { year: { $lt: 2019 } }] },
    expected: ["doc-pasta", "doc-kyoto"],
  },
  { name: "matches nothing (unknown value)", filter: { topic: "astronomy" }, expected: [] },
  { name: "matches nothing (range)", filter: { year: { $gt: 3000 } }, expected: [] },
];

/** Filters every store must reject with a ConfigError before touching the backend. */
export const invalidFilterCases: ReadonlyArray<{ name: string; filter: unknown }> = [
  { name: "unknown operator", filter: { year: { $regex: "20.*" } } },
  { name: "unknown logical operator", filter: { $not: { topic: "tech" } } },
  { name: "$gt with a string operand", filter: { year: { $gt: "2020" } } },
  { name: "$in with a non-array operand", filter: { topic: { $in: "tech" } } },
  { name: "empty $and", filter: { $and: [] } },
  { name: "not an object", filter: "topic = tech" },
];

/** Documents in several scripts, plus emoji, that must round-trip byte for byte. */
export const nonAsciiCorpus: readonly CorpusDocument[] = [
  {
    id: "intl-zurich",
    content: "Zürich liegt am Zürichsee und ist für seine Banken und Brücken bekannt.",
    metadata: { city: "Zürich" },
  },
  { id: "intl-tokyo", content: "東京は日本の首都です。人口は約千四百万人です。", metadata: { city: "東京" } },
  { id: "intl-athens", content: "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.", metadata: { city: "Αθήνα" } },
  {
    id: "intl-emoji",
    content: "Launch day 🚀🎉 the rocket cleared the tower ✨ and the crowd cheered 👩‍🚀",
    metadata: { city: "Cape Canaveral 🚀" },
  },
];

export const nonAsciiQueries: ReadonlyArray<{ query: string; expectedFirst: string }> = [
  { query: "Zürich", expectedFirst: "intl-zurich" },
  { query: "東京", expectedFirst: "intl-tokyo" },
  { query: "Αθήνα", expectedFirst: "intl-athens" },
  { query: "rocket launch", expectedFirst: "intl-emoji" },
];
