// Allocation over the last minutes, kept in the browser: /overview is sampled every few
// seconds while the UI is open (on every page, so the charts have history when the
// operator comes back to the overview). Nothing is stored on the master.
import {api} from './api.js';

const INTERVAL_MS = 2000;
const KEEP_MS = 10 * 60 * 1000;

export const samples = [];  // [{time, overview}], oldest first.
let timer = null;
let inFlight = null;

// Fetches /overview now, records it and returns it.
export function sampleNow() {
  if (!inFlight) {
    inFlight = api.overview().then((overview) => {
      const now = Date.now();
      samples.push({time: now, overview});
      while (samples.length && samples[0].time < now - KEEP_MS) samples.shift();
      return overview;
    }).finally(() => { inFlight = null; });
  }
  return inFlight;
}

export function startSampling() {
  if (timer) return;
  const tick = () => {
    sampleNow().catch(() => {}).finally(() => { timer = setTimeout(tick, INTERVAL_MS); });
  };
  tick();
}
