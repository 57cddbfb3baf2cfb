import { useEffect, useState } from "preact/hooks";
import { parseRoute, type Route } from "../lib/routes.ts";
import { AskScreen } from "./AskScreen.tsx";
import { DocumentScreen } from "./DocumentScreen.tsx";
import { DocumentsScreen } from "./DocumentsScreen.tsx";
import { Header } from "./Header.tsx";
import { KeyPrompt } from "./KeyPrompt.tsx";
import { UsageScreen } from "./UsageScreen.tsx";

/** The current hash route, following `hashchange`. */
function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}

/**
 * The console: a header with the screens, the screen of the current hash route, and the API key
 * prompt. The Ask screen stays mounted (hidden) on other screens, so a question keeps streaming
 * while the reader follows a citation to its document and comes back.
 */
export function App() {
  const route = useRoute();
  useEffect(() => {
    const titles: Record<Route["name"], string> = {
      ask: "Ask",
      documents: "Documents",
      document: "Document",
      usage: "Usage",
    };
    document.title = `${titles[route.name]} · DeepRecall`;
  }, [route.name]);
  return (
    <>
      <button type="button" class="skip-link" onClick={skipToMain}>
        Skip to content
      </button>
      <Header route={route} />
      <main id="main" tabIndex={-1}>
        <AskScreen hidden={route.name !== "ask"} />
        {route.name === "documents" && <DocumentsScreen collection={route.collection} />}
        {route.name === "document" && <DocumentScreen id={route.id} collection={route.collection} />}
        {route.name === "usage" && <UsageScreen />}
      </main>
      <KeyPrompt />
    </>
  );
}

/** The skip link is a button: a `#main` link would change the hash, which is the router's. */
function skipToMain() {
  document.getElementById("main")?.focus();
}
