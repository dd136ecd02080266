// Builds the workbench front end into the Python package (src/dayafter/web/static), so a machine
// with only Python runs the app. Everything is bundled: no CDN, no tile server, no web fonts.
import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

export default defineConfig({
  base: "./",
  build: {
    outDir: fileURLToPath(new URL("../src/dayafter/web/static", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8765" },
  },
});
