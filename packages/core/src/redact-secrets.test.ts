import { describe, expect, it } from "vitest";
import { redactSecrets } from "./redact-secrets.ts";

describe("redactSecrets", () => {
  it.each([
    ["Bearer abc.def-ghi", "abc.def-ghi"],
    ["key sk-ant-api03-AAAAAAAAAAAAAAAA", "sk-ant-api03"],
    ["google AIzaSyD4-abcdefghijklmnopqrstuvwx", "AIzaSy"],
    ['{"api_key": "s3cr3t-value"}', "s3cr3t-value"],
    ["https://x?apiKey=hunter2&x=1", "hunter2"],
    ["pinecone pcsk_abcdefghijklmnop", "pcsk_abcdefghijklmnop"],
    ["stripe-style sk_live_abcdefgh123", "sk_live_abcdefgh123"],
    ["redis://default:hunter22@cache:6379", "hunter22"],
    ["Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"],
  ])("removes %s", (input, secret) => {
    expect(redactSecrets(input)).not.toContain(secret);
  });

  it("leaves ordinary text alone", () => {
    const text = "The model is overloaded (risk-free task-manager tokens: 100). Try again.";
    expect(redactSecrets(text)).toBe(text);
  });
});
