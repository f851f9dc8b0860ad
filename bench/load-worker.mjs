// One load-generating thread of the benchmark (plain JavaScript: worker threads do not get tsx).
// Runs autocannon against workerData.url and posts back { latencies, requests, seconds, failures }:
// every 200 response's time in ms, which autocannon's own histogram keeps in whole ms only.
import { parentPort, workerData } from "node:worker_threads";
import autocannon from "autocannon";

const { url, connections, seconds, gzip } = workerData;
const latencies = [];
// Counted here: inside a worker thread autocannon leaves its request totals to a parent it does not have.
let responses = 0;
const instance = autocannon({ url, connections, duration: seconds, headers: gzip ? { "accept-encoding": "gzip" } : {} }, (error, result) => {
  const failures = error
    ? String(error.message ?? error)
    : result.non2xx > 0 || result.errors > 0 || result.timeouts > 0
      ? `${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`
      : undefined;
  parentPort.postMessage({ latencies, requests: responses, seconds: result?.duration ?? 0, failures });
});
instance.on("response", (_client, status, _bytes, milliseconds) => {
  responses++;
  if (status === 200) latencies.push(milliseconds);
});
