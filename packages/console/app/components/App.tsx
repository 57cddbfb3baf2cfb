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
  // Bumped when a key is entered from the header: the screens load again with it (their
  // earlier calls failed with a 401 the person dismissed).
  const [loads, setLoads] = useState(0);
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
      <Header route={route} onKeyEntered={() => setLoads((n) => n + 1)} />
      <main id="main" tabIndex={-1}>
        <AskScreen hidden={route.name !== "ask"} loads={loads} />
        {route.name === "documents" && <DocumentsScreen key={loads} collection={route.collection} />}
        {route.name === "document" && (
          <DocumentScreen key={loads} id={route.id} collection={route.collection} />
        )}
        {route.name === "usage" && <UsageScreen key={loads} />}
      </main>
      <KeyPrompt />
    </>
  );
}

/** The skip link is a button: a `#main` link would change the hash, which is the router's. */
function skipToMain() {
  document.getElementById("main")?.focus();
}
