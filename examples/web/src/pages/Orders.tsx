/** The signed-in user's orders, newest first, and one order's page. */
import { Link, useLocation, useParams } from 'react-router';
import { useQuery } from 'urql';
import { graphql } from '../gql/index.js';
import { ErrorMessage, Loading, Money } from '../ui.js';

const OrdersQuery = graphql(`
  query OrdersPage($first: Int, $after: String) {
    me {
      id
      orders(first: $first, after: $after) {
        edges {
          node {
            ...OrderFields
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

const OrderQuery = graphql(`
  query OrderPage($id: ID!) {
    order(id: $id) {
      ...OrderFields
    }
  }
`);

/** Dates as `30 Nov 2026, 09:30`, in the browser's time zone (IDs are opaque: an order is named by its date). */
const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

/** The page at /orders: the 50 latest orders. */
export function OrdersPage() {
  const [{ data, fetching, error }] = useQuery({ query: OrdersQuery, variables: { first: 50 } });
  if (!data && fetching) return <Loading />;
  const orders = data?.me?.orders.edges.map((edge) => edge.node) ?? [];
  return (
    <section>
      <h1>Your orders</h1>
      <ErrorMessage error={error} />
      {data && orders.length === 0 && <p>No orders yet.</p>}
      {orders.length > 0 && (
        <table className="lines" aria-label="Orders">
          <thead>
            <tr>
              <th>Placed</th>
              <th>Items</th>
              <th>Status</th>
              <th className="num">Total</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((order) => (
              <tr key={order.id} data-testid="order-row">
                <td>
                  <Link to={`/orders/${encodeURIComponent(order.id)}`}>{dateTime.format(new Date(order.createdAt))}</Link>
                </td>
                <td>{order.items.map((item) => `${item.quantity} × ${item.productName}`).join(', ')}</td>
                <td>{order.status === 'PLACED' ? 'Placed' : 'Cancelled'}</td>
                <td className="num">
                  <Money cents={order.totalCents} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The page at /orders/:id; right after checkout it thanks the shopper. */
export function OrderPage() {
  const { id = '' } = useParams();
  const placed = (useLocation().state as { placed?: boolean } | null)?.placed === true;
  const [{ data, fetching, error }] = useQuery({ query: OrderQuery, variables: { id } });
  if (!data && fetching) return <Loading />;
  const order = data?.order;
  return (
    <section>
      <p>
        <Link to="/orders">← Your orders</Link>
      </p>
      <ErrorMessage error={error} />
      {data && !order && <p>There is no such order among yours.</p>}
      {order && (
        <>
          {placed && (
            <p className="notice" role="status">
              Thank you: your order is placed.
            </p>
          )}
          <h1>Your order of {dateTime.format(new Date(order.createdAt))}</h1>
          <p className="muted">{order.status === 'PLACED' ? 'Placed' : 'Cancelled'}</p>
          <table className="lines" aria-label="Order">
            <thead>
              <tr>
                <th>Product</th>
                <th className="num">Unit price</th>
                <th className="num">Quantity</th>
                <th className="num">Subtotal</th>
              </tr>
            </thead>
            <tbody>
              {order.items.map((item, i) => (
                <tr key={i} data-testid="order-line">
                  <td>
                    {item.product ? <Link to={`/products/${encodeURIComponent(item.product.id)}`}>{item.productName}</Link> : item.productName}
                    <div className="muted small">{item.productSku}</div>
                  </td>
                  <td className="num">
                    <Money cents={item.unitPriceCents} />
                  </td>
                  <td className="num">{item.quantity}</td>
                  <td className="num">
                    <Money cents={item.subtotalCents} />
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th colSpan={3}>Total</th>
                <td className="num">
                  <Money cents={order.totalCents} testId="order-total" />
                </td>
              </tr>
            </tfoot>
          </table>
        </>
      )}
    </section>
  );
}
