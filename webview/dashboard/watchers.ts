// One observer for all of the dashboard's charts each: the cards near the viewport (a chart is
// created when its card comes near it) and the chart containers' sizes (a chart follows its
// container, instead of chart.js's responsive mode: an observer and computed-style reads per chart,
// a tenth of creating 20 charts).

interface Watcher<T> {
  watch(target: Element, value: T): void;
  unwatch(target: Element): void;
}

/** Elements watched by one observer, which tells each one's value (looked up by the element) when it fires. */
function watcher<T>(make: (lookup: (target: Element) => T | undefined) => ResizeObserver | IntersectionObserver): Watcher<T> {
  const targets = new WeakMap<Element, T>();
  const observer = make((target) => targets.get(target));
  return {
    watch(target, value) {
      targets.set(target, value);
      observer.observe(target);
    },
    unwatch(target) {
      targets.delete(target);
      observer.unobserve(target);
    },
  };
}

/** Chart containers: their chart is resized with them. */
export const containerSize = watcher<{ resize(width: number, height: number): void }>(
  (lookup) =>
    new ResizeObserver((entries) => {
      for (const entry of entries) lookup(entry.target)?.resize(entry.contentRect.width, entry.contentRect.height);
    }),
);

/** Cards whose chart is not created yet: created when the card comes within 200 px of the viewport. */
export const nearViewport = watcher<{ show(): void }>(
  (lookup) =>
    new IntersectionObserver(
      (entries) => {
        for (const entry of entries) if (entry.isIntersecting) lookup(entry.target)?.show();
      },
      { rootMargin: '200px 0px' },
    ),
);
