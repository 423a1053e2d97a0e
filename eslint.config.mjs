import nx from '@nx/eslint-plugin';

/**
 * Module boundaries. Apps may import the contracts; the contracts import nothing framework-specific
 * (only zod); the shared test helpers (type:testing) serve tests only.
 */
function depConstraints({ appsMayUseTesting }) {
  return [
    {
      sourceTag: 'type:contracts',
      onlyDependOnLibsWithTags: ['type:contracts'],
      allowedExternalImports: ['zod', 'zod/*'],
    },
    {
      sourceTag: 'type:app',
      onlyDependOnLibsWithTags: appsMayUseTesting
        ? ['type:contracts', 'type:testing']
        : ['type:contracts'],
    },
    {
      sourceTag: 'type:e2e',
      onlyDependOnLibsWithTags: ['type:contracts', 'type:testing'],
    },
    { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts'] },
    {
      sourceTag: 'scope:api',
      onlyDependOnLibsWithTags: ['scope:api', 'scope:shared'],
    },
    {
      sourceTag: 'scope:web',
      onlyDependOnLibsWithTags: ['scope:web', 'scope:shared'],
    },
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  ];
}

const boundaries = (options) => ({
  '@nx/enforce-module-boundaries': [
    'error',
    {
      enforceBuildableLibDependency: true,
      allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
      depConstraints: depConstraints(options),
    },
  ],
});

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/out-tsc'],
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.jsx'],
    rules: boundaries({ appsMayUseTesting: false }),
  },
  {
    // Test code of the apps may use the shared test helpers; production code may not.
    files: ['**/*.spec.ts', '**/*.contract.ts', '**/testing/**/*.ts'],
    rules: boundaries({ appsMayUseTesting: true }),
  },
];
