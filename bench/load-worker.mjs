// One load-generating thread of the benchmark (plain JavaScript: worker threads do not get tsx).
// Runs autocannon against workerData.url with workerData.headers and posts back
// { latencies, ends, requests, seconds, failures }: every 200 response's time in ms (autocannon's
// own histogram keeps whole ms only) and the wall-clock time it ended at (Date.now(), to tell the
// scrapes that overlapped a refresh).
import { parentPort, workerData } from "node:worker_threads";
import autocannon from "autocannon";

const { url, connections, seconds, headers } = workerData;
const latencies = [];
const ends = [];
// Counted here: inside a worker thread autocannon leaves its request totals to a parent it does not have.
let responses = 0;
const instance = autocannon({ url, connections, duration: seconds, headers }, (error, result) => {
  const failures = error
    ? String(error.message ?? error)
    : result.non2xx > 0 || result.errors > 0 || result.timeouts > 0
      ? `${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`
      : undefined;
  parentPort.postMessage({ latencies, ends, requests: responses, seconds: result?.duration ?? 0, failures });
});
instance.on("response", (_client, status, _bytes, milliseconds) => {
  responses++;
  if (status !== 200) return;
  latencies.push(milliseconds);
  ends.push(Date.now());
});
