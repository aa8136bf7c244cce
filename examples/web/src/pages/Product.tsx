/** A product's page: details, add to cart, and for an admin, a new price. */
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql/index.js';
import { AddToCartButton } from '../components/AddToCartButton.js';
import { useViewer } from '../viewer.js';
import { ErrorMessage, Loading, Money, formatCents } from '../ui.js';

const ProductQuery = graphql(`
  query ProductPage($id: ID!) {
    product(id: $id) {
      ...ProductFields
    }
  }
`);

const ChangePriceMutation = graphql(`
  mutation ChangePrice($input: UpdateProductInput!) {
    updateProduct(input: $input) {
      ...ProductFields
    }
  }
`);

/** The page at /products/:id. */
export function ProductPage() {
  const { id = '' } = useParams();
  const [{ data, fetching, error }] = useQuery({ query: ProductQuery, variables: { id } });
  const [quantity, setQuantity] = useState(1);
  const viewer = useViewer();

  if (!data && fetching) return <Loading />;
  const product = data?.product;
  return (
    <section>
      <p>
        <Link to="/">← Catalog</Link>
      </p>
      <ErrorMessage error={error} />
      {data && !product && <p>This product does not exist (any more).</p>}
      {product && (
        <article className="product">
          <h1>{product.name}</h1>
          <p className="price">
            <Money cents={product.priceCents} testId="product-price" />
          </p>
          <p>{product.description}</p>
          <dl className="facts">
            <dt>SKU</dt>
            <dd>{product.sku}</dd>
            <dt>In stock</dt>
            <dd>{product.stock}</dd>
          </dl>
          <div className="buy">
            <label>
              Quantity{' '}
              <input
                type="number"
                min={1}
                max={Math.max(1, product.stock)}
                value={quantity}
                onChange={(e) => setQuantity(Math.max(1, Number(e.target.value) || 1))}
              />
            </label>
            <AddToCartButton productId={product.id} productName={product.name} quantity={quantity} disabled={product.stock === 0} />
          </div>
          {viewer?.role === 'ADMIN' && <ChangePrice productId={product.id} priceCents={product.priceCents} />}
        </article>
      )}
    </section>
  );
}

/** Admins only (the API checks): sets a new price, in the shop's currency (e.g. 12.50). */
function ChangePrice({ productId, priceCents }: { productId: string; priceCents: number }) {
  const [price, setPrice] = useState((priceCents / 100).toFixed(2));
  const [{ fetching, error, data }, updateProduct] = useMutation(ChangePriceMutation);
  const [invalid, setInvalid] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const cents = Math.round(Number(price) * 100);
    if (!/^\d+(\.\d{1,2})?$/.test(price.trim()) || !Number.isSafeInteger(cents)) {
      setInvalid(`“${price}” is not a price: write it like 12.50`);
      return;
    }
    setInvalid(null);
    void updateProduct({ input: { id: productId, priceCents: cents } });
  };
  return (
    <form className="admin" onSubmit={submit}>
      <h2>Admin</h2>
      <label>
        New price <input inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} />
      </label>
      <button type="submit" disabled={fetching}>
        Change price
      </button>
      {invalid && (
        <div className="error" role="alert">
          {invalid}
        </div>
      )}
      <ErrorMessage error={error} />
      {data && !error && <p role="status">Price changed to {formatCents(data.updateProduct.priceCents)}.</p>}
    </form>
  );
}
