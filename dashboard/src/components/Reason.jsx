// Why an action or recommendation happened: its short `summary` sentence when the server sends one (else its
// `reason`), with the details a click away (the `explanation` object's entries, else the full reason).
import { explanationEntries } from '../format.js';

export default function Reason({ item }) {
  const entries = explanationEntries(item?.explanation);
  const headline = item?.summary || item?.reason || '';
  const hasDetails = entries.length > 0 || (item?.summary && item?.reason);
  if (!hasDetails) return <span className="reason">{headline}</span>;
  return (
    <details className="reason">
      <summary>{headline}</summary>
      {entries.length > 0 ? (
        <dl className="explanation">
          {entries.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p>{item.reason}</p>
      )}
    </details>
  );
}
