import { useCallback, useEffect, useState } from 'preact/hooks';

// Loads data when `deps` change; `reload()` fetches again. `skip` leaves it idle (no permission).
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[], skip = false) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (skip) return;
    let live = true;
    fn().then(
      (d) => live && (setData(d), setError(null)),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick, skip]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload, setData };
}
