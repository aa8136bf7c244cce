import { graphql } from '../gql/index.js';

/**
 * Orders everything in the cart in one transaction. Fails with OUT_OF_STOCK
 * (and changes nothing) if any item is short.
 */
export const CheckoutMutation = graphql(`
  mutation Checkout {
    checkout {
      id
      status
      totalCents
      createdAt
      items {
        productName
        productSku
        quantity
        unitPriceCents
        subtotalCents
      }
    }
  }
`);
