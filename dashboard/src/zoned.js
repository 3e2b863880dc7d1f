// Times on the tables' pages, in the user's time zone with the zone named ("Dec 5, 14:05 CET"). The timestamps
// themselves come from the service (its clock: the demo's in demo mode); only the display zone is the browser's.
// (format.js is to gain a shared "one clock" helper, issue 34 item 5; until then these pages use this one.)

export function zonedTime(unixSeconds, timeZone) {
  if (!unixSeconds) return '–';
  return new Intl.DateTimeFormat('en-US', {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
    ...(timeZone ? { timeZone } : {}),
  }).format(new Date(unixSeconds * 1000));
}

// The same instant as an ISO 8601 UTC text, for CSV files (sortable, no zone to guess).
export function isoTime(unixSeconds) {
  return unixSeconds ? new Date(unixSeconds * 1000).toISOString() : '';
}
