/**
 * Items handled between two yields to the event loop: at 100,000 tenants a refresh walks hundreds
 * of thousands of samples, and whatever else the thread has to do waits for one slice at most.
 */
export const SLICE = 1000;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The items in arrays of `size` (the last may be shorter, none is empty), yielding to the event
 * loop before reading each slice after the first. Items are pulled lazily, so a generator over a snapshot computes one
 * slice at a time.
 */
export async function* inSlices<T>(items: Iterable<T>, size: number = SLICE): AsyncGenerator<T[], void, undefined> {
  let slice: T[] = [];
  for (const item of items) {
    slice.push(item);
    if (slice.length < size) continue;
    yield slice;
    slice = [];
    await yieldToEventLoop();
  }
  if (slice.length > 0) yield slice;
}
