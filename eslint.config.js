// One lint configuration for the whole repository: typescript-eslint's recommended
// rules (syntax-only, so `npm test` stays fast) plus the house rules that keep tests honest.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'dist/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'][importKind!='type'] > ImportSpecifier[imported.name='z']",
          message: "Use `import * as z from 'zod'`: the named `z` export defeats tree-shaking and puts every zod locale (~370 KB) into each Lambda bundle.",
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'it', property: 'only', message: 'No focused tests.' },
        { object: 'it', property: 'skip', message: 'No skipped tests.' },
        { object: 'describe', property: 'only', message: 'No focused tests.' },
        { object: 'describe', property: 'skip', message: 'No skipped tests.' },
        { object: 'test', property: 'only', message: 'No focused tests.' },
        { object: 'test', property: 'skip', message: 'No skipped tests.' },
      ],
    },
  },
  ...walls(),
);

/**
 * The walls between the areas of the repository (docs/architecture.md, "Layout"), as
 * no-restricted-imports rules. ESLint does not merge a rule's options across config objects (the
 * last matching object wins), so each area gets one object with every wall that applies to it.
 * Patterns are regular expressions over the import specifier, so they catch the `#area/…` aliases
 * and relative paths alike.
 */
function walls() {
  const wall = (regex, message) => ({ regex, message });
  const area = (name) => `(^|/|#)${name}/`;
  const outsideFunctions = [
    wall(`${area('cli')}|${area('infra')}|${area('sandbox')}|${area('test')}|${area('bench')}`, 'functions/ never imports cli/, infra/, sandbox/, test/ or bench/: they depend on it, not the other way round.'),
  ];
  const sdk = wall('^(@aws-sdk|@smithy|@kubernetes|@aws-lambda-powertools|@middy)/', 'Domain and kernel code is pure: no SDK, Kubernetes client or Powertools import (adapters own I/O).');
  const adapters = wall(`${area('platform')}|(^|/)adapters/`, 'Domain and kernel code is pure: no adapter or platform import (adapters own I/O).');
  const noMigration = wall(`${area('migration')}|${area('workflows')}`, 'access/ and migration/ meet only in kernel/ (and platform/ for shared adapters): move what both need there.');
  const noAccess = wall(area('access'), 'access/ and migration/ meet only in kernel/ (and platform/ for shared adapters): move what both need there.');
  const noFeatures = wall(`${area('access')}|${area('migration')}|${area('workflows')}`, 'kernel/ and platform/ serve both features and import neither.');
  const rule = (patterns) => ({ rules: { 'no-restricted-imports': ['error', { patterns }] } });
  return [
    { files: ['functions/**/*.ts'], ...rule(outsideFunctions) },
    { files: ['functions/access/**/*.ts'], ...rule([...outsideFunctions, noMigration]) },
    { files: ['functions/migration/**/*.ts'], ...rule([...outsideFunctions, noAccess]) },
    { files: ['functions/platform/**/*.ts'], ...rule([...outsideFunctions, noFeatures]) },
    { files: ['functions/kernel/**/*.ts'], ...rule([...outsideFunctions, noFeatures, sdk, adapters]) },
    { files: ['functions/access/domain/**/*.ts'], ...rule([...outsideFunctions, noMigration, sdk, adapters]) },
    { files: ['functions/migration/domain/**/*.ts'], ...rule([...outsideFunctions, noAccess, sdk, adapters]) },
    { files: ['workflows/**/*.ts'], ...rule([...outsideFunctions, noAccess, sdk, adapters]) },
    { files: ['infra/**/*.ts'], ...rule([wall(`${area('sandbox')}|${area('test')}|${area('bench')}`, 'infra/ never imports sandbox/, test/ or bench/: what it deploys must not depend on them.')]) },
  ];
}
