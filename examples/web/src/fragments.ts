/** The fields each view of a product, a cart and an order shows. */
import { graphql } from './gql/index.js';

/** A product as its page and the catalog's cards show it. */
export const ProductFieldsFragment = graphql(`
  fragment ProductFields on Product {
    id
    sku
    name
    description
    priceCents
    stock
    version
  }
`);

/** A cart with its lines; every mutation of the cart answers with it, so every view of the cart refreshes. */
export const CartFieldsFragment = graphql(`
  fragment CartFields on Cart {
    id
    version
    itemCount
    totalCents
    items {
      quantity
      subtotalCents
      product {
        id
        sku
        name
        priceCents
        stock
      }
    }
  }
`);

/** An order with its lines as they were at checkout. */
export const OrderFieldsFragment = graphql(`
  fragment OrderFields on Order {
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
      product {
        id
      }
    }
  }
`);
