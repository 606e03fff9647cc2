/** Builds the map console (web/) into web/dist, which the API serves at `/` (server/health/console-route.ts). */
import { defineConfig, type Plugin } from 'vite'
import { PRELOAD_URLS } from './web/api.ts'

/** The console's first requests start with the page, not after its 1 MB script has run. */
function preloadFirstRequests(): Plugin {
  return {
    name: 'zhiwang-preload',
    transformIndexHtml: () => PRELOAD_URLS.map((href) => ({ tag: 'link', attrs: { rel: 'preload', href, as: 'fetch', crossorigin: 'anonymous' }, injectTo: 'head-prepend' as const })),
  }
}

export default defineConfig({
  root: 'web',
  base: '/',
  // Nothing is fetched from outside at run time, and nothing public/ would copy.
  publicDir: false,
  plugins: [preloadFirstRequests()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // MapLibre alone is ~1 MB minified; it is one cacheable, hashed file.
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
  server: {
    // `npx vite` serves web/ with hot reload; the API runs beside it (npm start).
    proxy: Object.fromEntries(['/api', '/tiles', '/console/config.json', '/health'].map((p) => [p, 'http://127.0.0.1:3000'])),
  },
})
