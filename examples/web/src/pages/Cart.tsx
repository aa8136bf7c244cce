/** The cart: change quantities, remove items, go to checkout. */
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql/index.js';
import type { CartFieldsFragment } from '../gql/graphql.js';
import { ErrorMessage, Loading, Money } from '../ui.js';

/** The signed-in user's cart, as the cart and checkout pages show it. */
export const CartQuery = graphql(`
  query CartPage {
    me {
      id
      cart {
        ...CartFields
      }
    }
  }
`);

const SetQuantityMutation = graphql(`
  mutation SetCartItemQuantity($input: SetCartItemQuantityInput!) {
    setCartItemQuantity(input: $input) {
      ...CartFields
    }
  }
`);

const RemoveMutation = graphql(`
  mutation RemoveFromCart($productId: ID!) {
    removeFromCart(productId: $productId) {
      ...CartFields
    }
  }
`);

/** The page at /cart (signed in only: see RequireSession). */
export function CartPage() {
  const [{ data, fetching, error }] = useQuery({ query: CartQuery });
  const cart = data?.me?.cart;
  if (!data && fetching) return <Loading />;
  return (
    <section>
      <h1>Your cart</h1>
      <ErrorMessage error={error} />
      {cart && cart.items.length === 0 && (
        <p>
          Your cart is empty. <Link to="/">Browse the catalog</Link>.
        </p>
      )}
      {cart && cart.items.length > 0 && (
        <>
          <table className="lines" aria-label="Cart">
            <thead>
              <tr>
                <th>Product</th>
                <th className="num">Price</th>
                <th>Quantity</th>
                <th className="num">Subtotal</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {cart.items.map((item) => (
                <CartLine key={`${item.product.id}:${item.quantity}`} item={item} />
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th colSpan={3}>Total ({cart.itemCount === 1 ? '1 unit' : `${cart.itemCount} units`})</th>
                <td className="num">
                  <Money cents={cart.totalCents} testId="cart-total" />
                </td>
                <td />
              </tr>
            </tfoot>
          </table>
          <p className="actions">
            <Link className="button primary" to="/checkout">
              Check out
            </Link>
          </p>
        </>
      )}
    </section>
  );
}

/** One line: its quantity is sent when the form is submitted (Enter or "Update"). */
function CartLine({ item }: { item: CartFieldsFragment['items'][number] }) {
  const [quantity, setQuantity] = useState(String(item.quantity));
  const [set, setQuantityOf] = useMutation(SetQuantityMutation);
  const [removal, remove] = useMutation(RemoveMutation);
  const { product } = item;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void setQuantityOf({ input: { productId: product.id, quantity: Number(quantity) } });
  };
  return (
    <tr data-testid="cart-line">
      <td>
        <Link to={`/products/${encodeURIComponent(product.id)}`}>{product.name}</Link>
        <div className="muted small">{product.sku}</div>
        <ErrorMessage error={set.error ?? removal.error} />
      </td>
      <td className="num">
        <Money cents={product.priceCents} testId="line-price" />
      </td>
      <td>
        <form onSubmit={submit} className="quantity">
          <input type="number" min={1} value={quantity} onChange={(e) => setQuantity(e.target.value)} aria-label={`Quantity of ${product.name}`} />
          <button type="submit" disabled={set.fetching || quantity === String(item.quantity)}>
            Update
          </button>
        </form>
      </td>
      <td className="num">
        <Money cents={item.subtotalCents} testId="line-subtotal" />
      </td>
      <td>
        <button
          type="button"
          className="link"
          disabled={removal.fetching}
          onClick={() => void remove({ productId: product.id })}
          aria-label={`Remove ${product.name}`}
        >
          Remove
        </button>
      </td>
    </tr>
  );
}
