import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import App from './App.jsx';
import './styles.css';
import './theme.css'; // after styles.css: its colour rules win (light and dark)
import './tables.css';
import { registerServiceWorker } from './serviceWorker.js';

registerServiceWorker();

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
