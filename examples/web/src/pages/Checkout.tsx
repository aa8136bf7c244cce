/** Checkout: the cart once more, then one mutation that places the order. */
import { Link, useNavigate } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql/index.js';
import { CartQuery } from './Cart.js';
import { ErrorMessage, Loading, Money } from '../ui.js';

const CheckoutMutation = graphql(`
  mutation Checkout {
    checkout {
      ...OrderFields
      user {
        id
        cart {
          ...CartFields
        }
      }
    }
  }
`);

/**
 * The page at /checkout. The order is placed in one transaction (stock checked for every
 * line); if a line is short, nothing changes and the API's OUT_OF_STOCK message names it.
 * The mutation also reads the emptied cart back, so the header and the cart page update.
 */
export function CheckoutPage() {
  const [{ data, fetching, error }] = useQuery({ query: CartQuery });
  const [placing, checkout] = useMutation(CheckoutMutation);
  const navigate = useNavigate();
  const cart = data?.me?.cart;

  const place = async () => {
    const result = await checkout({});
    if (result.data) navigate(`/orders/${encodeURIComponent(result.data.checkout.id)}`, { state: { placed: true } });
  };

  if (!data && fetching) return <Loading />;
  return (
    <section>
      <h1>Checkout</h1>
      <ErrorMessage error={error} />
      {cart && cart.items.length === 0 && (
        <p>
          Your cart is empty. <Link to="/">Browse the catalog</Link>.
        </p>
      )}
      {cart && cart.items.length > 0 && (
        <>
          <table className="lines" aria-label="Order summary">
            <tbody>
              {cart.items.map((item) => (
                <tr key={item.product.id}>
                  <td>
                    {item.quantity} × {item.product.name}
                  </td>
                  <td className="num">
                    <Money cents={item.subtotalCents} />
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th>Total</th>
                <td className="num">
                  <Money cents={cart.totalCents} testId="checkout-total" />
                </td>
              </tr>
            </tfoot>
          </table>
          <ErrorMessage error={placing.error} />
          <p className="actions">
            <Link to="/cart">← Back to the cart</Link>
            <button type="button" className="primary" disabled={placing.fetching} onClick={() => void place()}>
              {placing.fetching ? 'Placing the order…' : 'Place order'}
            </button>
          </p>
        </>
      )}
    </section>
  );
}
