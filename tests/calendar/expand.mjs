// Expand every event of an .ics file with ical.js, as a calendar client would.
//
//   node tests/calendar/expand.mjs FILE.ics WINDOW_START WINDOW_END      (run with cwd=/work/main)
//
// WINDOW_START and WINDOW_END are UTC instants (ISO 8601). ical.js ships no time zone data: every
// VTIMEZONE in the file is registered with ICAL.TimezoneService, so the UTC instants printed here come
// from the application's own VTIMEZONE, not from a zone database.
//
// Prints JSON:
//   {"zones": [TZID, ...],
//    "events": {UID: {"occurrences": [{"start", "end", "tzid", "recurrenceId"}, ...],
//                     "cancelled":   [{"start", "end", "tzid", "recurrenceId"}, ...],
//                     "orphans":     [RECURRENCE-ID, ...]}}}
// with "start" and "end" in UTC ISO (…Z), for the occurrences starting in [WINDOW_START, WINDOW_END).
// An occurrence removed by EXDATE is not listed; one whose instance (or whose master) has
// STATUS:CANCELLED is listed under "cancelled", not "occurrences". "orphans" are overrides whose
// RECURRENCE-ID is not an instance of the master's rule (a calendar shows them nowhere, or alone).
import fs from "node:fs";
import ICAL from "ical.js";

const [file, windowStartText, windowEndText] = process.argv.slice(2);
if (!file || !windowStartText || !windowEndText) {
  console.error("usage: expand.mjs FILE.ics WINDOW_START WINDOW_END");
  process.exit(2);
}
const windowStart = Date.parse(windowStartText) / 1000;
const windowEnd = Date.parse(windowEndText) / 1000;
if (Number.isNaN(windowStart) || Number.isNaN(windowEnd)) {
  console.error("window bounds must be ISO 8601 instants");
  process.exit(2);
}
// Rules are followed this far past the window, so a meeting moved into the window from later is found.
const LOOKAHEAD_SECONDS = 400 * 24 * 3600;
const MAX_INSTANCES = 20000;

const calendar = new ICAL.Component(ICAL.parse(fs.readFileSync(file, "utf8")));

const zones = [];
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtimezone);
  zones.push(vtimezone.getFirstPropertyValue("tzid"));
}

const byUid = new Map();
for (const vevent of calendar.getAllSubcomponents("vevent")) {
  const uid = vevent.getFirstPropertyValue("uid");
  if (!byUid.has(uid)) byUid.set(uid, { master: null, overrides: [] });
  const entry = byUid.get(uid);
  if (vevent.hasProperty("recurrence-id")) {
    entry.overrides.push(vevent);
  } else {
    if (entry.master) {
      console.error(`UID ${uid} has two masters`);
      process.exit(3);
    }
    entry.master = vevent;
  }
}

const iso = (time) => new Date(time.toUnixTime() * 1000).toISOString().replace(".000Z", "Z");
const statusOf = (component) => (component.getFirstPropertyValue("status") || "").toUpperCase();

function describe(start, end, recurrenceId) {
  return {
    start: iso(start),
    end: iso(end),
    tzid: start.zone ? start.zone.tzid : null,
    recurrenceId: recurrenceId ? iso(recurrenceId) : null,
  };
}

const events = {};
for (const [uid, { master, overrides }] of byUid) {
  const result = { occurrences: [], cancelled: [], orphans: [] };
  events[uid] = result;
  if (!master) {
    // Overrides with no master: a client has nothing to attach them to.
    for (const override of overrides) {
      result.orphans.push(iso(override.getFirstPropertyValue("recurrence-id")));
    }
    continue;
  }
  // exceptions: [] stops ical.js relating every RECURRENCE-ID in the file, whatever its UID; this UID's
  // own are related one by one (strictExceptions: a wrong UID would throw).
  const event = new ICAL.Event(master, { exceptions: [], strictExceptions: true });
  for (const override of overrides) event.relateException(override);
  const masterCancelled = statusOf(master) === "CANCELLED";
  const place = (start, end, item, recurrenceId) => {
    const at = start.toUnixTime();
    if (at < windowStart || at >= windowEnd) return;
    const cancelled = masterCancelled || statusOf(item.component) === "CANCELLED";
    (cancelled ? result.cancelled : result.occurrences).push(describe(start, end, recurrenceId));
  };
  if (!event.isRecurring()) {
    place(event.startDate, event.endDate, event, null);
    continue;
  }
  const used = new Set();
  const iterator = event.iterator();
  let count = 0;
  for (let next = iterator.next(); next; next = iterator.next()) {
    if (next.toUnixTime() > windowEnd + LOOKAHEAD_SECONDS) break;
    if (++count > MAX_INSTANCES) {
      console.error(`UID ${uid}: more than ${MAX_INSTANCES} instances`);
      process.exit(3);
    }
    const details = event.getOccurrenceDetails(next);
    if (details.item !== event) used.add(details.item);
    place(details.startDate, details.endDate, details.item, next);
  }
  for (const override of Object.values(event.exceptions)) {
    if (!used.has(override)) {
      const rid = override.recurrenceId;
      // An override past the lookahead is not an orphan, just not reached.
      if (rid.toUnixTime() <= windowEnd + LOOKAHEAD_SECONDS) result.orphans.push(iso(rid));
    }
  }
}

process.stdout.write(JSON.stringify({ zones, events }));
