// ESLint for the static pages (frontend-static/: the viewer, the console), run by `make lint`.
// Plain ES modules in the browser, no build step: the recommended rules, browser globals, and the libraries the
// pages load as classic scripts from vendor/ (qrcode-generator, ethers' UMD build, Chart.js) named as read-only.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["frontend-static/**/vendor/**"] },
  js.configs.recommended,
  {
    files: ["frontend-static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser, ethers: "readonly", qrcode: "readonly", Chart: "readonly" },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-implicit-globals": "error",
      "prefer-const": "error",
      "no-var": "error",
    },
  },
];
