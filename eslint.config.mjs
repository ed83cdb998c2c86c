// ESLint flat config: typescript-eslint's recommended rules for TypeScript, ESLint's for scripts.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";
import globals from "globals";

export default defineConfig(
  {
    ignores: ["dist/**", "build/**", "node_modules/**", ".venv/**", "test-results/**", "examples/**", "trainer/**", "**/*.d.ts"],
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ["**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-syntax": [
        "error",
        { selector: "ExportDefaultDeclaration", message: "Use named exports (house style)." },
      ],
    },
  },
  {
    files: ["webview/**/*.ts", "test/webview/fixtures/**/*.ts"],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      "no-restricted-properties": [
        "error",
        { property: "innerHTML", message: "Rollout text is untrusted: use textContent or text nodes." },
        { property: "outerHTML", message: "Rollout text is untrusted: use textContent or text nodes." },
      ],
      "no-restricted-imports": ["error", { paths: [{ name: "vscode", message: "Webview apps never import vscode." }] }],
    },
  },
);
