import { graphql } from '../gql/index.js';

/**
 * Everything the cart view shows. The products inside stay masked: unmask them
 * with `getFragmentData(ProductCardFragment, item.product)`.
 */
export const CartViewFragment = graphql(`
  fragment CartView on Cart {
    id
    version
    itemCount
    totalCents
    items {
      quantity
      subtotalCents
      product {
        ...ProductCard
      }
    }
  }
`);
