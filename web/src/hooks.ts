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

// Runs a form's action: `busy` while it runs, `error` when it throws (cleared at the next run).
// `run` never throws, so it can be passed straight to an event handler.
export function useSubmit<A extends unknown[]>(action: (...args: A) => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (...args: A) => {
    setBusy(true);
    setError(null);
    try {
      await action(...args);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}
