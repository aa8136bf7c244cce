/** "Add to cart": one unit (or `quantity`), or to the log-in page first when nobody is signed in. */
import { useLocation, useNavigate } from 'react-router';
import { useMutation } from 'urql';
import { graphql } from '../gql/index.js';
import { useSession } from '../session.js';
import { ErrorMessage } from '../ui.js';

const AddToCartMutation = graphql(`
  mutation AddToCart($input: AddToCartInput!) {
    addToCart(input: $input) {
      ...CartFields
    }
  }
`);

/** The button, with the API's error (such as OUT_OF_STOCK) under it. */
export function AddToCartButton({
  productId,
  productName,
  quantity = 1,
  disabled,
}: {
  productId: string;
  productName: string;
  quantity?: number;
  disabled?: boolean;
}) {
  const { token } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [{ fetching, error, data }, addToCart] = useMutation(AddToCartMutation);

  const add = () => {
    if (!token) {
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
      return;
    }
    void addToCart({ input: { productId, quantity } });
  };
  return (
    <div className="add-to-cart">
      <button type="button" onClick={add} disabled={disabled || fetching} aria-label={`Add ${productName} to cart`}>
        {fetching ? 'Adding…' : 'Add to cart'}
      </button>
      {data && !error && (
        <span className="muted" role="status">
          In your cart
        </span>
      )}
      <ErrorMessage error={error} />
    </div>
  );
}
