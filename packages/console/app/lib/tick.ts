import { useEffect, useState } from "preact/hooks";

/** Re-renders every `ms` while `active`, so a clock moves between events; returns Date.now(). */
export function useTick(active: boolean, ms: number): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setTick((n) => n + 1), ms);
    return () => clearInterval(timer);
  }, [active, ms]);
  return Date.now();
}
