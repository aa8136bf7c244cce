/** The typed example client (examples/client) runs its whole flow against the real API. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runExample } from '../examples/client/src/run.js';
import { idOf, startTestApi, type TestApi } from './support/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

it('signs up, fills a cart and checks out', async () => {
  await api.product({ sku: 'EX-1', priceCents: 1250, stock: 10 });
  await api.product({ sku: 'EX-2', priceCents: 500, stock: 10 });
  const lines: string[] = [];
  const { orderId, totalCents } = await runExample({ url: api.url, log: (line) => lines.push(line) });
  const order = await api.services.rawDb.order.findUniqueOrThrow({ where: { id: idOf(orderId) }, include: { items: true } });
  expect(Number(order.totalCents)).toBe(totalCents);
  expect(order.items.reduce((n, i) => n + i.quantity, 0)).toBe(3);
  expect(lines.join('\n')).toContain(`Order ${orderId}: PLACED`);
});
