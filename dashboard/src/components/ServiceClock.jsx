// The service's clock in the header of every page (docs/DASHBOARD.md, "One clock"): the newest time the service
// told any page, in the user's zone with the zone named. Blank until the first answer.
import { useEffect, useState } from 'react';
import { onServiceNow, serviceNow, time, zoneLabel } from '../format.js';

export default function ServiceClock() {
  const [now, setNow] = useState(serviceNow());
  useEffect(() => onServiceNow(setNow), []);
  if (!now) return null;
  return (
    <span className="service-clock" title={`the service's clock (the demo's in demo mode), shown in ${zoneLabel(now)}`} data-testid="header-clock" data-now={now}>
      {time(now, now, { zone: true })}
    </span>
  );
}
