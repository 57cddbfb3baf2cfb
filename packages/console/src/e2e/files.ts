import { makePdf } from "@deeprecall/test-utils";

/** A file as Playwright's setInputFiles takes it. */
export interface UploadFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

export const ACME_MD: UploadFile = {
  name: "acme.md",
  mimeType: "text/markdown",
  buffer: Buffer.from(
    "# Acme Corporation\n\nAcme Corporation was founded by Jane Doe in 1999 in Lyon. It makes anvils and rockets.\n",
  ),
};

export const NOTES_TXT: UploadFile = {
  name: "notes.txt",
  mimeType: "text/plain",
  buffer: Buffer.from(
    "Meeting notes: the weather in Paris is mild in spring. Nothing about companies here.\n",
  ),
};

export const REPORT_PDF: UploadFile = {
  name: "report.pdf",
  mimeType: "application/pdf",
  buffer: makePdf(["Quarterly report of Globex.", "Revenue grew twelve percent in the third quarter."]),
};

/** A Windows executable's first bytes: binary, not a document. */
export const TOOL_EXE: UploadFile = {
  name: "tool.exe",
  mimeType: "application/octet-stream",
  buffer: Buffer.concat([Buffer.from("MZ\x90\x00\x03\x00\x00\x00", "latin1"), Buffer.alloc(256, 0)]),
};
