import { expect, test } from "vitest";
import { barChart, ensureTitle } from "./svg.ts";

test("bar widths are proportional to the values and labels are escaped", () => {
  const svg = barChart({
    title: "A <chart> & more",
    unit: "req/s",
    series: ["rps"],
    groups: [
      { label: "big", values: [200] },
      { label: "small", values: [50] },
      { label: "missing", values: [null] },
    ],
  });
  expect(svg.startsWith("<svg")).toBe(true);
  expect(svg).toContain("A &#60;chart&#62; &#38; more");
  const widths = [...svg.matchAll(/<rect x="250" y="\d+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
  expect(widths).toHaveLength(2);
  expect(widths[0]! / widths[1]!).toBeCloseTo(4, 1);
  expect(svg).toContain("200 req/s");
  expect(svg).toContain("n/a");
});

test("charts carry an accessible title; ensureTitle adds one only when missing", () => {
  const svg = barChart({ title: "T & t", unit: "ms", series: ["a"], groups: [{ label: "x", values: [1] }] });
  expect(svg).toContain("<title>T &#38; t</title>");
  expect(ensureTitle(svg, "other")).toBe(svg);
  const bare = '<svg xmlns="http://www.w3.org/2000/svg" width="1">\n<rect/>\n</svg>\n';
  expect(ensureTitle(bare, "Chart")).toBe(
    '<svg xmlns="http://www.w3.org/2000/svg" width="1" role="img">\n<title>Chart</title>\n<rect/>\n</svg>\n',
  );
});
