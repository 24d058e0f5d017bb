import neostandard from 'neostandard'
import importX from 'eslint-plugin-import-x'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'test-results/**'] }),
  // The web map runs in a browser: the two globals it uses beyond what Node has too.
  { files: ['web/**/*.js'], languageOptions: { globals: { document: 'readonly', EventSource: 'readonly' } } },
  // An import cycle in src/ is a module boundary in the wrong place (issue 12): refused.
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
      'import-x/extensions': ['.ts']
    },
    rules: { 'import-x/no-cycle': 'error' }
  }
]
