// Copies a text (a new API token, shown once) to the clipboard and says so next to the button. Falls back to
// selecting the text when the clipboard API is refused (an insecure origin, a denied permission).
import { useState } from 'react';

export default function CopyButton({ text, label = 'Copy', targetId }) {
  const [state, setState] = useState('');
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      const el = targetId && document.getElementById(targetId);
      if (el) window.getSelection()?.selectAllChildren(el);
      setState('selected: press Ctrl+C (or ⌘C) to copy');
    }
  }
  return (
    <>
      <button type="button" className="secondary" onClick={copy}>
        {label}
      </button>
      <span role="status" className="copy-state">
        {state}
      </span>
    </>
  );
}
