import type { Route } from "../lib/routes.ts";
import { KeyControl } from "./KeyControl.tsx";

const LINKS: Array<{ href: string; label: string; active: (r: Route) => boolean }> = [
  { href: "#/ask", label: "Ask", active: (r) => r.name === "ask" },
  { href: "#/documents", label: "Documents", active: (r) => r.name === "documents" || r.name === "document" },
  { href: "#/usage", label: "Usage", active: (r) => r.name === "usage" },
];

/** The top bar: the product name, the screens (the current one marked), the API key control. */
export function Header({ route, onKeyEntered }: { route: Route; onKeyEntered?: () => void }) {
  return (
    <header class="topbar">
      <a class="brand" href="#/ask">
        DeepRecall <span class="brand-sub">console</span>
      </a>
      <nav aria-label="Screens">
        <ul class="nav-list">
          {LINKS.map((link) => (
            <li key={link.href}>
              <a href={link.href} aria-current={link.active(route) ? "page" : undefined}>
                {link.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <KeyControl onKeyEntered={onKeyEntered} />
    </header>
  );
}
