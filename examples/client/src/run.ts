/**
 * The whole shopping flow against a running API: sign up, browse, fill the
 * cart, check out. Every document is typed, and fragment data is read through
 * `getFragmentData`, so a component only sees the fields its fragment asks for.
 */
import { randomBytes } from 'node:crypto';
import { createClient } from './client.js';
import { CartViewFragment } from './fragments/cart-view.js';
import { ProductCardFragment } from './fragments/product-card.js';
import { type FragmentType, getFragmentData } from './gql/index.js';
import { AddToCartMutation } from './operations/add-to-cart.js';
import { MyCartQuery } from './operations/cart.js';
import { CheckoutMutation } from './operations/checkout.js';
import { ProductsQuery } from './operations/products.js';
import { SignUpMutation } from './operations/sign-up.js';

/** Cents as a decimal amount, e.g. 1999 -> "19.99". */
const money = (cents: number) => (cents / 100).toFixed(2);

/** Prints a cart: the lines a cart view component would render from its fragment. */
function printCart(ref: FragmentType<typeof CartViewFragment>, log: (line: string) => void) {
  const cart = getFragmentData(CartViewFragment, ref);
  log(`Cart ${cart.id} (version ${cart.version}): ${cart.itemCount} unit(s), total ${money(cart.totalCents)}`);
  for (const item of cart.items) {
    const product = getFragmentData(ProductCardFragment, item.product);
    log(`  ${item.quantity} x ${product.name} [${product.sku}] @ ${money(product.priceCents)} = ${money(item.subtotalCents)}`);
  }
}

export async function runExample({ url, log = () => {} }: { url: string; log?: (line: string) => void }): Promise<{ orderId: string; totalCents: number }> {
  const anonymous = createClient({ url });

  // 1. Sign up a fresh customer; the token signs in every later request.
  const suffix = randomBytes(6).toString('hex');
  const { signUp } = await anonymous.request(SignUpMutation, {
    input: { email: `example-${suffix}@example.com`, name: `Example Customer ${suffix}`, password: `password-${suffix}` },
  });
  log(`Signed up ${signUp.user.email} (${signUp.user.role}, id ${signUp.user.id})`);
  const api = anonymous.withToken(signUp.token);

  // 2. The first page of the catalog; each node is a masked ProductCard.
  const { products } = await api.request(ProductsQuery, { first: 20 });
  const cards = products.edges.map((edge) => getFragmentData(ProductCardFragment, edge.node));
  log(`Products (${cards.length}${products.pageInfo.hasNextPage ? ', more available' : ''}):`);
  for (const card of cards) log(`  ${card.sku}  ${card.name}  ${money(card.priceCents)}  stock ${card.stock}`);

  // 3. Two different products with enough stock: one unit of the first, two of the second.
  const second = cards.find((card) => card.stock >= 2);
  const first = cards.find((card) => card.stock >= 1 && card.id !== second?.id);
  if (!first || !second) {
    throw new Error(
      `The first ${cards.length} product(s) do not include two in stock (one with at least 1 unit, another with at least 2): run \`npm run db:seed\` first (or create products as an admin with the createProduct mutation)`,
    );
  }
  await api.request(AddToCartMutation, { input: { productId: first.id, quantity: 1 } });
  const { addToCart } = await api.request(AddToCartMutation, { input: { productId: second.id, quantity: 2 } });
  log(`Added 1 x ${first.name} and 2 x ${second.name}; cart now holds ${getFragmentData(CartViewFragment, addToCart).itemCount} unit(s)`);

  // 4. Read the cart back, as a cart page would.
  const { me } = await api.request(MyCartQuery);
  if (!me) throw new Error('The API did not recognise the token it just issued (me is null)');
  printCart(me.cart, log);

  // 5. Check out: stock is decremented and the cart emptied in one transaction.
  const { checkout: order } = await api.request(CheckoutMutation);
  log(`Order ${order.id}: ${order.status} at ${order.createdAt}, total ${money(order.totalCents)}`);
  for (const item of order.items) {
    log(`  ${item.quantity} x ${item.productName} [${item.productSku}] @ ${money(item.unitPriceCents)} = ${money(item.subtotalCents)}`);
  }

  return { orderId: order.id, totalCents: order.totalCents };
}
