/** The playgrounds and codegen introspect the schema: outside production, the query limits let them. */
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ NODE_ENV: 'development' });
});
afterAll(() => api?.close());

it('answers the full introspection query that Sandbox and GraphiQL send', async () => {
  for (const query of [
    getIntrospectionQuery(),
    getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }),
  ]) {
    const res = await api.gql(query);
    expect(res.errors).toBeUndefined();
    expect(res.data.__schema.types.some((t: { name: string }) => t.name === 'Product')).toBe(true);
  }
});
