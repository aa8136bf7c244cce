import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * `npm run dev`: the app on http://localhost:5173, its own origin, talking to the API
 * at `VITE_API_URL` (default http://127.0.0.1:4000/graphql) across origins: the API
 * allows this origin in development (`CORS_ORIGINS` for others).
 */
export default defineConfig({
  plugins: [react()],
  server: { port: 5173, strictPort: true },
  preview: { port: 4173, strictPort: true },
});
