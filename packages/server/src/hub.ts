/** A list of subscribers. */
export function hub<T>() {
  const subs = new Set<(v: T) => void>();
  return {
    emit(v: T) {
      for (const s of subs) s(v);
    },
    on(cb: (v: T) => void) {
      subs.add(cb);
      return () => {
        subs.delete(cb);
      };
    },
  };
}
