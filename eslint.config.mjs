import { readdirSync, readFileSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// Every workspace under apps/ is a deployable app; their package names.
const APP_PACKAGES = readdirSync(new URL('./apps', import.meta.url)).map(dir =>
  JSON.parse(
    readFileSync(
      new URL(`./apps/${dir}/package.json`, import.meta.url),
      'utf8',
    ),
  ).name.replace('@tickpulse/', ''),
);

const DIST_PATTERN = {
  regex: '(^|/)dist(/|$)',
  message:
    'Import a workspace by its package name (and its `exports`), never its dist/ by path.',
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', 'out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  // Promise mistakes are type errors in disguise: a floating promise loses
  // its rejection (an unhandled rejection kills the process), and an async
  // function where a void callback is expected (an event handler, a timer)
  // does the same. These two rules need the type checker.
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  // Module boundaries. A workspace is used through its package entry points,
  // never through another workspace's build output; apps are deployed on
  // their own and never import each other (what two apps share lives in a
  // package).
  {
    rules: {
      'no-restricted-imports': ['error', { patterns: [DIST_PATTERN] }],
    },
  },
  {
    files: ['apps/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            DIST_PATTERN,
            {
              regex: `^@tickpulse/(${APP_PACKAGES.join('|')})(/|$)`,
              message:
                'Apps never import apps: move what they share into a package.',
            },
            {
              regex: '^(\\.\\./){2,}(\\.\\./)*(apps|packages|[a-z-]+/src)(/|$)',
              message:
                'Import another workspace by its package name, not by a relative path.',
            },
          ],
        },
      ],
    },
  },
  // The shared packages are layered contracts → service-kit → redis →
  // throttle, and the Polygon protocol needs the contracts alone
  // (docs/architecture.md#shared-packages); deploy-check's
  // import-rules.test.ts checks the same, declared dependencies included.
  ...Object.entries({
    contracts: ['service-kit', 'redis', 'throttle'],
    polygon: ['service-kit', 'redis', 'throttle'],
    'service-kit': ['redis', 'throttle'],
    redis: ['throttle'],
  }).map(([dir, above]) => ({
    files: [`packages/${dir}/**`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            DIST_PATTERN,
            {
              regex: `^@tickpulse/(${above.join('|')})(/|$)`,
              message: `packages/${dir} may not import a package layered above it.`,
            },
          ],
        },
      ],
    },
  })),
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
