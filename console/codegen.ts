import type { CodegenConfig } from '@graphql-codegen/cli';

// Operation types come from the schema the server prints (`countersign schema`), which the
// repository keeps in docs/schema.graphql (a Rust test fails when the two differ).
const config: CodegenConfig = {
  schema: '../docs/schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*'],
  ignoreNoDocuments: true,
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', Decimal: 'string', Duration: 'string', JSON: 'unknown', ID: 'string' },
        strictScalars: true,
      },
    },
  },
};
export default config;
